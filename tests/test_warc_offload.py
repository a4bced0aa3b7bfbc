"""Large bodies are digested and gzipped off the reactor thread (WARC_OFFLOAD_MIN_BYTES).

WarcWriter.prepare_exchange() (pure, any thread) + commit() (lock, file, index)
must write what write_exchange() writes; the capture middleware runs prepare in a
thread for large bodies. Checked on the writer directly, on the middleware in
process (asyncio loop, no reactor), and in two real crawls of a 127.0.0.1 server.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import random
import re
import threading
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from scrapy.http import Request, Response

from archives.digests import MemoryDigestIndex, Original, make_digest_index
from archives.reader import read_record
from archives.writer import WarcWriter
from crawler.archiving import warc_archive
from crawler.capture import RAW_META_KEY, RawExchange
from crawler.middlewares import WarcCaptureMiddleware
from tests.conftest import crawl
from tests.rawserver import ARTICLE_PREFIX as A
from tests.rawserver import RawServer, Route, _head, article_html, chunked, crawl_rawsite, ok
from tests.tools import read_records, warcio_check

BIG = random.Random(8).randbytes(3_000_000)                       # incompressible
MIXED = b"".join(base64.b64encode(random.Random(i).randbytes(3000)) + b"\n" + b"news " * 600
                 for i in range(400))                              # ~2.8 MB, half compressible
REQ = b"GET /x HTTP/1.1\r\nHost: example.com\r\nCookie: s=1\r\n\r\n"
DATE = "2024-05-01T10:00:00Z"
UUID = re.compile(rb"<urn:uuid:[0-9a-f-]+>")


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def head_for(body: bytes, content_type: str = "application/pdf") -> bytes:
    return _head("HTTP/1.1 200 OK", [("Content-Type", content_type),
                                     ("Content-Length", str(len(body)))])


def members(path: Path) -> list[bytes]:
    """Each gzip member of a WARC, decompressed (one record each)."""
    data, out = path.read_bytes(), []
    while data:
        inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
        out.append(inflater.decompress(data))
        assert inflater.eof
        data = inflater.unused_data
    return out


def normalized(path: Path) -> list[bytes]:
    """The exchange records of a file, record ids numbered by first appearance (warcinfo dropped)."""
    ids: dict[bytes, bytes] = {}
    records = [UUID.sub(lambda m: ids.setdefault(m.group(), b"<id%d>" % len(ids)), member)
               for member in members(path)]
    return records[1:]


def resolve(directory: Path, pointer: dict):
    """The record a meta/JSON pointer names, checked to start and end where the pointer says."""
    record = read_record(directory / pointer["filename"], pointer["offset"], check_digests=True)
    assert record.location == pointer
    assert not record.problems, record.problems
    return record


# -- the writer: prepare + commit ---------------------------------------------------

EXCHANGES = [  # (url, keyword arguments of write_exchange)
    ("http://example.com/plain", dict(response_head=head_for(b"hello", "text/plain"),
                                      response_body=b"hello")),
    ("http://example.com/chunked", dict(
        response_head=b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", response_body=MIXED)),
    ("http://example.com/cut", dict(response_head=head_for(BIG), response_body=BIG[:10_000],
                                    truncated="disconnect")),
    ("http://example.com/post", dict(request_head=b"POST /post HTTP/1.1\r\nHost: example.com\r\n\r\n",
                                     request_body=b"a=1&b=2", response_head=head_for(b"ok"),
                                     response_body=b"ok")),
    ("http://example.com/304", dict(response_head=b"HTTP/1.1 304 Not Modified\r\n\r\n",
                                    not_modified=Original("http://example.com/304", DATE,
                                                          "<urn:uuid:00000000-0000-0000-0000-000000000000>"))),
    ("http://example.com/again", dict(response_head=head_for(MIXED), response_body=MIXED)),  # a revisit
]


def test_prepare_then_commit_writes_what_write_exchange_writes(tmp_path):
    whole = WarcWriter(tmp_path / "whole", digest_index=MemoryDigestIndex(), cdxj=False)
    split = WarcWriter(tmp_path / "split", digest_index=MemoryDigestIndex(), cdxj=False)
    for url, kwargs in EXCHANGES:
        kwargs = {"request_head": REQ, "ip_address": "127.0.0.1", "date": DATE, **kwargs}
        one = whole.write_exchange(url=url, **kwargs)
        two = split.commit(split.prepare_exchange(url=url, **kwargs))
        assert (one.is_revisit, one.payload_digest, one.date, (one.refers_to or ())[:2]) == \
            (two.is_revisit, two.payload_digest, two.date, (two.refers_to or ())[:2])
    [one_path], [two_path] = whole.close(), split.close()
    records = normalized(one_path)
    assert records == normalized(two_path)
    assert len(records) == 2 * len(EXCHANGES)
    assert b"WARC-Type: revisit" in records[-2] and b"/304" in records[-4]
    assert b"Cookie" not in b"".join(records)
    assert b"X-Archive-Orig-Transfer-Encoding: chunked" in records[2]
    for path in (one_path, two_path):
        assert warcio_check(path).returncode == 0


def test_commit_appends_the_records_prepare_built(tmp_path):
    with WarcWriter(tmp_path, cdxj=False) as writer:
        prepared = writer.prepare_exchange(url="http://example.com/big", request_head=REQ,
                                           response_head=head_for(BIG), response_body=BIG)
        assert prepared.response is not None and prepared.request is not None
        capture = writer.commit(prepared)
        path = writer.current_path
        with open(path, "rb") as fh:
            fh.seek(capture.response.offset)
            stored = fh.read(capture.response.length + capture.request.length)
    assert stored == b"".join(prepared.response + prepared.request)   # not built twice
    assert capture.payload_digest == sha1(BIG)


def test_rotation_between_prepare_and_commit_gets_the_new_files_warcinfo_id(tmp_path):
    writer = WarcWriter(tmp_path, max_size=1, cdxj=False)     # every commit fills its file
    first = writer.prepare_exchange(url="http://example.com/1", request_head=REQ,
                                    response_head=head_for(BIG), response_body=BIG)
    second = writer.prepare_exchange(url="http://example.com/2", request_head=REQ,
                                     response_head=head_for(MIXED), response_body=MIXED)
    assert first.warcinfo_id == second.warcinfo_id            # both built for the next file
    one = writer.commit(first)                                # lands there, then rotates
    two = writer.commit(second)                               # lands in a newer file
    files = writer.close()
    assert [p.name for p in files] == [one.response.filename, two.response.filename]
    for path, capture in zip(files, (one, two), strict=True):
        assert warcio_check(path).returncode == 0
        info, *rest = read_records(path)
        assert [r.type for r in rest] == ["response", "request"]
        assert {r["WARC-Warcinfo-ID"] for r in rest} == {info["WARC-Record-ID"]}
        assert rest[0]["WARC-Record-ID"] == capture.response.record_id
    assert read_records(files[0])[0]["WARC-Record-ID"] == first.warcinfo_id
    assert read_records(files[1])[0]["WARC-Record-ID"] != second.warcinfo_id  # so: rebuilt
    assert read_records(files[1])[1].block == head_for(MIXED) + MIXED


def test_large_duplicate_payload_becomes_a_revisit_within_and_across_runs(tmp_path):
    index = tmp_path / "digests.sqlite3"
    head = head_for(BIG)
    captures = []
    for run, urls in (("run1", ["http://example.com/a", "http://example.com/b"]),
                      ("run2", ["http://example.com/c"])):
        with WarcWriter(tmp_path / run, digest_index=make_digest_index("sqlite", str(index))) as w:
            for url in urls:
                captures.append(w.commit(w.prepare_exchange(
                    url=url, request_head=REQ, response_head=head, response_body=BIG)))
    original, *revisits = captures
    assert not original.is_revisit
    for capture, run in zip(revisits, ("run1", "run2"), strict=True):
        assert capture.is_revisit
        assert capture.refers_to == Original("http://example.com/a", original.date,
                                             original.response.record_id)
        assert capture.response.length < 1000                 # the prepared 3 MB record was dropped
        record = resolve(tmp_path / run, capture.response.as_meta())
        assert record.type == "revisit" and record.payload_digest == sha1(BIG)
        assert record.warc("WARC-Refers-To") == original.response.record_id
        assert record.warc("WARC-Profile").endswith("/revisit/identical-payload-digest")
        assert warcio_check(tmp_path / run / capture.response.filename).returncode == 0


# -- the middleware, in process -----------------------------------------------------

def project_crawler(tmp_path, **overrides):
    from scrapy.utils.test import get_crawler

    from crawler import settings as project

    values = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    return get_crawler(settings_dict={**values, "OUTPUT_DIR": str(tmp_path), "WARC_CDXJ": False,
                                      **overrides})


def exchange(url: str, body: bytes):
    raw = RawExchange(sent=bytearray(REQ), head=head_for(body), started=datetime.now(timezone.utc))
    request = Request(url, meta={RAW_META_KEY: raw})
    return request, Response(url, body=body, request=request)


def archive(crawler, *bodies):
    """Run the capture middleware over one exchange per body; return (request, response, thread) each."""
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    writer = warc_archive(crawler).writer
    threads = []
    prepare = writer.prepare_exchange

    def recording(**kwargs):  # the writer's own, noting which thread ran it
        threads.append(threading.get_ident())
        return prepare(**kwargs)

    writer.prepare_exchange = recording
    out = []
    for i, body in enumerate(bodies):
        request, response = exchange(f"http://example.com/{i}", body)
        result = asyncio.run(middleware.process_response(request, response))
        out.append((request, result, threads[-1]))
    return writer, out


@pytest.mark.parametrize("setting, offloaded", [(100, [False, True, True]), (0, [False, False, False])])
def test_offload_threshold(tmp_path, setting, offloaded):
    crawler = project_crawler(tmp_path, WARC_OFFLOAD_MIN_BYTES=setting)
    writer, results = archive(crawler, b"x" * 99, b"y" * 100, BIG)
    main = threading.get_ident()
    assert [thread != main for _request, _response, thread in results] == offloaded
    assert crawler.stats.get_value("warc/offloaded", 0) == sum(offloaded)
    assert crawler.stats.get_value("warc/response_records") == 3
    writer.close()
    bodies = []
    for request, _response, _thread in results:
        record = resolve(tmp_path, request.meta["warc"])
        assert record.warc("WARC-Date") == request.meta["warc_date"]
        bodies.append(record.payload)
    assert bodies == [b"x" * 99, b"y" * 100, BIG]


def test_failed_offloaded_write_is_logged_counted_and_the_response_kept(tmp_path, caplog):
    crawler = project_crawler(tmp_path, WARC_OFFLOAD_MIN_BYTES=1000)
    warc_archive(crawler).writer.close()          # writes now raise, as on a failing disk
    request, response = exchange("http://example.com/big", BIG)
    with caplog.at_level(logging.ERROR):
        result = asyncio.run(WarcCaptureMiddleware.from_crawler(crawler).process_response(request, response))
    assert result is response
    assert "warc" not in request.meta
    assert crawler.stats.get_value("warc/offloaded") == 1
    assert crawler.stats.get_value("warc/write_errors") == 1
    assert "Could not archive" in caplog.text and "WarcWriter is closed" in caplog.text


# -- real crawls --------------------------------------------------------------------

SMALL = b"<html><body><p>A small page.</p></body></html>"
SMALL_TWO = b"<html><body><p>Another small page.</p></body></html>"
RAW_PATHS = ["small-one", "big.pdf", "small-two", "big-copy.pdf", "big-chunked"]


@pytest.fixture(scope="module")
def rawcrawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("offload-raw")
    routes = {
        "/robots.txt": Route(ok(b"User-agent: *\nAllow: /\n", "text/plain")),
        "/small-one": Route(ok(SMALL)),
        "/small-two": Route(ok(SMALL_TWO)),
        "/big.pdf": Route(ok(BIG, "application/pdf")),
        "/big-copy.pdf": Route(ok(BIG, "application/pdf")),
        "/big-chunked": Route([_head("HTTP/1.1 200 OK", [("Content-Type", "text/plain"),
                                                         ("Transfer-Encoding", "chunked")]),
                               chunked(MIXED, sizes=(65536,))]),
    }
    with RawServer(routes=routes) as server:
        stats = crawl_rawsite(server, out, paths=RAW_PATHS)
    [warc] = out.glob("*.warc.gz")
    seen = {s["url"]: s for s in map(json.loads, (out / "seen.jsonl").read_text().splitlines())}
    return {"out": out, "base": server.base_url, "stats": stats, "warc": warc, "seen": seen,
            "records": read_records(warc)}


def test_crawl_warc_passes_warcio_check(rawcrawl):
    result = warcio_check(rawcrawl["warc"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "digest pass" in result.stdout


def test_crawl_offloads_exactly_the_large_responses(rawcrawl):
    stats = rawcrawl["stats"]
    assert stats["warc/offloaded"] == 3
    assert stats["warc/response_records"] == 5          # robots.txt, 2 small, big, big-chunked
    assert stats["warc/revisit_records"] == 1           # the copy of big.pdf
    assert "warc/write_errors" not in stats


def test_crawl_large_records_hold_the_served_bytes_with_right_digests(rawcrawl):
    base = rawcrawl["base"]
    by_url = {}
    for r in rawcrawl["records"]:
        by_url.setdefault(r.get("WARC-Target-URI"), {})[r.type] = r
    pdfs = [by_url[f"{base}/big.pdf"], by_url[f"{base}/big-copy.pdf"]]
    [full] = [p["response"] for p in pdfs if "response" in p]    # whichever committed first
    [revisit] = [p["revisit"] for p in pdfs if "revisit" in p]
    assert full.block == head_for(BIG) + BIG
    assert full["WARC-Payload-Digest"] == revisit["WARC-Payload-Digest"] == sha1(BIG)
    assert full["WARC-Block-Digest"] == sha1(full.block)
    assert revisit["WARC-Refers-To"] == full["WARC-Record-ID"]
    assert revisit.block == head_for(BIG)
    chunked_record = by_url[f"{base}/big-chunked"]["response"]
    assert chunked_record.block.endswith(b"\r\n\r\n" + MIXED)
    assert b"\r\nX-Archive-Orig-Transfer-Encoding: chunked\r\n" in chunked_record.block
    assert chunked_record["WARC-Payload-Digest"] == sha1(MIXED)
    assert chunked_record["WARC-Block-Digest"] == sha1(chunked_record.block)


def test_crawl_meta_pointers_resolve_to_their_records(rawcrawl):
    base, seen = rawcrawl["base"], rawcrawl["seen"]
    assert set(seen) == {f"{base}/{p}" for p in RAW_PATHS}
    served = {"small-one": SMALL, "big.pdf": BIG, "small-two": SMALL_TWO, "big-copy.pdf": BIG,
              "big-chunked": MIXED}
    types = []
    for path in RAW_PATHS:
        url = f"{base}/{path}"
        record = resolve(rawcrawl["out"], seen[url]["warc"])
        assert record.target_uri == url and record.date == seen[url]["warc_date"]
        types.append(record.type)
        if record.type == "response":
            assert record.payload == served[path]
    assert sorted(types) == ["response"] * 4 + ["revisit"]
    assert types[0] == types[2] == types[4] == "response"   # only a copy of big.pdf is a revisit


@pytest.fixture(scope="module")
def newscrawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("offload-news")
    blob = base64.b64encode(BIG[:2_300_000]).decode()
    pages = {f"{A}small-harbour-story-one": article_html("Small harbour story one", 1),
             f"{A}small-council-story-two": article_html("Small council story two", 2),
             f"{A}big-railway-story-three": article_html("Big railway story three", 3,
                                                         extra=f"<!-- {blob} -->")}
    home = "".join(f'<a href="{path}">{path}</a>' for path in pages)
    routes = {"/robots.txt": Route(ok(b"User-agent: *\nAllow: /\n", "text/plain")),
              "/": Route(ok(f"<html><body>{home}</body></html>".encode()))}
    routes.update({path: Route(ok(body)) for path, body in pages.items()})
    with RawServer(routes=routes) as server:
        result = crawl(f"{server.base_url}/", out,
                       settings={"JOB_STATS_FILE": str(out / "stats.json")}, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in (out / "articles.jsonl").read_text().splitlines()]
    return {"out": out, "base": server.base_url, "pages": pages, "items": items,
            "stats": json.loads((out / "stats.json").read_text())}


def test_news_crawl_article_pointers_resolve_to_their_records(newscrawl):
    out, base, pages = newscrawl["out"], newscrawl["base"], newscrawl["pages"]
    assert newscrawl["stats"]["warc/offloaded"] == 1
    assert len(pages[f"{A}big-railway-story-three"]) > 3_000_000
    assert sorted(item["url"] for item in newscrawl["items"]) == sorted(base + p for p in pages)
    warcs = sorted(out.glob("*.warc.gz"))
    metadata = [r for path in warcs for r in read_records(path) if r.type == "metadata"]
    for item in newscrawl["items"]:
        record = resolve(out, item["warc"])
        assert record.type == "response" and record.target_uri == item["url"]
        assert record.payload == pages[item["url"].removeprefix(base)]
        linked = [m for m in metadata if m.get("WARC-Concurrent-To") == item["warc"]["record_id"]]
        assert len(linked) == 1
    for path in warcs:
        assert warcio_check(path).returncode == 0
