"""A real Scrapy crawl of the raw-socket server; the WARC must hold the bytes that were sent.

This is the test that fails if a Scrapy/Twisted upgrade breaks crawler/capture.py.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import zlib

import pytest
import scrapy
import twisted

from tests.rawserver import (CHUNKED_HTML, GZIP_HTML, PATHS, RawServer, crawl_rawsite,
                             standard_routes)
from tests.tools import read_records, warcio_check

CREDENTIALS = {"Authorization": "Basic c2VjcmV0OnB3", "Cookie": "session=s3cret"}
WARC_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def crawl(server, out, *settings):
    return crawl_rawsite(server, out, *settings, headers=CREDENTIALS)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    out = tmp_path_factory.mktemp("capture")
    with RawServer() as server:
        stats = crawl(server, out)
        sent_requests = list(server.requests)
    warcs = sorted(out.glob("*.warc.gz"))
    records = [r for path in warcs for r in read_records(path)]
    seen = [json.loads(line) for line in (out / "seen.jsonl").read_text().splitlines()]
    return {"out": out, "server": server, "stats": stats, "warcs": warcs, "records": records,
            "requests": sent_requests, "seen": seen}


def expected_exchange(path: str) -> tuple[bytes, bytes]:
    """The response head and body the WARC must hold for `path`, from the bytes the server sent."""
    data = standard_routes()["/" + path].data
    if path == "continue":  # the interim 100 head is not the response
        data = data.split(b"\r\n\r\n", 1)[1]
    eol = b"\n\n" if path == "lf" else b"\r\n\r\n"
    head, body = data.split(eol, 1)
    head += eol
    if path == "chunked":
        head = head.replace(b"\r\nTransfer-Encoding: chunked\r\n",
                            b"\r\nX-Archive-Orig-Transfer-Encoding: chunked\r\n")
        body = CHUNKED_HTML
    return head, body


def by_uri(records, rtype):
    return {r["WARC-Target-URI"]: r for r in records if r.type == rtype}


def test_pinned_versions_the_capture_was_written_for():
    # crawler/capture.py subclasses Scrapy 2.19 / Twisted 26.10 internals.
    assert scrapy.__version__ == "2.19.0"
    assert twisted.__version__ == "26.10.0"


def test_every_file_passes_warcio_check(crawled):
    assert crawled["warcs"]
    for path in crawled["warcs"]:
        result = warcio_check(path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "digest pass" in result.stdout


def identical_pair(crawled):
    """/odd and /dup send the same payload at once: the one archived first is the response
    record, the other a revisit of it. Which arrives first is up to the event loop (a test
    that named /odd the original failed when /dup won), so the WARC's order decides."""
    base = crawled["server"].base_url
    pair = [r for r in crawled["records"] if r.type in ("response", "revisit")
            and r["WARC-Target-URI"] in (f"{base}/odd", f"{base}/dup")]
    assert [r.type for r in pair] == ["response", "revisit"]
    return [(r, r["WARC-Target-URI"].rsplit("/", 1)[1]) for r in pair]


@pytest.mark.parametrize("path", [p for p in PATHS if p not in ("odd", "dup")])
def test_response_record_is_byte_for_byte_what_the_server_sent(crawled, path):
    base = crawled["server"].base_url
    record = by_uri(crawled["records"], "response")[f"{base}/{path}"]
    head, body = expected_exchange(path)
    assert record.block == head + body


def test_gzip_body_stays_encoded(crawled):
    base = crawled["server"].base_url
    record = by_uri(crawled["records"], "response")[f"{base}/gzip"]
    assert b"\r\nContent-Encoding: gzip\r\n" in record.block
    assert gzip.decompress(record.block.split(b"\r\n\r\n", 1)[1]) == GZIP_HTML


def test_redirect_target_robots_and_404_are_archived(crawled):
    base = crawled["server"].base_url
    responses = by_uri(crawled["records"], "response")
    for path in ("robots.txt", "moved", "moved-target", "missing"):
        assert f"{base}/{path}" in responses
    assert responses[f"{base}/moved"].block.startswith(b"HTTP/1.1 301 Moved For Good\r\n")
    assert crawled["stats"].get("warc/uncaptured", 0) == 0
    assert crawled["stats"]["warc/status/404"] == 1


def test_identical_payload_becomes_a_revisit(crawled):
    (original, first), (revisit, second) = identical_pair(crawled)
    head, body = expected_exchange(first)
    assert original.block == head + body
    assert revisit["WARC-Profile"].endswith("/1.1/revisit/identical-payload-digest")
    assert revisit["WARC-Refers-To"] == original["WARC-Record-ID"]
    assert revisit["WARC-Refers-To-Target-URI"] == original["WARC-Target-URI"]
    assert revisit["WARC-Refers-To-Date"] == original["WARC-Date"]
    assert revisit["WARC-Payload-Digest"] == original["WARC-Payload-Digest"]
    head, _ = expected_exchange(second)
    assert revisit.block == head  # head only, payload left to the original


def test_request_records_are_the_bytes_sent_minus_credentials(crawled):
    base = crawled["server"].base_url
    requests = by_uri(crawled["records"], "request")
    sent = dict(crawled["requests"])
    for path in PATHS:
        raw = sent[f"/{path}"]
        assert b"Authorization: Basic" in raw and b"Cookie: session=" in raw
        kept = b"".join(line for line in raw.splitlines(keepends=True)
                        if not line.startswith((b"Authorization:", b"Cookie:")))
        block = requests[f"{base}/{path}"].block
        assert block == kept
        assert block.startswith(f"GET /{path} HTTP/1.1\r\n".encode())
        assert b"s3cret" not in block and b"c2VjcmV0" not in block


def test_records_are_linked_dated_and_digested(crawled):
    records = crawled["records"]
    assert records[0].type == "warcinfo"
    ids = {r["WARC-Record-ID"]: r for r in records}
    for r in records:
        assert WARC_DATE.match(r["WARC-Date"]), r["WARC-Date"]
        assert r["WARC-Block-Digest"].startswith("sha1:")
        if r.type in ("response", "revisit", "request"):
            assert r["WARC-IP-Address"] == "127.0.0.1"
            assert r["WARC-Payload-Digest"].startswith("sha1:")
            other = ids[r["WARC-Concurrent-To"]]
            assert other["WARC-Concurrent-To"] == r["WARC-Record-ID"]
            assert other["WARC-Target-URI"] == r["WARC-Target-URI"]


def test_warcinfo_describes_the_crawl(crawled):
    info = dict(line.split(": ", 1) for line in
                crawled["records"][0].block.decode().splitlines())
    assert info["software"].startswith("newsarchive (Scrapy/2.19.0")
    assert info["robots"] == "obey"
    assert info["format"] == "WARC File Format 1.1"
    assert "warc-1.1" in info["conformsTo"]
    assert info["isPartOf"] == "rawsite" and info["run-id"] and info["hostname"]


def test_meta_points_at_the_response_record(crawled):
    out = crawled["out"]
    assert len(crawled["seen"]) >= len(PATHS)
    for seen in crawled["seen"]:
        pointer = seen["warc"]
        with open(out / pointer["filename"], "rb") as fh:
            fh.seek(pointer["offset"])
            member = fh.read(pointer["length"])
        inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
        record = inflater.decompress(member)
        assert inflater.eof and not inflater.unused_data  # exactly one whole gzip member
        assert f"WARC-Record-ID: {pointer['record_id']}\r\n".encode() in record
        assert f"WARC-Target-URI: {seen['url']}\r\n".encode() in record
        assert f"WARC-Date: {seen['warc_date']}\r\n".encode() in record


def test_cdxj_next_to_each_warc(crawled):
    base = crawled["server"].base_url
    for warc in crawled["warcs"]:
        cdxj = warc.with_name(warc.name.removesuffix(".warc.gz") + ".cdxj")
        lines = cdxj.read_text().splitlines()
        urls = {json.loads(line.split(" ", 2)[2])["url"] for line in lines}
        assert f"{base}/odd" in urls and f"{base}/chunked" in urls
        assert lines == sorted(lines)


def test_warc_1_0_by_setting(tmp_path):
    with RawServer() as server:
        crawl(server, tmp_path, "WARC_VERSION=1.0")
    [warc] = tmp_path.glob("*.warc.gz")
    assert warcio_check(warc).returncode == 0
    records = read_records(warc)
    with open(warc, "rb") as fh:
        assert gzip.GzipFile(fileobj=fh).read(9) == b"WARC/1.0\r"
    revisit = next(r for r in records if r.type == "revisit")
    assert revisit["WARC-Profile"].endswith("/1.0/revisit/identical-payload-digest")


def test_exchanges_without_a_response_are_counted_not_archived(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}/gone"
    with RawServer() as server:
        stats = crawl_rawsite(server, tmp_path, "ROBOTSTXT_RETRY_TIMES=0", paths=["odd", "private"],
                              extra_urls=[refused])
    # its robots.txt: refused, so (RFC 9309) the page is not even tried; /private: never sent
    # (robots.txt), so not counted either
    assert stats["warc/no_response"] == 1
    assert stats["warc/no_response/DownloadConnectionRefusedError"] == 1
    assert stats["robotstxt/unreachable"] == stats["robotstxt/unreachable_forbidden"] == 1
    assert stats["robotstxt/forbidden"] == 1
    [warc] = tmp_path.glob("*.warc.gz")
    uris = [r.get("WARC-Target-URI") for r in read_records(warc)]
    assert refused not in uris and f"{server.base_url}/odd" in uris


def test_https_exchanges_are_captured_the_same_way(tmp_path):
    from tests.rawserver import self_signed_context

    with RawServer(tls=self_signed_context(tmp_path)) as server:
        crawl_rawsite(server, tmp_path / "out", paths=["odd", "chunked", "split"])
        sent = dict(server.requests)
    [warc] = (tmp_path / "out").glob("*.warc.gz")
    assert warcio_check(warc).returncode == 0
    records = read_records(warc)
    responses, requests = by_uri(records, "response"), by_uri(records, "request")
    for path in ("odd", "chunked", "split"):
        url = f"{server.base_url}/{path}"
        assert url.startswith("https://")
        head, body = expected_exchange(path)
        assert responses[url].block == head + body
        assert requests[url].block == sent[f"/{path}"]
        assert responses[url]["WARC-IP-Address"] == "127.0.0.1"
