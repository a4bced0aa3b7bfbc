"""Extraction pool benchmark: our pool against pebble's, and `scrapy reextract` against bare trafilatura.

Two questions of issue 20 / issue 14, on real pages (the WCXB development split, the ScrapingHub
benchmark and the fundus pages of the shared corpus, as bench/extract_bench.py loads them):

1. Does crawler.extraction.workerpool (event-loop driven, crash-safe, per-task timeout) still
   earn its lines against a maintained pool with the same guarantees, pebble.ProcessPool
   (`schedule(..., timeout=)`; a task whose worker dies fails alone)? Both run the crawl's worker
   task (crawler.extraction.worker.analyze) on the same pages, --workers processes forked from
   the same preloaded forkserver, at most 4 pages per worker in flight, a 120 s timeout.
   Measured: wall seconds and the driving process's CPU seconds (the pool's own overhead).
2. `scrapy reextract` (articles only, EXTRACT_WORKERS=--workers) over a WARC of the pages, against
   bare `trafilatura.extract` in one process (a fresh one: it imports trafilatura only, so nothing
   of ours patches or warms it) on the same pages already decoded in memory. reextract's time is
   its whole command line: start-up, WARC reading, dedupe, output.

The machine is shared and noisy: every measurement alternates (ours, pebble, ours, pebble, ...;
bare, reextract, bare, reextract, ...) for --rounds rounds, and the figures are the medians of
the per-round ratios, with the load average printed beside them.
Run: `.venv/bin/python -m bench.pool_bench [--corpus DIR] [--limit N] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import extract_bench, wcxb  # noqa: E402
from crawler.extraction import worker  # noqa: E402
from crawler.extraction.workerpool import WorkerPool  # noqa: E402

WINDOW_PER_WORKER = 4
TIMEOUT = 120.0
PRELOAD = "crawler.extraction.preload"

_BARE = """
import pickle, sys, time
import trafilatura
pages = pickle.load(open(sys.argv[1], "rb"))
trafilatura.extract("<html><body><p>warm up</p></body></html>")
wall, cpu = time.perf_counter(), time.process_time()
for body, url in pages:
    trafilatura.extract(body.decode("utf-8"))
print(time.perf_counter() - wall, time.process_time() - cpu)
"""


def ours(pages, workers: int) -> tuple[float, float, int]:
    """(wall s, driver CPU s, failures) through crawler.extraction.workerpool on asyncio."""
    pool = WorkerPool(workers, preload=(PRELOAD,))

    async def run():
        window, failed = collections.deque(), 0
        for body, url in pages:
            window.append(pool.submit(worker.analyze, body, url, "utf-8", timeout=TIMEOUT))
            while len(window) >= WINDOW_PER_WORKER * workers or (window and window[0].done()):
                try:
                    await window.popleft()
                except Exception:
                    failed += 1
        for future in window:
            try:
                await future
            except Exception:
                failed += 1
        return failed

    wall, cpu = time.perf_counter(), time.process_time()
    try:
        pool.start()
        failed = asyncio.run(run())
    finally:
        pool.close()
    return time.perf_counter() - wall, time.process_time() - cpu, failed


def pebble_pool(pages, workers: int) -> tuple[float, float, int]:
    """The same through pebble.ProcessPool (futures, a manager thread, pipes per worker)."""
    import pebble

    context = multiprocessing.get_context("forkserver")
    window, failed = collections.deque(), 0
    wall, cpu = time.perf_counter(), time.process_time()
    with pebble.ProcessPool(max_workers=workers, context=context) as pool:
        for body, url in pages:
            window.append(pool.schedule(worker.analyze, args=(body, url, "utf-8"), timeout=TIMEOUT))
            while len(window) >= WINDOW_PER_WORKER * workers:
                try:
                    window.popleft().result()
                except Exception:
                    failed += 1
        for future in window:
            try:
                future.result()
            except Exception:
                failed += 1
    return time.perf_counter() - wall, time.process_time() - cpu, failed


def bare(pages_file: Path) -> tuple[float, float]:
    """(wall s, CPU s) of bare trafilatura over the pages, in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _BARE, str(pages_file)], capture_output=True, text=True,
                          check=True)
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


def reextract(warcs: Path, out: Path, workers: int) -> tuple[float, float, str]:
    """(wall s, CPU s with the workers', summary line) of one `scrapy reextract` run."""
    run = extract_bench.run_reextract(warcs, out, all_pages=False, workers=workers)
    return run.seconds, run.cpu, run.summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None,
                        help="the shared corpus folder (default: shared/corpus beside the repo or a parent)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N ScrapingHub and WCXB pages")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-pebble", action="store_true")
    parser.add_argument("--skip-reextract", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "pool.json")
    args = parser.parse_args(argv)
    try:
        pages = extract_bench.load_pages(args.corpus or wcxb.default_corpus(), args.limit, with_wcxb=True)
    except (FileNotFoundError, NotADirectoryError) as exc:
        print(f"error: corpus not found: {exc} (give --corpus)", file=sys.stderr)
        return 2
    plain = [(p.body, p.url) for p in pages]
    n = len(plain)
    print(f"{n} pages ({sum(len(b) for b, _ in plain) / 1e6:.0f} MB), {args.workers} workers, "
          f"{args.rounds} rounds, load average at start {os.getloadavg()[0]:.1f}")
    multiprocessing.get_context("forkserver").set_forkserver_preload([PRELOAD])
    from multiprocessing import forkserver
    forkserver.ensure_running()     # both pools fork from it: its start (imports, warm-up) is neither's
    result: dict = {"pages": n, "workers": args.workers, "rounds": args.rounds}

    if not args.skip_pebble:
        rows = []
        for round_ in range(args.rounds):
            a = ours(plain, args.workers)
            b = pebble_pool(plain, args.workers)
            rows.append({"ours": a, "pebble": b, "load": os.getloadavg()[0]})
            print(f"  round {round_ + 1}: ours {a[0]:.1f} s wall, {a[1]:.2f} s driver CPU ({a[2]} failed); "
                  f"pebble {b[0]:.1f} s wall, {b[1]:.2f} s driver CPU ({b[2]} failed); load {rows[-1]['load']:.1f}")
        speed = statistics.median(r["pebble"][0] / r["ours"][0] for r in rows)
        cpu = statistics.median(r["pebble"][1] / r["ours"][1] for r in rows)
        result["pool"] = {"rounds": rows, "pebble_over_ours_wall": speed, "pebble_over_ours_driver_cpu": cpu}
        print(f"pool: pebble's wall / ours: {speed:.2f}x, pebble's driving-process CPU / ours: {cpu:.2f}x "
              f"(medians of per-round ratios; > 1: ours is faster)")

    if not args.skip_reextract:
        with tempfile.TemporaryDirectory(prefix="pool-bench-") as tmp:
            tmp = Path(tmp)
            pages_file = tmp / "pages.pickle"
            pages_file.write_bytes(pickle.dumps(plain, protocol=pickle.HIGHEST_PROTOCOL))
            extract_bench.write_warcs(pages, tmp / "warcs")
            rows = []
            for round_ in range(args.rounds):
                bare_s, bare_cpu = bare(pages_file)
                re_s, re_cpu, summary = reextract(tmp / "warcs", tmp / "out.jsonl", args.workers)
                rows.append({"bare_seconds": bare_s, "bare_cpu_seconds": bare_cpu, "reextract_seconds": re_s,
                             "reextract_cpu_seconds": re_cpu, "summary": summary, "load": os.getloadavg()[0]})
                print(f"  round {round_ + 1}: bare trafilatura {n / bare_s:.1f} pages/s ({bare_s:.1f} s, "
                      f"{bare_cpu:.1f} s CPU), reextract {n / re_s:.1f} pages/s ({re_s:.1f} s, {re_cpu:.1f} s CPU "
                      f"with its workers'): {bare_s / re_s:.2f}x; load {rows[-1]['load']:.1f}")
            ratio = statistics.median(r["bare_seconds"] / r["reextract_seconds"] for r in rows)
            cpu = statistics.median(r["reextract_cpu_seconds"] / r["bare_cpu_seconds"] for r in rows)
            result["reextract"] = {"rounds": rows, "pages_per_s_ratio": ratio, "cpu_per_page_ratio": cpu}
            print(f"reextract (EXTRACT_WORKERS={args.workers}) / bare trafilatura in one process, pages/s: "
                  f"{ratio:.2f}x (median of per-round ratios; target >= 1.5); reextract's CPU per page "
                  f"(whole command, workers included): {cpu:.2f}x bare's\n  {rows[-1]['summary']}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
