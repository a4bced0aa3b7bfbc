"""Fault injection: hostile servers on 127.0.0.1, one crawl of them all, one test per fault.

Five raw-socket servers (tests/rawserver.py), each its own host for robots.txt: a main site
whose pages fail in every way a network and a server can (reset mid-body, read timeout,
drip, 503 then 200, gzip bombs as HTML and as sitemap, entity bombs and XXE in sitemaps,
a cross-host redirect, a 30 MB page), and four hosts whose robots.txt answers 503, never answers, 404,
or is 2 MB. The crawl runs once (module fixture) under a process-tree RSS probe; the
tests then read its stats, log, WARCs and the servers' request logs. Faults that
tests/test_robustness.py already covers (loops, binary as HTML, bad charsets, hostile
URLs, malformed feeds, 5 MB of nested divs) are not repeated here.

Every test also rests on three checks of the whole run: no traceback in the log, the
WARCs pass `scrapy warc-check` and `warcio check`, and the peak RSS stays under 600 MB.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import ROOT, scrapy_env
from tests.hostile import MIB, gzip_members, run_measured
from tests.rawserver import RawServer, Route, _head
from tests.rawserver import ARTICLE_PREFIX as A
from tests.rawserver import article_html, ok, redirect, scrapy_crawl_cmd
from tests.tools import read_jsonl, warcio_check

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
RSS_BOUND_MB = 600
BOMB = 1024 * MIB          # what the HTML and sitemap gzip bombs inflate to

RESET = f"{A}connection-reset-mid-body"
DRIP = f"{A}body-dripped-slower-than-the-timeout"
STALL = f"{A}head-then-silence"
FLAKY = f"{A}server-error-then-success"
SHORT = f"{A}body-shorter-than-content-length"
HTML_BOMB = f"{A}gzip-bomb-page"
AFTER_BOMB = f"{A}story-after-the-bomb"
CROSS = f"{A}redirect-to-another-host"
LANDING = f"{A}landed-on-another-host"
LISTED = [f"{A}sitemap-story-{i}" for i in range(4)]
EVIL = "evil-entity-target"
LATE = f"{A}late-disallowed-story"    # disallowed only past the first 500 KiB of robots.txt
PRIVATE = "/private/story"
HUGE = "/a-thirty-megabyte-page"
OVER_CAP = "/a-body-announced-past-the-download-cap"
HEADER_FLOOD = "/a-head-of-endless-header-lines"


def main_routes(base: str, other: str) -> dict[str, Route]:
    r = {}
    r["/robots.txt"] = Route(ok(b"User-agent: *\nAllow: /\nSitemap: /sitemap-entities.xml\n"
                                b"Sitemap: /sitemap-bomb.xml.gz\n", "text/plain"))
    links = [RESET, DRIP, STALL, FLAKY, SHORT, HTML_BOMB, AFTER_BOMB, CROSS, HUGE, OVER_CAP, HEADER_FLOOD]
    anchors = "".join(f'<a href="{link}">{i}</a>' for i, link in enumerate(links))
    r["/"] = Route(ok(f"<html><head><title>Front</title></head><body>{anchors}</body></html>".encode()))
    page = article_html("Reset mid body", 1)
    # A pause before the reset: a RST discards what the client has not read yet.
    r[RESET] = Route([_head("HTTP/1.1 200 OK", [("Content-Type", "text/html"),
                                                ("Content-Length", str(len(page)))]),
                      page[:len(page) // 2], b""], pause=1.0, reset=True)
    page = article_html("Dripped too slowly", 2)
    head = _head("HTTP/1.1 200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(page)))])
    r[DRIP] = Route([head] + [page[i:i + 100] for i in range(0, len(page), 100)], pause=0.5)
    r[STALL] = Route([_head("HTTP/1.1 200 OK", [("Content-Type", "text/html"), ("Content-Length", "5000")]),
                      b"<html>", b"never"], pause=60)
    r[FLAKY] = Route(ok(b"<h1>busy</h1>", extra=[("Retry-After", "0")]),
                     then=Route(ok(article_html("Served on the second try", 3))))
    r[FLAKY].segments[0] = r[FLAKY].segments[0].replace(b"200 OK", b"503 Service Unavailable")
    page = article_html("Shorter than announced", 4)
    r[SHORT] = Route([_head("HTTP/1.1 200 OK", [("Content-Type", "text/html"),
                                                ("Content-Length", str(len(page) + 4000))]),
                      page], close=True)
    r[HTML_BOMB] = Route(ok(gzip_members(BOMB, b" "), extra=[("Content-Encoding", "gzip")]))
    r[AFTER_BOMB] = Route(ok(article_html("Story after the bomb", 5)))
    r[CROSS] = Route(redirect(f"{other}{LANDING}"))
    paragraph = b"<p>" + b"A long page of plain paragraphs without links. " * 20 + b"</p>\n"
    r[HUGE] = Route(ok(b"<html><body>" + paragraph * (30 * MIB // len(paragraph)) + b"</body></html>"))
    # Announces 100 MiB, then stalls: a crawl that waited for it would hold the whole body in memory.
    r[OVER_CAP] = Route([_head("HTTP/1.1 200 OK", [("Content-Type", "text/html"),
                                                   ("Content-Length", str(100 * MIB))]), b"<html>", b""], pause=60)
    # 300 KiB of header lines, each short enough for Twisted (a server can send them forever).
    flood = [("X-Pad-%d" % i, "p" * 1000) for i in range(300)]
    r[HEADER_FLOOD] = Route(ok(article_html("Behind a flood of headers", 6), extra=flood))
    for i, path in enumerate(LISTED):
        r[path] = Route(ok(article_html(f"Sitemap story {i}", 10 + i)))
    # Entities: a billion laughs, an external entity (XXE) and an entity inside a <loc>.
    laughs = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    entries = [f"<url><loc>{base}{LISTED[0]}</loc></url>",
               f"<url><loc>{base}{A}&l9;</loc></url>",
               f"<url><loc>{base}{LISTED[1]}</loc></url>",
               f"<url><loc>{base}{A}&xxe;</loc></url>",
               f"<url><loc>{base}{LISTED[2]}</loc></url>",
               f"<url><loc>{base}{A}&evil;</loc></url>",
               f"<url><loc>{base}{LISTED[3]}?a=1&amp;b=2</loc></url>"]
    doc = (f'<?xml version="1.0"?><!DOCTYPE urlset [{laughs}<!ENTITY xxe SYSTEM "file:///etc/passwd">'
           f'<!ENTITY evil "{EVIL}">]><urlset xmlns="{NS}">{"".join(entries)}</urlset>')
    r["/sitemap-entities.xml"] = Route(ok(doc.encode(), "application/xml"))
    entry = f"<url><loc>{base}{LISTED[0]}</loc></url>".encode()
    bomb = gzip.compress(f'<?xml version="1.0"?><urlset xmlns="{NS}">'.encode()) + gzip_members(BOMB, entry)
    r["/sitemap-bomb.xml.gz"] = Route(ok(bomb, "application/gzip"))
    return r


def robots_host(robots: Route, pages: list[str]) -> dict[str, Route]:
    r = {"/robots.txt": robots}
    anchors = "".join(f'<a href="{p}">{p}</a>' for p in pages)
    r["/"] = Route(ok(f"<html><body>{anchors}</body></html>".encode()))
    for i, path in enumerate(pages):
        r[path] = Route(ok(article_html(f"Robots host story {i}", 40 + i)))
    return r


def huge_robots() -> bytes:
    head = f"User-agent: *\nDisallow: {PRIVATE}\n".encode()
    filler = b"".join(b"Allow: /filler-%07d\n" % i for i in range(100_000))   # ~2 MB
    return head + filler + f"Disallow: {LATE}\n".encode()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("faults")
    servers = {name: RawServer(routes={}).start()
               for name in ("main", "other", "r503", "rtimeout", "r404", "rhuge")}
    main, other = servers["main"], servers["other"]
    main.routes.update(main_routes(main.base_url, other.base_url))
    other.routes.update({"/robots.txt": Route(ok(b"User-agent: *\nAllow: /\n", "text/plain")),
                         LANDING: Route(ok(article_html("Landed on another host", 30)))})
    story = [f"{A}robots-story"]
    servers["r503"].routes.update(robots_host(Route(ok(b"busy", "text/plain")), story))
    servers["r503"].routes["/robots.txt"].segments[0] = \
        servers["r503"].routes["/robots.txt"].segments[0].replace(b"200 OK", b"503 Service Unavailable")
    servers["rtimeout"].routes.update(robots_host(Route([]), story))          # never answers
    servers["r404"].routes.update(robots_host(
        Route([_head("HTTP/1.1 404 Not Found", [("Content-Length", "26")]), b"User-agent: *\nDisallow: /\n"]),
        story))
    servers["rhuge"].routes.update(robots_host(Route(ok(huge_robots(), "text/plain")),
                                               [PRIVATE, LATE, f"{A}ordinary-story"]))
    starts = [main.base_url] + [servers[n].base_url for n in ("r503", "rtimeout", "r404", "rhuge")]
    # Timeouts long enough for a loaded machine, short enough to trip on the stalled pages.
    # An unreachable robots.txt is asked once here (its retries: tests/test_robots_retry.py).
    cmd = scrapy_crawl_cmd(starts[0], out, ROBOTSTXT_TIMEOUT="3", EXTRACT_WORKERS="2",
                           DOWNLOAD_TIMEOUT="6", RETRY_TIMES="2", ROBOTSTXT_RETRY_TIMES="0")
    cmd[cmd.index(f"urls={starts[0]}/")] = "urls=" + ",".join(f"{s}/" for s in starts)
    try:
        proc, peak = run_measured(cmd, cwd=ROOT, env=scrapy_env(), timeout=300)
    finally:
        for server in servers.values():
            server.stop()
    records = []
    for path in sorted(out.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    headers = dict(record.rec_headers.headers)
                    headers["status"] = record.http_headers.get_statuscode()
                    records.append((record.rec_headers.get_header("WARC-Target-URI"), headers,
                                    record.raw_stream.read()))
    return {
        "out": out, "proc": proc, "peak": peak, "servers": servers,
        "stats": json.loads((out / "stats.json").read_text()),
        "items": {i["url"]: i for i in read_jsonl(out / "articles.jsonl", missing_ok=True)},
        "records": records,
        "requested": {name: [p for p, _raw in s.requests] for name, s in servers.items()},
    }


def responses(run, server: str, path: str) -> list[tuple[dict, bytes]]:
    """(WARC headers plus the HTTP "status", payload as archived) of each response record."""
    url = run["servers"][server].base_url + path
    return [(headers, body) for uri, headers, body in run["records"] if uri == url]


def test_crawl_ends_normally_without_tracebacks_within_the_memory_bound(run):
    proc = run["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[proc.stderr.index("Traceback") - 1500:][:5000]
    assert run["stats"]["finish_reason"] == "finished"
    assert run["peak"] < RSS_BOUND_MB, f"peak RSS of the crawl's process tree {run['peak']:.0f} MB"


def test_archive_passes_warc_check_and_warcio_check(run):
    warcs = [str(p) for p in sorted(run["out"].glob("*.warc.gz"))]
    check = subprocess.run([sys.executable, "-m", "scrapy", "warc-check", *warcs], cwd=ROOT, env=scrapy_env(),
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    check = warcio_check(*warcs)
    assert check.returncode == 0, check.stdout + check.stderr


def test_connection_reset_mid_body_is_archived_truncated_and_retried(run):
    got = responses(run, "main", RESET)
    assert run["requested"]["main"].count(RESET) == 3                       # tried, retried twice
    sent = run["servers"]["main"].routes[RESET].segments[1]
    assert got                                                              # (a very late read can lose one to the RST)
    for headers, body in got:                  # (on a loaded machine a read may time out first)
        assert headers["WARC-Truncated"] in ("disconnect", "time")
        assert sent.startswith(body)                                        # what arrived, no more
    assert any(h["WARC-Truncated"] == "disconnect" and body for h, body in got)
    assert run["stats"]["warc/truncated_records/disconnect"] >= 1
    assert run["servers"]["main"].base_url + RESET not in run["items"]


def test_read_timeout_and_drip_are_archived_truncated_by_time(run):
    full = article_html("Dripped too slowly", 2)
    for path in (DRIP, STALL):
        got = responses(run, "main", path)
        assert got and run["requested"]["main"].count(path) >= len(got), path
        for headers, payload in got:
            assert headers["WARC-Truncated"] == "time"
            if path == DRIP:                                 # what had arrived, no more
                assert full.startswith(payload) and len(payload) < len(full)
    assert run["stats"]["warc/no_response/DownloadTimeoutError"] >= 6
    assert run["stats"]["warc/truncated_records/time"] >= 2


def test_short_body_is_archived_truncated_never_an_article(run):
    got = responses(run, "main", SHORT)
    assert got and all(h["WARC-Truncated"] in ("disconnect", "time") for h, _b in got)
    assert any(h["WARC-Truncated"] == "disconnect" for h, _b in got)
    assert run["servers"]["main"].base_url + SHORT not in run["items"]


def test_server_error_then_success_archives_both_and_keeps_the_article(run):
    statuses = [headers["status"] for headers, _body in responses(run, "main", FLAKY)]
    assert statuses[0] == "503" and "200" in statuses
    assert run["items"][run["servers"]["main"].base_url + FLAKY]["title"] == "Served on the second try"


def test_gzip_bomb_page_is_archived_as_sent_counted_and_not_parsed(run):
    sent = run["servers"]["main"].routes[HTML_BOMB].segments[1]
    ((_headers, body),) = responses(run, "main", HTML_BOMB)
    assert body.endswith(sent)
    assert run["stats"]["httpcompression/too_large"] == 1
    base = run["servers"]["main"].base_url
    assert base + HTML_BOMB not in run["items"]
    assert run["items"][base + AFTER_BOMB]["title"] == "Story after the bomb"


def test_sitemap_entities_never_expand_and_entries_after_them_are_kept(run):
    requested = run["requested"]["main"]
    base = run["servers"]["main"].base_url
    for path in LISTED[:3]:
        assert path in requested and base + path in run["items"]
    assert f"{LISTED[3]}?a=1&b=2" in requested                          # &amp; is a plain '&'
    assert not any(EVIL in p or "passwd" in p or "ha" * 3 in p for p in requested)
    assert f"{A}" not in requested                                      # "http://base/A&e;" cut short
    assert run["stats"]["news/sitemap_skipped/entity"] == 3


def test_gzip_bomb_sitemap_is_cut_at_the_sitemap_limits(run):
    assert "/sitemap-bomb.xml.gz" in run["requested"]["main"]
    assert run["stats"]["news/sitemap_skipped/over_limit"] == 1         # read up to 50,000 entries


def test_huge_page_is_archived_whole_and_not_analysed(run):
    sent = run["servers"]["main"].routes[HUGE].segments[1]
    got = responses(run, "main", HUGE)       # (an attempt may time out on a loaded machine)
    assert len(sent) > 30 * MIB - 2000 and got[-1][1] == sent
    assert all(h.get("WARC-Truncated") == "time" and sent.startswith(b) for h, b in got[:-1])
    assert run["stats"]["extract/too_large"] == 1


def test_body_past_the_download_cap_is_cut_at_its_head_and_not_retried(run):
    # DOWNLOAD_MAXSIZE (64 MiB): the head is archived, marked, counted; the crawl goes on.
    got = responses(run, "main", OVER_CAP)
    assert [(h["WARC-Truncated"], h["status"], body) for h, body in got] == [("length", "200", b"")]
    assert run["requested"]["main"].count(OVER_CAP) == 1
    assert run["stats"]["warc/truncated_records/length"] == 1


def test_head_past_its_cap_drops_the_connection_and_the_crawl_goes_on(run):
    # 256 KiB (crawler.capture.MAX_HEAD_BYTES, Chromium's limit): nothing of it archived, counted.
    assert responses(run, "main", HEADER_FLOOD) == []
    assert run["requested"]["main"].count(HEADER_FLOOD) == 3            # retried as a failed download
    assert "response head larger than 262144 bytes" in run["proc"].stderr
    assert run["stats"]["news/failed_requests"] >= 1
    assert run["items"], "the crawl went on"


def test_cross_host_redirect_is_followed_with_the_other_hosts_robots(run):
    other = run["requested"]["other"]
    assert other.index("/robots.txt") < other.index(LANDING)
    assert responses(run, "main", CROSS) and responses(run, "other", LANDING)
    assert run["items"][run["servers"]["other"].base_url + LANDING]["title"] == "Landed on another host"


def test_robots_txt_5xx_or_no_answer_disallows_the_host(run):
    for name in ("r503", "rtimeout"):
        requested = run["requested"][name]
        assert requested == ["/robots.txt"], (name, requested)          # asked once, nothing else
    assert run["stats"]["robotstxt/unreachable"] == 2
    assert run["stats"]["robotstxt/unreachable_forbidden"] >= 2
    assert "robots.txt of 127.0.0.1" in run["proc"].stderr and "unreachable" in run["proc"].stderr
    assert responses(run, "r503", "/robots.txt")                         # the 503 is archived


def test_robots_txt_404_allows_everything(run):
    requested = run["requested"]["r404"]
    assert "/" in requested and f"{A}robots-story" in requested


def test_huge_robots_txt_is_parsed_up_to_its_cap(run):
    requested = run["requested"]["rhuge"]
    assert PRIVATE not in requested                                      # a rule in the first 500 KiB
    assert LATE in requested                                             # a rule past it is ignored
    assert f"{A}ordinary-story" in requested
    assert run["stats"]["robotstxt/capped"] == 1


def test_reextracting_the_hostile_archive_stays_within_the_memory_bound(run, tmp_path):
    out = tmp_path / "again.jsonl"
    cmd = [sys.executable, "-m", "scrapy", "reextract", str(run["out"]), "-O", str(out)]
    proc, peak = run_measured(cmd, cwd=ROOT, env=scrapy_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert peak < RSS_BOUND_MB, f"peak RSS of reextract {peak:.0f} MB"
    urls = {json.loads(line)["url"] for line in out.read_text().splitlines()}
    assert set(run["items"]) <= urls | {u for u, i in run["items"].items() if i.get("duplicate_of")}
    bomb = run["servers"]["main"].base_url + HTML_BOMB
    assert bomb not in urls and "decodes to more than 67108864 bytes" in proc.stderr
    assert "(EXTRACT_MAX_PAGE_SIZE)" in proc.stderr                    # the 30 MB page
