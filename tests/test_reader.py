"""archives.reader on third-party WARCs (tests/data/warc, see PROVENANCE.md)."""

from __future__ import annotations

import gzip
import hashlib
import json
from base64 import b32encode
from pathlib import Path

import pytest

from archives.reader import ArchiveError, WarcReader, decode_content, iter_records, read_record

DATA = Path(__file__).parent / "data" / "warc"
FILES = sorted(p.name for p in DATA.glob("*.warc*"))


def expected_index(name: str) -> list[dict]:
    lines = (DATA / "index" / f"{name}.index.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_all_six_samples_are_present():
    assert len(FILES) == 6


@pytest.mark.parametrize("name", FILES)
def test_records_match_warcio_index(name):
    reader = WarcReader(DATA / name)
    got = [(r.offset, r.length, r.type, r.target_uri, r.status, r.payload_digest)
           for r in reader.records(payload=False)]
    want = [(int(e["offset"]), int(e["length"]), e["warc-type"], e.get("warc-target-uri"),
             int(e["http:status"]) if "http:status" in e else None, e.get("warc-payload-digest"))
            for e in expected_index(name)]
    assert got == want


@pytest.mark.parametrize("name", [n for n in FILES if "clipped" not in n])
def test_whole_files_have_no_problems(name):
    reader = WarcReader(DATA / name, check_digests=True)
    records = list(reader)
    assert records and not reader.problems
    assert not any(r.truncated for r in records)


def test_clipped_record_is_reported_truncated_not_accepted():
    reader = WarcReader(DATA / "resiliparse-clipped-houstonpress.warc.gz", check_digests=True)
    (record,) = list(reader)
    assert record.truncated
    assert record.target_uri.startswith("http://www.houstonpress.com/music/")
    (problem,) = reader.problems
    assert problem.offset == 0
    assert "truncated" in problem.message and "of 88275 bytes" in problem.message
    assert "gzip stream ends unexpectedly" in problem.message
    # What is there is still readable: the start of the article.
    assert record.body().startswith(b"<!DOCTYPE html>")


def test_chunked_payload_is_dechunked():
    (record,) = [r for r in WarcReader(DATA / "warcio-example-iana.org-chunked.warc")
                 if r.type == "response"]
    assert record.header("Transfer-Encoding") == "chunked"
    assert len(record.payload) == 7223
    assert record.payload.startswith(b"<!doctype html>") and record.payload.rstrip().endswith(b"</html>")


def test_payload_digest_of_dechunked_gzip_body_matches_warc_header():
    # warcio example: payload kept content-encoded (as archived), body() decodes it.
    record = next(r for r in WarcReader(DATA / "warcio-example.warc.gz") if r.type == "response")
    digest = "sha1:" + b32encode(hashlib.sha1(record.payload).digest()).decode()
    assert digest == record.payload_digest
    assert record.header("Content-Encoding") == "gzip"
    body = record.body()
    assert body == gzip.decompress(record.payload)
    assert b"<title>Example Domain</title>" in body


def test_read_record_seeks_by_index_offset():
    name = "ukwa-data.gov.uk-crawl1.warc.gz"
    entry = next(e for e in expected_index(name) if e.get("warc-target-uri") == "http://data.gov.uk/"
                 and e["warc-type"] == "response")
    record = read_record(DATA / name, int(entry["offset"]))
    assert record.target_uri == "http://data.gov.uk/"
    assert record.length == int(entry["length"])
    assert record.location == {"filename": name, "offset": int(entry["offset"]),
                               "length": int(entry["length"]), "record_id": record.record_id}
    assert b"data.gov.uk" in record.body()


def test_read_record_on_uncompressed_file():
    name = "warcio-example-iana.org-chunked.warc"
    record = read_record(DATA / name, 405)
    assert record.type == "response" and len(record.payload) == 7223


def test_read_record_bad_offset_is_a_clear_error():
    with pytest.raises(ArchiveError, match="offset 17"):
        read_record(DATA / "ukwa-data.gov.uk-crawl1.warc.gz", 17)


def test_payload_predicate_keeps_only_selected_payloads():
    records = list(WarcReader(DATA / "ukwa-wikipedia-mona-lisa.warc.gz").records(
        payload=lambda r: (r.header("Content-Type") or "").startswith("text/html")))
    html = [r for r in records if r.payload is not None]
    assert {r.target_uri for r in html} == {"http://en.wikipedia.org/wiki/Mona_Lisa"}
    assert len(html) == 2 and html[0].payload == html[1].payload
    assert b"thumbcaption" in html[0].body()


def test_corrupt_gzip_member_is_reported_and_reading_resumes(tmp_path):
    name = "ukwa-data.gov.uk-crawl1.warc.gz"
    data = bytearray((DATA / name).read_bytes())
    bad = 2475  # the http://data.gov.uk/ response
    for i in range(bad + 200, bad + 260):
        data[i] ^= 0x55
    path = tmp_path / name
    path.write_bytes(bytes(data))
    reader = WarcReader(path, check_digests=True)
    records = list(reader)
    assert len(records) == len(expected_index(name)) - 1
    assert [p.offset for p in reader.problems] == [bad]
    assert "skipped 4654 bytes to the next record at offset 7129" in reader.problems[0].message
    assert records[-1].offset == int(expected_index(name)[-1]["offset"])


def test_wrong_content_length_in_plain_warc_is_reported(tmp_path):
    data = (DATA / "warcio-example-iana.org-chunked.warc").read_bytes()
    path = tmp_path / "short.warc"
    path.write_bytes(data.replace(b"Content-Length: 7566", b"Content-Length: 7500", 1))
    reader = WarcReader(path, check_digests=True)
    list(reader)
    messages = [p.message for p in reader.problems]
    assert any("Content-Length may be wrong" in m for m in messages)
    assert any("digest" in m and "failed" in m for m in messages)


def test_cut_plain_warc_is_truncated(tmp_path):
    path = tmp_path / "cut.warc"
    path.write_bytes((DATA / "warcio-example-iana.org-chunked.warc").read_bytes()[:5000])
    reader = WarcReader(path)
    records = list(reader)
    assert records[-1].truncated
    assert "block has 4191 of 7566 bytes" in reader.problems[0].message


def test_changed_body_fails_digest(tmp_path):
    data = (DATA / "warcio-example-iana.org-chunked.warc").read_bytes()
    at = data.index(b"<title>") + 7
    path = tmp_path / "edited.warc"
    path.write_bytes(data[:at] + b"X" + data[at + 1:])
    reader = WarcReader(path, check_digests=True)
    list(reader)
    assert any("payload digest failed" in p.message for p in reader.problems)


def test_not_a_warc_and_empty_files(tmp_path):
    text = tmp_path / "notes.warc"
    text.write_text("hello\nworld\n")
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    problems = []
    assert list(iter_records([text, empty], problems=problems)) == []
    assert [p.filename for p in problems] == [str(text), str(empty)]
    assert "unreadable record" in problems[0].message and problems[1].message == "empty file"


def test_missing_path_is_an_archive_error(tmp_path):
    with pytest.raises(ArchiveError, match="no such file"):
        list(iter_records([tmp_path / "nope.warc.gz"]))


def test_iter_records_walks_directories_in_order():
    names = [Path(r.filename).name for r in iter_records([DATA], payload=False) if r.type == "warcinfo"]
    assert names == sorted(names) and len(set(names)) == 5  # the clipped file has no warcinfo


def test_decode_content_variants():
    import zlib

    import brotli

    text = b"<p>hello</p>" * 20
    assert decode_content(gzip.compress(text), "gzip") == text
    assert decode_content(zlib.compress(text), "deflate") == text
    assert decode_content(zlib.compress(text)[2:-4], "deflate") == text  # raw deflate
    assert decode_content(brotli.compress(text), ["br"]) == text
    assert decode_content(gzip.compress(brotli.compress(text)), "br, gzip") == text
    assert decode_content(text, "identity") == text
    with pytest.raises(ValueError, match="unsupported"):
        decode_content(text, "compress")
    with pytest.raises(ValueError, match="not valid br"):
        decode_content(text, "br", strict=True)
    assert decode_content(text, "br") == text  # archived decoded under its old header
    assert decode_content(text, "gzip, none") == text  # "none" is no coding: decoding ends there
    with pytest.raises(ValueError, match="not valid gzip"):
        decode_content(b"\x1f\x8b" + text, "gzip")  # looks like gzip: damaged, not plain


def test_whole_file_gzip_is_one_clear_problem(tmp_path):
    """`gzip crawl.warc` (one gzip stream for every record, warcio's "non-chunked gzip"): no record
    has an offset of its own. It used to yield the first record with a negative length, then die
    seeking to a negative offset: a traceback in reextract and REPLAY_WARC, "[Errno 22] Invalid
    argument" in warc-check. Now one problem naming the fix, nothing yielded; the commands go on."""
    from tests.conftest import run_scrapy

    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress((DATA / "warcio-example-iana.org-chunked.warc").read_bytes()))
    reader = WarcReader(whole)
    assert list(reader.records()) == []
    assert [p.message for p in reader.problems] == [
        "one gzip stream for the whole file, not one per record (as `gzip file.warc` makes): not read; "
        "`warcio recompress FILE NEW.warc.gz` makes a readable copy"]
    result = run_scrapy("reextract", str(whole), "-O", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "one gzip stream for the whole file" in result.stderr and "1 problem(s)" in result.stderr
