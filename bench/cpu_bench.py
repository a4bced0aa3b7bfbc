"""Extraction CPU per page against bare trafilatura, in one process, in one run, with where it goes.

The speed half of `make bench-extract` without its reextract runs and scoring (a minute or two
instead of 7+): the same pages (bench.extract_bench.load_pages: WCXB, ScrapingHub, fundus,
newspaper4k, trafilatura's), the same interleaved timing (bench.extract_bench.time_pages: bare
`trafilatura.extract(html)`, `extract_article(html, url)`, `analyze_page(body, url)` per page),
so the ratio is one number measured beside its baseline on a machine whose load changes.

Then, with --stages, a second pass over the same pages times each stage of extract_article and
of the page classification (their functions wrapped, so a stage's figure includes what it calls):
where the CPU above bare trafilatura's goes. The wrappers cost a little themselves, so the stage
pass is reported apart from the ratio.

    .venv/bin/python -m bench.cpu_bench [--corpus DIR] [--limit N] [--repeat N] [--stages]
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import extract_bench, wcxb  # noqa: E402

RESULTS = ROOT / "bench" / "results"

# (module, function) pairs timed by --stages, looked up where the callers look them up
STAGES = [
    ("crawler.extract.html", "_load_html"),
    ("crawler.extract.metadata", "json_ld_objects"),
    ("crawler.extract.metadata", "meta_tags"),
    ("crawler.extract.metadata", "find_title"),
    ("crawler.extract.metadata", "find_dates"),
    ("crawler.extract.dates", "_htmldate"),
    ("crawler.extract.metadata", "find_authors"),
    ("crawler.extract", "hooked_elements"),
    ("crawler.extract", "find_captions"),
    ("crawler.extract", "trafilatura_body"),
    ("crawler.extract.body", "bare_extraction"),
    ("crawler.extract.body", "rescue_prose_containers"),
    ("crawler.extract", "clean_paragraphs"),
    ("crawler.extract", "classify_tree"),
    ("crawler.extract.classify", "recognition_features"),
    ("crawler.extract.classify", "find_authors"),
]


def _wrap(acc: Counter, label: str, fn):
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[label] += time.process_time() - start
    return timed


def time_stages(pages: list) -> dict[str, float]:
    """CPU seconds per stage (see STAGES) over one classify_and_extract and one extract_article
    of each page; the functions are put back afterwards."""
    from crawler.extract import classify_and_extract, extract_article

    acc: Counter = Counter()
    saved = []
    for module_name, name in STAGES:
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            continue                    # a stage renamed or gone: not timed, not fatal
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, _wrap(acc, f"{module_name.rsplit('.', 1)[-1]}.{name}", getattr(module, name)))
    total: Counter = Counter()
    try:
        for page in pages:
            html = page.html
            for label, call in (("extract_article", extract_article),
                                ("classify_and_extract", classify_and_extract)):
                start = time.process_time()
                try:
                    call(html, page.url)
                except Exception:  # noqa: BLE001 -- a page that breaks extraction costs what it cost
                    pass
                total[label] += time.process_time() - start
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)
    return {**{f"total {k}": v for k, v in total.items()}, **acc}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None,
                        help="the shared corpus folder (default: shared/corpus beside the repo or a parent)")
    parser.add_argument("--limit", type=int, default=None, help="every k-th page, about N in all (a quick run)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per page (median taken)")
    parser.add_argument("--stages", action="store_true", help="then time each stage (a second pass)")
    parser.add_argument("--out", type=Path, default=RESULTS / "cpu.json")
    args = parser.parse_args(argv)

    corpus = args.corpus or wcxb.default_corpus()
    try:
        pages = extract_bench.load_pages(corpus, with_wcxb=True)
    except (FileNotFoundError, NotADirectoryError) as exc:
        print(f"error: corpus not found: {exc} (give --corpus)", file=sys.stderr)
        return 2
    if args.limit and args.limit < len(pages):
        step = len(pages) / args.limit
        pages = [pages[int(i * step)] for i in range(args.limit)]
    timings = extract_bench.time_pages(pages, args.repeat)
    n = len(pages)
    bare = sum(t.bare_cpu for t in timings.values()) / n
    extract = sum(t.extract_cpu for t in timings.values()) / n
    analyze = sum(t.analyze_cpu for t in timings.values()) / n
    result = {"pages": n, "bare_cpu_ms_per_page": bare, "extract_cpu_ms_per_page": extract,
              "analyze_cpu_ms_per_page": analyze, "extract_cpu_ratio": extract / bare,
              "analyze_cpu_ratio": analyze / bare}
    print(f"{n} pages, CPU ms/page in one process, interleaved: bare trafilatura.extract {bare:.1f}, "
          f"extract_article {extract:.1f} ({extract / bare:.2f}x, target <= 1.25), "
          f"analyze_page {analyze:.1f} ({analyze / bare:.2f}x)")
    for error in extract_bench.TIMING_ERRORS:
        print(f"  raised while timed: {error}")
    if args.stages:
        stages = {k: 1000 * v / n for k, v in time_stages(pages).items()}
        result["stages_ms_per_page"] = stages
        print("\nstages, ms/page (second pass, wrapped; a stage includes what it calls):")
        for label, ms in sorted(stages.items(), key=lambda kv: -kv[1]):
            print(f"  {label:<40} {ms:7.2f}")
    wcxb.write_result(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
