"""kill -9 without JOBDIR (issue 17 item 7): the same command, restarted into the same OUTPUT_DIR
after each kill, ends with every story exactly once in articles.jsonl, the same stories (and the
same kept pages) as a crawl never interrupted."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

from pipelines.held import HELD_FILENAME, LOCK_FILENAME
from tests.conftest import LOOPBACK_SETTINGS, ROOT, crawl
from tests.dedupe_support import held_count

SETTINGS = dict(LOOPBACK_SETTINGS, CONCURRENT_REQUESTS_PER_DOMAIN="8", DOWNLOAD_DELAY="0.01")


def command(urls, out) -> list[str]:
    args = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={urls}", "-s", f"OUTPUT_DIR={out}"]
    for name, value in SETTINGS.items():
        args += ["-s", f"{name}={value}"]
    return args


def kill_when_held(urls, out, at_least: int) -> int:
    """Start the crawl, SIGKILL its whole process group once `at_least` articles are held;
    returns how many were held at the kill (0: the crawl ended first)."""
    proc = subprocess.Popen(command(urls, out), cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if held_count(out) >= at_least:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return held_count(out)
            time.sleep(0.02)
        return 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_kill_9_and_restart_emit_every_story_once(tmp_path):
    from demosite import DemoSite

    rng = random.Random(17)
    with DemoSite(synthetic_articles=120, seed=5) as site:
        reference = crawl(site.base_url, tmp_path / "reference", settings=SETTINGS)
        assert reference.returncode == 0, reference.stderr[-3000:]
        out = tmp_path / "out"
        held_at_kill = []
        for _kill in range(5):
            held_at_kill.append(kill_when_held(site.base_url, out, rng.randint(5, 100)))
        final = crawl(site.base_url, out, settings=SETTINGS)
    assert final.returncode == 0, final.stderr[-3000:]
    assert all(held_at_kill), f"a crawl ended before it was killed: {held_at_kill}"
    # each restart continued the killed run: what it held was not dropped (a kill can come
    # before the next crawl re-held anything, so the count only grows or stays)
    assert "Continuing the unfinished run" in final.stderr
    assert not (out / HELD_FILENAME).exists()
    assert not (out / LOCK_FILENAME).exists()    # the kills left it; the run that finished took it and removed it
    lines = (out / "articles.jsonl").read_text("utf-8").splitlines()
    articles = [json.loads(line) for line in lines]            # every line whole JSON
    counts = Counter(a["url"] for a in articles)
    assert max(counts.values()) == 1, [u for u, n in counts.items() if n > 1]
    assert len({a["canonical_url"] for a in articles}) == len(articles)
    expected = [json.loads(line) for line in (tmp_path / "reference" / "articles.jsonl").read_text().splitlines()]
    assert len(expected) >= 110
    assert [a["url"] for a in articles] == [a["url"] for a in expected]
    dup_urls = Counter(json.loads(line)["url"] for line in (out / "duplicates.jsonl").read_text().splitlines())
    assert max(dup_urls.values()) == 1
    assert set(dup_urls) == {json.loads(line)["url"] for line in
                             (tmp_path / "reference" / "duplicates.jsonl").read_text().splitlines()}
    assert not list(out.glob("*.open"))


def _story(words: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(["harbor", "council", "vote", "plan", "river", "budget", "school", "road",
                                "mayor", "storm", "bank", "jobs", "court", "fire", "rail", "park"])
                    for _ in range(words))


def test_held_pages_a_kill_left_undecided_are_published_once(tmp_path):
    """Run A is killed with three pages undecided: two copies of story X held but never
    recorded by the dedupe state (it commits in batches), story Z held and claimed but not
    linked; story Y done. Run B continues and is stopped by Ctrl-C before meeting anything
    again, so it publishes. Run C meets Y again and is killed between holding it and
    releasing it (Y is published: a duplicate); run D continues, is stopped at once and
    publishes; run E crawls every page again. One line per story in the end. Before
    settle_held, run E found X new (written twice) and run D published Y again."""
    from pipelines.dedupe.deduplicator import Deduplicator, hold_and_check, settle_held
    from pipelines.dedupe.pipeline import default_fingerprinter
    from pipelines.dedupe.store import SQLiteStore
    from pipelines.held import HeldArticles, Output, publish
    from pipelines.jsonl import JsonLinesFile

    base = "https://news.example"
    x_text, y_text, z_text = _story(300, 1), _story(300, 2), _story(300, 3)
    pages = [{"url": f"{base}/{name}", "canonical_url": f"{base}/{name}", "text": text}
             for name, text in (("x", x_text), ("x-copy", x_text), ("y", y_text), ("z", z_text))]
    for page in pages:
        page.update(title=page["url"], published=None, fetched_at="2024-01-01T00:00:00Z",
                    warc={"filename": "a.warc.gz", "offset": 0})
    x, x_copy, y, z = pages
    fpr = default_fingerprinter()
    store = SQLiteStore(tmp_path / "dedupe.sqlite3", commit_interval=0)
    held_path, articles = tmp_path / "articles-held.sqlite3", tmp_path / "articles.jsonl"

    def output():
        return Output(JsonLinesFile(articles), JsonLinesFile(tmp_path / "duplicates.jsonl"))

    def hold_only(held, page):         # killed after the hold, before anything else
        fp = fpr.fingerprint(page["text"])
        held.hold(page, page["canonical_url"], fp.digest, fpr.to_bytes(fp.signature))

    # run A
    held = HeldArticles(held_path)
    dedup = Deduplicator(store, fpr, run_id="A")
    hold_only(held, x)
    hold_only(held, x_copy)
    hold_and_check(dedup, held, dict(y))
    hold_only(held, z)
    assert dedup.check(z["canonical_url"], z["text"]).kind == "new"      # claimed; the link never came
    held.close()
    assert store.seen(x["canonical_url"]) is None and store.seen(x_copy["canonical_url"]) is None
    # run B: settles, then Ctrl-C before meeting anything: publishes
    held = HeldArticles(held_path)
    assert settle_held(Deduplicator(store, fpr, run_id="B"), held, articles) == (3, [])
    publish(held, output())
    assert sorted(a["url"] for a in map(json.loads, articles.read_text().splitlines())) == \
        [x["url"], y["url"], z["url"]]
    # run C: Y met again, killed between its hold and its release
    held = HeldArticles(held_path)
    hold_only(held, y)
    assert Deduplicator(store, fpr, run_id="C").check(y["canonical_url"], y["text"]).is_duplicate
    held.close()
    # run D: settles (Y released as a duplicate of the article published before), publishes
    held = HeldArticles(held_path)
    settled, released = settle_held(Deduplicator(store, fpr, run_id="D"), held, articles)
    assert settled == 1 and [(url, o.kind) for url, _c, o in released] == [(y["url"], "url")]
    publish(held, output())
    # run E: every page met again: nothing new
    held = HeldArticles(held_path)
    dedup = Deduplicator(store, fpr, run_id="E")
    assert [hold_and_check(dedup, held, dict(page))[1] for page in pages] == [False] * 4
    publish(held, output())
    lines = [json.loads(line) for line in articles.read_text("utf-8").splitlines()]
    assert sorted(line["url"] for line in lines) == [x["url"], y["url"], z["url"]]   # one line per story
