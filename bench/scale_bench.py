"""Long-run benchmark: memory and open files of a crawl of a big generated news site.

    .venv/bin/python -m bench.scale_bench crawl [--articles 20000] [--images] [--jobdir]
                                                [--interval 2] [--out bench/results/scale.json]
    .venv/bin/python -m bench.scale_bench resume [--articles 20000] [--stop-after 8000]
    .venv/bin/python -m bench.scale_bench reextract [--articles 3000] [--records 150000]
    .venv/bin/python -m bench.scale_bench serve --articles N      # the site alone, prints its URL

Serves (from a separate process, 127.0.0.1, port 0) a site of N small article pages
(~3 KB: a NewsArticle in JSON-LD, a byline, a date, 8 paragraphs of generated prose, a
menu of 12 sections, 5 related stories), 12 section listings paginated by 20 stories,
a robots.txt naming a sitemap index of N/1000 sitemaps; with --images each story also
loads its own photo (a requisite per page, beside the site's one stylesheet and logo).

`crawl` runs `scrapy crawl news` over it (politeness off: loopback) and samples, every
`--interval` seconds, the crawl process's RSS, its open file descriptors and its
children's RSS (the extraction workers), against the pages crawled so far (the progress
log line). The figure that matters is the slope: RSS per 1,000 pages once the frontier is
full (a leak grows with pages crawled; the frontier and dupefilter with URLs known).
`resume` stops a JOBDIR crawl with SIGINT after --stop-after pages, then measures the
JOBDIR's size and the time from the second start to its first fetched page and to the end.
`reextract` writes one WARC of --articles story pages, each followed by its share of
--records small image responses (8 KB of random bytes), and runs `scrapy reextract` over it,
sampling the process's RSS the same way: it should stay flat however many records are read
(session 12: 306,003 records, 1.4 GB; 104 -> 263 MB before revisit originals left memory,
96 -> 106 MB after).
Writes bench/results/scale.json (or --out). Never a test: timings and sizes belong here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "scale.json"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") / 1024
SECTIONS = ["world", "politics", "business", "tech", "science", "health", "sport", "culture",
            "travel", "food", "opinion", "local"]
PER_LISTING = 20
PER_SITEMAP = 1000
WORDS = ("council water plan residents budget school river bridge mayor vote hospital nurses road "
         "project funding report study data market prices workers union strike harbour energy "
         "wind solar farm farmers rain storm flood police court judge ruling appeal company shares "
         "profit jobs plant factory train station line delays museum exhibit artist festival music "
         "team season coach match league final injury record crowd stadium village county state "
         "minister election campaign poll survey teacher students library park housing rent tenants "
         "landlords permit zoning traffic cyclists bus route fare ferry airport flights tourism hotel "
         "restaurant chef menu market harvest drought wildfire smoke air quality clinic doctors "
         "patients vaccine trial results scientists lab telescope satellite launch rocket ocean fish").split()

# --- the site -------------------------------------------------------------------------------


def _rng(*key) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(repr(key).encode()).digest()[:8], "big"))


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 18))]
    return " ".join(words).capitalize() + "."


def article_path(n: int) -> str:
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    return f"/news/2025/{month:02d}/{day:02d}/story-{n}"


def article_page(n: int, total: int, images: bool) -> bytes:
    rng = _rng("article", n)
    section = SECTIONS[n % len(SECTIONS)]
    title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize() + f" ({n})"
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    date = f"2025-{month:02d}-{day:02d}T08:30:00+00:00"
    author = f"{rng.choice(['Ana', 'Ben', 'Carla', 'Dev', 'Eli'])} {rng.choice(['Park', 'Ortiz', 'Chen', 'Novak'])}"
    paragraphs = "".join(f"<p>{' '.join(_sentence(rng) for _ in range(3))}</p>" for _ in range(8))
    related = "".join(f'<li><a href="{article_path(rng.randrange(total))}">Related story</a></li>' for _ in range(5))
    menu = "".join(f'<li><a href="/section/{s}">{s.title()}</a></li>' for s in SECTIONS)
    photo = f'<figure><img src="/img/{n}.jpg" alt="photo"><figcaption>Photo {n}</figcaption></figure>' if images else ""
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": date, "author": {"@type": "Person", "name": author}})
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Scale Herald</title>'
            f'<link rel="stylesheet" href="/static/site.css"><meta property="og:type" content="article">'
            f'<script type="application/ld+json">{ld}</script></head><body>'
            f'<header><img src="/static/logo.png" alt="Scale Herald"><nav><ul>{menu}</ul></nav></header>'
            f'<main><article><p class="kicker"><a href="/section/{section}">{section.title()}</a></p>'
            f'<h1>{title}</h1><p class="byline">By {author}</p><time datetime="{date}">{date[:10]}</time>'
            f'{photo}{paragraphs}</article><aside><h2>Related</h2><ul>{related}</ul></aside></main>'
            f'<footer><p>Scale Herald</p></footer></body></html>').encode()


def listing_page(section: str, page: int, total: int) -> bytes:
    ids = [n for n in range(total) if SECTIONS[n % len(SECTIONS)] == section]
    start = (page - 1) * PER_LISTING
    items = "".join(f'<li><a href="{article_path(n)}">Story {n}</a></li>' for n in ids[start:start + PER_LISTING])
    menu = "".join(f'<li><a href="/section/{s}">{s.title()}</a></li>' for s in SECTIONS)
    more = f'<a href="/section/{section}?page={page + 1}">Next</a>' if start + PER_LISTING < len(ids) else ""
    return (f'<!doctype html><html><head><title>{section.title()} | Scale Herald</title></head><body>'
            f'<nav><ul>{menu}</ul></nav><h1>{section.title()}</h1><ul>{items}</ul>{more}</body></html>').encode()


def home_page() -> bytes:
    menu = "".join(f'<li><a href="/section/{s}">{s.title()}</a></li>' for s in SECTIONS)
    return (f'<!doctype html><html><head><title>Scale Herald</title><link rel="stylesheet" href="/static/site.css">'
            f'</head><body><img src="/static/logo.png" alt="logo"><nav><ul>{menu}</ul></nav>'
            f'<h1>Scale Herald</h1></body></html>').encode()


def make_handler(total: int, images: bool):
    sitemaps = (total + PER_SITEMAP - 1) // PER_SITEMAP
    listing_ids = {s: [n for n in range(total) if SECTIONS[n % len(SECTIONS)] == s] for s in SECTIONS}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            host = self.headers.get("Host", "127.0.0.1")
            path, _, query = self.path.partition("?")
            ctype, body, status = "text/html; charset=utf-8", None, 200
            if path == "/":
                body = home_page()
            elif path == "/robots.txt":
                ctype, body = "text/plain", f"User-agent: *\nAllow: /\nSitemap: http://{host}/sitemap_index.xml\n".encode()
            elif path == "/sitemap_index.xml":
                ctype = "application/xml"
                body = ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        + "".join(f"<sitemap><loc>http://{host}/sitemap-{k}.xml</loc></sitemap>" for k in range(sitemaps))
                        + "</sitemapindex>").encode()
            elif (m := re.fullmatch(r"/sitemap-(\d+)\.xml", path)) and int(m.group(1)) < sitemaps:
                k = int(m.group(1))
                ctype = "application/xml"
                body = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        + "".join(f"<url><loc>http://{host}{article_path(n)}</loc></url>"
                                  for n in range(k * PER_SITEMAP, min(total, (k + 1) * PER_SITEMAP)))
                        + "</urlset>").encode()
            elif (m := re.fullmatch(r"/news/2025/\d\d/\d\d/story-(\d+)", path)) and int(m.group(1)) < total:
                body = article_page(int(m.group(1)), total, images)
            elif (m := re.fullmatch(r"/section/(\w+)", path)) and m.group(1) in listing_ids:
                page = int(query.split("=", 1)[1]) if query.startswith("page=") and query[5:].isdigit() else 1
                body = listing_page(m.group(1), page, total)
            elif path == "/static/site.css":
                ctype, body = "text/css", b"body{font-family:serif}header img{height:40px}"
            elif path == "/static/logo.png" or re.fullmatch(r"/img/\d+\.jpg", path):
                ctype = "image/png" if path.endswith("png") else "image/jpeg"
                body = b"\xff\xd8\xff\xe0" + hashlib.sha256(path.encode()).digest() * 8
            if body is None:
                status, body = 404, b"not found"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def serve(articles: int, images: bool) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(articles, images))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    sys.stdin.read()
    server.shutdown()


class Site:
    def __init__(self, articles: int, images: bool):
        cmd = [sys.executable, "-m", "bench.scale_bench", "serve", "--articles", str(articles)]
        if images:
            cmd.append("--images")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url:
            raise RuntimeError("the site did not start")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# --- sampling ---------------------------------------------------------------------------------

def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm", "rb") as fh:
        return int(fh.read().split()[1]) * PAGE_KB / 1024


def _children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(name))
    return out


def _tree(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        one = stack.pop()
        out.append(one)
        stack.extend(_children(one))
    return out


PAGES = re.compile(r"(\d+) pages \(")


class Sampler(threading.Thread):
    def __init__(self, proc, log_path: Path, interval: float):
        super().__init__(daemon=True)
        self.proc, self.log_path, self.interval = proc, log_path, interval
        self.samples: list[dict] = []
        self.first_fetch = None

    def pages(self) -> int:
        try:
            found = PAGES.findall(self.log_path.read_text(errors="replace")[-20000:])
        except OSError:
            return 0
        return int(found[-1]) if found else 0

    def run(self):
        start = time.perf_counter()
        while self.proc.poll() is None:
            try:
                rss = _rss_mb(self.proc.pid)
                fds = len(os.listdir(f"/proc/{self.proc.pid}/fd"))
                others = sum(_rss_mb(p) for p in _tree(self.proc.pid)[1:] if os.path.exists(f"/proc/{p}"))
            except (OSError, ValueError):
                break
            pages = self.pages()
            if pages and self.first_fetch is None:
                self.first_fetch = time.perf_counter() - start
            self.samples.append({"t": round(time.perf_counter() - start, 1), "pages": pages,
                                 "rss_mb": round(rss, 1), "children_rss_mb": round(others, 1), "fds": fds})
            time.sleep(self.interval)


def crawl(url: str, out: Path, log: Path, settings: dict, interval: float, stop_after: int = 0) -> dict:
    args = [a for k, v in settings.items() for a in ("-s", f"{k}={v}")]
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={url}", "-s", f"OUTPUT_DIR={out}", *args]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        sampler = Sampler(proc, log, interval)
        start = time.perf_counter()
        sampler.start()
        stopped = False
        while proc.poll() is None:
            if stop_after and not stopped and sampler.pages() >= stop_after:
                os.kill(proc.pid, signal.SIGINT)
                stopped = True
            time.sleep(0.5)
        sampler.join()
        wall = time.perf_counter() - start
    return {"returncode": proc.returncode, "wall_s": round(wall, 1), "first_page_s": sampler.first_fetch,
            "samples": sampler.samples, **summarize(sampler.samples)}


def summarize(samples: list[dict]) -> dict:
    """Peak RSS, fds, and the RSS slope (MB per 1,000 pages) over the run's second half,
    when the frontier holds every URL the sitemaps listed."""
    if not samples:
        return {}
    top = max(s["pages"] for s in samples)
    late = [s for s in samples if s["pages"] >= top / 2]
    slope = None
    if len(late) >= 2 and late[-1]["pages"] > late[0]["pages"]:
        slope = round((late[-1]["rss_mb"] - late[0]["rss_mb"]) / (late[-1]["pages"] - late[0]["pages"]) * 1000, 2)
    return {"pages": top, "peak_rss_mb": max(s["rss_mb"] for s in samples),
            "peak_children_rss_mb": max(s["children_rss_mb"] for s in samples),
            "max_fds": max(s["fds"] for s in samples), "rss_mb_per_1000_pages_late": slope,
            "rss_at": {f"{p}%": next((s["rss_mb"] for s in samples if s["pages"] >= top * p / 100), None)
                       for p in (10, 25, 50, 75, 100)}}


LOOPBACK = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS": "16",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "PROGRESS_LOG_INTERVAL": "2", "DEPTH_LIMIT": "10"}


def build_warc(directory: Path, articles: int, records: int) -> Path:
    from archives.writer import WarcWriter

    def exchange(writer, path, body, content_type):
        writer.write_exchange(
            url="http://big.example" + path, request_head=f"GET {path} HTTP/1.1\r\nHost: big.example\r\n\r\n".encode(),
            response_head=(f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n").encode(), response_body=body)

    per_page = max(1, records // max(articles, 1))
    with WarcWriter(directory, max_size=10**13, cdxj=False, recover=False) as writer:
        image = 0
        for n in range(articles):
            exchange(writer, article_path(n), article_page(n, articles, True), "text/html; charset=utf-8")
            for _ in range(min(per_page, records - image)):
                exchange(writer, f"/img/{image}.jpg", os.urandom(8192), "image/jpeg")
                image += 1
    return directory


def reextract(warcs: Path, out: Path, log: Path, interval: float) -> dict:
    cmd = [sys.executable, "-m", "scrapy", "reextract", str(warcs), "-O", str(out), "-s", "EXTRACT_WORKERS=2"]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=fh,
                                stderr=subprocess.STDOUT)
        sampler = Sampler(proc, log, interval)
        start = time.perf_counter()
        sampler.run()           # in this thread: until the command exits
    records = re.findall(r"(\d+) records", log.read_text(errors="replace"))
    for sample in sampler.samples:
        sample.pop("pages")
    rss = [s["rss_mb"] for s in sampler.samples] or [0]
    return {"returncode": proc.wait(), "wall_s": round(time.perf_counter() - start, 1),
            "records": int(records[-1]) if records else None, "peak_rss_mb": max(rss),
            "rss_at": {f"{p}%": rss[min(len(rss) - 1, len(rss) * p // 100)] for p in (10, 50, 90)},
            "max_fds": max((s["fds"] for s in sampler.samples), default=0), "samples": sampler.samples}


def _dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["crawl", "resume", "reextract", "serve"])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--records", type=int, default=150000, help="reextract: image records in the WARC")
    parser.add_argument("--images", action="store_true")
    parser.add_argument("--jobdir", action="store_true")
    parser.add_argument("--stop-after", type=int, default=8000)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--set", action="append", default=[], help="NAME=VALUE, another crawl setting")
    parser.add_argument("--keep", action="store_true", help="keep the output folder (printed)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.articles, args.images)
        return 0
    settings = dict(LOOPBACK, **dict(s.split("=", 1) for s in args.set))
    work = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    if args.mode == "reextract":
        try:
            warcs = build_warc(work / "warcs", args.articles, args.records)
            result = {"articles": args.articles, "image_records": args.records,
                      "warc_mb": _dir_mb(warcs), "reextract": reextract(warcs, work / "out.jsonl", work / "log", args.interval)}
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return _write(result, args.out)
    site = Site(args.articles, args.images)
    result = {"articles": args.articles, "images": args.images, "settings": settings}
    try:
        out = work / "out"
        if args.mode == "crawl":
            if args.jobdir:
                settings["JOBDIR"] = str(work / "job")
            run = crawl(site.url, out, work / "crawl.log", settings, args.interval)
            result["crawl"] = run
            if args.jobdir:
                result["jobdir_mb"] = _dir_mb(work / "job")
        else:
            settings["JOBDIR"] = str(work / "job")
            first = crawl(site.url, out, work / "first.log", settings, args.interval, stop_after=args.stop_after)
            result["first"] = first
            result["jobdir_mb_at_stop"] = _dir_mb(work / "job")
            result["jobdir_files"] = sorted(str(p.relative_to(work / "job")) for p in (work / "job").rglob("*") if p.is_file())[:20]
            result["second"] = crawl(site.url, out, work / "second.log", settings, args.interval)
            result["jobdir_mb_at_end"] = _dir_mb(work / "job")
        result["warc_files"] = len(list(out.glob("*.warc.gz")))
        result["warc_mb"] = round(sum(p.stat().st_size for p in out.glob("*.warc.gz")) / 2**20, 1)
        articles = out / "articles.jsonl"
        result["articles_written"] = sum(1 for _ in articles.open()) if articles.exists() else 0
    finally:
        site.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept", work, file=sys.stderr)
    return _write(result, args.out)


def _write(result: dict, out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    brief = {k: v for k, v in result.items() if k not in ("first", "second", "crawl", "reextract")}
    for key in ("crawl", "first", "second", "reextract"):
        if key in result:
            brief[key] = {k: v for k, v in result[key].items() if k != "samples"}
    print(json.dumps(brief, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
