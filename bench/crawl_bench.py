"""Crawl throughput benchmark (issue 8): the product crawl against the peer a user would write.

    .venv/bin/python -m bench.crawl_bench [--articles 2000] [--repeat 3] [--concurrency 16]
                                          [--only product,requisites,naive,fetch,extract] [--profile]

Serves a generated news site (`DemoSite(synthetic_articles=N)`: 50-150 KB article pages,
listings, sitemaps, ~5% duplicates) from a separate process on 127.0.0.1, every page rendered
once before the clock starts, and measures in one run:

1. product: `scrapy crawl news` (extraction pool, dedupe, WARC, JSON Lines), pages only
            (REQUISITES=none), as the figures before page requisites were archived;
   requisites: the same with the shipped REQUISITES=all: each article's images (and the
            stylesheets, scripts and fonts pages load) fetched and archived too. Reported: its
            pages/s and articles/s against the product's, and WARC MB per article of both;
2. naive:   bench/naive_spider.py (Scrapy + trafilatura.extract in the callback + warcio) over
            the very URLs the product crawl fetched (its WARC's response records): same pages,
            and no link following or scope logic to pay for, so the comparison is on equal work;
3. extract: bare `trafilatura.extract` over the site's article pages in this process;
4. fetch:   bench/naive_spider.py --fetch-only over the same URLs: a bare Scrapy fetch.

Both crawls run with the same concurrency, politeness delays off (loopback); the product's
shipped defaults are untouched. pages/s = responses / Scrapy's elapsed_time_seconds.
CPU and memory are read from /proc every 0.2 s over the crawl's whole process tree (the
crawl process, forkserver and extraction workers): CPU = each process's utime+stime at its
last sample (the crawl process's own figure from wait4), peak RSS = the largest sum of the
tree's VmRSS at one sample (shared pages counted once per process, so it over-counts), and
peak PSS likewise (shared pages split between processes). The site server's CPU is counted
separately. CPU bound = cores / (fetch CPU per page + extract CPU per page x article share +
server CPU per page). Each repeat runs all four measurements back to back and yields its own
ratios: a shared VM's speed drifts over minutes, and a ratio of two figures taken under the
same conditions drifts far less than either. Within a repeat, the bare extraction (the bound's
largest term) is split in two halves of the article pages run just before and just after the
product crawl, so it brackets the crawl it is compared with; then fetch, then naive. Reported:
medians of the per-repeat ratios (and, for reference, the ratios of the medians); `uptime`
load is recorded with each run.
Writes bench/results/crawl.json. Never a test: timings belong here, not in tests/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") / 1024
RESULTS = ROOT / "bench" / "results" / "crawl.json"


# --- the site server (a separate process) -------------------------------------------------

def serve(articles: int, seed: int) -> None:
    """Child process: serve the demo site with every reachable page pre-rendered, print the URL,
    and exit when stdin closes (the benchmark ended)."""
    import demosite.app
    from demosite import DemoSite

    demosite.app.CACHE_SIZE = 1 << 30      # keep every rendered page: a crawl then costs the site little
    site = DemoSite(port=0, synthetic_articles=articles, seed=seed).start()
    host = f"127.0.0.1:{site.port}"
    pages = _prerender(site.app, host)
    print(site.base_url, pages, flush=True)
    sys.stdin.read()
    site.stop()


def _prerender(app, host: str) -> int:
    """Walk the site through the app (no sockets) the way a crawler would, rendering each page."""
    from urllib.parse import urljoin, urlsplit

    link = re.compile(rb"""(?:href|src)=["']([^"'#]+)|<loc>([^<]+)</loc>|^Sitemap:\s*(\S+)""", re.M)
    base = f"http://{host}/"
    todo, seen = ["/", "/robots.txt", "/sitemap_index.xml"], set()
    headers = {"Host": host, "Accept-Encoding": "gzip, deflate"}
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = app.handle("GET", path, headers)
        if response.status != 200 or path.startswith("/media/"):
            continue
        for match in link.finditer(response.body):
            url = urljoin(base + path.lstrip("/"), (match.group(1) or match.group(2) or match.group(3)).decode())
            parts = urlsplit(url)
            if parts.netloc != host:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            page = re.search(r"page=(\d+)", target)
            if target not in seen and not (page and int(page.group(1)) > 21):
                todo.append(target)
    return len(seen)


class SiteProcess:
    def __init__(self, articles: int, seed: int):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.crawl_bench", "--serve", str(articles), "--seed", str(seed)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if not line:
            raise RuntimeError("the site server did not start")
        self.url, self.pages = line[0], int(line[1])

    def cpu(self) -> float:
        return _proc_stat(self.proc.pid)[0]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# --- process-tree sampling ----------------------------------------------------------------

def _proc_stat(pid: int) -> tuple[float, int]:
    """(utime+stime seconds, ppid) of one process."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK, int(fields[1])


def _rss_kb(pid: int) -> float:
    with open(f"/proc/{pid}/statm", "rb") as fh:
        return int(fh.read().split()[1]) * PAGE_KB


def _pss_kb(pid: int) -> float:
    with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
        for line in fh:
            if line.startswith(b"Pss:"):
                return float(line.split()[1])
    return 0.0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            _cpu, ppid = _proc_stat(int(name))
        except (OSError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "crawl"
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
        if _proc_stat(pid)[1] != root:
            return "worker"             # forked by the forkserver
    except (OSError, IndexError):
        return "?"
    for needle, role in ((b"forkserver", "forkserver"), (b"resource_tracker", "resource_tracker")):
        if needle in cmdline:
            return role
    return "worker"


class TreeMonitor(threading.Thread):
    """Samples a process tree until the root exits; keeps per-process CPU and peak RSS/PSS sums."""

    def __init__(self, proc: subprocess.Popen, interval: float = 0.2):
        super().__init__(daemon=True)
        self.proc, self.interval = proc, interval
        self.cpu: dict[int, float] = {}
        self.peaks: dict[int, list] = {}     # pid -> [role, peak RSS kB, peak PSS kB]
        self.peak_rss_kb = self.peak_pss_kb = 0.0
        self.max_processes = 0
        self.root_rusage = None
        self.returncode = None

    def run(self):
        root = self.proc.pid
        while True:
            pids = _descendants(root)
            rss = pss = 0.0
            alive = 0
            for pid in pids:
                try:
                    self.cpu[pid] = _proc_stat(pid)[0]
                    one_rss, one_pss = _rss_kb(pid), _pss_kb(pid)
                    rss += one_rss
                    pss += one_pss
                    alive += 1
                    peak = self.peaks.setdefault(pid, [_role(pid, root), 0.0, 0.0])
                    peak[1], peak[2] = max(peak[1], one_rss), max(peak[2], one_pss)
                except (OSError, IndexError, ValueError):
                    continue
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.max_processes = max(self.max_processes, alive)
            pid, status, usage = os.wait4(root, os.WNOHANG)
            if pid == root:
                self.returncode = os.waitstatus_to_exitcode(status)
                self.proc.returncode = self.returncode
                self.root_rusage = usage
                return
            time.sleep(self.interval)

    def total_cpu(self) -> tuple[float, float]:
        """(whole tree, crawl process alone) CPU seconds."""
        root = self.proc.pid
        main = self.root_rusage.ru_utime + self.root_rusage.ru_stime if self.root_rusage else self.cpu.get(root, 0.0)
        # wait4 counts the crawl process plus the children it reaped; the others were sampled.
        others = sum(v for pid, v in self.cpu.items() if pid != root)
        return max(main, self.cpu.get(root, 0.0)) + others, self.cpu.get(root, 0.0)


def run_monitored(cmd: list[str], *, env=None, log_path: Path) -> dict:
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        monitor = TreeMonitor(proc)
        start = time.perf_counter()
        monitor.start()
        monitor.join()
        wall = time.perf_counter() - start
    tree_cpu, main_cpu = monitor.total_cpu()
    log = log_path.read_text(errors="replace")
    if monitor.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}... exited {monitor.returncode}; see {log_path}\n{log[-2000:]}")
    roles: dict[str, list] = {}
    for pid, (role, rss_kb, pss_kb) in monitor.peaks.items():
        entry = roles.setdefault(role, [0, 0.0, 0.0, 0.0])
        entry[0] += 1
        entry[1], entry[2] = max(entry[1], rss_kb / 1024), max(entry[2], pss_kb / 1024)
        entry[3] += monitor.cpu.get(pid, 0.0)
    return {"wall_s": wall, "cpu_s": tree_cpu, "main_cpu_s": main_cpu,
            "per_process_peak_mb": {role: {"processes": n, "rss": round(r), "pss": round(p), "cpu_s": round(c, 1)}
                                    for role, (n, r, p, c) in roles.items()},
            "peak_rss_mb": monitor.peak_rss_kb / 1024, "peak_pss_mb": monitor.peak_pss_kb / 1024,
            "processes": monitor.max_processes, "stats": _scrapy_stats(log)}


def _scrapy_stats(log: str) -> dict:
    """Numbers from Scrapy's closing 'Dumping Scrapy stats' block."""
    block = log.rsplit("Dumping Scrapy stats:", 1)[-1]
    return {key: float(value) for key, value in re.findall(r"'([\w/.\-]+)': ([0-9.]+)[,}]", block)}


# --- the measurements ---------------------------------------------------------------------

LOOPBACK = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO"}


def _settings_args(settings: dict) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def product_crawl(url: str, concurrency: int, extra: dict, work: Path, profile: bool = False,
                  name: str = "product") -> dict:
    out = work / name
    shutil.rmtree(out, ignore_errors=True)
    settings = dict(LOOPBACK, CONCURRENT_REQUESTS=concurrency, CONCURRENT_REQUESTS_PER_DOMAIN=concurrency,
                    OUTPUT_DIR=str(out), **extra)
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={url}", *_settings_args(settings)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if profile:
        cmd = _py_spy(work / "product-profile.txt") + cmd
    result = run_monitored(cmd, env=env, log_path=work / f"{name}.log")
    report = out / "report.json"      # the crawl's stats (its INFO stats dump is off: STATS_DUMP)
    if report.exists():
        stats = json.loads(report.read_text())["stats"]
        result["stats"] = {key: float(value) for key, value in stats.items()
                           if isinstance(value, (int, float)) and not isinstance(value, bool)}
    articles = out / "articles.jsonl"
    result["items"] = sum(1 for _ in articles.open(encoding="utf-8")) if articles.exists() else 0
    result["warc_mb"] = sum(p.stat().st_size for p in out.glob("*.warc.gz")) / 2**20
    result["warc_mb_per_article"] = result["warc_mb"] / max(result["items"], 1)
    if profile:
        result["profile"] = profile_shares(work / "product-profile.txt")
    return result


def fetched_urls(warc_dir: Path, path: Path) -> int:
    """Write the target URIs of the crawl's response/revisit records to `path`; returns how many."""
    from warcio.archiveiterator import ArchiveIterator

    urls = []
    for warc in sorted(warc_dir.glob("*.warc.gz")):
        with open(warc, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "revisit"):
                    urls.append(record.rec_headers.get_header("WARC-Target-URI"))
    path.write_text("\n".join(urls) + "\n")
    return len(urls)


def naive_crawl(url: str, concurrency: int, work: Path, urls_file: Path | None, fetch_only: bool = False) -> dict:
    out = work / ("fetch" if fetch_only else "naive")
    shutil.rmtree(out, ignore_errors=True)
    settings = dict(LOOPBACK, CONCURRENT_REQUESTS=concurrency, CONCURRENT_REQUESTS_PER_DOMAIN=concurrency)
    cmd = [sys.executable, str(ROOT / "bench" / "naive_spider.py"), url, str(out), *_settings_args(settings)]
    if urls_file is not None:
        cmd += ["--urls-file", str(urls_file)]
    if fetch_only:
        cmd.append("--fetch-only")
    # Run outside the project: no scrapy.cfg, so none of the product's settings apply.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    result = run_monitored(cmd, env=env, log_path=work / f"{out.name}.log")
    jsonl = out / "naive.jsonl"
    result["items"] = sum(1 for _ in jsonl.open(encoding="utf-8")) if jsonl.exists() else 0
    return result


def article_pages(articles: int, seed: int) -> list[tuple[bytes, str, str]]:
    """(body, url, charset) of every article page of the same site, rendered in this process."""
    from demosite import DemoSite

    site = DemoSite(port=0, synthetic_articles=articles, seed=seed)
    host = "127.0.0.1:8765"
    pages = []
    for article in site.catalog.articles:
        if article.disallowed:
            continue
        response = site.app.handle("GET", article.path, {"Host": host})
        if response.status == 200:
            charset = response.content_type.rsplit("charset=", 1)[-1]
            pages.append((response.body, f"http://{host}{article.path}", charset))
    return pages


def bare_extract(pages) -> dict:
    import trafilatura

    trafilatura.extract(pages[0][0].decode(pages[0][2]), url=pages[0][1])   # imports, caches
    start = time.process_time()
    for body, url, charset in pages:
        trafilatura.extract(body.decode(charset, "replace"), url=url)
    cpu = time.process_time() - start
    return {"pages": len(pages), "cpu_s": cpu, "cpu_ms_per_page": cpu / len(pages) * 1000}


def merge_extract(runs: list[dict]) -> dict:
    pages, cpu = sum(r["pages"] for r in runs), sum(r["cpu_s"] for r in runs)
    return {"pages": pages, "cpu_s": cpu, "cpu_ms_per_page": cpu / pages * 1000,
            "cpu_ms_per_page_parts": [round(r["cpu_ms_per_page"], 3) for r in runs]}


# --- profile ------------------------------------------------------------------------------

def _py_spy(path: Path) -> list[str]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise SystemExit("--profile needs py-spy (pip install py-spy)")
    return [exe, "record", "--format", "raw", "--threads", "--rate", "200", "--nonblocking", "-o", str(path), "--"]


# Where the crawl process spends its busy time: first matching frame (innermost first) wins.
PROFILE_BUCKETS = (
    ("warc: gzip", ("gzip_member (archives/records.py",)),
    ("warc: other", ("archives/",)),
    ("jsonl", ("pipelines/jsonl.py",)),
    ("dedupe", ("pipelines/dedupe",)),
    ("extraction in-process", ("crawler/extract/", "trafilatura/")),
    ("extraction pool IPC", ("concurrent/futures/", "multiprocessing/")),
    ("spider (links, follow)", ("crawler/spiders/", "crawler/discovery.py", "crawler/urls.py")),
)


def profile_shares(path: Path) -> dict:
    """Share of the crawl process's busy samples per bucket (py-spy raw = collapsed stacks),
    for the whole process and for its reactor (main) thread alone."""
    totals: dict[str, dict[str, int]] = {"process": {}, "reactor thread": {}}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        bucket = "scrapy/twisted/other"
        for frame in reversed(frames):
            hit = next((name for name, needles in PROFILE_BUCKETS if any(s in frame for s in needles)), None)
            if hit:
                bucket = hit
                break
        scopes = ["process"] + (["reactor thread"] if "MainThread" in frames[0] else [])
        for scope in scopes:
            totals[scope][bucket] = totals[scope].get(bucket, 0) + int(count)
    out = {}
    for scope, buckets in totals.items():
        busy = sum(buckets.values())
        if busy:
            out[scope] = {name: round(n / busy, 4) for name, n in sorted(buckets.items(), key=lambda kv: -kv[1])}
    return out


# --- driver -------------------------------------------------------------------------------

def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "kernel": platform.release()}


def expected_items(articles: int, seed: int) -> int:
    """Articles a correct crawl emits: every reachable story once. Duplicate groups that share
    a member (an exact copy of a page that also has a near copy) are one story."""
    from demosite import DemoSite

    expected = DemoSite(port=0, synthetic_articles=articles, seed=seed).expected
    story: dict[str, str] = {}          # member -> a representative (union-find)

    def root(path: str) -> str:
        while story.get(path, path) != path:
            path = story[path]
        return path

    for group in expected["duplicate_groups"]:
        if group["kind"] in ("exact", "near"):
            first, *rest = group["members"]
            story.setdefault(first, first)
            for member in rest:
                story[root(member) if member in story else member] = root(first)
    return len({root(path) if path in story else path for path in expected["articles"]})


def summarize(runs: list[dict]) -> dict:
    def med(key, sub=None):
        values = [(r[sub] if sub else r).get(key) for r in runs]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    out = {"runs": len(runs)}
    for key in ("wall_s", "cpu_s", "main_cpu_s", "peak_rss_mb", "peak_pss_mb", "items", "pages_per_s",
                "articles", "articles_per_s", "cpu_ms_per_page", "server_cpu_s", "warc_mb",
                "warc_mb_per_article"):
        value = med(key)
        if value is not None:
            out[key] = round(value, 3)
    out["pages"] = med("pages")
    return out


def crawl_figures(result: dict, server_cpu: float, article_key: str) -> dict:
    stats = result["stats"]
    pages = stats.get("downloader/response_count", 0)
    elapsed = stats.get("elapsed_time_seconds") or result["wall_s"]
    articles = stats.get(article_key, result.get("items", 0))
    result.update(pages=pages, elapsed_s=elapsed, pages_per_s=pages / elapsed, articles=articles,
                  articles_per_s=articles / elapsed, cpu_ms_per_page=result["cpu_s"] / max(pages, 1) * 1000,
                  server_cpu_s=server_cpu)
    return result


def ratios_of(product, naive, fetch, extract, requisites=None) -> dict:
    """product/naive pages/s and product pages/s against the CPU bound, from one set of figures;
    with requisites, that crawl's pages/s and articles/s against the product's."""
    out = {}
    if product and requisites:
        out["requisites_vs_product_pages_per_s"] = round(requisites["pages_per_s"] / product["pages_per_s"], 3)
        out["requisites_vs_product_articles_per_s"] = round(
            requisites["articles_per_s"] / product["articles_per_s"], 3)
    if product and naive:
        out["product_vs_naive"] = round(product["pages_per_s"] / naive["pages_per_s"], 3)
    if product and fetch and extract:
        pages = max(product["pages"], 1)
        # extraction runs on article pages only: weigh its per-page CPU by their share of the fetches
        terms = {"fetch": fetch["cpu_ms_per_page"],
                 "extract": extract["cpu_ms_per_page"] * product["articles"] / pages,
                 "site": product["server_cpu_s"] / pages * 1000}
        bound = (os.cpu_count() or 1) * 1000 / sum(terms.values())
        out.update(cpu_bound_pages_per_s=round(bound, 1), product_vs_cpu_bound=round(product["pages_per_s"] / bound, 3),
                   bound_terms_ms_per_page={k: round(v, 2) for k, v in terms.items()})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="generated articles (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each crawl; medians are reported")
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN) of both crawls")
    parser.add_argument("--only", default="product,requisites,naive,fetch,extract", help="comma list of measurements")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="extra setting for the product crawl (e.g. EXTRACT_WORKERS=1)")
    parser.add_argument("--profile", action="store_true", help="one more product run under py-spy (crawl process)")
    parser.add_argument("--output", default=str(RESULTS), help="results JSON ('' = do not write)")
    parser.add_argument("--label", default="", help="stored with the results")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (outputs, logs, profile)")
    parser.add_argument("--serve", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve, args.seed)
        return 0

    only = set(args.only.split(","))
    extra = dict(pair.split("=", 1) for pair in args.settings)
    extra.setdefault("REQUISITES", "none")      # the product figures: pages only, comparable to the naive spider
    work = Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    report: dict = {"machine": machine(), "articles": args.articles, "concurrency": args.concurrency,
                    "label": args.label, "product_settings": extra, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "expected_items": expected_items(args.articles, args.seed)}
    print(f"machine: {report['machine']}\nload before: {load()}", flush=True)
    site = SiteProcess(args.articles, args.seed)
    print(f"site: {site.url} ({site.pages} pages pre-rendered, {args.articles} generated articles; "
          f"{report['expected_items']} stories expected)", flush=True)
    raw: dict[str, list] = {name: [] for name in ("product", "naive", "fetch", "extract", "requisites")}
    urls_file = None
    pages = article_pages(args.articles, args.seed) if "extract" in only else []
    try:
        for i in range(args.repeat):
            halves = []         # bare extraction brackets the product crawl: half before, half after
            if "extract" in only:
                halves.append(bare_extract(pages[0::2]))
            for name in ("product", "requisites", "fetch", "naive"):
                if name not in only:
                    continue
                before, load_before = site.cpu(), load()
                if name == "product":
                    result = product_crawl(site.url, args.concurrency, extra, work)
                    key = "news/articles"
                    if urls_file is None:
                        urls_file = work / "urls.txt"
                        result["urls_listed"] = fetched_urls(work / "product", urls_file)
                elif name == "requisites":
                    result = product_crawl(site.url, args.concurrency, dict(extra, REQUISITES="all"), work,
                                           name="requisites")
                    key = "news/articles"
                else:
                    result = naive_crawl(site.url, args.concurrency, work, urls_file, fetch_only=(name == "fetch"))
                    key = "item_scraped_count"
                result = crawl_figures(result, site.cpu() - before, key)
                result["load"] = load_before
                raw[name].append(result)
                print(f"  run {i + 1} {name:8s} {result['pages']:.0f} pages {result['pages_per_s']:7.1f} pages/s "
                      f"{result['articles_per_s']:6.1f} articles/s  cpu {result['cpu_s']:6.1f}s "
                      f"(main {result['main_cpu_s']:.1f}s, site {result['server_cpu_s']:.1f}s)  "
                      f"peak rss {result['peak_rss_mb']:.0f} MB pss {result['peak_pss_mb']:.0f} MB  "
                      f"items {result['items']}  load {result['load']}"
                      + (f"  WARC {result['warc_mb_per_article']:.3f} MB/article" if "warc_mb" in result else ""),
                      flush=True)
                if name == "product":
                    print("           per process (peak MB, CPU s): " + ", ".join(
                        f"{role} x{v['processes']} rss {v['rss']} pss {v['pss']} cpu {v['cpu_s']}"
                        for role, v in result["per_process_peak_mb"].items()), flush=True)
                    if halves:
                        halves.append(bare_extract(pages[1::2]))
            if halves:
                if len(halves) == 1:
                    halves.append(bare_extract(pages[1::2]))
                raw["extract"].append(merge_extract(halves))
                print(f"  run {i + 1} extract  trafilatura.extract {raw['extract'][-1]['cpu_ms_per_page']:.2f} ms "
                      f"CPU/page over {len(pages)} article pages (halves before/after the product crawl: "
                      f"{raw['extract'][-1]['cpu_ms_per_page_parts']})", flush=True)
        if args.profile and "product" in only:
            result = product_crawl(site.url, args.concurrency, extra, work, profile=True)
            report["profile"] = result["profile"]
            report["profile_main_cpu_s"] = result["main_cpu_s"]
    finally:
        site.close()

    report["runs"] = {name: runs for name, runs in raw.items() if runs}
    for runs in raw.values():
        for r in runs:
            r.pop("stats", None)
    summary = {name: summarize(runs) for name, runs in raw.items() if runs and name != "extract"}
    if raw["extract"]:
        summary["extract"] = {"pages": len(pages), "cpu_ms_per_page": round(statistics.median(
            r["cpu_ms_per_page"] for r in raw["extract"]), 3)}
    report["summary"] = summary
    per_repeat = [ratios_of(*runs) for runs in zip(*(raw[name] or [None] * args.repeat for name in
                                                       ("product", "naive", "fetch", "extract", "requisites")))]
    ratios = {}
    for name in ("product_vs_naive", "product_vs_cpu_bound", "cpu_bound_pages_per_s",
                 "requisites_vs_product_pages_per_s", "requisites_vs_product_articles_per_s"):
        values = [r[name] for r in per_repeat if name in r]
        if values:
            ratios[name] = round(statistics.median(values), 3)
            ratios[name + "_per_repeat"] = values
    of_medians = ratios_of(summary.get("product"), summary.get("naive"), summary.get("fetch"), summary.get("extract"),
                           summary.get("requisites"))
    ratios.update({f"{name}_of_medians": value for name, value in of_medians.items()})
    report["ratios"] = ratios
    report["load_after"] = load()

    print(f"\n{'':8s} {'pages/s':>8s} {'articles/s':>10s} {'CPU s':>7s} {'ms CPU/page':>11s} "
          f"{'peak RSS MB':>11s} {'peak PSS MB':>11s} {'items':>6s} {'WARC MB/article':>15s}")
    for name in ("product", "requisites", "naive", "fetch"):
        s = summary.get(name)
        if s:
            per_article = f"{s['warc_mb_per_article']:15.4f}" if "warc_mb_per_article" in s else ""
            print(f"{name:10s} {s['pages_per_s']:6.1f} {s['articles_per_s']:10.1f} {s['cpu_s']:7.1f} "
                  f"{s['cpu_ms_per_page']:11.2f} {s['peak_rss_mb']:11.0f} {s['peak_pss_mb']:11.0f} {s['items']:6.0f} "
                  f"{per_article}")
    if "extract" in summary:
        e = summary["extract"]
        print(f"extract  trafilatura.extract: {e['cpu_ms_per_page']:.2f} ms CPU/page over {e['pages']} article pages")
    for name, value in ratios.items():
        print(f"{name}: {value}")
    for scope, shares in report.get("profile", {}).items():
        print(f"busy time, crawl {scope}:", ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
    print(f"load after: {report['load_after']}")
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        history = json.loads(path.read_text()) if path.exists() else []
        history = history if isinstance(history, list) else [history]
        history.append(report)
        path.write_text(json.dumps(history, indent=1, default=str) + "\n")
        print(f"wrote {path}")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
