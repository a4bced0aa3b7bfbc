"""Why must-have snippets are missed (WCXB article pages): a census of the misses by kind.

For text-fidelity and recall work. Each must-have snippet our body lacks (the benchmark's test:
case-insensitive substring, whitespace folded) is put in one kind:
  typography       found once curly quotes and dashes are folded on both sides (the annotators
                   typed other quotes than the page prints; never rewrite the page's characters)
  printed          in the page's rendered text (blocks and <br> as line breaks, inline elements
                   joined, soft hyphens and zero-width spaces dropped) and, word for word, in our
                   body: we print it differently (a table's cells, a list's marks, spacing)
  not read         in the page's rendered text, not in our body: a recall miss
  words printed    only its words are in the page (the annotators' spacing or punctuation differ)
                   and in our body
  words not read   only its words are in the page, not in our body
  not in page      its words are not in the page's text either (mojibake, typed by hand)
The development half is listed snippet by snippet (--list); the held-out half is only counted.

    .venv/bin/python -m bench.wcxb_snippets [--corpus DIR] [--half dev|heldout|both] [--list]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.wcxb import _fold_space, _fold_typography, predict_ours, select_pages  # noqa: E402
from crawler.extract.html import parse_html  # noqa: E402
from crawler.extract.paragraphs import key  # noqa: E402

KINDS = ("typography", "printed", "not read", "words printed", "words not read", "not in page")
_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
                     "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                     "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
                     "tbody", "td", "tfoot", "th", "thead", "tr", "ul"})
_UNSEEN = frozenset({"head", "noscript", "script", "style", "template", "title"})


def rendered_text(tree) -> str:
    """The page's text roughly as a browser lays it out: a line break at each block's edges and
    at <br>, inline elements joined as printed, what is never shown left out."""
    out: list[str] = []
    stack = [(tree, False)]
    while stack:        # iterative: pages nest deeper than Python's stack
        node, closing = stack.pop()
        if isinstance(node, str):
            out.append(node)
            continue
        tag = node.tag if isinstance(node.tag, str) else None
        if closing:
            if tag in _BLOCKS:
                out.append("\n")
            if node.tail:
                out.append(node.tail)
            continue
        stack.append((node, True))
        if tag is None or tag in _UNSEEN:
            continue
        if tag in _BLOCKS:
            out.append("\n")
        if node.text:
            out.append(node.text)
        stack.extend((child, False) for child in reversed(node))
    return "".join(out).replace("\xad", "").replace("\u200b", "")


def kind(snippet: str, text: str, page_text: str) -> str:
    """The kind (KINDS) of one snippet that `text` (our body) misses; `page_text`: rendered_text."""
    if _fold_typography(snippet) in _fold_typography(text):
        return "typography"
    ours = key(snippet) in key(text)
    if _fold_space(snippet) in _fold_space(page_text) or _fold_typography(snippet) in _fold_typography(page_text):
        return "printed" if ours else "not read"
    if key(snippet) in key(page_text):
        return "words printed" if ours else "words not read"
    return "not in page"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="shared corpus folder (default: beside the repo)")
    parser.add_argument("--half", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--list", action="store_true", help="each dev miss: page, kind, snippet")
    args = parser.parse_args(argv)
    pages = select_pages(args.corpus, args.half, None, "article")
    if pages is None:
        return 2
    counts: dict[str, Counter] = {}
    totals: Counter = Counter()
    for page in pages:
        snippets = page.truth.get("with") or []
        totals[page.half] += len(snippets)
        text = predict_ours(page)[0].get("text") or ""
        missed = [s for s in snippets if _fold_space(s) and _fold_space(s) not in _fold_space(text)]
        if not missed:
            continue
        page_text = rendered_text(parse_html(page.body, "utf-8"))
        for snippet in missed:
            found = kind(snippet, text, page_text)
            counts.setdefault(page.half, Counter())[found] += 1
            if args.list and page.half == "dev":
                print(f"{page.id} {found:15} {snippet[:100]!r}")
    for half in sorted(totals):
        row = counts.get(half, Counter())
        print(f"{half}: {totals[half]} must-have snippets, {sum(row.values())} missed: "
              + ", ".join(f"{k} {row[k]}" for k in KINDS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
