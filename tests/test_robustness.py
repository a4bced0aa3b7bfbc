"""One bad page, bad server or bad input never breaks the crawl or loses what is archived.

A raw-socket site (tests/rawserver.py) serves good articles next to every kind of
broken response; one crawl of it (module fixture) is checked case by case: the good
pages still become articles, the bad ones are archived and/or counted, the crawl
exits 0 and no Python traceback reaches stderr. Then: a crawl killed with SIGKILL,
and the next crawl into the same directory, loses nothing; damaged state left in
OUTPUT_DIR (dedupe, digest index, .open WARC, articles file) is a one-line error or a
logged, counted degradation, never a lost archive.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import ROOT, scrapy_env
from tests.dedupe_support import held_count
from tests.rawserver import ARTICLE_PREFIX as A
from tests.rawserver import RawServer, Route, _head, article_html, ok, redirect, scrapy_crawl_cmd
from tests.tools import read_jsonl, warcio_check

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


GOOD = {f"{A}good-story-number-{i}": f"Good story number {i}" for i in range(1, 5)}
GOOD_VIA_SITEMAP = f"{A}good-story-only-in-the-sitemap"
GOOD_VIA_FEED = f"{A}good-story-only-in-the-feed"
GOOD_VIA_CUT_SITEMAP = f"{A}good-story-in-a-cut-off-sitemap"
# Pages that are broken but still (partly) readable: each should still be an article.
SURVIVORS = {
    f"{A}page-with-a-nul-byte": "Page with a nul byte",
    f"{A}page-with-foobar-charset": "Page with foobar charset",
    f"{A}page-with-invalid-utf8-bytes": "Page with invalid UTF-8 bytes",
    f"{A}page-with-broken-ipv6-urls": "Page with broken IPv6 URLs",
    f"{A}page-with-deeply-nested-json-ld": "Page with deeply nested JSON-LD",
    f"{A}page-nested-three-hundred-deep": "Page nested three hundred deep",
    f"{A}page-with-captions-nested-1500-deep": "Page with captions nested 1500 deep",
}
SURROGATES = f"{A}json-ld-with-lone-surrogates"      # valid JSON, not valid UTF-8 once decoded
# Pages with nothing to extract: counted extraction errors (errors.jsonl), or skipped.
EMPTY = f"{A}empty-page-served-as-html"
BINARY = f"{A}binary-garbage-served-as-html"
NESTED = f"{A}five-megabytes-of-nested-divs"
BAD_GZIP = f"{A}gzip-encoding-with-plain-body"
CUT_GZIP = f"{A}gzip-encoding-with-truncated-body"
BAD_BR = f"{A}brotli-encoding-with-garbage"
SHORT_BODY = f"{A}content-length-larger-than-body"
HANG = f"{A}server-never-answers"
LOOP = f"{A}redirect-loop-start"
BAD_REDIRECT = f"{A}redirect-to-a-broken-url"
CHAIN = [f"{A}endless-redirect-hop-{i}" for i in range(30)]   # a loop through changing URLs
# Heads that are not (quite) HTTP: each must end as a counted failure or a page, never a crash.
BAD_HEADS = {
    f"{A}not-http-at-all": b"garbage that is not a status line\r\n\r\n",
    f"{A}status-nine-nine-nine": b"HTTP/1.1 999 Whatever\r\nContent-Length: 2\r\n\r\nhi",
    f"{A}header-without-colon": b"HTTP/1.1 200 OK\r\nThis line has no colon\r\nContent-Length: 2\r\n\r\nhi",
    f"{A}two-different-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\nhi",
    f"{A}binary-header-values": b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\xff\xfe\r\n"
                                b"X-Bin: \x00\x01\xff\r\nContent-Length: 2\r\n\r\nhi",
    f"{A}bad-chunk-framing": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhi\r\n0\r\n\r\n",
    f"{A}header-line-of-200-kb": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\nContent-Length: 2\r\n\r\nhi",
    f"{A}ten-thousand-headers": b"HTTP/1.1 200 OK\r\n" + b"X-Many: 1\r\n" * 10_000 + b"Content-Length: 2\r\n\r\nhi",
}
# An article page whose extraction raises (trafilatura recurses once per nested list: 1000 deep
# passes Python's limit) after its links were read: counted failed, its links still followed.
FAILED_WITH_LINKS = f"{A}story-whose-extraction-fails-on-a-list-nested-1000-deep"
ONLY_VIA_FAILED = f"{A}good-story-linked-only-from-a-failed-page"
PDF = f"{A}report-document.pdf"
IMAGE = f"{A}press-photo.jpg"
ABSURD_LINKS = [
    "/" + "very-long-path/" * 400,                # > URLLENGTH_LIMIT
    f"{A}bad-escapes-%zz-%%-%e9%",               # invalid percent-escapes
    "http://[::1",                                # broken IPv6 literal
    "http://[::1]:99999/x",                       # port out of range
    "http://127.0.0.1:notaport/",
    "ftp://127.0.0.1/file", "gopher://127.0.0.1/", "file:///etc/passwd", "javascript:alert(1)",
    "data:text/html,<p>x</p>", "mailto:x@example.com", "https://", "http:///nohost",
    "http://exa mple.com/", "\x00", "%", "//", "http://127.0.0.1:0/",
]
# Sitemap <loc>s are taken as written (not joined to a base): every one of these is unusable.
BAD_LOCS = ["http://[::1", "http://[zz]/x", "{base}:99/x", "{base}/%zz%" + "x" * 3000,
            "not a url", "&lt;script&gt;", "http://", "//127.0.0.1/x"]
OFFSITE_COUNT = 10_000


def routes(base: str) -> dict[str, Route]:
    """Path -> exact bytes for the whole site at `base` (sitemaps name absolute URLs)."""
    r: dict[str, Route] = {}
    robots = (b"User-agent: *\nAllow: /\nSitemap: /sitemap-good.xml\nSitemap: /sitemap-not-xml.xml\n"
              b"Sitemap: /sitemap-offsite.xml\nSitemap: /sitemap-truncated.xml.gz\n"
              b"Sitemap: /sitemap-bad-gzip.xml.gz\n")
    r["/robots.txt"] = Route(ok(robots, "text/plain"))
    links = list(GOOD) + list(SURVIVORS) + [SURROGATES, EMPTY, BINARY, NESTED, BAD_GZIP, CUT_GZIP, BAD_BR,
                                            SHORT_BODY, HANG, LOOP, CHAIN[0], BAD_REDIRECT, PDF, IMAGE, FAILED_WITH_LINKS,
                                            *BAD_HEADS] + ABSURD_LINKS
    anchors = "".join(f'<li><a href="{href}">link {i}</a></li>' for i, href in enumerate(links))
    home = (f'<!doctype html><html><head><title>Front page</title>'
            f'<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>'
            f"<body><nav><ul>{anchors}</ul></nav></body></html>").encode()
    r["/"] = Route(ok(home))
    for i, (path, title) in enumerate(GOOD.items(), 1):
        r[path] = Route(ok(article_html(title, i)))
    r[GOOD_VIA_SITEMAP] = Route(ok(article_html("Good story only in the sitemap", 11)))
    r[GOOD_VIA_FEED] = Route(ok(article_html("Good story only in the feed", 12)))
    r[GOOD_VIA_CUT_SITEMAP] = Route(ok(article_html("Good story in a cut-off sitemap", 13)))
    r[FAILED_WITH_LINKS] = Route(ok(article_html("Story whose extraction fails", 14, extra=(
        "<ul><li>menu " * 1000 + f'<a href="{ONLY_VIA_FAILED}">the one link to it</a>'))))
    r[ONLY_VIA_FAILED] = Route(ok(article_html("Good story linked only from a failed page", 15)))

    nul = article_html(SURVIVORS[f"{A}page-with-a-nul-byte"], 21).replace(b"<p>", b"<p>Nul\x00here ", 1)
    r[f"{A}page-with-a-nul-byte"] = Route(ok(nul))
    foobar = article_html(SURVIVORS[f"{A}page-with-foobar-charset"], 22, charset="foobar")
    r[f"{A}page-with-foobar-charset"] = Route(ok(foobar, "text/html; charset=foobar"))
    mixed = article_html(SURVIVORS[f"{A}page-with-invalid-utf8-bytes"], 23,
                         extra="<p>caf\u00e9 \u2013 na\u00efve</p>").replace(
        b"<p>", b"<p>\xff\xfe\xc3\x28 caf\xe9 \xed\xa0\x80 ", 2)
    r[f"{A}page-with-invalid-utf8-bytes"] = Route(ok(mixed))
    bad = "http://[::1"
    ipv6 = article_html(SURVIVORS[f"{A}page-with-broken-ipv6-urls"], 24, extra=(
        f'<h2><a href="{bad}">teaser</a></h2><figure><img src="{bad}" srcset="{bad} 2x">'
        f"<figcaption>A caption under a broken image URL</figcaption></figure>")).replace(
        b"</head>", f'<link rel="canonical" href="{bad}"><meta property="og:image" content="{bad}">'
                    f'<base href="{bad}"><meta http-equiv="refresh" content="600"></head>'.encode())
    r[f"{A}page-with-broken-ipv6-urls"] = Route(ok(ipv6))
    deep_ld = article_html(SURVIVORS[f"{A}page-with-deeply-nested-json-ld"], 25).replace(
        b"</head>", b'<script type="application/ld+json">' + b'{"a":' * 5000 + b"1" + b"}" * 5000
        + b"</script></head>")
    r[f"{A}page-with-deeply-nested-json-ld"] = Route(ok(deep_ld))
    deep = article_html(SURVIVORS[f"{A}page-nested-three-hundred-deep"], 26, extra="<font>" * 300)
    r[f"{A}page-nested-three-hundred-deep"] = Route(ok(deep))
    deep_captions = article_html(SURVIVORS[f"{A}page-with-captions-nested-1500-deep"], 28,
                                 extra='<div class="caption">' * 1500 + "Deep caption" + "</div>" * 1500)
    r[f"{A}page-with-captions-nested-1500-deep"] = Route(ok(deep_captions))

    lone = article_html("Lone surrogates in JSON-LD", 27).replace(
        b'"@type":"NewsArticle",',
        b'"@type":"NewsArticle","author":{"name":"Ann \\ud800Writer\\u0000"},"keywords":"tag\\udfff",')
    r[SURROGATES] = Route(ok(lone))
    r[EMPTY] = Route(ok(b""))
    r[BINARY] = Route(ok(bytes(random.Random(5).getrandbits(8) for _ in range(20_000)),
                         "text/html"))
    nested = b"<html><body>" + b"<div>" * (5 * 1024 * 1024 // 5) + b"<p>deep</p></body></html>"
    r[NESTED] = Route(ok(nested))
    plain = article_html("Gzip label on plain bytes", 31)
    r[BAD_GZIP] = Route(ok(plain, extra=[("Content-Encoding", "gzip")]))
    gz = gzip.compress(article_html("Truncated gzip body", 32), mtime=0)
    r[CUT_GZIP] = Route(ok(gz[: len(gz) // 2], extra=[("Content-Encoding", "gzip")]))
    r[BAD_BR] = Route(ok(b"\x8b\x00garbage that is not brotli" * 10, extra=[("Content-Encoding", "br")]))
    short = article_html("Cut short by the server", 33)
    r[SHORT_BODY] = Route([_head("HTTP/1.1 200 OK", [("Content-Type", "text/html"),
                                                     ("Content-Length", str(len(short) + 5000))]),
                           short], close=True)
    r[HANG] = Route([])                                   # accepts, reads, never answers
    r[LOOP] = Route(redirect(f"{A}redirect-loop-middle"))
    r[f"{A}redirect-loop-middle"] = Route(redirect(LOOP))
    r[BAD_REDIRECT] = Route(redirect("http://[::1"))
    for hop, next_hop in itertools.pairwise(CHAIN):
        r[hop] = Route(redirect(next_hop))
    for path, raw in BAD_HEADS.items():
        r[path] = Route([raw], close=True)
    r[PDF] = Route(ok(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "application/pdf"))
    r[IMAGE] = Route(ok(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 500, "image/jpeg"))

    bad_locs = "".join(f"<url><loc>{loc.format(base=base)}</loc></url>" for loc in BAD_LOCS)
    sitemap = (f'<?xml version="1.0"?><urlset xmlns="{SITEMAP_NS}">{bad_locs}'
               f"<url><loc>{base}{GOOD_VIA_SITEMAP}</loc></url>{bad_locs}</urlset>")
    r["/sitemap-good.xml"] = Route(ok(sitemap.encode(), "application/xml"))
    r["/sitemap-not-xml.xml"] = Route(ok(b"\x00\x01 this is { not xml <<<< ]]>", "application/xml"))
    offsite = "".join(f"<url><loc>http://offsite-{i}.example/{A}story-{i}</loc></url>"
                      for i in range(OFFSITE_COUNT))
    r["/sitemap-offsite.xml"] = Route(ok(
        f'<?xml version="1.0"?><urlset xmlns="{SITEMAP_NS}">{offsite}</urlset>'.encode(),
        "application/xml"))
    full = gzip.compress(f'<?xml version="1.0"?><urlset xmlns="{SITEMAP_NS}"><url><loc>{base}'
                         f'{GOOD_VIA_CUT_SITEMAP}</loc></url>{offsite}</urlset>'.encode())
    r["/sitemap-truncated.xml.gz"] = Route(ok(full[: len(full) // 3], "application/gzip"))
    r["/sitemap-bad-gzip.xml.gz"] = Route(ok(b"\x1f\x8b\x09 not really gzip", "application/gzip"))
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
            f"<item><title>bad</title><link>http://[::1</link></item>"
            f"<item><title>x</title><link>{GOOD_VIA_FEED}</link></item>"
            f"<item><title>broken & unescaped <b>tag</i></title><link>\x01").encode()
    r["/feed.xml"] = Route(ok(feed, "application/rss+xml"))
    return r


def warc_records(out: Path) -> tuple[list, dict]:
    """[(type, uri, WARC headers)], {uri: raw HTTP payload of its response record}."""
    records, bodies = [], {}
    for path in sorted(out.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh, no_record_parse=False):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                records.append((record.rec_type, uri, dict(record.rec_headers.headers)))
                if record.rec_type == "response":
                    bodies[uri] = record.raw_stream.read()
    return records, bodies


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("robust")
    server = RawServer(routes={}).start()
    server.routes.update(routes(server.base_url))
    try:
        proc = subprocess.run(scrapy_crawl_cmd(server.base_url, out), cwd=ROOT, env=scrapy_env(),
                              capture_output=True, text=True, timeout=180)
    finally:
        server.stop()
    items = read_jsonl(out / "articles.jsonl", missing_ok=True)
    records, bodies = warc_records(out)
    return {
        "out": out, "proc": proc, "server": server,
        "stats": json.loads((out / "stats.json").read_text()),
        "items": {item["url"].removeprefix(server.base_url): item for item in items},
        "errors": read_jsonl(out / "errors.jsonl", missing_ok=True),
        "records": records,
        "bodies": {uri.removeprefix(server.base_url): body for uri, body in bodies.items()},
        "requested": [path for path, _raw in server.requests],
    }


def test_crawl_ends_normally_without_tracebacks(run):
    proc = run["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert run["stats"]["finish_reason"] == "finished"
    assert "Traceback" not in proc.stderr, proc.stderr[proc.stderr.index("Traceback") - 2000:][:6000]
    assert "spider_exceptions" not in json.dumps(run["stats"])
    assert "Remote control" not in proc.stderr      # no code-over-HTTP server in a crawl


def test_good_pages_still_become_articles(run):
    want = set(GOOD) | {GOOD_VIA_SITEMAP, GOOD_VIA_FEED, GOOD_VIA_CUT_SITEMAP}
    assert want <= set(run["items"]), want - set(run["items"])
    for path, title in GOOD.items():
        assert run["items"][path]["title"] == title


def test_damaged_but_readable_pages_become_articles(run):
    for path, title in SURVIVORS.items():
        assert path in run["items"], (path, run["errors"])
        item = run["items"][path]
        assert item["title"] == title
        assert "\x00" not in item["text"]
        assert len(item["text"]) > 2000, (path, item["text"])     # all six paragraphs
    assert run["stats"]["news/bad_meta_refresh"] == 1             # the <base href="http://[::1">
    mixed = run["items"][f"{A}page-with-invalid-utf8-bytes"]["text"]
    assert "caf\u00e9 \u2013 na\u00efve" in mixed          # the valid UTF-8 around bad bytes survives


def test_strings_that_cannot_be_utf8_are_repaired(run):
    item = run["items"][SURROGATES]
    assert item["authors"] == ["Ann \ufffdWriter"]             # lone surrogate replaced, NUL gone
    assert item["tags"] == ["tag\ufffd"]
    metadata = [h for kind, uri, h in run["records"] if kind == "metadata" and uri.endswith(SURROGATES)]
    assert len(metadata) == 1                                   # the WARC metadata record too


def test_pages_without_content_are_counted_errors(run):
    failed = {e["url"].removeprefix(run["server"].base_url): e["error"] for e in run["errors"]}
    assert failed[EMPTY] == "ExtractionError('empty document')"
    assert failed[BINARY] == "ExtractionError('not parseable as HTML')"
    assert run["stats"]["extract/errors"] >= 2
    for path in (EMPTY, BINARY, NESTED):
        assert path not in run["items"]


def test_a_page_whose_extraction_fails_is_counted_and_its_links_are_followed(run):
    failed = {e["url"].removeprefix(run["server"].base_url): e["error"] for e in run["errors"]}
    assert failed[FAILED_WITH_LINKS].startswith("RecursionError(")
    assert FAILED_WITH_LINKS not in run["items"]
    assert run["items"][ONLY_VIA_FAILED]["title"] == "Good story linked only from a failed page"


def test_every_page_that_answered_is_archived(run):
    archived = {uri.removeprefix(run["server"].base_url) for kind, uri, _ in run["records"]
                if kind == "response"}
    for path in [EMPTY, BINARY, NESTED, BAD_GZIP, CUT_GZIP, BAD_BR, PDF, IMAGE, LOOP,
                 *SURVIVORS, *GOOD]:
        assert path in archived, path


def test_requests_ask_only_for_encodings_every_warc_tool_reads(run):
    heads = [raw.split(b"\r\n\r\n")[0].lower() for _path, raw in run["server"].requests]
    assert heads and all(b"\r\naccept-encoding: gzip, deflate\r\n" in h + b"\r\n" for h in heads)


def test_whole_archive_passes_warc_check(run):
    # Our checker (digests, lengths, gzip members) over every odd record of the crawl. `warcio
    # check` itself crashes on the br-encoded record the server sent unasked (warcio 1.8.1 with
    # Google's brotli: 'Decompressor' object has no attribute 'unused_data').
    warcs = [str(p) for p in sorted(run["out"].glob("*.warc.gz"))]
    check = subprocess.run([sys.executable, "-m", "scrapy", "warc-check", *warcs], cwd=ROOT,
                           env=scrapy_env(), capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_broken_content_encoding_is_archived_as_sent_and_counted(run):
    sent = {path: route.segments[1] for path, route in run["server"].routes.items()
            if len(route.segments) > 1}
    for path in (BAD_GZIP, CUT_GZIP, BAD_BR):
        assert run["bodies"][path] == sent[path]        # the WARC keeps the bytes, encoding and all
    # Undecodable: a counted failed request, no item.
    for path in (BAD_GZIP, BAD_BR):
        assert path not in run["items"]
    assert run["stats"]["news/failed_requests"] >= 2
    # A cut-off gzip stream inflates in part (Scrapy's HttpCompressionMiddleware keeps what
    # decodes): the page is read as an article, not an error.
    assert CUT_GZIP in run["items"]
    assert CUT_GZIP not in {e["url"] for e in run["errors"]}


def test_body_shorter_than_content_length_is_archived_truncated_and_retried(run):
    """Scrapy fails a response whose connection closes before Content-Length bytes
    (DOWNLOAD_FAIL_ON_DATALOSS): each attempt is archived as far as it came, marked
    WARC-Truncated: disconnect, retried once, and no article comes of it."""
    assert SHORT_BODY not in run["items"]
    assert run["requested"].count(SHORT_BODY) == 2                  # tried, retried once
    responses = [h for kind, uri, h in run["records"] if kind == "response" and uri.endswith(SHORT_BODY)]
    assert [h.get("WARC-Truncated") for h in responses] == ["disconnect", "disconnect"]
    assert run["stats"]["retry/reason_count/scrapy.exceptions.ResponseDataLossError"] >= 1


def test_hanging_server_times_out_and_is_counted(run):
    stats = run["stats"]
    assert stats.get("warc/no_response/DownloadTimeoutError", 0) >= 1, stats
    assert run["requested"].count(HANG) == 2                     # tried, retried once, given up


def test_redirect_loop_ends(run):
    assert run["requested"].count(LOOP) <= 2
    assert LOOP not in run["items"]
    # Through ever new URLs: Scrapy stops after REDIRECT_MAX_TIMES (20) hops; counted, logged.
    assert CHAIN[20] in run["requested"] and CHAIN[21] not in run["requested"]
    assert f"fetch failed: {run['server'].base_url}{CHAIN[20]}: max redirections reached" \
        in run["proc"].stderr


def test_broken_redirect_and_broken_heads_are_counted(run):
    assert BAD_REDIRECT in run["bodies"]                          # the 302 itself is archived
    for path in [BAD_REDIRECT, *BAD_HEADS]:
        assert path in run["requested"] and path not in run["items"]
    stats = run["stats"]
    assert stats.get("warc/no_response/DownloadFailedError", 0) >= 2   # not HTTP; two lengths
    assert stats["news/failed_requests"] >= 6


def test_non_html_links_are_never_items(run):
    assert PDF not in run["items"] and IMAGE not in run["items"]
    assert run["stats"].get("news/skipped_not_html", 0) >= 2


def test_absurd_links_do_not_spoil_the_listing(run):
    # The home page lists them among the good links; the good ones are still followed.
    assert set(GOOD) <= set(run["requested"])
    assert not any(p.startswith("/very-long-path") for p in run["requested"])
    assert run["stats"]["urllength/request_ignored_count"] >= 1


def test_bad_and_offsite_sitemaps(run):
    requested = run["requested"]
    for path in ("/sitemap-not-xml.xml", "/sitemap-offsite.xml", "/sitemap-truncated.xml.gz",
                 "/sitemap-bad-gzip.xml.gz", "/feed.xml"):
        assert path in requested
    assert not any("offsite-" in (uri or "") for _k, uri, _h in run["records"])
    assert run["stats"].get("offsite/filtered", 0) == 0        # never even made into requests
    assert run["stats"]["downloader/request_count"] < 100


# --- kill -9 mid-crawl, then a new crawl into the same directory --------------------------

def slow_site(n: int, pause: float = 0.15) -> dict[str, Route]:
    """A home page linking n articles; every article answers after a short pause."""
    r = {"/robots.txt": Route(ok(b"User-agent: *\nAllow: /\n", "text/plain"))}
    paths = [f"{A}slow-story-number-{i}" for i in range(n)]
    home = "".join(f'<a href="{p}">{p}</a>' for p in paths)
    r["/"] = Route(ok(f"<html><body>{home}</body></html>".encode()))
    for i, path in enumerate(paths):
        head, body = ok(article_html(f"Slow story number {i}", 100 + i))
        r[path] = Route([head, body[:300], body[300:]], pause=pause)
    return r


def _group_running(pgid: int) -> list[tuple[str, list[str]]]:
    """(pid, /proc stat fields after "pid (comm) ") of each process of the group still running.
    Zombies (state Z: exited, not yet reaped) are left out: killpg(pgid, 0) finds them too, and a
    full-suite run showed them 'outliving' the crawl, their parent the test process (a child
    subreaper)."""
    running = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:      # field 5 of stat: the process group
            running.append((entry, fields))
    return running


def _group_left(pgid: int, wait: float = 30.0) -> str:
    """The processes of the group still running after `wait` s (workers, forkserver, resource
    tracker), listed with parent, state, wait channel and command, killed then; "" when every one
    exited. The listing says which link of the exit chain held on."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not _group_running(pgid):
            return ""
        time.sleep(0.1)
    listing = ""
    for pid, fields in _group_running(pgid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:200]
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            continue
        listing += f"pid {pid} ppid {fields[1]} state {fields[0]} wchan {wchan}: {args.decode(errors='replace')}\n"
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return ""
    return listing or "(the group ended while it was listed)"


def test_kill_9_mid_crawl_loses_nothing(tmp_path):
    out = tmp_path / "out"
    with RawServer(routes=slow_site(60)) as server:
        cmd = scrapy_crawl_cmd(server.base_url, out, CONCURRENT_REQUESTS_PER_DOMAIN="2",
                               EXTRACT_WORKERS="2")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=scrapy_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        articles = out / "articles.jsonl"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if held_count(out) >= 5:   # articles are held until the crawl ends (pipelines.held)
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the crawl ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)                   # the crawl process only, as the OOM killer
        proc.wait()
        left = _group_left(proc.pid)
        assert not left, f"extraction workers outlived the killed crawl:\n{left}"
        held_before = held_count(out)
        assert held_before >= 5
        assert not articles.exists()                          # no line before the crawl's end
        assert list(out.glob("*.warc.gz.open")), "the killed crawl left no open WARC"

        second = subprocess.run(scrapy_crawl_cmd(server.base_url, out), cwd=ROOT, env=scrapy_env(),
                                capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr[-3000:]
    assert json.loads((out / "stats.json").read_text())["warc/recovered_files"] == 1
    assert not list(out.glob("*.open"))
    warcs = sorted(out.glob("*.warc.gz"))
    assert len(warcs) >= 2
    check = warcio_check(*warcs)
    assert check.returncode == 0, check.stdout + check.stderr
    check = subprocess.run([sys.executable, "-m", "scrapy", "warc-check", *map(str, warcs)],
                           cwd=ROOT, env=scrapy_env(), capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Continuing the unfinished run" in second.stderr                  # the killed run's held articles carried on
    lines = articles.read_text("utf-8").splitlines()
    urls = [json.loads(line)["url"] for line in lines]       # every line is whole JSON
    assert len(urls) == len(set(urls))
    assert {f"{server.base_url}{A}slow-story-number-{i}" for i in range(60)} <= set(urls)
    # Each article's WARC pointer leads to a record in a finalized file.
    names = {p.name for p in warcs}
    for line in lines:
        assert json.loads(line)["warc"]["filename"] in names


# --- damaged state left in OUTPUT_DIR by an earlier run ---------------------------------------

def test_corrupt_dedupe_state_is_a_one_line_error(tmp_path):
    (tmp_path / "dedupe.sqlite3").write_bytes(b"not a database " * 100)
    proc = subprocess.run(scrapy_crawl_cmd("http://127.0.0.1:9", tmp_path), cwd=ROOT, env=scrapy_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == \
        f"error: cannot open dedupe state {tmp_path}/dedupe.sqlite3: file is not a database"
    assert "Traceback" not in proc.stderr


def test_articles_file_that_cannot_be_written_is_a_one_line_error(tmp_path):
    (tmp_path / "articles.jsonl").mkdir()
    proc = subprocess.run(scrapy_crawl_cmd("http://127.0.0.1:9", tmp_path), cwd=ROOT, env=scrapy_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == \
        f"error: ARTICLES_FILE '{tmp_path}/articles.jsonl' is not a writable file"


def test_corrupt_digest_index_still_archives_everything(tmp_path):
    (tmp_path / "warc-digests.sqlite3").write_bytes(b"not a database " * 100)
    (tmp_path / "crawl-20200101000000000-00000-x.warc.gz.open").write_bytes(b"garbage" * 100)
    with RawServer(routes=slow_site(3, pause=0)) as server:
        proc = subprocess.run(scrapy_crawl_cmd(server.base_url, tmp_path, WARC_DIGEST_INDEX="sqlite"),
                              cwd=ROOT, env=scrapy_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["warc/digest_index_errors"] == 1 and "warc/write_errors" not in stats
    assert stats["warc/response_records"] == 5                  # robots.txt, home, 3 articles
    assert len(read_jsonl(tmp_path / "articles.jsonl")) == 3
    assert not list(tmp_path.glob("*.open"))                    # the garbage .open: nothing to keep
    assert "no whole record in it" in proc.stderr


def test_digest_index_failing_mid_run_loses_no_record(tmp_path):
    from archives.writer import WarcWriter

    class Failing:
        def lookup(self, digest):
            raise sqlite3.OperationalError("database is locked")

        add = close = lookup

    with WarcWriter(tmp_path, digest_index=Failing(), cdxj=False) as writer:
        for i in range(2):
            capture = writer.write_exchange(
                url=f"http://example.com/{i}", request_head=b"GET / HTTP/1.1\r\n\r\n",
                response_head=b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", response_body=b"same")
            assert not capture.is_revisit
    (warc,) = tmp_path.glob("*.warc.gz")
    with open(warc, "rb") as fh:
        kinds = [r.rec_type for r in ArchiveIterator(fh)]
    assert kinds == ["warcinfo", "response", "request", "response", "request"]


def test_a_failed_metadata_record_does_not_drop_the_article(tmp_path):
    from scrapy.utils.test import get_crawler

    from crawler.archiving import warc_archive
    from crawler.items import ArticleItem
    from pipelines.warc import WarcMetadataPipeline

    from crawler import settings as project

    values = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    crawler = get_crawler(settings_dict={**values, "OUTPUT_DIR": str(tmp_path), "WARC_CDXJ": False})
    writer = warc_archive(crawler).writer
    capture = writer.write_exchange(url="http://example.com/a", request_head=b"GET /a HTTP/1.1\r\n\r\n",
                                    response_head=b"HTTP/1.1 200 OK\r\n\r\n", response_body=b"<p>x</p>")
    writer.close()                       # write_metadata now raises, as on a failing disk
    item = ArticleItem(url="http://example.com/a", canonical_url="http://example.com/a", title="A",
                       warc=capture.response.as_meta())
    assert WarcMetadataPipeline.from_crawler(crawler).process_item(item) is item
    assert crawler.stats.get_value("warc/metadata_errors") == 1
