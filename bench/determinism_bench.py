"""Issue 19 and issue 17 item 7 in figures: does the same site (or archive) give the same articles?

    .venv/bin/python bench/determinism_bench.py [--articles 300] [--seed 1] [--kills 12] [--out DIR]

On the bundled demo site with N generated articles (about 5% exact or near copies) plus its
hand-written URL-variant, exact and near duplicate groups (AMP twins are given as extra start
URLs, as the issue's crawls did), all on 127.0.0.1:
- two live crawls, 1 and 16 requests at once: articles kept, URLs kept by one and not the other;
- how many duplicate groups had their kept page arrive after another page of the group in the
  16-at-once crawl (where keeping the first arrival would have kept another page);
- a replay of the 16-at-once crawl's WARCs, 16 at once, with the site stopped: articles whose
  title, text, captions, authors and published equal the live ones, whole lines equal, files equal;
- `scrapy reextract` of the same WARCs: lines equal to the live articles.jsonl;
- kill -9 of the crawl's process group K times at random moments (no JOBDIR), restarting the same
  command into the same OUTPUT_DIR each time, then a last uninterrupted run: lines, distinct
  stories, stories emitted twice, stories missing against the uninterrupted 16-at-once crawl.

Prints a table and writes bench/results/determinism.json. Needs nothing outside the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archives.reader import iter_records  # noqa: E402
from crawler.urls import canonicalize_url  # noqa: E402
from pipelines.held import HELD_FILENAME  # noqa: E402

LOOPBACK = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO"}
SERIAL = {"CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "EXTRACT_WORKERS": "1"}
PARALLEL = {"CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "EXTRACT_WORKERS": "2"}
ITEM_FIELDS = ("title", "text", "captions", "authors", "published")


def command(urls: str, out: Path, settings: dict, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={urls}", "-s", f"OUTPUT_DIR={out}"]
    for name, value in {**LOOPBACK, **settings}.items():
        args += ["-s", f"{name}={value}"]
    return [*args, *extra]


def env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def run(args: list[str]) -> None:
    result = subprocess.run(args, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise SystemExit(f"error: {' '.join(args[:4])} failed:\n{result.stderr[-3000:]}")


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


def held_count(out: Path) -> int:
    path = out / HELD_FILENAME
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM held").fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_after(args: list[str], out: Path, delay: float) -> int:
    """Start the crawl, SIGKILL its process group after `delay` seconds; returns the articles
    held at the kill (None: the crawl ended first)."""
    proc = subprocess.Popen(args, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        proc.wait(timeout=delay)
        return None
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return held_count(out)


def late_kept_groups(directory: Path, articles: list[dict], duplicates: list[dict]) -> int:
    """Groups whose kept page was archived after another page of the group."""
    order = {}
    for record in iter_records([directory], payload=False):
        if record.type in ("response", "revisit") and record.target_uri not in order:
            order[record.target_uri] = len(order)
    members: dict[str, list[str]] = {}
    for d in duplicates:
        members.setdefault(d["duplicate_of"], []).append(d["url"])
    late = 0
    for a in articles:
        others = members.get(a["canonical_url"], [])
        if others and order.get(a["url"], -1) > min(order.get(u, 1 << 30) for u in others):
            late += 1
    return late


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--out", type=Path, default=None, help="work directory (default: a new temporary one)")
    opts = parser.parse_args()
    from demosite import DemoSite

    work = opts.out or Path(tempfile.mkdtemp(prefix="determinism-bench-"))
    dirs = {name: work / name for name in ("serial", "parallel", "replay", "reextract", "killed")}
    rng = random.Random(opts.seed)
    held_at_kills = []
    with DemoSite(synthetic_articles=opts.articles, seed=opts.seed) as site:
        base, expected = site.base_url, site.expected
        twins = [site.url(p) for g in expected["duplicate_groups"] if g["kind"] == "url"
                 for p in g["members"] if p.endswith("/amp")]
        urls = ",".join([base, *twins])
        took = {}
        for name, settings in (("serial", SERIAL), ("parallel", PARALLEL)):
            started = time.monotonic()
            run(command(urls, dirs[name], settings))
            took[name] = time.monotonic() - started
            print(f"{name} crawl: {took[name]:.1f} s", file=sys.stderr)
        for _ in range(opts.kills):       # at a random moment of a crawl as long as the 16-at-once one
            held_at_kills.append(kill_after(command(urls, dirs["killed"], PARALLEL), dirs["killed"],
                                            rng.uniform(1.0, took["parallel"])))
        run(command(urls, dirs["killed"], PARALLEL))
    host, port = base.split("//")[1].rstrip("/").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        raise SystemExit("error: the site still answers; the replay would not be offline")
    except OSError:
        pass
    run(command(urls, dirs["replay"], {**PARALLEL, "REPLAY_WARC": str(dirs["parallel"])}))
    dirs["reextract"].mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "scrapy", "reextract", str(dirs["parallel"]), "-O",
         str(dirs["reextract"] / "articles.jsonl"), "-s", "EXTRACT_WORKERS=2"])

    serial, parallel = lines(dirs["serial"] / "articles.jsonl"), lines(dirs["parallel"] / "articles.jsonl")
    replay, again = lines(dirs["replay"] / "articles.jsonl"), lines(dirs["reextract"] / "articles.jsonl")
    killed = lines(dirs["killed"] / "articles.jsonl")
    duplicates = lines(dirs["parallel"] / "duplicates.jsonl")
    live_by_url = {a["url"]: a for a in parallel}
    same_items = sum(1 for a in replay if a["url"] in live_by_url and
                     all(a.get(f) == live_by_url[a["url"]].get(f) for f in ITEM_FIELDS))
    groups = expected["duplicate_groups"]
    kept = {a["canonical_url"] for a in parallel}
    kept_per_group = [len({canonicalize_url(base.rstrip("/") + p) for p in g["members"]} & kept) for g in groups]
    killed_counts = Counter(a["url"] for a in killed)
    figures = {
        "articles_generated": opts.articles, "seed": opts.seed,
        "duplicate_groups_on_site": len(groups), "groups_with_exactly_one_kept": kept_per_group.count(1),
        "duplicates_recorded": Counter(d["kind"] for d in duplicates),
        "live_1_articles": len(serial), "live_16_articles": len(parallel),
        "live_urls_only_in_one": len({a["url"] for a in serial} ^ {a["url"] for a in parallel}),
        "live_lines_equal_but_fetch": [{k: v for k, v in a.items() if k not in ("fetched_at", "warc")} for a in serial]
        == [{k: v for k, v in a.items() if k not in ("fetched_at", "warc")} for a in parallel],
        "groups_kept_page_arrived_after_another": late_kept_groups(dirs["parallel"], parallel, duplicates),
        "replay_articles": len(replay), "replay_items_identical": same_items,
        "replay_lines_equal": replay == parallel,
        "replay_files_byte_equal": (dirs["replay"] / "articles.jsonl").read_bytes()
        == (dirs["parallel"] / "articles.jsonl").read_bytes()
        and (dirs["replay"] / "duplicates.jsonl").read_bytes() == (dirs["parallel"] / "duplicates.jsonl").read_bytes(),
        "reextract_articles": len(again), "reextract_lines_equal": again == parallel,
        "crawl_seconds": {k: round(v, 1) for k, v in took.items()},
        "kills": len(held_at_kills), "kills_before_the_end": sum(1 for h in held_at_kills if h is not None),
        "held_at_each_kill": held_at_kills,
        "killed_lines": len(killed), "killed_distinct_urls": len(killed_counts),
        "killed_emitted_twice": sum(1 for n in killed_counts.values() if n > 1),
        "killed_missing": len({a["url"] for a in parallel} - set(killed_counts)),
        "killed_extra": len(set(killed_counts) - {a["url"] for a in parallel}),
        "held_file_left": (dirs["killed"] / HELD_FILENAME).exists(),
    }
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {dict(value) if isinstance(value, Counter) else value}")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "determinism.json").write_text(json.dumps(figures, indent=1, default=dict) + "\n")


if __name__ == "__main__":
    main()
