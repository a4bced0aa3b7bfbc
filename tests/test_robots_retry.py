"""robots.txt unreachable, then reachable (issue 17, RFC 9309 section 2.3.1.4): the requests
held back while it failed are fetched, in the same run, once asking again finds it allowing
them; a robots.txt that keeps failing ends the crawl after ROBOTSTXT_RETRY_TIMES retries with
the requests dropped and counted. Real raw-socket servers on 127.0.0.1."""

from __future__ import annotations

import json

from tests.rawserver import ROBOTS, RawServer, Route, _head, crawl_rawsite
from tests.tools import read_records

UNAVAILABLE = [_head("HTTP/1.1 503 Service Unavailable", [("Content-Type", "text/plain"),
                                                          ("Content-Length", "5")]), b"busy\n"]
ALLOWING = [_head("HTTP/1.1 200 OK", [("Content-Type", "text/plain"),
                                      ("Content-Length", str(len(ROBOTS)))]), ROBOTS]   # Disallow: /private
PAGES = ["odd", "dup", "private"]


def _fetched(server: RawServer) -> list[str]:
    return [path for path, _raw in server.requests]


def _archived(out) -> set[str]:
    return {r.get("WARC-Target-URI") for warc in out.glob("*.warc.gz") for r in read_records(warc)
            if r.type in ("response", "revisit")}   # /dup has /odd's body: a revisit


def test_requests_held_while_robots_txt_fails_are_fetched_once_it_answers(tmp_path):
    with RawServer() as server:
        server.routes["/robots.txt"] = Route(UNAVAILABLE, then=Route(ALLOWING))
        stats = crawl_rawsite(server, tmp_path, "ROBOTSTXT_RETRY_AFTER=1", paths=PAGES)
        fetched = _fetched(server)
    # asked twice (503, then the rules); each allowed page once; /private never
    assert fetched.count("/robots.txt") == 2, fetched
    assert sorted(p for p in fetched if p != "/robots.txt") == ["/dup", "/odd"], fetched
    assert fetched.index("/robots.txt", 1) < fetched.index("/odd")     # only after the answer
    assert stats["robotstxt/unreachable"] == 1
    assert stats["robotstxt/retried"] == len(PAGES)        # every start request waited
    assert stats["robotstxt/forbidden"] == 1               # /private, by the rules that came
    assert stats.get("robotstxt/unreachable_forbidden", 0) == 0
    assert stats["robotstxt/waiting"] == 0
    seen = [json.loads(line)["url"] for line in (tmp_path / "seen.jsonl").read_text().splitlines()]
    assert sorted(seen) == [f"{server.base_url}/dup", f"{server.base_url}/odd"]
    assert {f"{server.base_url}/odd", f"{server.base_url}/dup"} <= _archived(tmp_path)


def test_robots_txt_that_keeps_failing_drops_its_requests_after_the_retries(tmp_path):
    with RawServer() as server:
        server.routes["/robots.txt"] = Route(UNAVAILABLE)          # 503 for ever
        stats = crawl_rawsite(server, tmp_path, "ROBOTSTXT_RETRY_AFTER=0.5", "ROBOTSTXT_RETRY_TIMES=2",
                              f"LOG_FILE={tmp_path / 'crawl.log'}", paths=PAGES)
        fetched = _fetched(server)
    assert fetched == ["/robots.txt"] * 3, fetched           # the first ask and two retries, nothing else
    assert stats["robotstxt/unreachable"] == 3
    assert stats["robotstxt/retried"] == 2 * len(PAGES)
    assert stats["robotstxt/unreachable_forbidden"] == len(PAGES)
    assert stats["robotstxt/waiting"] == 0
    assert not (tmp_path / "seen.jsonl").exists()
    # the last word promises no further ask (it said "... not fetched for 0 s, then asked again")
    warnings = [line for line in (tmp_path / "crawl.log").read_text().splitlines() if "unreachable (" in line]
    assert len(warnings) == 3 and "asked again" in warnings[0]
    assert "asked 3 times, still unreachable: its pages are not fetched" in warnings[-1]
    assert "asked again" not in warnings[-1]


def test_host_whose_name_does_not_resolve_is_not_waited_for(tmp_path):
    """A host name that does not resolve (.invalid never does, RFC 6761) cannot serve its pages
    either: its requests are dropped and counted at once, with the default 120 s retry, instead
    of holding the crawl open for the retries (which made every demo-site crawl with a link to a
    dead host last 4 minutes more). The other host is crawled as usual."""
    with RawServer() as server:
        server.routes["/robots.txt"] = Route(ALLOWING)
        stats = crawl_rawsite(server, tmp_path, paths=["odd"],
                              extra_urls=["http://nosuchhost.invalid/story"])
        fetched = _fetched(server)
    assert sorted(fetched) == ["/odd", "/robots.txt"], fetched
    assert stats["robotstxt/unreachable"] == 1
    assert stats["robotstxt/unreachable_forbidden"] == 1      # the .invalid page, dropped and counted
    assert stats.get("robotstxt/retried", 0) == 0


def test_robots_txt_past_the_download_cap_is_read_up_to_its_parse_cap(tmp_path):
    # RFC 9309: at least 500 KiB are parsed; the download stops there (ROBOTSTXT_MAX_SIZE),
    # so a robots.txt larger than DOWNLOAD_MAXSIZE is not cancelled and its host taken for
    # unreachable (complete disallow), nor held whole in memory.
    big = ROBOTS + b"".join(b"Allow: /filler-%07d\n" % i for i in range(100_000))     # ~2 MB
    with RawServer() as server:
        server.routes["/robots.txt"] = Route([_head("HTTP/1.1 200 OK", [
            ("Content-Type", "text/plain"), ("Content-Length", str(len(big)))]), big])
        stats = crawl_rawsite(server, tmp_path, "DOWNLOAD_MAXSIZE=1000000", "ROBOTSTXT_RETRY_TIMES=0",
                              paths=PAGES)
        fetched = _fetched(server)
    assert sorted(p for p in fetched if p != "/robots.txt") == ["/dup", "/odd"], fetched   # /private: Disallow
    assert stats["robotstxt/capped"] == 1
    assert stats.get("robotstxt/unreachable", 0) == 0
    robots = [r for warc in tmp_path.glob("*.warc.gz") for r in read_records(warc)
              if r.type == "response" and r.get("WARC-Target-URI").endswith("/robots.txt")]
    assert len(robots) == 1 and len(robots[0].block) < 1_000_000 < len(big)
