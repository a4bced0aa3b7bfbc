"""Distributed crawl scaling: 1, 2 and 3 `scrapy crawl` processes on one Redis frontier.

    .venv/bin/python -m bench.distributed_bench [--articles 300] [--processes 1,2,3] [--repeat 1]

Each run crawls a fresh demo site (`demosite`, N synthetic articles on top of the hand-written
ones) on 127.0.0.1 with politeness off (DOWNLOAD_DELAY=0, no AutoThrottle), the processes
started together with the same command line. Reported per run:

- wall: from starting the processes to the last one's exit (with Python start-up);
- crawl: from the first process's spider start to the last one's finish (stats files),
  less the idle wait before exit (FRONTIER_IDLE_TIMEOUT=0 here), and pages/s over it;
- share: each process's part of the pages;
- CPU per page: user + system time of the crawl processes (and their children) per page;
- Redis commands per page fetched, from `INFO commandstats` before and after the run: all
  commands (those the frontier's Lua scripts run inside Redis count too, as Redis counts them)
  and the EVALSHA calls among the clients' requests; the busiest commands are listed. With
  --frontier-only every count is run again with the article dedupe off: what the frontier
  alone costs (the dedupe store's near-duplicate index makes most of the rest).

A throwaway redis-server is started on 127.0.0.1 (tests/redis_server.py). Results go to
bench/results/distributed-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demosite import DemoSite  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402

def commandstats(server: redis.Redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(value["calls"])
            for name, value in server.info("commandstats").items()}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(redis_url: str, processes: int, articles: int, workdir: Path, *, dedupe: bool = True) -> dict:
    server = redis.Redis.from_url(redis_url)
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    out = workdir / f"{prefix}-out"
    settings = {"DISTRIBUTED": "True", "REDIS_URL": redis_url, "FRONTIER_REDIS_PREFIX": prefix,
                "DEDUPE_REDIS_PREFIX": prefix + ":dedupe", "FRONTIER_IDLE_TIMEOUT": "0",
                "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "EXTRACT_WORKERS": "1",
                "LOG_LEVEL": "WARNING", "OUTPUT_DIR": str(out), "DEDUPE_ENABLED": str(dedupe)}
    with DemoSite(synthetic_articles=articles, seed=1) as site:
        args = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={site.base_url}"]
        for name, value in settings.items():
            args += ["-s", f"{name}={value}"]
        before = commandstats(server)
        cpu = _children_cpu()
        started = time.monotonic()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        procs = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(workdir / f"{prefix}-{i}.log", "w"))
                 for i in range(processes)]
        codes = [p.wait(timeout=1800) for p in procs]
        wall = time.monotonic() - started
        cpu = _children_cpu() - cpu
        after = commandstats(server)
        requests = len(site.request_log)
    stats = [json.loads(p.read_text()) for p in sorted(out.glob("stats-*.json"))]
    pages = [int(s.get("downloader/response_count", 0)) for s in stats]
    start = min(datetime.fromisoformat(s["start_time"]) for s in stats)
    finish = max(datetime.fromisoformat(s["finish_time"]) for s in stats if s.get("finish_time"))
    crawl = (finish - start).total_seconds()
    calls = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    calls = {name: n for name, n in calls.items() if n > 0 and name not in ("info",)}
    total = sum(calls.values())
    fetched = sum(pages)
    return {
        "processes": processes, "dedupe": dedupe, "exit_codes": codes, "server_requests": requests,
        "pages": fetched, "share": [round(p / fetched, 3) for p in pages],
        "wall_s": round(wall, 2), "crawl_s": round(crawl, 2),
        "pages_per_s": round(fetched / crawl, 1) if crawl else None,
        "cpu_ms_per_page": round(cpu * 1000 / fetched, 1),
        "redis_calls_per_page": round(total / fetched, 2),
        "redis_evalsha_per_page": round(calls.get("evalsha", 0) / fetched, 2),
        "redis_calls": dict(sorted(calls.items(), key=lambda kv: -kv[1])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=300, help="synthetic articles on the demo site")
    parser.add_argument("--processes", default="1,2,3", help="comma-separated process counts")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--frontier-only", action="store_true",
                        help="also run with the article dedupe off: the Redis commands of the frontier alone")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="distbench-") as tmp, RedisServer(Path(tmp) / "redis") as redis_server:
        for repeat in range(args.repeat):
            for dedupe in (True, False) if args.frontier_only else (True,):
                for n in counts:
                    result = run_once(redis_server.url, n, args.articles, Path(tmp), dedupe=dedupe)
                    result["repeat"] = repeat
                    results.append(result)
                    print(f"{n} process{'es' if n > 1 else '  '}{'' if dedupe else ', dedupe off'}: "
                          f"{result['pages']} pages, wall {result['wall_s']:.1f} s, "
                          f"crawl {result['crawl_s']:.1f} s, {result['pages_per_s']} pages/s, "
                          f"{result['cpu_ms_per_page']} CPU ms/page, share {result['share']}, "
                          f"Redis {result['redis_calls_per_page']} commands/page "
                          f"({result['redis_evalsha_per_page']} of them script calls)", flush=True)
    top = results[-1]["redis_calls"]
    print("busiest Redis commands (last run):", ", ".join(f"{k} {v}" for k, v in list(top.items())[:10]))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"distributed-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps({"articles": args.articles, "cpus": os.cpu_count(), "runs": results}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
