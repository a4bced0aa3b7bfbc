"""What a scheduled job costs night after night: run time, pages, WARC and state growth.

    python -m bench.nights_bench [--nights 30] [--stories 20] [--counters 0.5] [--keep DIR]

A generated news site gets --stories new stories each night; its sitemap lists every story
ever published (as most news sites' archive sitemaps do), its home page and feed the newest
20. A --counters share of the stories print a view counter in their sidebar that changes
every night (their bytes change, their story does not); the others answer a conditional GET
with 304. Each night is one real `scrapy jobs run` (revisit_window "0": with nights 24 h
apart and the default 12 h window every known story is re-checked each night, as here).
Prints, per night, the run's wall time, pages fetched, articles and duplicates written,
304s, the run folder's bytes and the state folder's files, then a linear projection of
each to --project nights (365) from the growth over the second half of the nights.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("harbour council ferry orchard school budget river bridge market festival library tram museum "
         "election weather hospital station garden theatre stadium airport cooperative repairs").split()


def paragraph(seed: str, words: int = 60) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    out = [WORDS[(digest[i % 32] + 7 * i) % len(WORDS)] for i in range(words)]
    return " ".join(w + ("." if i % 11 == 10 else "") for i, w in enumerate(out)).capitalize() + "."


class Site:
    def __init__(self, per_night: int, counter_share: float):
        self.per_night = per_night
        self.counter_share = counter_share
        self.night = 1

    def stories(self) -> range:
        return range(1, self.night * self.per_night + 1)

    def counted(self, k: int) -> bool:
        return (k * 2654435761 % 1000) / 1000 < self.counter_share

    def story(self, k: int) -> str:
        counter = f"<li>{1000 + 37 * self.night + k} views</li>" if self.counted(k) else ""
        body = "".join(f"<p>{paragraph(f'{k}-{j}')}</p>" for j in range(4))
        return (f"<!doctype html><html><head><title>Story {k} - Gazette</title>"
                f'<meta property="og:type" content="article"></head><body><nav><a href="/">Home</a></nav>'
                f"<article><h1>Story {k} about the harbour</h1><p>By Ann Writer</p>{body}</article>"
                f"<aside><h2>Most read</h2><ul>{counter}</ul></aside></body></html>")

    def handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send(self, body: str, ctype="text/html; charset=utf-8", status=200, headers=()):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = urlsplit(self.path).path
                base = f"http://{self.headers['Host']}"
                newest = list(site.stories())[-20:]
                if path == "/robots.txt":
                    return self.send("User-agent: *\nAllow: /\n", "text/plain")
                if path == "/":
                    links = "".join(f'<li><a href="/news/story-{k}">Story {k}</a></li>' for k in reversed(newest))
                    return self.send(f"<html><body><h1>Gazette night {site.night}</h1><ul>{links}</ul></body></html>")
                if path == "/sitemap.xml":
                    rows = "".join(f"<url><loc>{base}/news/story-{k}</loc></url>" for k in site.stories())
                    return self.send('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                                     f'sitemap/0.9">{rows}</urlset>', "application/xml")
                if path.startswith("/news/story-"):
                    k = int(path.rsplit("-", 1)[1])
                    if k not in site.stories():
                        return self.send("not found", status=404)
                    if site.counted(k):
                        return self.send(site.story(k))
                    etag = f'"story-{k}"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return None
                    return self.send(site.story(k), headers=[("ETag", etag)])
                return self.send("not found", status=404)

        return Handler


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def fit(xs, ys):
    """Slope and line of the least-squares fit of ys on xs."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return slope, (lambda x: my + slope * (x - mx))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--stories", type=int, default=20, help="new stories per night")
    parser.add_argument("--counters", type=float, default=0.5, help="share of stories with a changing counter")
    parser.add_argument("--project", type=int, default=365, help="nights to project to")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)

    site = Site(args.stories, args.counters)
    server = ThreadingHTTPServer(("127.0.0.1", 0), site.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    work = args.keep or Path(tempfile.mkdtemp(prefix="nights-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    jobs = work / "jobs.toml"
    jobs.write_text(f"""[jobs.gazette]
urls = ["{base}", "{base}sitemap.xml"]
schedule = "0 3 * * *"
output_dir = "archive"
revisit_window = "0"
[jobs.gazette.settings]
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = false
CONCURRENT_REQUESTS_PER_DOMAIN = 8
EXTRACT_WORKERS = 1
LOG_LEVEL = "INFO"
""", encoding="utf-8")
    state = work / "archive" / ".state"
    rows = []
    print(f"site {base}, work folder {work}")
    print(f"{'night':>5} {'secs':>6} {'pages':>6} {'art':>5} {'dups':>5} {'304':>5} {'run KB':>8} "
          f"{'incr KB':>8} {'dedupe KB':>9} {'digests KB':>10} {'runs MB':>8}")
    try:
        for night in range(1, args.nights + 1):
            site.night = night
            started = time.monotonic()
            result = subprocess.run([sys.executable, "-m", "scrapy", "jobs", "run", "gazette", "--file", str(jobs)],
                                    cwd=ROOT, capture_output=True, text=True)
            seconds = time.monotonic() - started
            if result.returncode != 0:
                sys.exit(f"night {night}: exit {result.returncode}\n{result.stdout}{result.stderr}")
            run_dir = sorted(p.parent for p in (work / "archive").glob("*/manifest.json"))[-1]
            counts = json.loads((run_dir / "manifest.json").read_text())["counts"]
            row = {"night": night, "seconds": round(seconds, 2), **{k: counts.get(k, 0) for k in
                   ("pages", "articles", "duplicates", "not_modified")},
                   "run_bytes": folder_bytes(run_dir),
                   "incremental_bytes": (state / "incremental.sqlite3").stat().st_size,
                   "dedupe_bytes": (state / "dedupe.sqlite3").stat().st_size,
                   "digests_bytes": (state / "warc-digests.sqlite3").stat().st_size,
                   "runs_bytes": folder_bytes(work / "archive") - folder_bytes(state)}
            rows.append(row)
            print(f"{night:>5} {row['seconds']:>6.1f} {row['pages']:>6} {row['articles']:>5} {row['duplicates']:>5} "
                  f"{row['not_modified']:>5} {row['run_bytes'] / 1024:>8.0f} {row['incremental_bytes'] / 1024:>8.0f} "
                  f"{row['dedupe_bytes'] / 1024:>9.0f} {row['digests_bytes'] / 1024:>10.0f} "
                  f"{row['runs_bytes'] / 2**20:>8.1f}", flush=True)
    finally:
        server.shutdown()
    half = rows[len(rows) // 2:]
    if len(half) >= 2:
        print(f"\nprojected to night {args.project} (least-squares line over nights {half[0]['night']}-"
              f"{half[-1]['night']}; one night's figures, then the whole archive):")
        projected = {}
        for key in ("seconds", "pages", "run_bytes", "incremental_bytes", "dedupe_bytes", "digests_bytes"):
            slope, at = fit([r["night"] for r in half], [r[key] for r in half])
            projected[key] = at(args.project)
            print(f"  {key:>18}: {projected[key]:,.0f}  ({slope:+,.2f} a night)")
        slope, at = fit([r["night"] for r in half], [r["run_bytes"] for r in half])
        later = sum(at(n) for n in range(half[-1]["night"] + 1, args.project + 1))
        print(f"  {'all run folders':>18}: {(rows[-1]['runs_bytes'] + later) / 2**20:,.0f} MB")
    if args.keep is None:
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
