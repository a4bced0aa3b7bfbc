"""Would a structural rule tell the leaked lines from the story? Counts on the WCXB development half.

Before a body-precision rule is written, this measures its signal: every paragraph of our article
bodies is labelled by the annotators' truth (a "leak" holds a must-not snippet the truth lacks; a
"true" line is in the main text; "other" is neither: text they left out that no snippet names),
and each signal counts the lines it would drop, by label, in lines and characters. A signal that
catches a few leaks for hundreds of true lines is no rule. Signals (session 11's census):

  repeat-outside   the line's words recur in the page's visible text outside the story's container
                   (a promo box printed again in a rail, a footer, a modal)
  repeat-in-body   a line of 6+ words printed twice or more in the body (a promo repeated)
  boxed-outlier    a line in a box (div/section/aside/form: a heading, a link or control, no prose)
                   among the story's paragraphs, not one of them
  orphan-label     a heading or whole-bold line (<= 120 characters, no closing punctuation) whose
                   following text in the page is not in the body (the box went, its title stayed)
  after-rule       a line after the story container's last <hr>, the prose after it < 30%

Only the dev half is read (the held-out half is for measuring a rule, not for finding one).

    .venv/bin/python -m bench.wcxb_leak_angles [--corpus DIR] [--ids 0010,0031] [--show SIGNAL]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.wcxb import _fold_space, select_pages  # noqa: E402

_WORD = re.compile(r"\w+")
_HIDDEN = frozenset({"script", "style", "noscript", "template"})
_HEADS = ("h1", "h2", "h3", "h4", "h5", "h6")
_EMPHASIS = ("strong", "b")
_CLOSED = re.compile(r"[.!?:;,)\]\"'\u201d\u2019]\W*$")
SIGNALS = ("repeat-outside", "repeat-in-body", "boxed-outlier", "orphan-label", "after-rule")


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def visible_words(root, leave_out=None) -> str:
    """The words of `root`'s text outside scripts and styles (and outside `leave_out`), spaced."""
    out = []

    def walk(el):
        if isinstance(el.tag, str) and el.tag not in _HIDDEN and el is not leave_out:
            out.append(el.text or "")
            for child in el:
                walk(child)
        out.append(el.tail or "")

    walk(root)
    return f" {_words(' '.join(out))} "


def label(paragraph: str, truth_words: str, truth_folded: str, without: list[str]) -> str:
    folded = _fold_space(paragraph)
    if any(s and _fold_space(s) in folded and _fold_space(s) not in truth_folded for s in without):
        return "leak"
    return "true" if f" {_words(paragraph)} " in truth_words else "other"


def source_elements(root, paragraphs: list[str]) -> dict[int, object]:
    """{paragraph index: the deepest element of `root` whose text is that paragraph's}."""
    from crawler.extract.paragraphs import key

    want = {key(p)[:80] for p in paragraphs}
    found = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag not in _HIDDEN and (el.text or len(el)):
            text = el.text_content()
            if len(text) <= 5000 and (k := key(text)[:80]) in want:
                found[k] = el       # document order: a later match is the deeper one
    return {i: found[key(p)[:80]] for i, p in enumerate(paragraphs) if key(p)[:80] in found}


def signals(page_root, pruned_root, paragraphs: list[str]) -> list[set[str]]:
    """The SIGNALS each paragraph of the body raises. `page_root`: the page as parsed (it is
    changed: the story's container is taken out); `pruned_root`: the tree trafilatura read."""
    from crawler.extract.body import _text_after
    from crawler.extract.boilerplate import prose_paragraphs, story_block
    from crawler.extract.furniture import link_share
    from crawler.extract.html import is_inside
    from crawler.extract.paragraphs import key

    out = [set() for _ in paragraphs]
    body_key = key(" ".join(paragraphs))
    counts = Counter(key(p) for p in paragraphs)
    page_story = story_block(page_root, share=0.6)
    outside = visible_words(page_root, page_story)
    for i, para in enumerate(paragraphs):
        if f" {_words(para)} " in outside:
            out[i].add("repeat-outside")
        if len(para.split()) >= 6 and counts[key(para)] >= 2:
            out[i].add("repeat-in-body")
    elements = source_elements(pruned_root, paragraphs)
    prose = prose_paragraphs(pruned_root)
    held = Counter()
    for p, n in prose:
        if p.getparent() is not None:
            held[p.getparent()] += n
    dominant = held.most_common(1)[0][0] if held else None
    container = story_block(pruned_root, prose, share=0.6)
    order = {el: n for n, el in enumerate(container.iter())} if container is not None else {}
    rules = [el for el in container.iter("hr")] if container is not None else []
    if rules:
        total = sum(n for p, n in prose if p in order)
        after = sum(n for p, n in prose if order.get(p, -1) > order[rules[-1]])
        last_rule = order[rules[-1]] if after < 0.3 * max(total, 1) else None
    else:
        last_rule = None
    for i, el in elements.items():
        para = paragraphs[i]
        box = next((a for a in (el, *el.iterancestors()) if a.getparent() is dominant), None)
        if box is not None and box is not el and key(box.text_content()) != key(para) and \
                box.tag in ("div", "section", "aside", "form") and next(box.iter(*_HEADS), None) is not None and \
                next(box.iter("a", "button", "input"), None) is not None and \
                not any(is_inside(p, box) for p, _ in prose):
            out[i].add("boxed-outlier")
        heading = el.tag in _HEADS or el.tag in _EMPHASIS or next(el.iterancestors(*_HEADS), None) is not None
        if heading and len(para) <= 120 and not _CLOSED.search(para.strip()) and \
                link_share(el, len(el.text_content())) <= 0.5:
            after = _text_after(el, container if container is not None and is_inside(el, container) else pruned_root)
            if after and after[:30] not in body_key:
                out[i].add("orphan-label")
        if last_rule is not None and order.get(el, -1) > last_rule:
            out[i].add("after-rule")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="shared corpus folder (default: beside the repo)")
    parser.add_argument("--ids", default=None, help="only these page ids (comma-separated)")
    parser.add_argument("--show", choices=SIGNALS, default=None, help="list the leak and other lines of one signal")
    args = parser.parse_args(argv)
    pages = select_pages(args.corpus, "dev", args.ids, "article")
    if pages is None:
        return 2
    from crawler.extract import _extract_tree, parse_html

    lines, chars = Counter(), Counter()
    for page in pages:
        pruned = parse_html(page.body, "utf-8")
        text = _extract_tree(pruned, page.fetch_url).get("text")   # prunes `pruned` in place
        if not text:
            continue
        paragraphs = text.split("\n\n")
        truth = page.truth.get("main_content") or ""
        truth_words, truth_folded = f" {_words(truth)} ", _fold_space(truth)
        without = page.truth.get("without") or []
        raised = signals(parse_html(page.body, "utf-8"), pruned, paragraphs)
        for para, found in zip(paragraphs, raised, strict=True):
            kind = label(para, truth_words, truth_folded, without)
            for signal in ("all", *found):
                lines[signal, kind] += 1
                chars[signal, kind] += len(para)
            if args.show in found and kind != "true":
                print(f"  {page.id} {kind:5s} {para[:100]!r}")
    print(f"{'signal':16s} {'leak':>5s} {'true':>6s} {'other':>6s}   characters leak / true / other")
    for signal in ("all", *SIGNALS):
        print(f"{signal:16s} {lines[signal, 'leak']:5d} {lines[signal, 'true']:6d} {lines[signal, 'other']:6d}   "
              f"{chars[signal, 'leak']} / {chars[signal, 'true']} / {chars[signal, 'other']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
