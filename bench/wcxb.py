"""WCXB development split: load, split by domain, score with the benchmark's own metric.

The corpus (shared/corpus/wcxb-dev, see its README) holds 1,358 real pages of 7 types with
human-reviewed main text, title, author, date and must-have / must-not-have snippets. Tuning
on it would fit it, so the pages are split by registered domain (a stable hash, about 25% held
out): rules are developed on the "dev" half and must hold on the "heldout" half, which is only
ever measured, never looked at page by page.

Function API (for any harness, e.g. the metadata work):

    pages = load_pages(corpus_dir)                       # list[WcxbPage], html read lazily
    report = score(pages, {page_id: prediction})          # prediction: dict, see PREDICTION_KEYS

CLI (quick in-process runs of the project's extractor and of bare trafilatura on the same pages):

    .venv/bin/python -m bench.wcxb [--corpus DIR] [--half dev|heldout|both] [--jobs N] [--worst N]

Metric (the benchmark's): lower-cased `\\w+` tokens, multiset overlap; per page P = overlap /
predicted tokens, R = overlap / true tokens, F1 their harmonic mean, an empty truth and an empty
prediction score 1; reported as the mean of the per-page figures per page type. Snippets: share
of `with` snippets found and of `without` snippets leaked (case-insensitive substring, whitespace
folded), pooled over the pages. Also: non-article pages emitted as articles, article pages
emitted, title equal to the truth (case, quotes, dashes, whitespace folded), author found,
publish date on the same day.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
HELD_OUT_SHARE = 4          # one registered domain in 4 (by hash) is held out
PREDICTION_KEYS = ("text", "title", "authors", "published", "emitted")
TYPES = ("article", "forum", "product", "collection", "listing", "documentation", "service")


def default_corpus() -> Path:
    """The first `shared/corpus` beside the repo or one of its parents (a worktree sits one
    level deeper than the main checkout); the path stays relative to wherever the repo is."""
    for parent in ROOT.parents:
        candidate = parent / "shared" / "corpus"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "corpus"


@lru_cache(maxsize=1)
def _tld_extractor():
    import tldextract

    # the bundled public suffix snapshot: no network, same answer on every machine
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registered_domain(host: str) -> str:
    parts = _tld_extractor()(host)
    return (parts.top_domain_under_public_suffix or host).lower()


def is_held_out(host: str) -> bool:
    """Stable across runs and machines: sha256 of the registered domain, not Python's hash()."""
    digest = hashlib.sha256(registered_domain(host).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % HELD_OUT_SHARE == 0


@dataclass
class WcxbPage:
    id: str
    url: str
    page_type: str
    domain: str
    held_out: bool
    truth: dict = field(repr=False)
    html_path: Path = field(repr=False)

    @property
    def fetch_url(self) -> str:
        """The page's URL; a made-up neutral one on its domain for the few pages stored without
        one (a crawl always knows its URL, and an empty one reads as a home page)."""
        return self.url or f"https://{self.domain}/wcxb/{self.id}"

    @property
    def half(self) -> str:
        return "heldout" if self.held_out else "dev"

    @property
    def body(self) -> bytes:
        """The page as fetched (UTF-8), read on each call so a list of pages stays small."""
        with gzip.open(self.html_path, "rb") as fh:
            return fh.read()

    @property
    def html(self) -> str:
        return self.body.decode("utf-8", "replace")


def load_pages(corpus: Path | str | None = None, half: str = "both") -> list[WcxbPage]:
    """Pages of wcxb-dev in id order; `half`: 'dev', 'heldout' or 'both'.
    `corpus` is the shared corpus folder or the wcxb-dev folder itself."""
    base = Path(corpus) if corpus else default_corpus()
    if (base / "wcxb-dev").is_dir():
        base = base / "wcxb-dev"
    meta_path = base / "metadata.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"no WCXB metadata.json under {base}")
    files = json.loads(meta_path.read_text(encoding="utf-8"))["files"]
    pages = []
    for page_id in sorted(files):
        info = files[page_id]
        held = is_held_out(info["domain"])
        if half == "dev" and held or half == "heldout" and not held:
            continue
        truth = json.loads((base / "ground-truth" / f"{page_id}.json").read_text(encoding="utf-8"))
        pages.append(WcxbPage(page_id, truth["url"], info["page_type"], info["domain"], held,
                              truth["ground_truth"], base / "html" / f"{page_id}.html.gz"))
    return pages


# --- metric ----------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def tokens(text: str | None) -> Counter:
    return Counter(_WORD.findall((text or "").lower()))


def word_prf(truth: str | None, predicted: str | None) -> tuple[float, float, float]:
    """(P, R, F1) of one page, the benchmark's token multiset overlap."""
    want, got = tokens(truth), tokens(predicted)
    n_want, n_got = sum(want.values()), sum(got.values())
    if not n_want and not n_got:
        return 1.0, 1.0, 1.0
    overlap = sum((want & got).values())
    p = overlap / n_got if n_got else 0.0
    r = overlap / n_want if n_want else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _fold_space(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def snippet_hits(text: str | None, snippets: list[str], typography: bool = False) -> int:
    """Snippets found in `text` (the benchmark's substring test, whitespace folded). With
    `typography`, curly quotes and dashes fold to ASCII on both sides first: the snippets were
    written with straight quotes where the pages (and the main text) print curly ones, so a
    sentence found word for word can count as missed for its apostrophe."""
    fold = _fold_typography if typography else _fold_space
    body = fold(text)
    return sum(1 for s in snippets if fold(s) and fold(s) in body)


_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {**dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032`\u00b4"), "'"),
           **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"), '"')}


def _fold_typography(text: str | None) -> str:
    return _fold_space((text or "").translate(_DASHES).translate(_QUOTES).replace("\u2026", "..."))


def fold_title(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(_DASHES).translate(_QUOTES)
    return " ".join(text.casefold().split())


def title_equal(truth: str | None, predicted: str | None) -> bool:
    return bool(fold_title(truth)) and fold_title(truth) == fold_title(predicted)


def name_tokens(text: str) -> str:
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def author_found(truth: str | None, predicted) -> bool:
    """A predicted author whose name is, word for word, in the true author string (which may
    list several people), or the true string inside one predicted name."""
    want = name_tokens(truth or "")
    if not want:
        return False
    names = [predicted] if isinstance(predicted, str) else list(predicted or [])
    for name in names:
        got = name_tokens(name or "")
        if got and (f" {got} " in f" {want} " or f" {want} " in f" {got} "):
            return True
    return False


def same_day(truth: str | None, predicted: str | None) -> bool:
    """The true date is a local calendar day; ours is a UTC timestamp or a day: the same day,
    or the UTC day of a timestamp carrying an offset (late-evening local times)."""
    if not truth or not predicted:
        return False
    want, got = str(truth).strip()[:10], str(predicted).strip()
    if got[:10] == want:
        return True
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(got.replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        return False
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d") == want


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def score(pages: list[WcxbPage], predictions: dict[str, dict | None]) -> dict:
    """Figures for `pages` from {page_id: prediction}; a page without a prediction counts as an
    empty one. prediction keys (all optional): text, title, authors (list or str), published,
    emitted (bool: the page became an article item; None when the tool does not classify)."""
    per_type: dict[str, dict] = {}
    f1_all = []
    with_found = with_total = without_leaked = without_total = 0
    with_found_folded = without_leaked_folded = 0
    titles = [0, 0]
    authors = [0, 0]
    dates = [0, 0]
    emitted = {"article": [0, 0], "other": [0, 0]}
    per_page = {}
    for page in pages:
        pred = predictions.get(page.id) or {}
        truth = page.truth
        p, r, f1 = word_prf(truth.get("main_content"), pred.get("text"))
        f1_all.append(f1)
        row = per_type.setdefault(page.page_type, {"p": [], "r": [], "f1": []})
        row["p"].append(p)
        row["r"].append(r)
        row["f1"].append(f1)
        entry = {"type": page.page_type, "half": page.half, "p": p, "r": r, "f1": f1}
        is_article = page.page_type == "article"
        if pred.get("emitted") is not None:
            bucket = emitted["article" if is_article else "other"]
            bucket[0] += bool(pred["emitted"])
            bucket[1] += 1
            entry["emitted"] = bool(pred["emitted"])
        if is_article:
            w, wo = truth.get("with") or [], truth.get("without") or []
            found, leaked = snippet_hits(pred.get("text"), w), snippet_hits(pred.get("text"), wo)
            with_found, with_total = with_found + found, with_total + len(w)
            with_found_folded += snippet_hits(pred.get("text"), w, typography=True)
            without_leaked_folded += snippet_hits(pred.get("text"), wo, typography=True)
            without_leaked, without_total = without_leaked + leaked, without_total + len(wo)
            entry.update(with_missed=len(w) - found, without_leaked=leaked)
            if truth.get("title"):
                ok = title_equal(truth["title"], pred.get("title"))
                titles[0] += ok
                titles[1] += 1
                entry["title_ok"] = ok
            if truth.get("author"):
                ok = author_found(truth["author"], pred.get("authors"))
                authors[0] += ok
                authors[1] += 1
                entry["author_ok"] = ok
            if truth.get("publish_date"):
                ok = same_day(truth["publish_date"], pred.get("published"))
                dates[0] += ok
                dates[1] += 1
                entry["date_ok"] = ok
        per_page[page.id] = entry
    types = {t: {"pages": len(v["f1"]), "precision": _mean(v["p"]), "recall": _mean(v["r"]),
                 "f1": _mean(v["f1"])} for t, v in sorted(per_type.items())}
    return {
        "pages": len(pages),
        "by_type": types,
        "f1_all": _mean(f1_all),
        "article_f1": (types.get("article") or {}).get("f1"),
        "with_found": _share(with_found, with_total),
        "with_found_typography_folded": _share(with_found_folded, with_total),
        "without_leaked_typography_folded": _share(without_leaked_folded, without_total),
        "without_leaked": _share(without_leaked, without_total),
        "snippets": {"with": [with_found, with_total], "without": [without_leaked, without_total]},
        "non_articles_emitted": _share(*emitted["other"]),
        "articles_emitted": _share(*emitted["article"]),
        "emitted_counts": emitted,
        "title_equal": _share(*titles),
        "author_found": _share(*authors),
        "date_same_day": _share(*dates),
        "meta_counts": {"title": titles, "author": authors, "date": dates},
        "per_page": per_page,
    }


# --- predictors (in process) -------------------------------------------------------------------

def predict_ours(page: WcxbPage) -> tuple[dict, float]:
    """(prediction, CPU seconds) of the project's extraction as the crawl runs it: one parse,
    classify, extract an article; a page not taken for an article is extracted too (like
    `scrapy reextract --all-pages`) so its body can be scored, but is not `emitted`."""
    from crawler.extract import classify_and_extract_tree, extract_article, parse_html

    body = page.body
    start = time.process_time()
    kind, article = classify_and_extract_tree(parse_html(body, "utf-8"), page.fetch_url)
    seconds = time.process_time() - start
    if article is None:
        article = extract_article(body, page.fetch_url, encoding="utf-8")
    return {"text": article.get("text"), "title": article.get("title"), "authors": article.get("authors"),
            "published": article.get("published"),
            "emitted": kind == "article" and bool(article.get("text")), "kind": kind}, seconds


def predict_trafilatura(page: WcxbPage) -> tuple[dict, float]:
    """Bare trafilatura 2.x, default options, on the decoded page: `extract()` for the body (what
    the corpus README's figures use, timed) and its metadata extraction for title/author/date."""
    import trafilatura

    html = page.html
    start = time.process_time()
    text = trafilatura.extract(html)
    seconds = time.process_time() - start
    metadata = trafilatura.extract_metadata(html)
    author = getattr(metadata, "author", None) if metadata is not None else None
    return {"text": text, "title": getattr(metadata, "title", None),
            "authors": [a.strip() for a in author.split(";")] if author else [],
            "published": getattr(metadata, "date", None), "emitted": None}, seconds


PREDICTORS = {"ours": predict_ours, "trafilatura": predict_trafilatura}


def _run_one(args):
    name, page = args
    try:
        prediction, seconds = PREDICTORS[name](page)
    except Exception as exc:  # a page that breaks an extractor is an empty prediction, named
        prediction, seconds = {"text": None, "emitted": False, "error": repr(exc)}, 0.0
    return page.id, prediction, seconds


def predict(name: str, pages: list[WcxbPage], jobs: int = 1) -> tuple[dict, dict]:
    """({page_id: prediction}, {page_id: CPU seconds}) of one predictor over the pages."""
    work = [(name, page) for page in pages]
    if jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("forkserver").Pool(jobs) as pool:
            results = pool.map(_run_one, work, chunksize=8)
    else:
        results = [_run_one(item) for item in work]
    return {i: p for i, p, _ in results}, {i: s for i, _, s in results}


# --- report ------------------------------------------------------------------------------------

def _f(value, spec=".3f") -> str:
    return "-" if value is None else format(value, spec)


def table_rows(report: dict) -> list[tuple[str, str]]:
    """The issue's figures, in its order."""
    return [
        ("body word-F1, article pages", _f(report["article_f1"])),
        ("must-have snippets found (articles)", _f(report["with_found"])),
        ("  the same, quotes/dashes folded", _f(report.get("with_found_typography_folded"))),
        ("must-not snippets leaked (articles)", _f(report["without_leaked"])),
        ("non-article pages emitted as articles", _f(report["non_articles_emitted"])),
        ("article pages emitted", _f(report["articles_emitted"])),
        ("title equal", _f(report["title_equal"])),
        ("author found", _f(report["author_found"])),
        ("publish date same day", _f(report["date_same_day"])),
        ("body word-F1, all pages", _f(report["f1_all"])),
    ] + [(f"  F1 {t} ({v['pages']})", _f(v["f1"])) for t, v in report["by_type"].items()]


def print_comparison(columns: dict[str, dict], out=sys.stdout) -> None:
    """One table: a row per figure, a column per (tool, half)."""
    names = list(columns)
    rows = {name: dict(table_rows(report)) for name, report in columns.items()}
    labels = [label for label, _ in table_rows(next(iter(columns.values())))]
    width = max(len(label) for label in labels)
    print(f"{'':<{width}}  " + "  ".join(f"{n:>18}" for n in names), file=out)
    for label in labels:
        print(f"{label:<{width}}  " + "  ".join(f"{rows[n].get(label, '-'):>18}" for n in names), file=out)


def select_pages(corpus, half: str, ids: str | None = None, types: str | None = None) -> list[WcxbPage] | None:
    """load_pages narrowed to `ids` and `types` (comma-separated), for a command line: None
    after one `error:` line on stderr when there is no corpus."""
    try:
        pages = load_pages(corpus, half)
    except FileNotFoundError as exc:
        print(f"error: {exc} (give --corpus)", file=sys.stderr)
        return None
    if ids:
        wanted = set(ids.split(","))
        pages = [p for p in pages if p.id in wanted]
    if types:
        wanted = set(types.split(","))
        pages = [p for p in pages if p.page_type in wanted]
    return pages


def write_result(path: Path, result: dict) -> None:
    """The run's figures as JSON at `path` (its folder made), and a line saying where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"\nwrote {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="shared corpus folder (default: shared/corpus beside the repo)")
    parser.add_argument("--half", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--tools", default="ours,trafilatura", help="comma-separated: ours, trafilatura")
    parser.add_argument("--jobs", type=int, default=1, help="processes (CPU figures stay per page)")
    parser.add_argument("--ids", default=None, help="only these page ids (comma-separated)")
    parser.add_argument("--types", default=None, help="only these page types (comma-separated)")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst dev article pages of 'ours'")
    parser.add_argument("--out", type=Path, default=RESULTS / "wcxb.json")
    args = parser.parse_args(argv)

    pages = select_pages(args.corpus, args.half, args.ids, args.types)
    if pages is None:
        return 2
    halves = ["dev", "heldout"] if args.half == "both" else [args.half]
    columns, result, cpu = {}, {}, {}
    for tool in args.tools.split(","):
        predictions, seconds = predict(tool, pages, args.jobs)
        cpu[tool] = seconds
        for half in halves:
            subset = [p for p in pages if p.half == half]
            if subset:
                report = score(subset, predictions)
                columns[f"{tool} {half}"] = report
                result[f"{tool} {half}"] = report
        errors = {i: p["error"] for i, p in predictions.items() if p.get("error")}
        if errors:
            print(f"{tool}: {len(errors)} page(s) failed: {errors}", file=sys.stderr)
    print(f"{len(pages)} WCXB pages ({', '.join(f'{h} {sum(p.half == h for p in pages)}' for h in halves)})")
    print_comparison(columns)
    if len(cpu) == 2 and "ours" in cpu and "trafilatura" in cpu:
        ours, bare = sum(cpu["ours"].values()), sum(cpu["trafilatura"].values())
        print(f"\nCPU: ours {1000 * ours / len(pages):.1f} ms/page (classify + extract), bare trafilatura.extract "
              f"{1000 * bare / len(pages):.1f} ms/page: ratio {ours / bare:.2f}")
    if args.worst and "ours dev" in result:
        rows = [(e["f1"], i) for i, e in result["ours dev"]["per_page"].items() if e["type"] == "article"]
        bare = result.get("trafilatura dev", {}).get("per_page", {})
        print("\nworst dev article pages (ours F1, bare F1):")
        for f1, page_id in sorted(rows)[: args.worst]:
            e = result["ours dev"]["per_page"][page_id]
            print(f"  {page_id} {f1:.3f} {_f(bare.get(page_id, {}).get('f1'))} leaked={e['without_leaked']} "
                  f"missed={e['with_missed']} emitted={e.get('emitted')}")
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
