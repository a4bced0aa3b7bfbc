"""WARCs written by other tools, in the exact record shapes those tools write.

The shapes were read off archives made in session 11 against the demo site on 127.0.0.1:
GNU wget 1.21 (`--warc-file`, WARC/1.0, `WARC-Target-URI: <url>` in angle brackets, the
HTTP message as received), warcio's capture_http and pywb's recorder. The records are
written here byte by byte so the tests run without wget.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import uuid
from pathlib import Path

from crawler.reextract import Reextractor
from pipelines.jsonl import JsonLinesFile
from tests.conftest import crawl

BASE = "http://news.test"

PARAGRAPHS = [
    "The harbour commission voted on Tuesday evening to extend the northern breakwater by "
    "two hundred metres, ending a dispute that had divided the town for most of a decade.",
    "Fishermen had argued that winter storms were pushing swells into the inner basin, where "
    "three boats sank at their moorings last January and several more were badly damaged.",
    "Engineers hired by the commission estimated the work at fourteen million, of which the "
    "regional government has agreed to pay roughly two thirds over the next four years.",
    "Residents of the old quarter, who feared the longer wall would trap silt along the "
    "beach, won a promise of yearly sediment surveys and a fund to dredge if it builds up.",
    "Construction is expected to begin in the spring and to last about eighteen months, "
    "with the busiest months of the fishing season kept free of heavy works on the quay.",
]


def article_html(title: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="2024-05-14T09:30:00Z"></head>'
            f'<body><header><a href="/">Harbour Gazette</a></header><main><article><h1>{title}</h1>'
            f'<p class="byline">By Mara Lund</p><time datetime="2024-05-14T09:30:00Z">May 14, 2024</time>'
            f'{body}</article></main><footer>Contact us</footer></body></html>').encode()


def _b32_sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def wget_response(url: str, head: bytes, body: bytes) -> bytes:
    """One response record as GNU wget 1.21 writes it (WARC/1.0, bracketed target URI)."""
    block = head + body
    fields = [
        "WARC/1.0", "WARC-Type: response", f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>",
        f"WARC-Warcinfo-ID: <urn:uuid:{uuid.uuid4()}>", f"WARC-Concurrent-To: <urn:uuid:{uuid.uuid4()}>",
        f"WARC-Target-URI: <{url}>", "WARC-Date: 2026-12-05T13:40:11Z", "WARC-IP-Address: 127.0.0.1",
        f"WARC-Block-Digest: {_b32_sha1(block)}", f"WARC-Payload-Digest: {_b32_sha1(body)}",
        "Content-Type: application/http;msgtype=response", f"Content-Length: {len(block)}",
    ]
    return gzip.compress("\r\n".join(fields).encode() + b"\r\n\r\n" + block + b"\r\n\r\n")


def http_head(*headers: str) -> bytes:
    return ("\r\n".join(["HTTP/1.1 200 OK", "Content-Type: text/html; charset=utf-8", *headers])
            + "\r\n\r\n").encode()


def reextract_items(tmp_path: Path, warc: Path) -> tuple[list[dict], Reextractor]:
    output = JsonLinesFile(tmp_path / "out.jsonl")
    worker = Reextractor([warc], output, all_pages=True, progress_every=0)
    worker.run()
    output.close()
    path = tmp_path / "out.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines], worker


def test_content_encoding_that_is_no_coding_is_read_as_the_crawl_read_it(tmp_path):
    """Servers send `Content-Encoding: none` (or a charset) on plain bodies, and wget archives
    the message as received. Browsers and Scrapy's HttpCompressionMiddleware pass such a body
    through, so the crawl extracted the page; reextract of the same WARC skipped it as
    "unsupported Content-Encoding 'none'"."""
    warc = tmp_path / "wget.warc.gz"
    pages = {f"{BASE}/2024/05/14/none": ("Breakwater none", "Content-Encoding: none"),
             f"{BASE}/2024/05/14/charset": ("Breakwater charset", "Content-Encoding: UTF-8"),
             f"{BASE}/2024/05/14/plain": ("Breakwater plain", None)}
    warc.write_bytes(b"".join(
        wget_response(url, http_head(*filter(None, [coding])), article_html(title))
        for url, (title, coding) in pages.items()))
    items, worker = reextract_items(tmp_path, warc)
    assert not worker.problems, worker.problems
    assert {item["url"]: item["title"] for item in items} == {u: t for u, (t, _) in pages.items()}
    assert all(item["text"].startswith(PARAGRAPHS[0]) for item in items)


def stale_coding_warc(tmp_path: Path) -> tuple[Path, dict]:
    """A body stored decoded under the `Content-Encoding: gzip` it was sent with (a recorder
    that kept the browser's decoded body and the server's headers), next to a real gzip body
    and one that claims gzip, starts like gzip and is damaged."""
    html = {name: article_html(f"Breakwater {name}") for name in ("stale", "gzipped", "damaged")}
    records = {
        f"{BASE}/2024/05/14/stale": (http_head("Content-Encoding: gzip"), html["stale"]),
        f"{BASE}/2024/05/14/gzipped": (http_head("Content-Encoding: gzip"), gzip.compress(html["gzipped"])),
        f"{BASE}/2024/05/14/damaged": (http_head("Content-Encoding: gzip"),
                                       gzip.compress(html["damaged"])[:10] + b"\x00garbage" * 40),
    }
    warc = tmp_path / "stale.warc.gz"
    warc.write_bytes(b"".join(wget_response(url, head, body) for url, (head, body) in records.items()))
    return warc, {url: f"Breakwater {url.rsplit('/', 1)[1]}" for url in records}


def test_body_stored_decoded_under_its_content_encoding_is_read(tmp_path):
    """warcio and pywb read such a body as it is when it plainly is not gzip (it starts like
    markup); reextract skipped it as "body is not valid gzip". A damaged gzip body stays one
    counted problem: never garbage extracted as text."""
    warc, titles = stale_coding_warc(tmp_path)
    items, worker = reextract_items(tmp_path, warc)
    assert {item["url"]: item["title"] for item in items} == {
        url: title for url, title in titles.items() if not url.endswith("damaged")}
    (problem,) = worker.problems
    assert problem.offset > 0 and "not valid gzip" in problem.message


def test_replay_serves_a_body_stored_decoded_as_it_is(tmp_path):
    """`-s REPLAY_WARC` of the same archive: the crawl got the body with its stale
    `Content-Encoding: gzip`, Scrapy's decompression failed ("Not a gzipped file") and the
    story was lost. Replay now drops the header of such a body, as pywb does."""
    warc, titles = stale_coding_warc(tmp_path)
    out = tmp_path / "out"
    # the pages share one body: dedupe would keep only the first of them
    result = crawl(",".join(titles), out, settings={"REPLAY_WARC": warc, "DEDUPE_ENABLED": "False"})
    assert result.returncode == 0, result.stderr[-2000:]
    items = [json.loads(line) for line in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {item["url"]: item["title"] for item in items} == {
        url: title for url, title in titles.items() if not url.endswith("damaged")}


def warc_resource(url: str, content_type: str, body: bytes) -> bytes:
    """A resource record: a document stored without an HTTP exchange (warcit's records of
    saved pages; wget's own log, under a metadata:// URI)."""
    fields = [
        "WARC/1.0", "WARC-Type: resource", f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>",
        f"WARC-Target-URI: {url}", "WARC-Date: 2026-12-05T13:40:11Z", f"Content-Type: {content_type}",
        f"WARC-Block-Digest: {_b32_sha1(body)}", f"Content-Length: {len(body)}",
    ]
    return gzip.compress("\r\n".join(fields).encode() + b"\r\n\r\n" + body + b"\r\n\r\n")


def test_html_resource_record_of_a_web_url_is_a_page(tmp_path):
    """pywb serves a `resource` record of an http(s) URL as that URL's 200 response; reextract
    and REPLAY_WARC ignored it without a word. A resource that is not a web URL (wget's log)
    stays out."""
    url = f"{BASE}/2024/05/14/saved"
    warc = tmp_path / "resource.warc.gz"
    warc.write_bytes(warc_resource(url, "text/html; charset=utf-8", article_html("Breakwater saved"))
                     + warc_resource("metadata://gnu.org/software/wget/warc/wget.log", "text/plain",
                                     b"<html>a log line that looks like markup</html>\n"))
    items, worker = reextract_items(tmp_path, warc)
    assert not worker.problems
    assert [(item["url"], item["title"]) for item in items] == [(url, "Breakwater saved")]
    out = tmp_path / "out"
    result = crawl(url, out, settings={"REPLAY_WARC": warc})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["Breakwater saved"]
