"""A night the site is down, or answers robots.txt with a 5xx, is a failed job run; the next night recovers.

Such a crawl ends normally (`finished`) with nothing archived: the start URL's request
was refused, or RFC 9309 made it wait for a robots.txt that never came. Reported "ok",
nobody would notice a night missing from the archive. `scrapy jobs run` on a real local
server (stopped, then serving a 503 robots.txt, then the site) must say "failed" (exit 1)
twice, then archive the article once.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.conftest import LOOPBACK_SETTINGS, run_scrapy
from tests.rawserver import ARTICLE_PREFIX, RawServer, Route, _head, article_html, ok
from tests.tools import read_jsonl

ARTICLE = ARTICLE_PREFIX + "night-ferry.html"


def reserved_port() -> socket.socket:
    """A port bound but not listening: a connection to it is refused (the site is down), and no
    other process's socket can take it before the server opens there (a port merely found free
    was taken by another test's connection in a loaded full run: "Address already in use")."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def site_routes(robots_status: str) -> dict[str, Route]:
    robots = b"User-agent: *\nAllow: /\n"
    home = f'<html><body><h1>Gazette</h1><a href="{ARTICLE}">Night ferry</a></body></html>'.encode()
    return {
        "/robots.txt": Route([_head(f"HTTP/1.1 {robots_status}", [("Content-Type", "text/plain"),
                                                                  ("Content-Length", str(len(robots)))]), robots]),
        "/": Route(ok(home)),
        ARTICLE: Route(ok(article_html("Night ferry crossing resumes after the storm", 7))),
    }


def run_night(jobs_file: Path) -> tuple[int, dict, str]:
    result = run_scrapy("jobs", "run", "gazette", "--file", str(jobs_file))
    runs = sorted(p.parent for p in (jobs_file.parent / "archive").glob("*/manifest.json"))
    return result.returncode, json.loads((runs[-1] / "manifest.json").read_text()), result.stdout + result.stderr


def test_a_night_without_the_site_fails_and_the_next_recovers(tmp_path):
    reservation = reserved_port()
    port = reservation.getsockname()[1]
    settings = {**LOOPBACK_SETTINGS, "ROBOTSTXT_RETRY_TIMES": "0", "RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "5"}
    jobs_file = tmp_path / "jobs.toml"
    jobs_file.write_text(f'[jobs.gazette]\nurls = ["http://127.0.0.1:{port}/"]\nschedule = "0 3 * * *"\n'
                         f'output_dir = "archive"\nrevisit_window = "0"\n[jobs.gazette.settings]\n'
                         + "".join(f'{k} = "{v}"\n' for k, v in settings.items()), encoding="utf-8")

    # Night 1: nothing listens on the port.
    with reservation:
        code, manifest, out = run_night(jobs_file)
    assert (code, manifest["result"]) == (1, "failed"), out
    assert "site unreachable" in manifest["attempts"][-1]["failure"]
    assert manifest["counts"]["articles"] == 0

    # Night 2: the server is up but robots.txt answers 503 (RFC 9309: complete disallow).
    # One server for nights 2 and 3 (its routes changed between them): the port is never let go.
    with RawServer(routes=site_routes("503 Service Unavailable"), port=port) as server:
        code, manifest, out = run_night(jobs_file)
        assert (code, manifest["result"]) == (1, "failed"), out
        assert "robots.txt" in manifest["attempts"][-1]["failure"]
        assert [path for path, _ in server.requests] == ["/robots.txt"]

        # Night 3: the site is back; the article is archived and written, once.
        server.routes = site_routes("200 OK")
        code, manifest, out = run_night(jobs_file)
        assert (code, manifest["result"]) == (0, "ok"), out
        assert "failure" not in manifest["attempts"][-1]
        lines = [a["url"] for run in sorted((tmp_path / "archive").glob("*/articles.jsonl"))
                 for a in read_jsonl(run)]
        assert lines == [f"http://127.0.0.1:{port}{ARTICLE}"]
