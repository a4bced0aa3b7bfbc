"""Metadata only (title, authors, publish date) on the WCXB development split's article pages,
ours beside htmldate's and bare trafilatura's, in one run.

The full loop (`bench.wcxb`) runs the body extraction too, minutes per pass; the metadata
finders read the page's one parse before the body is pruned, so running them alone gives the
same answers in seconds. The dev half's misses can be listed page by page; the held-out half
is only ever counted.

    .venv/bin/python -m bench.wcxb_meta [--corpus DIR] [--tools ours,htmldate,trafilatura] [--misses date]
                                        [--sources]

`--sources` says which of the page's own sources the annotators' title and date are, where
the sources disagree (counts only, both halves): the share a rule choosing between them can
reach. Without a rule that tells the cases apart, the majority source is the ceiling.

`--census` sorts every miss of ours by kind (`title_miss_kind`, `author_miss_kind`,
`date_miss_kind`), counts per half: which kinds a general rule could still fix and which are the annotators' choice
between the page's own sources, or a date the page does not hold at all.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from bench.wcxb import RESULTS, author_found, fold_title, name_tokens, same_day, select_pages, title_equal


def predict_ours(page) -> dict:
    from crawler.extract import metadata as meta
    from crawler.extract.html import parse_html

    tree = parse_html(page.body, "utf-8")
    objects, metas = meta.json_ld_objects(tree), meta.meta_tags(tree)
    article = meta.ld_article(objects)
    site_names = meta.find_site_names(article, objects, metas)
    url = page.fetch_url
    start = time.process_time()
    published, _modified = meta.find_dates(tree, article, metas, url, objects,
                                           meta.declared_language(tree, article, metas))
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


def page_sources(page) -> dict:
    """The page's own candidates: its first <h1> outside navigation and footers, its og:title
    and <title> (site name stripped as ours strips it), and its declared publication and
    modification dates (JSON-LD article or WebPage, else meta tags)."""
    from crawler.extract import metadata as meta
    from crawler.extract.html import element_text, parse_html
    from crawler.extract.titles import host_names

    tree = parse_html(page.body, "utf-8")
    objects, metas = meta.json_ld_objects(tree), meta.meta_tags(tree)
    article = meta.ld_article(objects)
    names = meta.find_site_names(article, objects, metas) + host_names(page.fetch_url)
    h1 = next((t for h in tree.iter("h1") if not any(a.tag in ("nav", "footer") for a in h.iterancestors())
               for t in [element_text(h)] if t), None)
    title_el = tree.find(".//title")
    declared = [v for v in (meta.first(metas, "og:title"), title_el.text_content() if title_el is not None else None) if v]
    dated = [o for o in [article, *objects] if o and (o.get("datePublished") or o.get("dateModified"))]
    published = next((meta.iso_date(meta.ld_str(o.get("datePublished"))) for o in dated if o.get("datePublished")), None)
    modified = next((meta.iso_date(meta.ld_str(o.get("dateModified"))) for o in dated if o.get("dateModified")), None)
    return {"h1": h1, "declared": [meta.strip_site_suffix(v, names) for v in declared],
            "published": published or meta.iso_date(meta.first(metas, "article:published_time")),
            "modified": modified or meta.iso_date(meta.first(metas, "article:modified_time"))}


def source_counts(pages, ours: dict) -> dict[bool, dict[str, int]]:
    """{held_out: counts}: where the h1 and the declared titles differ, and where the declared
    publication and modification days differ, how often the truth is each source ("title h1",
    "title declared", "title neither"; "date published", ...) and how often ours is right
    ("title ours", "date ours")."""
    out: dict[bool, dict[str, int]] = {False: {}, True: {}}
    for page in pages:
        src, truth, counts = page_sources(page), page.truth, out[page.held_out]
        if truth.get("title") and src["h1"] and src["declared"] \
                and not any(title_equal(src["h1"], d) for d in src["declared"]):
            which = "h1" if title_equal(truth["title"], src["h1"]) else \
                "declared" if any(title_equal(truth["title"], d) for d in src["declared"]) else "neither"
            for key, n in ((f"title {which}", 1), ("title ours", title_equal(truth["title"], ours[page.id]["title"]))):
                counts[key] = counts.get(key, 0) + n
        if truth.get("publish_date") and src["published"] and src["modified"] \
                and src["published"][:10] != src["modified"][:10]:
            which = "published" if same_day(truth["publish_date"], src["published"]) else \
                "modified" if same_day(truth["publish_date"], src["modified"]) else "neither"
            for key, n in ((f"date {which}", 1), ("date ours", same_day(truth["publish_date"], ours[page.id]["published"]))):
                counts[key] = counts.get(key, 0) + n
    return out


def source_table(pages, ours: dict) -> list[str]:
    rows = []
    for held, counts in source_counts(pages, ours).items():
        half = "held-out" if held else "dev"
        t = [counts.get(f"title {k}", 0) for k in ("h1", "declared", "neither", "ours")]
        d = [counts.get(f"date {k}", 0) for k in ("published", "modified", "neither", "ours")]
        rows.append(f"{half}: h1 and og:title/<title> differ on {sum(t[:3])} pages: the title is the h1 on {t[0]}, "
                    f"a declared title on {t[1]}, neither on {t[2]}; ours right on {t[3]}")
        rows.append(f"{half}: declared published and modified days differ on {sum(d[:3])} pages: the date is the "
                    f"published on {d[0]}, the modified on {d[1]}, neither on {d[2]}; ours right on {d[3]}")
    return rows


_SEPARATED = re.compile(r"\s+[|\-–—:·•»/]\s+|(?<=\w):\s*")


def _loose(text: str | None) -> str:
    """Letters and digits only, "&" read as "and": what is left when case, punctuation and
    spacing are set aside."""
    return re.sub(r"\W+", "", (text or "").lower().replace("&", "and"))


def title_miss_kind(page, got: str | None) -> str:
    """Why our title is not the annotators': case or punctuation only; a site name or a
    tagline segment kept, or the headline cut short; the <h1> against a declared title (the
    annotators took the other one); a source none of ours; a wording the page holds nowhere."""
    from crawler.extract import metadata as meta
    from crawler.extract.html import element_text, parse_html
    from crawler.extract.titles import _declared_titles, host_names

    want = page.truth["title"]
    if not got:
        return "no title"
    if _loose(want) == _loose(got):
        return "case, punctuation or spacing"
    tree = parse_html(page.body, "utf-8")
    objects, metas = meta.json_ld_objects(tree), meta.meta_tags(tree)
    article = meta.ld_article(objects)
    names = {_loose(n) for n in meta.find_site_names(article, objects, metas) + host_names(page.fetch_url)} - {""}
    raw, _ = _declared_titles(tree, article, metas)
    h1s = [t for t in map(element_text, tree.iter("h1")) if t]
    fw, fg = fold_title(want), fold_title(got)
    if fw in fg:
        rest = [p for p in _SEPARATED.split(fg.replace(fw, "|", 1)) if _loose(p)]
        return "site name kept" if rest and all(_loose(p) in names for p in rest) else "tagline or label kept"
    if fg in fw:
        return "headline cut short"
    declared = [v for _, v in raw]
    segments = [seg for v in declared for seg in _SEPARATED.split(v)]
    truth_h1 = any(title_equal(want, h) for h in h1s)
    truth_declared = any(title_equal(want, v) for v in declared + segments)
    ours_h1 = any(title_equal(got, h) for h in h1s)
    if truth_declared and ours_h1:
        return "h1 taken, truth a declared title"
    if truth_h1 and not ours_h1:
        return "declared title taken, truth the h1"
    if truth_h1 or truth_declared:
        return "another element taken"
    return "truth in no source"


def _day_forms(day: str) -> set[str]:
    d = datetime.strptime(day, "%Y-%m-%d")
    return {day, d.strftime("%Y/%m/%d"), d.strftime("%Y%m%d")}


def _numeric_forms(day: str) -> set[str]:
    d = datetime.strptime(day, "%Y-%m-%d")
    return {d.strftime("%d.%m.%Y"), d.strftime("%m/%d/%Y"), d.strftime("%d/%m/%Y"), f"{d.month}/{d.day}/{d.year}",
            f"{d.day}/{d.month}/{d.year}", f"{d.day}.{d.month}.{d.year}", d.strftime("%m/%d/%y")}


def date_miss_kind(page, got: str | None) -> str:
    """Why our publication day is not the annotators': the day is nowhere in the HTML (no
    format, no markup: the annotators knew it from elsewhere); ours a day off (a time zone, a
    date near midnight); the annotators took the declared modification (an "Updated" date)
    where ours is the publication, or the other way round; another <time> than ours; printed
    only in a numeric form we do not read; htmldate's guess; nothing found."""
    from crawler.extract import dates
    from crawler.extract.html import parse_html

    want = page.truth["publish_date"][:10]
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", want):
        return "truth not a day (a month or a year)"
    html = page.html
    tree = parse_html(page.body, "utf-8")
    text = " ".join(" ".join(tree.itertext()).split())     # element boundaries as spaces
    written = {day for day, _ in dates._printed_dates(text)}
    if want not in written and not any(f in html for f in _day_forms(want) | _numeric_forms(want)):
        return "day nowhere in the HTML"
    if got and abs((datetime.strptime(got[:10], "%Y-%m-%d") - datetime.strptime(want, "%Y-%m-%d")).days) == 1:
        return "a day off (time zone, midnight)"
    src = page_sources(page)
    pub, mod = (src["published"] or "")[:10], (src["modified"] or "")[:10]
    if got is None:
        return "nothing found"
    if want == pub and (got[:10] == mod or got[:10] in {d for d, upd in dates.printed_dates(tree) if upd}):
        return "truth the declared publication, ours the modified/updated day"
    if want == pub:
        return "truth the declared publication, ours a printed or other date"
    if want == mod:
        return "truth the declared modified day, ours the publication"
    times = {(dates.iso_date(t.get("datetime")) or "")[:10] for t in tree.iter("time")}
    if want in times:
        return "truth another <time>"
    if want not in written and any(f in html for f in _numeric_forms(want)):
        return "printed in a numeric form not read"
    if got[:10] == (dates._htmldate(tree, page.fetch_url) or "")[:10] and got[:10] not in written | times | {pub, mod}:
        return "htmldate's guess"
    return "truth printed, ours another date" if want in written else "truth only in the page source"


def author_miss_kind(page, got) -> str:
    """Why no author of ours is the annotators': none found, or the site's or publisher's name
    given, or a part or a longer form of the name, or another name; each with whether the
    annotators' name is printed in the page's text at all."""
    from crawler.extract import metadata as meta
    from crawler.extract.html import parse_html
    from crawler.extract.titles import host_names

    tree = parse_html(page.body, "utf-8")
    want = name_tokens(page.truth["author"])
    printed = f" {want} " in f" {name_tokens(' '.join(tree.itertext()))} "
    where = "printed in the page" if printed else "nowhere in the page's text"
    names = [name_tokens(n) for n in got or [] if name_tokens(n)]
    if not names:
        return f"none found, the name {where}"
    objects, metas = meta.json_ld_objects(tree), meta.meta_tags(tree)
    sites = {name_tokens(n) for n in meta.find_site_names(meta.ld_article(objects), objects, metas)
             + host_names(page.fetch_url)}
    if all(n in sites for n in names):
        return "the site's or publisher's name given"
    if any(set(n.split()) & set(want.split()) for n in names):
        return "a part or a longer form of the name"
    return f"another name, the truth's {where}"


def census(pages, ours: dict) -> list[str]:
    """Lines: per field and half, the misses counted by kind."""
    rows = []
    for field, key, truth, kind in (("title", "title", "title", title_miss_kind),
                                    ("author", "authors", "author", author_miss_kind),
                                    ("date", "published", "publish_date", date_miss_kind)):
        _, ok = FIELDS[field]
        for held in (False, True):
            kinds = Counter(kind(p, ours[p.id][key]) for p in pages if p.held_out == held and p.truth.get(truth)
                            and not ok(p.truth[truth], ours[p.id][key]))
            rows.append(f"{field} misses, {'held-out' if held else 'dev'}: {sum(kinds.values())}")
            rows += [f"  {n:4d}  {k}" for k, n in kinds.most_common()]
    return rows


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
    parser.add_argument("--sources", action="store_true", help="which source the truth is where the page's disagree")
    parser.add_argument("--census", action="store_true", help="the misses of ours by kind, counted per half")
    parser.add_argument("--out", type=Path, default=RESULTS / "wcxb_meta.json")
    args = parser.parse_args(argv)
    pages = select_pages(args.corpus, "both", types="article")
    if pages is None:
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
    if args.sources and "ours" in predictions:
        print("\n" + "\n".join(source_table(pages, predictions["ours"])))
    if args.census and "ours" in predictions:
        print("\n" + "\n".join(census(pages, predictions["ours"])))
    kinds = {"title": title_miss_kind, "author": author_miss_kind, "date": date_miss_kind}
    for field in filter(None, args.misses.split(",")):
        key, ok = FIELDS[field]
        print(f"\ndev misses, {field}:")
        for page in pages:
            want = page.truth.get(TRUTH[field])
            got = predictions["ours"][page.id].get(key)
            if not page.held_out and want and not ok(want, got):
                others = " ".join(f"{t}={predictions[t][page.id].get(key)!r}" for t in tools if t != "ours")
                kind = f"[{kinds[field](page, got)}] " if field in kinds else ""
                print(f"  {page.id} {kind}want={want!r} got={got!r} {others} {page.url}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(predictions, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
