"""Replay crawls (REPLAY_WARC): a spider sees exactly what it saw live, and nothing goes on the wire.

The raw-socket server (tests/rawserver.py) serves odd heads, gzip, chunked, cp1252,
a 301, a 404, a 100-continue and a duplicate body (archived as a revisit). A
recording spider (defined here, run with `scrapy runspider` on this file) writes
what each callback received; the live run and the replay must match field for field.
"""

from __future__ import annotations

import hashlib
import json
import sys
import subprocess
from pathlib import Path

import pytest
import scrapy

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["odd", "gzip", "chunked", "cp1252", "moved", "missing", "dup", "lf", "continue",
         "split", "close"]


class RecordingSpider(scrapy.Spider):
    """Writes OUTPUT_DIR/seen.jsonl: everything a callback can observe of each response."""

    name = "recording"
    handle_httpstatus_list = [404]
    custom_settings = {"ITEM_PIPELINES": {}, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                       "RETRY_ENABLED": False}

    def __init__(self, urls: str = "", **kwargs):
        super().__init__(**kwargs)
        self.urls = [u for u in urls.split(",") if u]

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, errback=self.failed)

    def _write(self, row: dict) -> None:
        with open(Path(self.settings.get("OUTPUT_DIR")) / "seen.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, sort_keys=True) + "\n")

    def parse(self, response):
        self._write({
            "request_url": response.request.url, "url": response.url, "status": response.status,
            "class": type(response).__name__, "protocol": response.protocol,
            "headers": {k.decode("latin-1"): [v.decode("latin-1") for v in vs]
                        for k, vs in sorted(response.headers.items())},
            "body_sha1": hashlib.sha1(response.body).hexdigest(), "body_len": len(response.body),
            "text": response.text if isinstance(response, scrapy.http.TextResponse) else None,
            "encoding": getattr(response, "encoding", None),
            "redirect_urls": response.meta.get("redirect_urls"),
            "warc": response.meta.get("warc"), "warc_date": response.meta.get("warc_date"),
            "flags": [f for f in response.flags if not f.startswith("replay")],
            "ip_address": str(response.ip_address) if response.ip_address else None,
        })

    def failed(self, failure):
        self._write({"request_url": failure.request.url, "error": failure.type.__name__,
                     "message": str(failure.value)})

    def closed(self, reason):
        stats = self.crawler.stats.get_stats()
        (Path(self.settings.get("OUTPUT_DIR")) / "stats.json").write_text(
            json.dumps(stats, default=str, indent=1))


def run_spider(urls, out: Path, *settings: str) -> tuple[list[dict], dict, str]:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "scrapy", "runspider", __file__, "-a", f"urls={','.join(urls)}",
           "-s", f"OUTPUT_DIR={out}", "-s", "LOG_LEVEL=INFO"]
    for setting in settings:
        cmd += ["-s", setting]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = out / "seen.jsonl"
    rows = [json.loads(line) for line in seen.read_text().splitlines()] if seen.exists() else []
    rows.sort(key=lambda r: r["request_url"])
    return rows, json.loads((out / "stats.json").read_text()), proc.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from tests.rawserver import RawServer

    with RawServer() as server:
        live_dir = tmp_path_factory.mktemp("live")
        urls = [f"{server.base_url}/{p}" for p in PATHS]
        live, live_stats, _ = run_spider(urls, live_dir)
        yield {"server": server, "urls": urls, "live": live, "live_stats": live_stats,
               "warcs": live_dir, "tmp": tmp_path_factory}


def test_live_run_archived_everything(site):
    assert len(site["live"]) == len(PATHS)
    assert all("error" not in row for row in site["live"])
    assert site["live_stats"].get("warc/revisit_records", 0) >= 1  # /dup repeats /odd's body
    assert list(site["warcs"].glob("*.warc.gz"))


def test_replay_sees_exactly_what_the_live_crawl_saw(site):
    server = site["server"]
    before = len(server.requests)
    replay, stats, log = run_spider(site["urls"], site["tmp"].mktemp("replay"),
                                    f"REPLAY_WARC={site['warcs']}")
    assert len(server.requests) == before, "replay must not touch the network"
    for got, want in zip(replay, site["live"], strict=True):
        assert {k: v for k, v in got.items() if got.get(k) != want.get(k)} == \
            {k: v for k, v in want.items() if got.get(k) != want.get(k)}, got["request_url"]
    assert replay == site["live"]
    assert stats["replay/hit"] == len(PATHS) + 2  # + robots.txt + the redirect target
    assert stats.get("replay/miss", 0) == 0
    assert stats["replay/revisit"] >= 1
    assert stats["replay/status/301"] == 1
    assert "downloader/request_count" in stats


def test_replay_does_not_archive_again(site):
    out = site["tmp"].mktemp("replay-noarchive")
    run_spider(site["urls"][:3], out, f"REPLAY_WARC={site['warcs']}")
    assert not list(out.glob("*.warc.gz")) and not list(out.glob("*.open"))


def test_redirect_is_replayed_as_a_redirect(site):
    (moved,) = [r for r in site["live"] if r["redirect_urls"]]
    assert moved["url"].endswith("/moved-target")
    assert moved["redirect_urls"] == [f"{site['server'].base_url}/moved"]
    assert moved["warc"]["record_id"]  # the target's own record, not the 301's


@pytest.mark.parametrize("policy", ["404", "error"])
def test_misses_follow_replay_miss(site, policy):
    server = site["server"]
    before = len(server.requests)
    url = f"{server.base_url}/never-archived"
    rows, stats, log = run_spider([url, site["urls"][0]], site["tmp"].mktemp(f"miss{policy}"),
                                  f"REPLAY_WARC={site['warcs']}", f"REPLAY_MISS={policy}")
    assert len(server.requests) == before
    (row,) = [r for r in rows if r["request_url"] == url]
    if policy == "404":
        assert row["status"] == 404 and row["body_len"] == 0
    else:
        assert row["error"] == "ReplayMissError" and url in row["message"]
    assert stats["replay/miss"] == 1 and stats["replay/hit"] == 2  # robots.txt + the page
    # One summary line at INFO; the URLs themselves at DEBUG and in the stats (the run report)
    assert "1 URL(s) not in the archive" in log and f"\n  {url}" not in log
    assert stats["replay/miss_examples"] == [url]


def test_live_misses_are_fetched_and_archived(site):
    from archives.reader import iter_records

    server = site["server"]
    out = site["tmp"].mktemp("misslive")
    url = f"{server.base_url}/lf?fresh=1"
    before = len(server.requests)
    rows, stats, _ = run_spider([url, site["urls"][0]], out, f"REPLAY_WARC={site['warcs']}",
                                "REPLAY_MISS=live")
    assert [path for path, _ in server.requests[before:]] == ["/lf?fresh=1"]
    (row,) = [r for r in rows if r["request_url"] == url]
    assert row["status"] == 200 and row["text"] == "bare\n"
    assert stats["replay/live"] == 1
    archived = [r.target_uri for r in iter_records([out], payload=False) if r.type == "response"]
    assert archived == [url]


@pytest.mark.parametrize("setting, message", [
    ("REPLAY_WARC={missing}", "error: REPLAY_WARC: {missing}: no such file or directory"),
    ("REPLAY_MISS=maybe", "error: REPLAY_MISS must be one of 404, error, live, not 'maybe'"),
])
def test_bad_settings_are_one_line_errors(site, tmp_path, setting, message):
    from tests.conftest import run_scrapy

    missing = tmp_path / "nope"
    args = ["-s", f"REPLAY_WARC={site['warcs']}"] if setting.startswith("REPLAY_MISS") else []
    result = run_scrapy("crawl", "news", "-a", f"urls={site['urls'][0]}", "-s", f"OUTPUT_DIR={tmp_path}",
                        *args, "-s", setting.format(missing=missing))
    assert result.returncode == 2
    assert message.format(missing=missing) in result.stderr.splitlines()
    assert "Traceback" not in result.stderr
