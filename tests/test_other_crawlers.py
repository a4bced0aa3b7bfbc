"""Archives in the record shapes other crawlers write: Heritrix 3, Browsertrix-crawler,
warcprox, Zeno/gowarc.

Each record is built here byte by byte after what the tool's own code writes (read in
their sources: Heritrix's WARCWriterProcessor, browsertrix-crawler's src/util/recorder.ts
and reqresp.ts, warcprox/warc.py, and what gowarc's authors describe in
iipc/warc-specifications#106), so the tests run without those tools.
"""

from __future__ import annotations

import gzip
import uuid

from archives.check import check_warc
from archives.replay import Archive
from tests.test_foreign_archives import _b32_sha1, article_html, reextract_items

BASE = "http://news.test"


def warc_record(version: str, fields: list[tuple[str, str]], block: bytes) -> bytes:
    """One record, one gzip member, headers in the order given, Content-Length last."""
    head = f"WARC/{version}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields)
    return gzip.compress(head.encode() + f"Content-Length: {len(block)}\r\n\r\n".encode()
                         + block + b"\r\n\r\n")


def http_response(status_line: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [status_line] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def response_record(url: str, block: bytes, body: bytes, *, version: str = "1.1",
                    date: str = "2024-05-14T10:00:01Z", extra=()) -> bytes:
    return warc_record(version, [
        ("WARC-Type", "response"), ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
        ("WARC-Date", date), ("WARC-Target-URI", url), *extra,
        ("Content-Type", "application/http; msgtype=response"),
        ("WARC-Block-Digest", _b32_sha1(block)), ("WARC-Payload-Digest", _b32_sha1(body))], block)


def test_http2_status_lines_are_read_as_warcio_and_pywb_read_them(tmp_path):
    """Zeno/gowarc keep the `HTTP/2 200` status line of an HTTP/2 answer (curl prints it the
    same way); `warcio check`/`index`, cdxj-indexer and pywb read such a record as a 200.
    Every reader here called it an unreadable record and lost the page. A first line that is
    no status line at all is still one problem."""
    pages = {f"{BASE}/2024/05/14/h2": ("HTTP/2 200", "Zeno keeps the HTTP/2 line"),
             f"{BASE}/2024/05/14/h2-0": ("HTTP/2.0 200 OK", "A dotted HTTP/2.0 line"),
             f"{BASE}/2024/05/14/h3": ("http/3 200", "An HTTP/3 answer in lower case")}
    records = b""
    for url, (status_line, title) in pages.items():
        body = article_html(title)
        block = http_response(status_line, [("content-type", "text/html; charset=utf-8"),
                                            ("content-length", str(len(body)))], body)
        records += response_record(url, block, body, date="2024-05-14T10:00:01.123456Z")
    junk_at = len(records)
    records += response_record(f"{BASE}/junk", b"<html>no status line</html>", b"")
    warc = tmp_path / "zeno.warc.gz"
    warc.write_bytes(records)

    report = check_warc(warc)
    assert report.records == 3
    assert [p.offset for p in report.problems] == [junk_at]
    items, worker = reextract_items(tmp_path, warc)
    assert sorted((item["url"], item["title"]) for item in items) == sorted(
        (url, title) for url, (_, title) in pages.items())
    assert len(worker.problems) == 1 and "unreadable record" in str(worker.problems[0])
    archive = Archive.open([warc])
    try:
        (entry,) = archive.index.lookup(f"{BASE}/2024/05/14/h2")
        replayed = archive.load(entry)
        assert (replayed.status, replayed.protocol) == (200, "HTTP/2")
        assert b"Zeno keeps the HTTP/2 line" in replayed.body()
    finally:
        archive.close()
