"""Archives in the record shapes other crawlers write: Heritrix 3, Browsertrix-crawler,
warcprox, Zeno/gowarc.

Each record is built here byte by byte after what the tool's own code writes (read in
their sources: Heritrix's WARCWriterProcessor, browsertrix-crawler's src/util/recorder.ts
and reqresp.ts, warcprox/warc.py, and what gowarc's authors describe in
iipc/warc-specifications#106), so the tests run without those tools.
"""

from __future__ import annotations

import gzip
import hashlib
import json
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


def test_http2_status_lines_are_read_as_warcio_reads_them(tmp_path):
    """Zeno/gowarc keep the `HTTP/2 200` status line of an HTTP/2 answer (curl prints it the
    same way); `warcio check`/`index`, cdxj-indexer and pywb's indexer read such a record as a 200.
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


def chunked(body: bytes, size: int = 100) -> bytes:
    pieces = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def heritrix_exchange(url: str, block: bytes, payload: bytes, date: str, extra=()) -> bytes:
    """Heritrix 3's response, request and metadata records for one fetch (WARC/1.0; the
    payload digest over the body as received, chunk framing included; outlinks in the
    metadata record)."""
    response_id = f"<urn:uuid:{uuid.uuid4()}>"
    path = url.split("news.test", 1)[1]
    request = http_response(f"GET {path} HTTP/1.0", [("User-Agent", "Mozilla/5.0 (compatible; heritrix/3.4.0)"),
                                                     ("Connection", "close"), ("Host", "news.test")])
    outlinks = f"via: {BASE}/\r\nhopsFromSeed: L\r\nfetchTimeMs: 12\r\noutlink: {BASE}/other L a/@href\r\n"
    return (warc_record("1.0", [("WARC-Type", "response"), ("WARC-Target-URI", url), ("WARC-Date", date),
                                ("WARC-Payload-Digest", _b32_sha1(payload)), ("WARC-IP-Address", "127.0.0.1"),
                                ("WARC-Record-ID", response_id), *extra,
                                ("Content-Type", "application/http; msgtype=response")], block)
            + warc_record("1.0", [("WARC-Type", "request"), ("WARC-Target-URI", url), ("WARC-Date", date),
                                  ("WARC-Concurrent-To", response_id), ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                                  ("Content-Type", "application/http; msgtype=request")], request)
            + warc_record("1.0", [("WARC-Type", "metadata"), ("WARC-Target-URI", url), ("WARC-Date", date),
                                  ("WARC-Concurrent-To", response_id), ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                                  ("Content-Type", "application/warc-fields")], outlinks.encode()))


def test_heritrix_archive_is_read_fully_and_a_segmented_record_is_reported(tmp_path):
    """A Heritrix 3 crawl: a dns: record, chunked and HTTP/1.0 pages, a revisit holding the
    head only with `WARC-Truncated: length` (its page is whole: the original's), a page cut
    at the size limit, a 304, and a record split into segments (WARC 1.1 section 5.14).
    Nobody here joins segments: the first one was read as a whole page, silently."""
    html = "text/html; charset=utf-8"
    chunked_page, old_page, cut_page, split_page = (
        article_html(title) for title in ("Chunked breakwater", "Old server story",
                                          "Cut at the size limit", "Split in segments"))
    dns = b"20240514100000\nnews.test.\t300\tIN\tA\t127.0.0.1\n"
    split_block = http_response("HTTP/1.1 200 OK", [("Content-Type", html)], split_page)
    split_id = f"<urn:uuid:{uuid.uuid4()}>"
    records = [
        warc_record("1.0", [("WARC-Type", "response"), ("WARC-Target-URI", "dns:news.test"),
                            ("WARC-Date", "2024-05-14T10:00:00Z"), ("WARC-IP-Address", "8.8.8.8"),
                            ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"), ("Content-Type", "text/dns")], dns),
        heritrix_exchange(f"{BASE}/2024/05/14/chunked", http_response(
            "HTTP/1.1 200 OK", [("Content-Type", html), ("Transfer-Encoding", "chunked")], chunked(chunked_page)),
            chunked(chunked_page), "2024-05-14T10:00:01Z"),
        heritrix_exchange(f"{BASE}/2024/05/14/old", http_response("HTTP/1.0 200 OK", [("Content-Type", html)], old_page),
                          old_page, "2024-05-14T10:00:02Z"),
        warc_record("1.0", [("WARC-Type", "revisit"), ("WARC-Target-URI", f"{BASE}/2024/05/14/chunked?print=1"),
                            ("WARC-Date", "2024-05-14T10:00:03Z"), ("WARC-Payload-Digest", _b32_sha1(chunked(chunked_page))),
                            ("WARC-Profile", "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"),
                            ("WARC-Truncated", "length"), ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                            ("Content-Type", "application/http; msgtype=response")],
                    http_response("HTTP/1.1 200 OK", [("Content-Type", html), ("Transfer-Encoding", "chunked")])),
        heritrix_exchange(f"{BASE}/2024/05/14/cut", http_response("HTTP/1.1 200 OK", [("Content-Type", html)], cut_page[:600]),
                          cut_page[:600], "2024-05-14T10:00:04Z", extra=[("WARC-Truncated", "length")]),
        heritrix_exchange(f"{BASE}/2024/05/14/unchanged", http_response("HTTP/1.1 304 Not Modified", [("ETag", '"a1"')]),
                          b"", "2024-05-14T10:00:05Z"),
        warc_record("1.0", [("WARC-Type", "response"), ("WARC-Target-URI", f"{BASE}/2024/05/14/split"),
                            ("WARC-Date", "2024-05-14T10:00:06Z"), ("WARC-Segment-Number", "1"),
                            ("WARC-Record-ID", split_id), ("WARC-Block-Digest", _b32_sha1(split_block[:700])),
                            ("Content-Type", "application/http; msgtype=response")], split_block[:700]),
        warc_record("1.0", [("WARC-Type", "continuation"), ("WARC-Target-URI", f"{BASE}/2024/05/14/split"),
                            ("WARC-Date", "2024-05-14T10:00:06Z"), ("WARC-Segment-Origin-ID", split_id),
                            ("WARC-Segment-Number", "2"), ("WARC-Segment-Total-Length", str(len(split_block))),
                            ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                            ("WARC-Block-Digest", _b32_sha1(split_block[700:]))], split_block[700:]),
    ]
    warc = tmp_path / "heritrix.warc.gz"
    warc.write_bytes(b"".join(records))

    items, worker = reextract_items(tmp_path, warc)
    got = {item["url"].rsplit("/", 1)[1]: (item["title"], item["truncated"]) for item in items}
    assert got == {"chunked": ("Chunked breakwater", False), "old": ("Old server story", False),
                   "chunked?print=1": ("Chunked breakwater", False), "cut": ("Cut at the size limit", True),
                   "split": ("Split in segments", True)}
    assert [p.offset for p in worker.problems] == [sum(map(len, records[:6]))]
    assert "segmented record" in str(worker.problems[0])
    report = check_warc(warc)
    assert report.records == 16 and len(report.problems) == 1   # 4 exchanges of 3 records, 4 alone


def _hex(algorithm: str, data: bytes) -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def test_browsertrix_and_warcprox_archives_are_read_fully(tmp_path):
    """Browsertrix-crawler (WARC/1.1 through warcio.js: millisecond WARC-Date, sha256 digests in
    hex, WARC-Page-ID, WARC-JSON-Metadata, the browser's decoded body under
    `x-orig-content-encoding`, a revisit with WARC-Refers-To-*, urn:pageinfo:/urn:text:/urn:view:
    resource records) and warcprox (WARC/1.0 through warctools: sha1 digests in hex, a revisit
    of the same URL a day later). Each page is read once, the page-info and screenshot records
    are no page, and every digest checks out but warcprox's request record's, whose payload
    digest covers the whole request (as warcio check reports it)."""
    page_id = str(uuid.uuid4())
    bt_url, bt_body = f"{BASE}/2024/05/14/browser", article_html("Recorded in a browser")
    bt_block = http_response("HTTP/1.1 200 OK", [("content-type", "text/html; charset=utf-8"),
                                                 ("x-orig-content-encoding", "br"),
                                                 ("content-length", str(len(bt_body)))], bt_body)
    bt_head = http_response("HTTP/1.1 200 OK", [("content-type", "text/html; charset=utf-8")])
    bt_common = [("WARC-Page-ID", page_id), ("WARC-Date", "2024-05-14T10:00:01.123Z")]
    browsertrix = [
        warc_record("1.1", [*bt_common, ("WARC-Protocol", "h2"), ("WARC-Resource-Type", "document"),
                            ("WARC-JSON-Metadata", json.dumps({"ipType": "Public", "cert": {"issuer": "R3"}})),
                            ("WARC-Target-URI", bt_url), ("WARC-Type", "response"),
                            ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                            ("Content-Type", "application/http; msgtype=response"),
                            ("WARC-Payload-Digest", _hex("sha256", bt_body)),
                            ("WARC-Block-Digest", _hex("sha256", bt_block))], bt_block),
        warc_record("1.1", [("WARC-Page-ID", page_id), ("WARC-Target-URI", f"{bt_url}?amp=1"),
                            ("WARC-Date", "2024-05-14T10:00:02.456Z"), ("WARC-Type", "revisit"),
                            ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                            ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                            ("WARC-Refers-To-Target-URI", bt_url), ("WARC-Refers-To-Date", "2024-05-14T10:00:01.123Z"),
                            ("Content-Type", "application/http; msgtype=response"),
                            ("WARC-Payload-Digest", _hex("sha256", bt_body)),
                            ("WARC-Block-Digest", _hex("sha256", bt_head))], bt_head),
    ] + [warc_record("1.1", [*bt_common, ("WARC-Target-URI", f"urn:{kind}:{bt_url}"), ("WARC-Type", "resource"),
                             ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"), ("Content-Type", ctype),
                             ("WARC-Block-Digest", _hex("sha256", data))], data)
         for kind, ctype, data in [("pageinfo", "application/json", json.dumps({"pageid": page_id, "url": bt_url}).encode()),
                                   ("text", "text/plain", b"Recorded in a browser\nThe harbour commission voted"),
                                   ("view", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64))]]
    wp_url, wp_body = f"{BASE}/2024/05/14/proxied", article_html("Fetched through a proxy")
    wp_block = http_response("HTTP/1.1 200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                 ("Content-Length", str(len(wp_body)))], wp_body)
    wp_request = http_response("GET /2024/05/14/proxied HTTP/1.1", [("Host", "news.test"), ("User-Agent", "brozzler")])
    wp_id = f"<urn:uuid:{uuid.uuid4()}>"
    warcprox = [
        warc_record("1.0", [("WARC-Type", "response"), ("WARC-Record-ID", wp_id), ("WARC-Date", "2024-05-14T10:00:01Z"),
                            ("WARC-Target-URI", wp_url), ("WARC-IP-Address", "127.0.0.1"),
                            ("Content-Type", "application/http;msgtype=response"),
                            ("WARC-Block-Digest", _hex("sha1", wp_block)), ("WARC-Payload-Digest", _hex("sha1", wp_body))],
                    wp_block),
        warc_record("1.0", [("WARC-Type", "request"), ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                            ("WARC-Date", "2024-05-14T10:00:01Z"), ("WARC-Target-URI", wp_url), ("WARC-Concurrent-To", wp_id),
                            ("Content-Type", "application/http;msgtype=request"),
                            ("WARC-Block-Digest", _hex("sha1", wp_request)), ("WARC-Payload-Digest", _hex("sha1", wp_request))],
                    wp_request),
        warc_record("1.0", [("WARC-Type", "revisit"), ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                            ("WARC-Date", "2024-05-15T10:00:01Z"), ("WARC-Target-URI", wp_url),
                            ("WARC-Profile", "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"),
                            ("WARC-Refers-To", wp_id), ("WARC-Refers-To-Target-URI", wp_url),
                            ("WARC-Refers-To-Date", "2024-05-14T10:00:01Z"), ("Content-Type", "application/http;msgtype=response"),
                            ("WARC-Payload-Digest", _hex("sha1", wp_body)), ("WARC-Block-Digest", _hex("sha1", wp_block[:-len(wp_body)]))],
                    wp_block[:-len(wp_body)]),
    ]
    for name, records in (("browsertrix", browsertrix), ("warcprox", warcprox)):
        (tmp_path / f"{name}.warc.gz").write_bytes(b"".join(records))

    reports = {name: check_warc(tmp_path / f"{name}.warc.gz") for name in ("browsertrix", "warcprox")}
    assert reports["browsertrix"].records == 5 and not reports["browsertrix"].problems
    (problem,) = reports["warcprox"].problems
    assert "request" in str(problem) and "payload digest failed" in str(problem)
    for name, url, title, when in (("browsertrix", bt_url, "Recorded in a browser", "2024-05-14T10:00:01.123Z"),
                                   ("warcprox", wp_url, "Fetched through a proxy", "2024-05-14T10:00:01Z")):
        out = tmp_path / name
        out.mkdir()
        items, worker = reextract_items(out, tmp_path / f"{name}.warc.gz")
        assert [(i["url"], i["title"], i["fetched_at"], i["truncated"]) for i in items] == [(url, title, when, False)]
        assert len(items[0]["text"].split()) > 100 and not worker.problems
