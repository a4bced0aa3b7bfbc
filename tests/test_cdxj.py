"""The index a WarcWriter writes as it goes is the one cdxj-indexer writes for the closed file.

cdxj-indexer (what pywb and WACZ use) is the reference: every file is indexed both ways and
the two must be byte-for-byte equal, on hand-made edge cases and on a real crawl.
"""

from __future__ import annotations

import json

import pytest

from archives import cdxj
from archives.digests import MemoryDigestIndex, Original
from archives.writer import WarcWriter
from tests.conftest import crawl

REQ = b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"
CDXJ_INDEXER = cdxj.write_cdxj      # the reference, kept before any test patches the module


def reference_index(warc, tmp_path):
    out = tmp_path / (warc.name + ".reference.cdxj")
    CDXJ_INDEXER(warc, out)
    return out.read_text(encoding="utf-8")


def assert_same_as_cdxj_indexer(files, tmp_path):
    assert files
    for warc in files:
        ours = cdxj.cdxj_path_for(warc).read_text(encoding="utf-8")
        assert ours == reference_index(warc, tmp_path), warc.name
    return files


def test_edge_cases_index_like_cdxj_indexer(tmp_path, monkeypatch):
    # Fail loudly if the writer fell back to re-reading: these records are all ones it indexes.
    def no_reread(*args, **kwargs):
        raise AssertionError("indexed by re-reading the file")

    monkeypatch.setattr(cdxj, "write_cdxj", no_reread)
    writer = WarcWriter(tmp_path / "w", digest_index=MemoryDigestIndex())
    heads = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n",
        b"HTTP/1.1 200\r\ncontent-type:  TEXT/HTML ;q=1\r\n\r\n",               # no reason phrase
        b"HTTP/1.0 404 Not Found\r\nContent-Type: application/json\r\n\r\n",
        b"HTTP/1.1 301 Moved\r\nLocation: /b\r\n\r\n",                            # no Content-Type
        b"HTTP/1.1 200 OK\r\nContent-Type:\r\n\r\n",                              # empty Content-Type
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Type: text/plain\r\n\r\n",
    ]
    urls = ["http://example.org/", "https://Example.ORG:443/a/../b?z=1&a=2#frag",
            "http://127.0.0.1:8080/x", "http://[2001:db8::1]/v6", "http://example.org/caf%C3%A9",
            "https://www.example.org/p%20q?a=%E2%82%AC"]
    for n, (head, url) in enumerate(zip(heads, urls, strict=True)):
        writer.write_exchange(url=url, request_head=REQ, response_head=head, response_body=b"body %d" % n)
    # same payload again: a revisit from the digest index; then a 304 revisit without a payload
    writer.write_exchange(url="http://example.org/copy", request_head=REQ, response_head=heads[0],
                          response_body=b"body 0")
    writer.write_exchange(url="http://example.org/", request_head=REQ,
                          response_head=b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
                          not_modified=Original("http://example.org/", "2024-01-01T00:00:00Z",
                                                "<urn:uuid:00000000-0000-0000-0000-000000000000>"))
    writer.write_metadata(url="http://example.org/", fields=[("outlink", "http://example.org/b")])
    files = assert_same_as_cdxj_indexer(writer.close(), tmp_path)
    lines = cdxj.cdxj_path_for(files[0]).read_text().splitlines()
    # 6 responses + 2 revisits; the warcinfo, request and warc-fields metadata records are not indexed
    assert len(lines) == 8
    assert sum(json.loads(line.split(" ", 2)[2]).get("mime") == "warc/revisit" for line in lines) == 2


def test_rotated_files_each_get_their_own_index(tmp_path):
    writer = WarcWriter(tmp_path, max_size=3000)
    for n in range(12):
        writer.write_exchange(url=f"http://example.org/{n}", request_head=REQ,
                              response_head=b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
                              response_body=b"%d" % n * 700)
    files = assert_same_as_cdxj_indexer(writer.close(), tmp_path)
    assert len(files) > 2
    assert sum(len(cdxj.cdxj_path_for(f).read_text().splitlines()) for f in files) == 12


@pytest.mark.parametrize("odd_record", ["metadata", "space in URI", "ftp URI", "unterminated head"])
def test_a_record_it_cannot_mirror_hands_the_file_to_cdxj_indexer(tmp_path, monkeypatch, odd_record):
    calls = []
    monkeypatch.setattr(cdxj, "write_cdxj", lambda *a, **k: calls.append(a) or CDXJ_INDEXER(*a, **k))
    writer = WarcWriter(tmp_path / "w")
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    writer.write_exchange(url="http://example.org/", request_head=REQ, response_head=head, response_body=b"x")
    if odd_record == "metadata":    # cdxj-indexer lists one that is not application/warc-fields
        writer.write_metadata(url="http://example.org/", payload=b'{"a": 1}', content_type="application/json")
    elif odd_record == "unterminated head":     # warcio reads the body's first lines as headers
        writer.write_exchange(url="http://example.org/b", request_head=REQ,
                              response_head=b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",
                              response_body=b"X-Not-A-Header: 1\r\n\r\nbody")
    else:                           # warcio percent-encodes the space / parses no HTTP head for ftp
        url = "http://example.org/a b" if odd_record == "space in URI" else "ftp://example.org/f"
        writer.write_exchange(url=url, request_head=REQ, response_head=head, response_body=b"y")
    files = writer.close()
    assert len(calls) == 1
    assert_same_as_cdxj_indexer(files, tmp_path)
    assert len(cdxj.cdxj_path_for(files[0]).read_text().splitlines()) == 2


def test_packaging_a_wacz_first_changes_no_later_index(tmp_path):
    """py-wacz's import appends "warcinfo" to cdxj-indexer's default record types for the whole
    process (a class attribute): write_cdxj names its record types, so an index written after a
    WACZ was packaged in the same process still mirrors the writer's (no warcinfo line)."""
    from cdxj_indexer.main import CDXJIndexer

    import wacz.waczindexer  # noqa: F401  (the import is the side effect)

    assert "warcinfo" in CDXJIndexer.DEFAULT_RECORDS     # what makes the test mean something
    writer = WarcWriter(tmp_path / "w")
    writer.write_exchange(url="https://example.org/", request_head=REQ,
                          response_head=b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
                          response_body=b"<html><body>x</body></html>")
    (warc,) = writer.close()
    index = cdxj.write_cdxj(warc, tmp_path / "after-wacz.cdxj").read_text(encoding="utf-8")
    assert [line.split(" ", 1)[0] for line in index.splitlines()] == ["org,example)/"]
    assert index == cdxj.cdxj_path_for(warc).read_text(encoding="utf-8")


def test_crawl_index_matches_cdxj_indexer(demo_site, tmp_path):
    # Two runs with a page store: the second re-checks every page, so its WARC has 304 revisits.
    settings = {"INCREMENTAL_STATE_DIR": str(tmp_path / "state"), "INCREMENTAL_REVISIT_WINDOW": "0"}
    lines = []
    for run in ("first", "second"):
        out = tmp_path / run
        result = crawl(demo_site.base_url, out, settings=settings)
        assert result.returncode == 0, result.stderr[-2000:]
        for warc in assert_same_as_cdxj_indexer(sorted(out.glob("*.warc.gz")), tmp_path):
            lines += cdxj.cdxj_path_for(warc).read_text().splitlines()
    statuses = {json.loads(line.split(" ", 2)[2]).get("status") for line in lines}
    assert {"200", "301", "304", "404"} <= statuses
