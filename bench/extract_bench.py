"""Extraction benchmark through `scrapy reextract`: body, captions, title, authors, dates, speed.

Reads third-party data from /work/shared (override with --corpus):
  corpus/article-extraction-benchmark/  181 pages + human ground truth (body P/R/F1, ScrapingHub metric)
  corpus/news-pages/fundus/             30 pages + fundus expected parse (captions, title, authors, date)
  corpus/news-pages/newspaper4k/        6 pages, 4 with newspaper4k metadata (title, date)
  corpus/news-pages/trafilatura/        6 pages + with/without snippets (captions must not be in the body)

Quality goes through the real archive path: every page becomes a request/response exchange
(`archives.writer.WarcWriter`, `Content-Type: text/html; charset=utf-8`, the page URL from the
ground truth / manifests) in bench/results/warcs/, `scrapy reextract --all-pages` runs over
them in a subprocess, and its JSON Lines are scored by URL with bench/scoring.py. A second
run without --all-pages counts the pages `page_kind` takes for articles.

Speed is measured in this process on the same decoded pages in the same run:
`crawler.extract.extract_article(html, url)` beside bare `trafilatura.extract(html)`
(defaults), interleaved, median of --repeat runs per page, after a warm-up.
Prints a table and writes bench/results/extract.json. Run: `make bench-extract`
(= `.venv/bin/python -m bench.extract_bench`; BENCH_ARGS="--repeat 3").
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
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
from bench import scoring  # noqa: E402
from crawler.extract import extract_article  # noqa: E402
from crawler.urls import canonicalize_url  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/corpus")
RESULTS = ROOT / "bench" / "results"
SETS = ("scrapinghub", "fundus", "newspaper4k", "trafilatura")


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

def load_pages(corpus: Path, limit: int | None = None) -> list[Page]:
    pages: list[Page] = []
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


def run_reextract(warc_dir: Path, out: Path, *, all_pages: bool, workers: int) -> tuple[list[dict], str, float]:
    """(records, summary line, wall seconds) of one `scrapy reextract` run."""
    args = [sys.executable, "-m", "scrapy", "reextract", str(warc_dir), "-O", str(out),
            "-s", f"EXTRACT_WORKERS={workers}"]
    if all_pages:
        args.append("--all-pages")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"scrapy reextract failed ({done.returncode}):\n{done.stderr}")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    summary = next((line for line in reversed(done.stderr.splitlines()) if line.startswith("reextract:")), "")
    return records, summary, seconds


def by_page(pages: list[Page], records: list[dict]) -> dict[tuple[str, str], dict]:
    """Reextract's records keyed like the pages, joined on the canonical URL."""
    keys: dict[str, tuple[str, str]] = {}
    for page in pages:
        url_key = canonicalize_url(safe_url_string(page.url))
        if url_key in keys:
            raise SystemExit(f"two benchmark pages share the URL {page.url}")
        keys[url_key] = (page.corpus, page.key)
    out = {}
    for record in records:
        key = keys.get(canonicalize_url(record["url"]))
        if key is not None:
            out[key] = record
    return out


# --- timing (in process) ----------------------------------------------------------------------

def _timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def time_pages(pages: list[Page], repeat: int) -> dict[tuple[str, str], tuple[float, float]]:
    """(ours ms, bare ms) per page: medians of `repeat` interleaved runs on the decoded page."""
    extract_article("<html><body><p>warm up</p></body></html>", "http://example.com/")
    trafilatura.extract("<html><body><p>warm up</p></body></html>")
    out = {}
    for page in pages:
        html = page.html
        ours, bare = [], []
        for _ in range(repeat):
            bare.append(_timed(trafilatura.extract, html))
            ours.append(_timed(extract_article, html, page.url))
        out[(page.corpus, page.key)] = (statistics.median(ours), statistics.median(bare))
    return out


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


# --- scoring ----------------------------------------------------------------------------------

def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def score_scrapinghub(pages: list[Page], got: dict) -> dict:
    pages = [p for p in pages if p.corpus == "scrapinghub"]
    gt = {p.key: p.truth["articleBody"] for p in pages}
    ours = scoring.body_scores(gt, {p.key: (got.get(("scrapinghub", p.key)) or {}).get("text") for p in pages})
    bare = scoring.body_scores(gt, {p.key: trafilatura.extract(p.html) for p in pages})
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


def score_snippets(pages: list[Page], got: dict) -> dict:
    pages = [p for p in pages if p.corpus == "trafilatura"]
    ours, bare = [0, 0, 0, 0], [0, 0, 0, 0]
    for page in pages:
        texts = ((ours, (got.get(("trafilatura", page.key)) or {}).get("text")), (bare, trafilatura.extract(page.html)))
        for counts, text in texts:
            for i, n in enumerate(scoring.snippet_counts(text, page.truth.get("with", []), page.truth.get("without", []))):
                counts[i] += n

    def prf(c):
        tp, fp, fn, _ = c
        p, r = _ratio(tp, tp + fp) or 0.0, _ratio(tp, tp + fn) or 0.0
        return {"tp_fp_fn_tn": c, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}

    return {"pages": len(pages), "ours": prf(ours), "bare_trafilatura": prf(bare)}


# --- main -------------------------------------------------------------------------------------

def _fmt(value, spec=".3f") -> str:
    return "-" if value is None else format(value, spec)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per page (median taken)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N ScrapingHub pages")
    parser.add_argument("--workers", type=int, default=1, help="EXTRACT_WORKERS for the reextract runs")
    parser.add_argument("--warcs", type=Path, default=RESULTS / "warcs", help="where the WARCs are built")
    parser.add_argument("--out", type=Path, default=RESULTS / "extract.json")
    args = parser.parse_args(argv)

    pages = load_pages(args.corpus, args.limit)
    warcs = write_warcs(pages, args.warcs)
    jsonl_dir = args.out.parent
    jsonl_dir.mkdir(parents=True, exist_ok=True)
    records, summary, seconds = run_reextract(args.warcs, jsonl_dir / "extract-all-pages.jsonl",
                                              all_pages=True, workers=args.workers)
    got = by_page(pages, records)
    articles, summary_kind, _ = run_reextract(args.warcs, jsonl_dir / "extract-articles.jsonl",
                                              all_pages=False, workers=args.workers)
    as_article = by_page(pages, articles)
    kinds = {name: [sum(1 for p in pages if p.corpus == name and (p.corpus, p.key) in as_article),
                    sum(1 for p in pages if p.corpus == name)] for name in SETS}
    missing = [f"{p.corpus}/{p.key}" for p in pages if (p.corpus, p.key) not in got]
    not_articles = [p.url for p in pages if (p.corpus, p.key) not in as_article]

    sh, fu, n4, sn = (score_scrapinghub(pages, got), score_fundus(pages, got),
                      score_newspaper4k(pages, got), score_snippets(pages, got))

    timed_pages = [p for p in pages if p.corpus in ("scrapinghub", "fundus") or (p.corpus == "newspaper4k" and p.truth)]
    ms = time_pages(timed_pages, args.repeat)
    ours_ms = [ms[(p.corpus, p.key)][0] for p in timed_pages]
    bare_ms = [ms[(p.corpus, p.key)][1] for p in timed_pages]
    sh_ms = [ms[(p.corpus, p.key)] for p in timed_pages if p.corpus == "scrapinghub"]
    timing = {
        "method": "in process, same decoded pages, interleaved, median of `repeat` runs per page: "
                  "crawler.extract.extract_article(html, url) vs trafilatura.extract(html)",
        "ours_median_ms": statistics.median(ours_ms), "ours_p95_ms": _pct(ours_ms, 0.95),
        "bare_median_ms": statistics.median(bare_ms), "bare_p95_ms": _pct(bare_ms, 0.95),
        "scrapinghub_ours_median_ms": statistics.median(o for o, _ in sh_ms),
        "scrapinghub_bare_median_ms": statistics.median(b for _, b in sh_ms),
        "pages": len(timed_pages), "repeat": args.repeat,
        "reextract_all_pages_seconds": seconds, "reextract_workers": args.workers,
    }
    timing["median_ratio"] = timing["ours_median_ms"] / timing["bare_median_ms"]
    title_hits = fu["titles"][0] + n4["titles"][0]
    title_total = fu["titles"][1] + n4["titles"][1]

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
        ("median ms/page (%d pages, x%d)" % (timing["pages"], args.repeat), f"{timing['ours_median_ms']:.1f}",
         f"{timing['bare_median_ms']:.1f}  ratio {timing['median_ratio']:.2f}"),
        ("p95 ms/page", f"{timing['ours_p95_ms']:.1f}", f"{timing['bare_p95_ms']:.1f}"),
        ("page_kind = article (no --all-pages)", "%d/%d" % tuple(map(sum, zip(*kinds.values()))),
         ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in kinds.items())),
    ]
    print(f"{len(pages)} pages -> {len(warcs)} WARC file(s) in {args.warcs}")
    print(f"{summary} ({seconds:.1f} s, EXTRACT_WORKERS={args.workers})")
    print(summary_kind)
    for url in not_articles:
        print(f"  not an article to page_kind: {url}")
    if missing:
        print(f"NOT in reextract output ({len(missing)}): {', '.join(missing)}")
    print()
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'ours (reextract)':<16}  bare trafilatura.extract / notes")
    for name, ours_v, other in rows:
        print(f"{name:<{width}}  {ours_v:<16}  {other}")
    print(f"\ntiming: {timing['method']}")
    print("\nworst body pages:")
    for w in sh["worst"]:
        print(f"  {w['f1']:.3f} (bare {w['bare_f1']:.3f}) {w['id'][:12]} {w['url']}")
    misses = [p for p in fu["per_page"] + n4["per_page"] if not p["title_ok"]]
    if misses:
        print("\ntitle misses:")
        for p in misses:
            print(f"  {p['page']}\n    got      {p['title']}\n    expected {p['expected_title']}")

    result = {"scrapinghub": sh, "fundus": fu, "newspaper4k": n4, "snippets": sn, "timing": timing,
              "title_exact_combined": _ratio(title_hits, title_total),
              "page_kind_articles": kinds, "not_articles": not_articles, "missing": missing,
              "reextract": {"all_pages": summary, "articles_only": summary_kind, "warcs": [str(w) for w in warcs]}}
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
