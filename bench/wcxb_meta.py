"""Metadata only (title, authors, publish date) on the WCXB development split's article pages,
ours beside htmldate's and bare trafilatura's, in one run.

The full loop (`bench.wcxb`) runs the body extraction too, minutes per pass; the metadata
finders read the page's one parse before the body is pruned, so running them alone gives the
same answers in seconds. The dev half's misses can be listed page by page; the held-out half
is only ever counted.

    .venv/bin/python -m bench.wcxb_meta [--corpus DIR] [--tools ours,htmldate,trafilatura] [--misses date]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.wcxb import RESULTS, author_found, load_pages, same_day, title_equal


def predict_ours(page) -> dict:
    from crawler.extract import metadata as meta
    from crawler.extract.html import parse_html

    tree = parse_html(page.body, "utf-8")
    objects, metas = meta.json_ld_objects(tree), meta.meta_tags(tree)
    article = meta.ld_article(objects)
    site_names = meta.find_site_names(article, objects, metas)
    url = page.fetch_url
    start = time.process_time()
    published, _modified = meta.find_dates(tree, article, metas, url, objects)
    date_cpu = time.process_time() - start
    return {"title": meta.find_title(tree, article, metas, site_names, url), "published": published,
            "authors": meta.find_authors(tree, article, metas, site_names, url, objects), "date_cpu": date_cpu}


def predict_htmldate(page, extensive: bool) -> dict:
    from htmldate import find_date

    try:
        found = find_date(page.html, url=page.fetch_url, original_date=True, extensive_search=extensive)
    except Exception:  # noqa: BLE001  (a heuristic's failure is "no date")
        found = None
    return {"published": found}


def predict_trafilatura(page) -> dict:
    import trafilatura

    metadata = trafilatura.extract_metadata(page.html)
    author = getattr(metadata, "author", None) if metadata is not None else None
    return {"title": getattr(metadata, "title", None), "published": getattr(metadata, "date", None),
            "authors": [a.strip() for a in author.split(";")] if author else []}


TOOLS = {
    "ours": predict_ours,
    "htmldate": lambda page: predict_htmldate(page, True),
    "htmldate-fast": lambda page: predict_htmldate(page, False),
    "trafilatura": predict_trafilatura,
}
FIELDS = {"title": ("title", title_equal), "author": ("authors", author_found), "date": ("published", same_day)}
TRUTH = {"title": "title", "author": "author", "date": "publish_date"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="shared corpus folder (default: beside the repo)")
    parser.add_argument("--tools", default="ours", help="comma-separated: " + ", ".join(TOOLS))
    parser.add_argument("--misses", default="", help="list the dev half's misses of ours: title,author,date")
    parser.add_argument("--out", type=Path, default=RESULTS / "wcxb_meta.json")
    args = parser.parse_args(argv)
    try:
        pages = [p for p in load_pages(args.corpus, "both") if p.page_type == "article"]
    except FileNotFoundError as exc:
        print(f"error: {exc} (give --corpus)", file=sys.stderr)
        return 2
    tools = args.tools.split(",")
    predictions = {tool: {p.id: TOOLS[tool](p) for p in pages} for tool in tools}
    print(f"{len(pages)} WCXB article pages (dev {sum(not p.held_out for p in pages)}, "
          f"held-out {sum(p.held_out for p in pages)})")
    print(f"{'':<14}" + "".join(f"{t + ' ' + h:>24}" for t in tools for h in ("dev", "heldout")))
    for field, (key, ok) in FIELDS.items():
        cells = []
        for tool in tools:
            for held in (False, True):
                judged = [ok(p.truth[TRUTH[field]], predictions[tool][p.id].get(key)) for p in pages
                          if p.held_out == held and p.truth.get(TRUTH[field])]
                cells.append(f"{sum(judged) / len(judged):.3f} ({sum(judged)}/{len(judged)})"
                             if key in next(iter(predictions[tool].values())) else "-")
        print(f"{field:<14}" + "".join(f"{c:>24}" for c in cells))
    for tool in tools:
        if "authors" in next(iter(predictions[tool].values())):
            # an author given where the annotators found none credited: the cost of a looser rule
            cells = []
            for held in (False, True):
                bare = [p for p in pages if p.held_out == held and not p.truth.get("author")]
                extra = sum(bool(predictions[tool][p.id].get("authors")) for p in bare)
                cells.append(f"{extra}/{len(bare)}")
            print(f"{tool}: an author where none is credited, dev {cells[0]}, held-out {cells[1]}")
    if "ours" in predictions:
        cpu = [v["date_cpu"] for v in predictions["ours"].values()]
        print(f"find_dates CPU: {1000 * sum(cpu) / len(cpu):.2f} ms/page")
    for field in filter(None, args.misses.split(",")):
        key, ok = FIELDS[field]
        print(f"\ndev misses, {field}:")
        for page in pages:
            want = page.truth.get(TRUTH[field])
            got = predictions["ours"][page.id].get(key)
            if not page.held_out and want and not ok(want, got):
                others = " ".join(f"{t}={predictions[t][page.id].get(key)!r}" for t in tools if t != "ours")
                print(f"  {page.id} want={want!r} got={got!r} {others} {page.url}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(predictions, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
