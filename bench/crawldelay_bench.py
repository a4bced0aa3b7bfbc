"""robots.txt Crawl-delay in a distributed crawl: how often 1, 2, 3 processes hit one site.

    .venv/bin/python -m bench.crawldelay_bench [--crawl-delay 0.5] [--pages 40] [--processes 1,2,3]
                                               [--download-delay 0.25]

A local site (tests/rawserver.py on 127.0.0.1) whose robots.txt says `Crawl-delay: D` for
every user agent, a home page linking N pages; the server notes the arrival time of every
request. For each process count a throwaway redis-server frontier (tests/redis_server.py) is
crawled by that many `scrapy crawl news -s DISTRIBUTED=True` processes started together.
Reported from the server's clock, over the requests after robots.txt: the gaps between two
consecutive requests (smallest, median), requests per minute over the span from the first to
the last, and that rate against what the site asks (60 / D per minute: 1.0 is obeyed, 2.0 is
twice as often). Results go to bench/results/crawldelay-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.rawserver import RawServer, Route  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402


def _page(body: bytes, kind: bytes = b"text/html") -> Route:
    return Route([b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s"
                  % (kind, len(body), body)])


def site_routes(pages: int, crawl_delay: float) -> dict[str, Route]:
    paths = [f"/p{i}" for i in range(pages)]
    routes = {"/robots.txt": _page(b"User-agent: *\nCrawl-delay: %g\nDisallow:\n" % crawl_delay, b"text/plain"),
              "/": _page(b"<html><body>" + b"".join(b'<a href="%s">x</a>' % p.encode() for p in paths)
                         + b"</body></html>")}
    routes.update({p: _page(b"<html><body><p>page %s</p></body></html>" % p.encode()) for p in paths})
    return routes


def run_once(redis_url: str, processes: int, pages: int, crawl_delay: float, download_delay: float,
             workdir: Path) -> dict:
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    out = workdir / f"{prefix}-out"
    settings = {"DISTRIBUTED": "True", "REDIS_URL": redis_url, "FRONTIER_REDIS_PREFIX": prefix,
                "DEDUPE_REDIS_PREFIX": prefix + ":dedupe", "FRONTIER_IDLE_TIMEOUT": "1",
                "DOWNLOAD_DELAY": str(download_delay), "EXTRACT_WORKERS": "1", "REQUISITES": "none",
                "LOG_LEVEL": "INFO", "OUTPUT_DIR": str(out), "PROGRESS_ENABLED": "False"}
    with RawServer(routes=site_routes(pages, crawl_delay)) as server:
        args = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={server.base_url}/"]
        for name, value in settings.items():
            args += ["-s", f"{name}={value}"]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        procs = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(workdir / f"{prefix}-{i}.log", "w"))
                 for i in range(processes)]
        codes = [p.wait(timeout=1800) for p in procs]
        arrivals = list(server.arrivals)
    stamps = sorted(t for path, t in arrivals if path != "/robots.txt")
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    per_minute = (len(stamps) - 1) / span * 60 if span else 0.0
    stats = [json.loads(p.read_text()) for p in sorted(out.glob("stats-*.json"))]
    return {"processes": processes, "exit_codes": codes, "requests": len(stamps),
            "robots_fetches": sum(1 for path, _t in arrivals if path == "/robots.txt"),
            "min_gap_s": round(min(gaps), 3) if gaps else None,
            "median_gap_s": round(statistics.median(gaps), 3) if gaps else None,
            "span_s": round(span, 2), "per_minute": round(per_minute, 1),
            "asked_per_minute": round(60 / crawl_delay, 1),
            "vs_asked": round(per_minute / (60 / crawl_delay), 2),
            "pages_per_process": [s.get("downloader/response_count", 0) for s in stats],
            "arrivals": [(path, round(t - arrivals[0][1], 3)) for path, t in arrivals]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crawl-delay", type=float, default=0.5)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--processes", default="1,2,3")
    parser.add_argument("--download-delay", type=float, default=0.25, help="DOWNLOAD_DELAY (the default's)")
    parser.add_argument("--keep", help="keep the crawls' logs and output in this folder")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="crawldelay-bench-") as tmp, RedisServer(Path(tmp) / "redis") as redis_server:
        if args.keep:
            tmp = args.keep
            Path(tmp).mkdir(parents=True, exist_ok=True)
        for count in (int(n) for n in args.processes.split(",")):
            result = run_once(redis_server.url, count, args.pages, args.crawl_delay, args.download_delay, Path(tmp))
            results.append(result)
            print(f"{count} process(es): {result['requests']} requests, gaps min {result['min_gap_s']} s / "
                  f"median {result['median_gap_s']} s, {result['per_minute']}/min "
                  f"({result['vs_asked']}x the {result['asked_per_minute']}/min asked), "
                  f"per process {result['pages_per_process']}, exit {result['exit_codes']}", flush=True)
    target = ROOT / "bench" / "results" / f"crawldelay-{datetime.now():%Y%m%dT%H%M%S}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"crawl_delay": args.crawl_delay, "pages": args.pages,
                                  "download_delay": args.download_delay, "runs": results,
                                  "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=2))
    print(f"written {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
