"""archives.writer without Scrapy: rotation, naming, .open files, recovery, revisits, metadata."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from archives import records
from archives.digests import MemoryDigestIndex, SqliteDigestIndex, make_digest_index
from archives.recovery import finalize_open_files
from archives.writer import WarcWriter
from tests.tools import ROOT, read_records, warcio_check

REQ = (b"GET /a?x=1 HTTP/1.1\r\nHost: example.org\r\nAuthorization: Bearer tok\r\n"
       b"Cookie: sid=1;\r\n  more=2\r\nUser-Agent: t\r\n\r\n")
HEAD = b"HTTP/1.1 200 Fine\r\ncontent-TYPE: text/html\r\nContent-Length: 5\r\n\r\n"
NAME = re.compile(r"^crawl-\d{17}-\d{5}-[A-Za-z0-9.-]+\.warc\.gz$")


def exchange(writer, n=0, body=None):
    return writer.write_exchange(url=f"http://example.org/a?x={n}", request_head=REQ,
                                 response_head=HEAD, response_body=body or b"b%04d" % n,
                                 ip_address="192.0.2.1")


def test_names_open_suffix_lock_and_close(tmp_path):
    writer = WarcWriter(tmp_path, warcinfo={"software": "t"})
    capture = exchange(writer)
    open_path = writer.current_path
    assert open_path.name.endswith(".warc.gz.open") and NAME.match(open_path.name[:-5])
    assert capture.response.filename == open_path.name[:-5]  # the name it will have
    # another writer starting in the same directory leaves a file in use alone
    assert finalize_open_files(tmp_path) == []
    assert open_path.exists()
    [final] = writer.close()
    assert not open_path.exists() and final.name == capture.response.filename
    assert warcio_check(final).returncode == 0
    assert final.with_name(final.name[:-8] + ".cdxj").exists()
    with pytest.raises(RuntimeError):
        exchange(writer)


def test_rotation_at_max_size(tmp_path):
    writer = WarcWriter(tmp_path, max_size=3000, warcinfo={"software": "t"})
    captures = [exchange(writer, n) for n in range(12)]
    files = writer.close()
    assert len(files) > 2
    serials = [int(f.name.split("-")[2]) for f in files]
    assert serials == sorted(serials) and len(set(serials)) == len(files)
    for f in files:
        assert NAME.match(f.name)
        assert warcio_check(f).returncode == 0
        recs = read_records(f)
        assert recs[0].type == "warcinfo" and recs[0]["WARC-Filename"] == f.name
        assert all(r["WARC-Warcinfo-ID"] == recs[0]["WARC-Record-ID"] for r in recs[1:])
        assert f.stat().st_size < 3000 + 2000  # rotated right after the pair that crossed it
    # every capture points at its record in the file it names
    for c in captures:
        recs = {r["WARC-Record-ID"]: r for r in read_records(tmp_path / c.response.filename)}
        rec = recs[c.response.record_id]
        assert (rec.offset, rec.length) == (c.response.offset, c.response.length)


def test_credentials_dropped_unless_kept(tmp_path):
    with WarcWriter(tmp_path / "a") as writer:
        exchange(writer)
    with WarcWriter(tmp_path / "b", keep_credentials=True) as writer:
        exchange(writer)
    [dropped] = [r for r in read_records(next((tmp_path / "a").glob("*.warc.gz")))
                 if r.type == "request"]
    [kept] = [r for r in read_records(next((tmp_path / "b").glob("*.warc.gz")))
              if r.type == "request"]
    assert kept.block == REQ
    assert dropped.block == (b"GET /a?x=1 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: t\r\n\r\n")


def test_warc_date_is_valid_for_aware_and_naive_datetimes():
    from datetime import datetime, timedelta, timezone

    aware = datetime(2026, 11, 26, 20, 44, 6, 123, tzinfo=timezone(timedelta(hours=1)))
    assert records.warc_date(aware) == "2026-11-26T19:44:06Z"
    assert records.warc_date(datetime(2026, 11, 26, 19, 44, 6)) == "2026-11-26T19:44:06Z"
    with pytest.raises(ValueError, match="WARC_VERSION must be one of"):
        records.check_version("0.9")


def test_metadata_fields_dict_and_bytes(tmp_path):
    with WarcWriter(tmp_path) as writer:
        capture = exchange(writer)
        a = writer.write_metadata(url="http://example.org/a", concurrent_to=capture.response.record_id,
                                  fields=[("article-digest", "sha256:ab"), ("outlink", "http://x/1"),
                                          ("outlink", "http://x/2")])
        b = writer.write_metadata(url="http://example.org/a", payload={"outlink": ["u1", "u2"], "n": 3})
        c = writer.write_metadata(url="http://example.org/a", payload=b'{"k": 1}',
                                  content_type="application/json")
        with pytest.raises(TypeError):
            writer.write_metadata(url="http://example.org/a")
    [warc] = tmp_path.glob("*.warc.gz")
    assert warcio_check(warc).returncode == 0
    recs = {r["WARC-Record-ID"]: r for r in read_records(warc)}
    assert recs[a.record_id].block == (b"article-digest: sha256:ab\r\noutlink: http://x/1\r\n"
                                       b"outlink: http://x/2\r\n")
    assert recs[a.record_id]["WARC-Concurrent-To"] == capture.response.record_id
    assert recs[a.record_id]["Content-Type"] == "application/warc-fields"
    assert recs[b.record_id].block == b"outlink: u1\r\noutlink: u2\r\nn: 3\r\n"
    assert recs[c.record_id].block == b'{"k": 1}'
    assert recs[c.record_id]["Content-Type"] == "application/json"


def test_revisits_across_runs_with_sqlite_index(tmp_path):
    db = tmp_path / "digests.sqlite3"
    with WarcWriter(tmp_path / "run1", digest_index=SqliteDigestIndex(str(db))) as w1:
        first = exchange(w1, body=b"same payload")
        assert not first.is_revisit
    with WarcWriter(tmp_path / "run2", digest_index=make_digest_index("sqlite", str(db))) as w2:
        again = exchange(w2, 7, body=b"same payload")
        empty = w2.write_exchange(url="http://example.org/e", request_head=REQ,
                                  response_head=HEAD, response_body=b"")
        empty2 = w2.write_exchange(url="http://example.org/e", request_head=REQ,
                                   response_head=HEAD, response_body=b"")
    assert again.is_revisit and again.refers_to.record_id == first.response.record_id
    assert again.refers_to.date == first.date
    assert not empty.is_revisit and not empty2.is_revisit  # empty payloads are never revisits
    assert make_digest_index("none", "") is None
    assert isinstance(make_digest_index("archives.digests.MemoryDigestIndex", ""), MemoryDigestIndex)


def test_truncated_response_is_marked_and_not_a_revisit_source(tmp_path):
    with WarcWriter(tmp_path, digest_index=MemoryDigestIndex()) as writer:
        cut = writer.write_exchange(url="http://example.org/t", request_head=REQ,
                                    response_head=HEAD, response_body=b"par", truncated="disconnect")
        full = exchange(writer, body=b"par")
    assert not full.is_revisit
    [warc] = tmp_path.glob("*.warc.gz")
    rec = {r["WARC-Record-ID"]: r for r in read_records(warc)}[cut.response.record_id]
    assert rec["WARC-Truncated"] == "disconnect"


WRITER_LOOP = textwrap.dedent("""
    import sys
    from archives.writer import WarcWriter
    w = WarcWriter(sys.argv[1], warcinfo={"software": "loop"})
    n = 0
    while True:
        w.write_exchange(url=f"http://example.org/{n}", request_head=b"GET / HTTP/1.1\\r\\n\\r\\n",
                         response_head=b"HTTP/1.1 200 OK\\r\\n\\r\\n", response_body=b"x" * 5000 * (n % 7))
        n += 1
        if n == 50:
            print("ready", flush=True)
""")


def test_kill_9_then_next_start_finalizes_the_open_file(tmp_path, caplog):
    proc = subprocess.Popen([sys.executable, "-c", WRITER_LOOP, str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    [open_file] = tmp_path.glob("*.warc.gz.open")
    # make sure the last record is torn, as a kill during write() leaves it
    data = records.gzip_member(records.serialize("1.1", [("WARC-Type", "resource"),
                                                         ("WARC-Target-URI", "http://torn/")],
                                                 os.urandom(20000)), level=5)
    with open(open_file, "ab") as fh:
        fh.write(data[: len(data) // 2])
    size = open_file.stat().st_size

    caplog.set_level(logging.WARNING, logger="archives.recovery")
    writer = WarcWriter(tmp_path)
    [recovered] = writer.recovered
    writer.close()
    assert not open_file.exists()
    final = recovered.path
    assert final.name == open_file.name[:-5]
    assert recovered.records > 100 and recovered.cut_bytes == size - final.stat().st_size > 0
    assert warcio_check(final).returncode == 0
    assert final.with_name(final.name[:-8] + ".cdxj").exists()
    assert "cut" in caplog.text and "http://torn/" in caplog.text
    recs = read_records(final)
    assert recs[0].type == "warcinfo"
    # whole pairs up to the kill survive, nothing torn remains
    assert all(r.type in ("warcinfo", "response", "request") for r in recs)


def test_recovery_removes_a_file_with_no_whole_record(tmp_path):
    path = tmp_path / "crawl-20260101000000000-00000-h.warc.gz.open"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    [recovered] = finalize_open_files(tmp_path)
    assert recovered.records == 0 and not path.exists()
    assert not list(tmp_path.iterdir())


DISK_FULL = textwrap.dedent("""
    import os, resource, signal, sys
    sys.path.insert(0, {root!r})
    from archives.writer import WarcWriter
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # over the limit: EFBIG instead of a kill
    req = b"GET / HTTP/1.1\\r\\nHost: example.org\\r\\n\\r\\n"
    head = b"HTTP/1.1 200 OK\\r\\nContent-Type: application/octet-stream\\r\\n\\r\\n"
    writer = WarcWriter({out!r}, cdxj=False)
    writer.write_exchange(url="http://example.org/first", request_head=req, response_head=head,
                          response_body=os.urandom(50_000))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (writer.current_path.stat().st_size + 20_000, hard))
    try:
        writer.write_exchange(url="http://example.org/too-big", request_head=req, response_head=head,
                              response_body=os.urandom(100_000))
    except OSError as exc:
        print("failed:", exc.errno)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
    writer.write_exchange(url="http://example.org/after", request_head=req, response_head=head,
                          response_body=os.urandom(50_000))
    writer.close()
""")


def test_a_failed_write_leaves_no_partial_record(tmp_path):
    """Disk full (here: a file size limit) halfway through a record: the record is cut off
    again and the next one starts on a member boundary, so the file stays readable."""
    script = DISK_FULL.format(root=str(ROOT), out=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "failed: 27" in result.stdout  # EFBIG: the write did fail part way
    [warc] = tmp_path.glob("*.warc.gz")
    assert warcio_check(warc).returncode == 0
    uris = [r.headers.get("WARC-Target-URI") for r in read_records(warc) if r.type == "response"]
    assert uris == ["http://example.org/first", "http://example.org/after"]


_BIG_BODY_PEAK = textwrap.dedent("""
    import gzip, json, os, sys
    from archives.writer import WarcWriter
    def status(field):
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) * 1024 for l in fh if l.startswith(field + ":"))
    body = os.urandom(32 * 2**20)              # a video: gzip cannot shrink it
    head = b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body)
    writer = WarcWriter(sys.argv[1], cdxj=False, recover=False)
    writer._ensure_open()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")                          # VmHWM back to VmRSS: the peak is the write's
    before = status("VmRSS")
    capture = writer.write_exchange(url="http://example.org/v", request_head=b"GET /v HTTP/1.1\\r\\n\\r\\n",
                                    response_head=head, response_body=body)
    peak = status("VmHWM")
    [path] = writer.close()
    with open(path, "rb") as fh:
        fh.seek(capture.response.offset)
        record = gzip.decompress(fh.read(capture.response.length))
    print(json.dumps({"extra": peak - before, "body": len(body),
                      "block_is_head_and_body": record.split(b"\\r\\n\\r\\n", 1)[1] == head + body + b"\\r\\n\\r\\n"}))
""")


def test_a_big_body_is_archived_without_copies_of_it(tmp_path):
    """The writer held ~4 more copies of a response body while archiving it (head + body joined,
    the record serialized twice, the gzip output joined): 16 downloads near DOWNLOAD_MAXSIZE
    (64 MiB) could take ~4 GB. Now the body is digested and compressed in place: what remains
    is its compressed record (as big as the body for random bytes) until it is appended. Memory
    measured in a fresh process (VmHWM, reset just before the write), not time."""
    proc = subprocess.run([sys.executable, "-c", _BIG_BODY_PEAK, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    result = json.loads(proc.stdout)
    assert result["block_is_head_and_body"]
    assert result["extra"] < 1.6 * result["body"], result      # before: 4.0 bodies
    assert warcio_check(next(tmp_path.glob("*.warc.gz"))).returncode == 0
