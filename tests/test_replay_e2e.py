"""Archive once, crawl again and again: a replay of the demo site's WARCs, with the site stopped,
gives the live crawl's JSON items, and `scrapy reextract` of the same WARCs gives them too."""

from __future__ import annotations

import json
import socket

import pytest

from archives.reader import iter_records
from tests.conftest import crawl, run_scrapy
from tests.tools import read_jsonl

FETCH_TIME = ("fetched_at",)


def items_of(path) -> list[dict]:
    return sorted(read_jsonl(path), key=lambda r: r["url"])


def without(rows, fields=FETCH_TIME):
    return [{k: v for k, v in row.items() if k not in fields} for row in rows]


def stats_of(out_dir) -> dict:
    """The crawl's stats, as the run report (crawler.runreport) keeps them."""
    return json.loads((out_dir / "report.json").read_text(encoding="utf-8"))["stats"]


# One request at a time: the order does not change which page of a duplicate group is kept
# (tests/test_determinism.py crawls and replays at 16 at once), only how long this takes.
SERIAL = {"CONCURRENT_REQUESTS": "1"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from demosite import DemoSite

    live_dir = tmp_path_factory.mktemp("live")
    replay_dir = tmp_path_factory.mktemp("replay")
    site = DemoSite().start()
    try:
        base = site.base_url
        live = crawl(base, live_dir, settings=SERIAL)
        assert live.returncode == 0, live.stderr[-3000:]
    finally:
        site.stop()
    host, port = base.split("//")[1].rstrip("/").split(":")
    with pytest.raises(ConnectionRefusedError):  # the site is really gone
        socket.create_connection((host, int(port)), timeout=2).close()
    replay = crawl(base, replay_dir, settings={**SERIAL, "REPLAY_WARC": str(live_dir)})
    assert replay.returncode == 0, replay.stderr[-3000:]
    return {"base": base, "live_dir": live_dir, "replay_dir": replay_dir, "live": live,
            "replay": replay, "tmp": tmp_path_factory}


def test_replay_gives_the_live_items(runs):
    live = items_of(runs["live_dir"] / "articles.jsonl")
    replayed = items_of(runs["replay_dir"] / "articles.jsonl")
    assert len(live) >= 10
    assert without(replayed) == without(live)
    # Each item points at the very record the live crawl archived it from.
    assert [r["warc"] for r in replayed] == [r["warc"] for r in live]


def test_replay_answered_everything_from_the_archive(runs):
    stats = stats_of(runs["replay_dir"])
    assert stats["replay/hit"] > 0
    assert stats.get("replay/miss", 0) == 0, runs["replay"].stderr[-3000:]
    assert stats.get("replay/unreadable", 0) == 0
    assert "not in the archive" not in runs["replay"].stderr


def test_replay_archives_no_exchange_again(runs):
    types = {r.type for r in iter_records([runs["replay_dir"]], payload=False)}
    assert not types & {"response", "revisit", "request"}


def test_reextract_of_the_live_warcs_gives_the_live_items(runs):
    out = runs["tmp"].mktemp("reextract") / "articles.jsonl"
    result = run_scrapy("reextract", str(runs["live_dir"]), "-O", str(out), "-s", "EXTRACT_WORKERS=2")
    assert result.returncode == 0, result.stderr[-3000:]
    # reextract runs the crawl's dedupe: the same stories, the same page of each kept
    assert without(items_of(out)) == without(items_of(runs["live_dir"] / "articles.jsonl"))


def test_warc_check_passes_the_live_warcs(runs):
    result = run_scrapy("warc-check", str(runs["live_dir"]))
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith(" ok, 0 bad, 0 problem(s)")
