"""Extraction benchmark: body, captions, title, authors, dates and speed.

Reads third-party data from /work/shared (override with --corpus):
  corpus/article-extraction-benchmark/  181 pages + human ground truth (body P/R/F1, ScrapingHub metric)
  corpus/news-pages/fundus/             30 pages + fundus expected parse (captions, title, authors, date)
  corpus/news-pages/newspaper4k/        6 pages + newspaper4k metadata (title, date)
  corpus/news-pages/trafilatura/        6 pages + with/without snippets (captions must not be in the body)
and times `crawler.extract.extract_article` beside bare `trafilatura.extract` (defaults) on the
same decoded pages in the same run (interleaved, median of --repeat runs per page).
Prints a table and writes bench/results/extract.json. Run: `make bench-extract`
(= `.venv/bin/python -m bench.extract_bench`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from bench import scoring  # noqa: E402
from crawler.extract import extract_article  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/corpus")


def _read_gz(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read()


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


def run_pages(pages: list[tuple[str, str, str]], repeat: int) -> tuple[dict, dict, dict, dict]:
    """pages: (key, url, html). Returns ours, bare, our ms, bare ms per key."""
    ours, bare, ours_ms, bare_ms = {}, {}, {}, {}
    for key, url, html in pages:
        o_times, b_times = [], []
        for _ in range(repeat):
            b, bt = _timed(trafilatura.extract, html)
            o, ot = _timed(extract_article, html, url)
            b_times.append(bt)
            o_times.append(ot)
        ours[key], bare[key] = o, b
        ours_ms[key], bare_ms[key] = statistics.median(o_times), statistics.median(b_times)
    return ours, bare, ours_ms, bare_ms


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return 0.0
    idx = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[idx]


def scrapinghub(corpus: Path, repeat: int, limit: int | None) -> dict:
    base = corpus / "article-extraction-benchmark"
    truth = json.loads((base / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    pages = [(k, truth[k]["url"], _read_gz(base / "html" / f"{k}.html.gz")) for k in keys]
    ours, bare, ours_ms, bare_ms = run_pages(pages, repeat)
    gt = {k: truth[k]["articleBody"] for k in keys}
    ours_scores = scoring.body_scores(gt, {k: (ours[k] or {}).get("text") for k in keys})
    bare_scores = scoring.body_scores(gt, {k: bare[k] for k in keys})
    nocomm = {k: trafilatura.extract(html, include_comments=False) for k, _, html in pages}
    nocomm_scores = scoring.body_scores(gt, nocomm)
    worst = sorted(ours_scores["per_doc"].items(), key=lambda kv: kv[1])[:10]
    return {
        "pages": len(keys),
        "ours": {k: v for k, v in ours_scores.items() if k != "per_doc"},
        "bare_trafilatura": {k: v for k, v in bare_scores.items() if k != "per_doc"},
        "trafilatura_no_comments": {k: v for k, v in nocomm_scores.items() if k != "per_doc"},
        "worst": [{"id": k, "f1": round(v, 3), "url": truth[k]["url"],
                   "bare_f1": round(bare_scores["per_doc"][k], 3)} for k, v in worst],
        "ms": {"ours": list(ours_ms.values()), "bare": list(bare_ms.values())},
    }


def fundus(corpus: Path, repeat: int) -> dict:
    base = corpus / "news-pages" / "fundus"
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    pages, expected = [], {}
    for entry in manifest:
        key = entry["html"]
        pages.append((key, entry["url"], _read_gz(base / entry["html"])))
        expected[key] = json.loads((base / entry["expected"]).read_text(encoding="utf-8"))[entry["version_key"]]
    ours, _, ours_ms, bare_ms = run_pages(pages, repeat)
    tp = fp = fn = titles = dates = dated = 0
    a_tp = a_fp = a_fn = 0
    per_page = []
    for key, _, _ in pages:
        exp, got = expected[key], ours[key]
        want = [img["caption"] for img in exp.get("images", []) if img.get("caption")]
        c = scoring.caption_scores(want, got["captions"])
        tp, fp, fn = tp + c[0], fp + c[1], fn + c[2]
        t_ok = scoring.title_match(exp.get("title"), got["title"])
        titles += t_ok
        d_ok = None
        if exp.get("publishing_date"):
            dated += 1
            d_ok = scoring.same_day(exp["publishing_date"], got["published"])
            dates += d_ok
        if "authors" in exp:
            a = scoring.author_scores(exp["authors"], got["authors"])
            a_tp, a_fp, a_fn = a_tp + a[0], a_fp + a[1], a_fn + a[2]
        per_page.append({"page": key, "captions_tp_fp_fn": c, "title_ok": t_ok, "date_ok": d_ok,
                         "title": got["title"], "expected_title": exp.get("title"),
                         "published": got["published"], "expected_date": exp.get("publishing_date")})
    return {
        "pages": len(pages),
        "captions": {"tp": tp, "fp": fp, "fn": fn, "precision": tp / (tp + fp) if tp + fp else 0.0,
                     "recall": tp / (tp + fn) if tp + fn else 0.0},
        "title_exact": titles / len(pages),
        "published_same_day": dates / dated if dated else None,
        "authors": {"precision": a_tp / (a_tp + a_fp) if a_tp + a_fp else 0.0,
                    "recall": a_tp / (a_tp + a_fn) if a_tp + a_fn else 0.0},
        "per_page": per_page,
        "ms": {"ours": list(ours_ms.values()), "bare": list(bare_ms.values())},
    }


def newspaper4k(corpus: Path, repeat: int) -> dict:
    base = corpus / "news-pages" / "newspaper4k"
    pages, meta = [], {}
    for path in sorted((base / "html").glob("*.html.gz")):
        name = path.name[: -len(".html.gz")]
        mpath = base / "metadata" / f"{name}.json"
        if not mpath.exists():
            continue
        meta[name] = json.loads(mpath.read_text(encoding="utf-8"))
        pages.append((name, meta[name].get("url") or "", _read_gz(path)))
    ours, _, ours_ms, bare_ms = run_pages(pages, repeat)
    titles = dates = dated = 0
    per_page = []
    for name, _, _ in pages:
        m, got = meta[name], ours[name]
        t_ok = scoring.title_match(m.get("title"), got["title"])
        titles += t_ok
        d_ok = None
        if m.get("publish_date"):
            dated += 1
            d_ok = scoring.same_day(m["publish_date"], got["published"])
            dates += d_ok
        per_page.append({"page": name, "title": got["title"], "expected_title": m.get("title"),
                         "published": got["published"], "expected_date": m.get("publish_date")})
    return {"pages": len(pages), "title_exact": titles / len(pages) if pages else None,
            "published_same_day": dates / dated if dated else None, "per_page": per_page,
            "ms": {"ours": list(ours_ms.values()), "bare": list(bare_ms.values())}}


def snippets(corpus: Path) -> dict:
    base = corpus / "news-pages" / "trafilatura"
    data = json.loads((base / "evaldata-subset.json").read_text(encoding="utf-8"))
    ours, bare = [0, 0, 0, 0], [0, 0, 0, 0]
    for url, entry in data.items():
        html = _read_gz(base / "html" / f"{entry['file']}.gz")
        for counts, text in ((ours, (extract_article(html, url) or {}).get("text")), (bare, trafilatura.extract(html))):
            for i, n in enumerate(scoring.snippet_counts(text, entry.get("with", []), entry.get("without", []))):
                counts[i] += n

    def prf(c):
        tp, fp, fn, _ = c
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return {"tp_fp_fn_tn": c, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}

    return {"pages": len(data), "ours": prf(ours), "bare_trafilatura": prf(bare)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per page (median taken)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N benchmark pages")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "extract.json")
    args = parser.parse_args(argv)

    # warm-up: imports, compiled XPaths, htmldate caches
    extract_article("<html><body><p>warm up</p></body></html>", "http://example.com/")

    sh = scrapinghub(args.corpus, args.repeat, args.limit)
    fu = fundus(args.corpus, args.repeat)
    n4 = newspaper4k(args.corpus, args.repeat)
    sn = snippets(args.corpus)

    all_ours = sh["ms"]["ours"] + fu["ms"]["ours"] + n4["ms"]["ours"]
    all_bare = sh["ms"]["bare"] + fu["ms"]["bare"] + n4["ms"]["bare"]
    timing = {
        "ours_median_ms": statistics.median(all_ours), "ours_p95_ms": _pct(all_ours, 0.95),
        "bare_median_ms": statistics.median(all_bare), "bare_p95_ms": _pct(all_bare, 0.95),
        "scrapinghub_ours_median_ms": statistics.median(sh["ms"]["ours"]),
        "scrapinghub_bare_median_ms": statistics.median(sh["ms"]["bare"]),
        "pages": len(all_ours), "repeat": args.repeat,
    }
    timing["median_ratio"] = timing["ours_median_ms"] / timing["bare_median_ms"]

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
        ("title exact (fundus)", f"{fu['title_exact']:.3f}", ""),
        ("title exact (newspaper4k)", f"{n4['title_exact']:.3f}" if n4["title_exact"] is not None else "-", ""),
        ("published same day (fundus)", f"{fu['published_same_day']:.3f}", ""),
        ("published same day (newspaper4k)",
         f"{n4['published_same_day']:.3f}" if n4["published_same_day"] is not None else "-", ""),
        ("snippets P / R (trafilatura, %d pages)" % sn["pages"],
         f"{sn['ours']['precision']:.3f} / {sn['ours']['recall']:.3f}",
         f"{sn['bare_trafilatura']['precision']:.3f} / {sn['bare_trafilatura']['recall']:.3f}"
         f"  (tp,fp,fn,tn ours {sn['ours']['tp_fp_fn_tn']})"),
        ("authors P / R (fundus)", f"{fu['authors']['precision']:.3f} / {fu['authors']['recall']:.3f}", ""),
        ("median ms/page (all %d)" % timing["pages"], f"{timing['ours_median_ms']:.1f}",
         f"{timing['bare_median_ms']:.1f}  ratio {timing['median_ratio']:.2f}"),
        ("p95 ms/page", f"{timing['ours_p95_ms']:.1f}", f"{timing['bare_p95_ms']:.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'ours':<16}  bare trafilatura.extract / notes")
    for name, ours_v, other in rows:
        print(f"{name:<{width}}  {ours_v:<16}  {other}")
    print("\nworst body pages:")
    for w in sh["worst"]:
        print(f"  {w['f1']:.3f} (bare {w['bare_f1']:.3f}) {w['id'][:12]} {w['url']}")

    for part in (sh, fu, n4):
        part.pop("ms", None)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"scrapinghub": sh, "fundus": fu, "newspaper4k": n4, "snippets": sn, "timing": timing},
                                   indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
