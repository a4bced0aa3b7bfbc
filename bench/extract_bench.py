"""Extraction benchmark through `scrapy reextract`: issue 14's figures in one run.

Reads third-party data from the shared corpus (default: `shared/corpus` beside the repo or one of
its parents, see bench.wcxb.default_corpus; override with --corpus):
  wcxb-dev/                             1,358 real pages of 7 types (bench/wcxb.py: split by domain
                                        into a development and a held-out half, the benchmark's metric)
  article-extraction-benchmark/         181 pages + human ground truth (body P/R/F1, ScrapingHub metric)
  news-pages/fundus/                    30 pages + fundus expected parse (captions, title, authors, date)
  news-pages/newspaper4k/               6 pages, 4 with newspaper4k metadata (title, date)
  news-pages/trafilatura/               6 pages + with/without snippets (captions must not be in the body)

Quality goes through the real archive path: every page becomes a request/response exchange
(`archives.writer.WarcWriter`, `Content-Type: text/html; charset=utf-8`, the page URL from the
ground truth / manifests) in bench/results/warcs/, `scrapy reextract --all-pages` runs over
them in a subprocess, and its JSON Lines are scored by URL. A second run without --all-pages
(EXTRACT_WORKERS=--workers, 2 by default) says which pages become articles, and is the
throughput figure: its pages/s against bare trafilatura's in one process on the same pages.

CPU per page is measured in this process on the same decoded pages in the same run, interleaved,
median of --repeat runs per page: bare `trafilatura.extract(html)` (defaults; its output is also
the "bare trafilatura" column), `crawler.extract.extract_article(html, url)` (like for like),
and `crawler.extract.page.analyze_page` (what a crawl worker does: links, classify, extract).
Prints a table and writes bench/results/extract.json. Run: `make bench-extract`
(= `.venv/bin/python -m bench.extract_bench`; BENCH_ARGS="--repeat 3").
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from w3lib.url import safe_url_string  # noqa: E402

from archives.writer import WarcWriter  # noqa: E402
from bench import scoring, wcxb  # noqa: E402
from crawler.extract import ExtractionError, extract_article  # noqa: E402
from crawler.extract.page import analyze_page  # noqa: E402
from crawler.urls import canonicalize_url  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SETS = ("wcxb", "scrapinghub", "fundus", "newspaper4k", "trafilatura")


@dataclass
class Page:
    corpus: str
    key: str
    url: str
    body: bytes  # the page as stored: UTF-8
    truth: dict = field(default_factory=dict)
    date: datetime | None = None

    @property
    def html(self) -> str:
        return self.body.decode("utf-8")


def _read_gz(path: Path) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read()


# --- corpus ---------------------------------------------------------------------------------

def load_pages(corpus: Path, limit: int | None = None, with_wcxb: bool = False) -> list[Page]:
    """The corpus's pages; `limit`: only the first N ScrapingHub (and WCXB) pages."""
    pages: list[Page] = []
    if with_wcxb:
        for wp in wcxb.load_pages(corpus)[:limit] if limit else wcxb.load_pages(corpus):
            pages.append(Page("wcxb", wp.id, wp.fetch_url, wp.body, {"page": wp}))
    base = corpus / "article-extraction-benchmark"
    truth = json.loads((base / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth)[:limit] if limit else sorted(truth):
        pages.append(Page("scrapinghub", key, truth[key]["url"], _read_gz(base / "html" / f"{key}.html.gz"),
                          truth[key]))

    base = corpus / "news-pages" / "fundus"
    for entry in json.loads((base / "manifest.json").read_text(encoding="utf-8")):
        expected = json.loads((base / entry["expected"]).read_text(encoding="utf-8"))[entry["version_key"]]
        crawled = datetime.fromisoformat(entry["crawl_date"]).replace(tzinfo=timezone.utc)
        pages.append(Page("fundus", entry["html"], entry["url"], _read_gz(base / entry["html"]), expected, crawled))

    base = corpus / "news-pages" / "newspaper4k"
    for path in sorted((base / "html").glob("*.html.gz")):
        name = path.name[: -len(".html.gz")]
        body = _read_gz(path)
        mpath = base / "metadata" / f"{name}.json"
        meta = json.loads(mpath.read_text(encoding="utf-8")) if mpath.exists() else {}
        url = meta.get("url") or _canonical_link(body)
        if url:
            pages.append(Page("newspaper4k", name, url, body, meta))

    base = corpus / "news-pages" / "trafilatura"
    for url, entry in json.loads((base / "evaldata-subset.json").read_text(encoding="utf-8")).items():
        pages.append(Page("trafilatura", entry["file"], url, _read_gz(base / "html" / f"{entry['file']}.gz"), entry))
    return pages


def _canonical_link(body: bytes) -> str | None:
    """The page's rel=canonical (the newspaper4k pages without metadata; see news-pages/README.md)."""
    import lxml.html

    hrefs = lxml.html.fromstring(body).xpath('//link[@rel="canonical"]/@href')
    return hrefs[0].strip() if hrefs else None


# --- archive + reextract --------------------------------------------------------------------

def write_warcs(pages: list[Page], directory: Path) -> list[Path]:
    """One request/response exchange per page, as a crawl of that URL would have archived it."""
    if directory.exists():
        shutil.rmtree(directory)
    with WarcWriter(directory, prefix="extract-bench", hostname="bench", cdxj=False, recover=False) as writer:
        for page in pages:
            url = safe_url_string(page.url)
            parts = urlsplit(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request_head = (f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                            "User-Agent: extract-bench\r\nAccept: text/html\r\n\r\n").encode("ascii")
            response_head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(page.body))
            writer.write_exchange(url=url, request_head=request_head, response_head=response_head,
                                  response_body=page.body, date=page.date)
        return writer.close()


@dataclass
class ReextractRun:
    records: list[dict]
    summary: str        # reextract's last stderr line
    seconds: float      # wall
    cpu: float          # user + system CPU of the scrapy process and its workers


def _children() -> set[int]:
    kids: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as fh:
            kids.update(int(pid) for pid in fh.read().split())
    return kids


def _adopt_orphans() -> bool:
    """Become the subreaper of what a run starts (Linux): reextract's workers are children of
    its forkserver, which outlives reextract by a moment and is reaped by nobody there, so its
    CPU (and, through it, the workers') would never reach RUSAGE_CHILDREN. False if not possible."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_adopted(known: set[int], timeout: float = 60) -> None:
    """Wait for the processes a run left to this subreaper (the forkserver leaves once it sees
    the run's end), so their CPU joins RUSAGE_CHILDREN."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        adopted = _children() - known
        if not adopted:
            return
        for pid in adopted:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def run_reextract(warc_dir: Path, out: Path, *, all_pages: bool, workers: int) -> ReextractRun:
    """One `scrapy reextract` run in a subprocess; its CPU includes its worker processes'.
    Duplicates are written too, marked `duplicate_of` (the dedupe runs as by default): a page
    folded into another (WCXB holds docs/18/x.html and docs/current/x.html, and near-copies)
    is still scored on its own extraction, and the folds are listed rather than missing."""
    args = [sys.executable, "-m", "scrapy", "reextract", str(warc_dir), "-O", str(out),
            "-s", f"EXTRACT_WORKERS={workers}", "-s", "DEDUPE_EMIT_DUPLICATES=true"]
    if all_pages:
        args.append("--all-pages")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    adopting = _adopt_orphans()
    known = _children() if adopting else set()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if adopting:
        _reap_adopted(known)
    else:
        print("warning: cannot adopt reextract's forkserver: its workers' CPU is not counted", file=sys.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"scrapy reextract failed ({done.returncode}):\n{done.stderr}")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    summary = next((line for line in reversed(done.stderr.splitlines()) if line.startswith("reextract:")), "")
    return ReextractRun(records, summary, seconds, cpu)


def by_page(pages: list[Page], records: list[dict]) -> dict[tuple[str, str], dict]:
    """Reextract's records keyed like the pages, joined on the canonical URL. Two pages of one
    URL (WCXB stores one page twice, with and without a trailing slash) must be the same page:
    reextract writes the first and both get it."""
    keys: dict[str, list[tuple[str, str]]] = {}
    bodies: dict[str, bytes] = {}
    for page in pages:
        url_key = canonicalize_url(safe_url_string(page.url))
        if url_key in keys and bodies[url_key] != page.body:
            raise SystemExit(f"two different benchmark pages share the URL {page.url}")
        keys.setdefault(url_key, []).append((page.corpus, page.key))
        bodies[url_key] = page.body
    out = {}
    for record in records:
        for key in keys.get(canonicalize_url(record["url"]), ()):
            out[key] = record
    return out


# --- timing (in process) ----------------------------------------------------------------------

TIMING_ERRORS: list[str] = []  # "url: exception" of calls that raised while timed (reported, not fatal)


def _timed(fn, *args, **kwargs):
    """(result, CPU ms, wall ms) of one call; a call that raises gives None (and is listed)."""
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:  # one page breaking an extractor must not end the benchmark
        TIMING_ERRORS.append(f"{getattr(fn, '__name__', fn)}({args[1] if len(args) > 1 else ''}): {exc!r}")
        result = None
    return result, (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


@dataclass
class Timing:
    bare_text: str | None   # trafilatura.extract's output: the bare column's prediction
    bare_cpu: float         # ms, medians of `repeat` runs
    bare_wall: float
    extract_cpu: float      # extract_article
    analyze_cpu: float      # analyze_page


def time_pages(pages: list[Page], repeat: int) -> dict[tuple[str, str], Timing]:
    """Per page, interleaved on the decoded page: bare trafilatura.extract, extract_article,
    analyze_page (bytes in, as a crawl worker gets them); medians of `repeat` runs."""
    extract_article("<html><body><p>warm up</p></body></html>", "http://example.com/")
    trafilatura.extract("<html><body><p>warm up</p></body></html>")
    out = {}
    for page in pages:
        html = page.html
        runs = []
        for _ in range(repeat):
            text, bare_cpu, bare_wall = _timed(trafilatura.extract, html)
            _, ours_cpu, _ = _timed(extract_article, html, page.url)
            _, analyze_cpu, _ = _timed(analyze_page, page.body, page.url, "utf-8")
            runs.append((bare_cpu, bare_wall, ours_cpu, analyze_cpu))
        med = [statistics.median(r[i] for r in runs) for i in range(4)]
        out[(page.corpus, page.key)] = Timing(text, *med)
    return out


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


# --- scoring ----------------------------------------------------------------------------------

def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def score_scrapinghub(pages: list[Page], got: dict, bare_texts: dict) -> dict:
    pages = [p for p in pages if p.corpus == "scrapinghub"]
    gt = {p.key: p.truth["articleBody"] for p in pages}
    ours = scoring.body_scores(gt, {p.key: (got.get(("scrapinghub", p.key)) or {}).get("text") for p in pages})
    bare = scoring.body_scores(gt, {p.key: bare_texts[("scrapinghub", p.key)] for p in pages})
    nocomm = scoring.body_scores(gt, {p.key: trafilatura.extract(p.html, include_comments=False) for p in pages})
    worst = sorted(ours["per_doc"].items(), key=lambda kv: kv[1])[:10]
    urls = {p.key: p.url for p in pages}
    strip = lambda s: {k: v for k, v in s.items() if k != "per_doc"}  # noqa: E731
    return {
        "pages": len(pages), "ours": strip(ours), "bare_trafilatura": strip(bare),
        "trafilatura_no_comments": strip(nocomm),
        "worst": [{"id": k, "f1": round(v, 3), "url": urls[k], "bare_f1": round(bare["per_doc"][k], 3)}
                  for k, v in worst],
    }


def score_fundus(pages: list[Page], got: dict) -> dict:
    pages = [p for p in pages if p.corpus == "fundus"]
    tp = fp = fn = titles = dates = dated = a_tp = a_fp = a_fn = 0
    per_page = []
    for page in pages:
        exp, rec = page.truth, got.get(("fundus", page.key)) or {}
        want = [img["caption"] for img in exp.get("images", []) if img.get("caption")]
        c = scoring.caption_scores(want, rec.get("captions") or [])
        tp, fp, fn = tp + c[0], fp + c[1], fn + c[2]
        t_ok = scoring.title_match(exp.get("title"), rec.get("title"))
        titles += t_ok
        d_ok = None
        if exp.get("publishing_date"):
            dated += 1
            d_ok = scoring.same_day(exp["publishing_date"], rec.get("published"))
            dates += d_ok
        if "authors" in exp:
            a = scoring.author_scores(exp["authors"], rec.get("authors") or [])
            a_tp, a_fp, a_fn = a_tp + a[0], a_fp + a[1], a_fn + a[2]
        per_page.append({"page": page.key, "captions_tp_fp_fn": c, "title_ok": t_ok, "date_ok": d_ok,
                         "title": rec.get("title"), "expected_title": exp.get("title"),
                         "published": rec.get("published"), "expected_date": exp.get("publishing_date")})
    return {
        "pages": len(pages),
        "captions": {"tp": tp, "fp": fp, "fn": fn, "precision": _ratio(tp, tp + fp) or 0.0,
                     "recall": _ratio(tp, tp + fn) or 0.0},
        "titles": [titles, len(pages)], "title_exact": _ratio(titles, len(pages)),
        "published_same_day": _ratio(dates, dated),
        "authors": {"precision": _ratio(a_tp, a_tp + a_fp) or 0.0, "recall": _ratio(a_tp, a_tp + a_fn) or 0.0},
        "per_page": per_page,
    }


def score_newspaper4k(pages: list[Page], got: dict) -> dict:
    pages = [p for p in pages if p.corpus == "newspaper4k" and p.truth]  # the 4 with metadata
    titles = dates = dated = 0
    per_page = []
    for page in pages:
        meta, rec = page.truth, got.get(("newspaper4k", page.key)) or {}
        t_ok = scoring.title_match(meta.get("title"), rec.get("title"))
        titles += t_ok
        d_ok = None
        if meta.get("publish_date"):
            dated += 1
            d_ok = scoring.same_day(meta["publish_date"], rec.get("published"))
            dates += d_ok
        per_page.append({"page": page.key, "title_ok": t_ok, "date_ok": d_ok, "title": rec.get("title"),
                         "expected_title": meta.get("title"), "published": rec.get("published"),
                         "expected_date": meta.get("publish_date")})
    return {"pages": len(pages), "titles": [titles, len(pages)], "title_exact": _ratio(titles, len(pages)),
            "published_same_day": _ratio(dates, dated), "per_page": per_page}


def score_snippets(pages: list[Page], got: dict, bare_texts: dict) -> dict:
    pages = [p for p in pages if p.corpus == "trafilatura"]
    ours, bare = [0, 0, 0, 0], [0, 0, 0, 0]
    for page in pages:
        texts = ((ours, (got.get(("trafilatura", page.key)) or {}).get("text")),
                 (bare, bare_texts[("trafilatura", page.key)]))
        for counts, text in texts:
            for i, n in enumerate(scoring.snippet_counts(text, page.truth.get("with", []), page.truth.get("without", []))):
                counts[i] += n

    def prf(c):
        tp, fp, fn, _ = c
        p, r = _ratio(tp, tp + fp) or 0.0, _ratio(tp, tp + fn) or 0.0
        return {"tp_fp_fn_tn": c, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}

    return {"pages": len(pages), "ours": prf(ours), "bare_trafilatura": prf(bare)}


def score_wcxb(pages: list[Page], got: dict, as_article: dict, bare_texts: dict) -> dict:
    """bench.wcxb figures of reextract's items and of bare trafilatura, per half."""
    wpages = [p.truth["page"] for p in pages if p.corpus == "wcxb"]
    ours, bare = {}, {}
    for wp in wpages:
        rec = got.get(("wcxb", wp.id)) or {}
        ours[wp.id] = {"text": rec.get("text"), "title": rec.get("title"), "authors": rec.get("authors"),
                       "published": rec.get("published"), "emitted": ("wcxb", wp.id) in as_article}
        metadata = trafilatura.extract_metadata(wp.html)
        author = getattr(metadata, "author", None)
        bare[wp.id] = {"text": bare_texts[("wcxb", wp.id)], "title": getattr(metadata, "title", None),
                       "authors": [a.strip() for a in author.split(";")] if author else [],
                       "published": getattr(metadata, "date", None), "emitted": None}
    out = {}
    for half in ("dev", "heldout"):
        subset = [wp for wp in wpages if wp.half == half]
        if subset:
            out[f"ours {half}"] = wcxb.score(subset, ours)
            out[f"bare {half}"] = wcxb.score(subset, bare)
    return out


def split_absent(pages: list[Page], got: dict) -> tuple[list[str], list[str]]:
    """(missing, no_body) among the pages absent from the --all-pages output. reextract emits an
    item only when a page has a body, so a page whose extraction gives no text is absent on
    purpose (listed apart); any other absent page is a real failure, the one the exit code reports."""
    missing, no_body = [], []
    for p in pages:
        if (p.corpus, p.key) in got:
            continue
        try:
            text = extract_article(p.body, p.url, encoding="utf-8").get("text")
        except ExtractionError:
            text = None
        (missing if text else no_body).append(f"{p.corpus}/{p.key}")
    return missing, no_body


# --- main -------------------------------------------------------------------------------------

def _fmt(value, spec=".3f") -> str:
    return "-" if value is None else format(value, spec)


def _speed(pages: list[Page], timings: dict, run: ReextractRun, workers: int) -> dict:
    """Throughput and CPU per page: reextract (articles only, `workers` processes) against bare
    trafilatura in one process, and the in-process CPU ratios, all on the same pages."""
    t = [timings[(p.corpus, p.key)] for p in pages]
    n = len(t)
    bare_wall, bare_cpu = sum(x.bare_wall for x in t) / 1000, sum(x.bare_cpu for x in t) / 1000
    extract_cpu, analyze_cpu = sum(x.extract_cpu for x in t) / 1000, sum(x.analyze_cpu for x in t) / 1000
    return {
        "pages": n, "megabytes": sum(len(p.body) for p in pages) / 1e6, "reextract_workers": workers,
        "reextract_seconds": run.seconds, "reextract_cpu_seconds": run.cpu,
        "reextract_pages_per_s": n / run.seconds, "bare_pages_per_s": n / bare_wall,
        "bare_seconds": bare_wall, "bare_cpu_seconds": bare_cpu,
        "throughput_ratio": (n / run.seconds) / (n / bare_wall),
        "reextract_cpu_per_page_ratio": run.cpu / bare_cpu,
        "extract_cpu_ratio": extract_cpu / bare_cpu,
        "analyze_cpu_ratio": analyze_cpu / bare_cpu,
        "bare_cpu_ms_per_page": 1000 * bare_cpu / n, "extract_cpu_ms_per_page": 1000 * extract_cpu / n,
        "analyze_cpu_ms_per_page": 1000 * analyze_cpu / n,
        "extract_cpu_median_ms": statistics.median(x.extract_cpu for x in t),
        "bare_cpu_median_ms": statistics.median(x.bare_cpu for x in t),
        "extract_cpu_p95_ms": _pct([x.extract_cpu for x in t], 0.95),
        "bare_cpu_p95_ms": _pct([x.bare_cpu for x in t], 0.95),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None,
                        help="the shared corpus folder (default: shared/corpus beside the repo or a parent)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per page (median taken)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N ScrapingHub and WCXB pages")
    parser.add_argument("--no-wcxb", action="store_true", help="leave out the WCXB pages (a quick run)")
    parser.add_argument("--workers", type=int, default=2, help="EXTRACT_WORKERS for the reextract runs")
    parser.add_argument("--warcs", type=Path, default=RESULTS / "warcs", help="where the WARCs are built")
    parser.add_argument("--out", type=Path, default=RESULTS / "extract.json")
    args = parser.parse_args(argv)

    corpus = args.corpus or wcxb.default_corpus()
    try:
        pages = load_pages(corpus, args.limit, with_wcxb=not args.no_wcxb)
    except (FileNotFoundError, NotADirectoryError) as exc:
        print(f"error: corpus not found: {exc} (give --corpus)", file=sys.stderr)
        return 2
    warcs = write_warcs(pages, args.warcs)
    jsonl_dir = args.out.parent
    jsonl_dir.mkdir(parents=True, exist_ok=True)
    all_run = run_reextract(args.warcs, jsonl_dir / "extract-all-pages.jsonl", all_pages=True, workers=args.workers)
    got = by_page(pages, all_run.records)
    kind_run = run_reextract(args.warcs, jsonl_dir / "extract-articles.jsonl", all_pages=False, workers=args.workers)
    as_article = by_page(pages, kind_run.records)
    kinds = {name: [sum(1 for p in pages if p.corpus == name and (p.corpus, p.key) in as_article),
                    sum(1 for p in pages if p.corpus == name)] for name in SETS}
    missing, no_body = split_absent(pages, got)
    not_articles = [p.url for p in pages if p.corpus != "wcxb" and (p.corpus, p.key) not in as_article]

    timings = time_pages(pages, args.repeat)
    bare_texts = {k: t.bare_text for k, t in timings.items()}
    speed = _speed(pages, timings, kind_run, args.workers)
    sh, fu, n4, sn = (score_scrapinghub(pages, got, bare_texts), score_fundus(pages, got),
                      score_newspaper4k(pages, got), score_snippets(pages, got, bare_texts))
    wx = score_wcxb(pages, got, as_article, bare_texts)
    title_hits = fu["titles"][0] + n4["titles"][0]
    title_total = fu["titles"][1] + n4["titles"][1]

    print(f"{len(pages)} pages ({speed['megabytes']:.0f} MB) -> {len(warcs)} WARC file(s) in {args.warcs}")
    print(f"{all_run.summary} ({all_run.seconds:.1f} s, EXTRACT_WORKERS={args.workers})")
    print(f"{kind_run.summary} ({kind_run.seconds:.1f} s)")
    for url in not_articles:
        print(f"  not an article to page_kind: {url}")
    if no_body:
        print(f"no body, so no item (as intended) ({len(no_body)}): {', '.join(no_body)}")
    folded = [f"{r['url']} -> {r['duplicate_of']}" for r in all_run.records if r.get("duplicate_of")]
    if folded:
        print(f"duplicates found by the dedupe (scored on their own extraction) ({len(folded)}):")
        for line in folded:
            print(f"  {line}")
    if missing:
        print(f"NOT in reextract output although extract_article gives a body ({len(missing)}): {', '.join(missing)}")
    if wx:
        print("\nWCXB development split (bench/wcxb.py; 'heldout' = domains never tuned on)")
        wcxb.print_comparison(wx)

    o, b, nc = sh["ours"], sh["bare_trafilatura"], sh["trafilatura_no_comments"]
    rows = [
        ("body F1 (ScrapingHub, %d pages)" % sh["pages"], f"{o['f1']:.3f} ± {o['f1_std']:.3f}",
         f"{b['f1']:.3f} (no comments {nc['f1']:.3f})"),
        ("body precision", f"{o['precision']:.3f}", f"{b['precision']:.3f} ({nc['precision']:.3f})"),
        ("body recall", f"{o['recall']:.3f}", f"{b['recall']:.3f} ({nc['recall']:.3f})"),
        ("body accuracy", f"{o['accuracy']:.3f}", f"{b['accuracy']:.3f} ({nc['accuracy']:.3f})"),
        ("captions P (fundus)", f"{fu['captions']['precision']:.3f}", ""),
        ("captions R (fundus)", f"{fu['captions']['recall']:.3f}",
         f"tp={fu['captions']['tp']} fp={fu['captions']['fp']} fn={fu['captions']['fn']}"),
        ("title exact (fundus)", _fmt(fu["title_exact"]), "%d/%d" % tuple(fu["titles"])),
        ("title exact (newspaper4k)", _fmt(n4["title_exact"]), "%d/%d" % tuple(n4["titles"])),
        ("title exact (fundus + newspaper4k)", _fmt(_ratio(title_hits, title_total)), f"{title_hits}/{title_total}"),
        ("published same day (fundus)", _fmt(fu["published_same_day"]), ""),
        ("published same day (newspaper4k)", _fmt(n4["published_same_day"]), ""),
        ("snippets P / R (trafilatura, %d pages)" % sn["pages"],
         f"{sn['ours']['precision']:.3f} / {sn['ours']['recall']:.3f}",
         f"{sn['bare_trafilatura']['precision']:.3f} / {sn['bare_trafilatura']['recall']:.3f}"
         f"  (tp,fp,fn,tn ours {sn['ours']['tp_fp_fn_tn']})"),
        ("authors P / R (fundus)", f"{fu['authors']['precision']:.3f} / {fu['authors']['recall']:.3f}", ""),
        ("page_kind = article (no --all-pages)", "%d/%d" % tuple(map(sum, zip(*kinds.values()))),
         ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in kinds.items())),
    ]
    print()
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'ours (reextract)':<16}  bare trafilatura.extract / notes")
    for name, ours_v, other in rows:
        print(f"{name:<{width}}  {ours_v:<16}  {other}")

    sp = speed
    for error in TIMING_ERRORS:
        print(f"  raised while timed: {error}")
    print(f"\nspeed, {sp['pages']} pages ({sp['megabytes']:.0f} MB), one run:")
    print(f"  scrapy reextract, EXTRACT_WORKERS={sp['reextract_workers']}: {sp['reextract_seconds']:.1f} s wall, "
          f"{sp['reextract_cpu_seconds']:.1f} s CPU, {sp['reextract_pages_per_s']:.1f} pages/s")
    print(f"  bare trafilatura.extract, one process: {sp['bare_seconds']:.1f} s, {sp['bare_pages_per_s']:.1f} pages/s")
    print(f"  reextract / trafilatura pages/s: {sp['throughput_ratio']:.2f}x (target >= 1.5); "
          f"reextract CPU per page: {sp['reextract_cpu_per_page_ratio']:.2f}x trafilatura's")
    print(f"  in process, CPU ms/page: bare {sp['bare_cpu_ms_per_page']:.1f}, extract_article "
          f"{sp['extract_cpu_ms_per_page']:.1f} ({sp['extract_cpu_ratio']:.2f}x, target <= 1.25), analyze_page "
          f"{sp['analyze_cpu_ms_per_page']:.1f} ({sp['analyze_cpu_ratio']:.2f}x); medians "
          f"{sp['extract_cpu_median_ms']:.1f} vs {sp['bare_cpu_median_ms']:.1f}, p95 {sp['extract_cpu_p95_ms']:.1f} vs "
          f"{sp['bare_cpu_p95_ms']:.1f}")
    print("\nworst body pages (ScrapingHub):")
    for w in sh["worst"]:
        print(f"  {w['f1']:.3f} (bare {w['bare_f1']:.3f}) {w['id'][:12]} {w['url']}")
    misses = [p for p in fu["per_page"] + n4["per_page"] if not p["title_ok"]]
    if misses:
        print("\ntitle misses:")
        for p in misses:
            print(f"  {p['page']}\n    got      {p['title']}\n    expected {p['expected_title']}")

    result = {"wcxb": {k: {kk: vv for kk, vv in v.items() if kk != "per_page"} for k, v in wx.items()},
              "scrapinghub": sh, "fundus": fu, "newspaper4k": n4, "snippets": sn, "speed": speed,
              "title_exact_combined": _ratio(title_hits, title_total),
              "page_kind_articles": kinds, "not_articles": not_articles, "missing": missing,
              "no_body": no_body,
              "reextract": {"all_pages": all_run.summary, "articles_only": kind_run.summary,
                            "warcs": [str(w) for w in warcs]}}
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    if wx:
        (args.out.parent / "extract-wcxb-per-page.json").write_text(
            json.dumps({k: v["per_page"] for k, v in wx.items()}, indent=0), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
