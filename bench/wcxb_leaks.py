"""Where the must-not snippets that leak into our article bodies sit (WCXB development half).

For body-precision work: each leaked snippet with the body paragraph that holds it (its index
among the body's paragraphs, so a tail or a header line shows as such) and whether the page's
true main text holds the snippet too (then no rule can remove it without losing truth: the
benchmark's substring test also counts "Subscribe" inside "subscribers"). Then the pages that
lose the most F1 to precision. Only the dev half is listed: the held-out half is measured, never
read page by page (bench/wcxb.py).

    .venv/bin/python -m bench.wcxb_leaks [--corpus DIR] [--ids 0010,0031] [--worst 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.wcxb import _fold_space, predict_ours, select_pages, word_prf  # noqa: E402


def leaks(text: str | None, snippets: list[str]) -> list[tuple[str, int | None]]:
    """(snippet, index of the body paragraph holding it, or None when it spans paragraphs) for
    each snippet found in `text` (the benchmark's test: case-insensitive, whitespace folded)."""
    body = text or ""
    paragraphs = [_fold_space(p) for p in body.split("\n\n")]
    folded = _fold_space(body)
    found = []
    for snippet in snippets:
        s = _fold_space(snippet)
        if s and s in folded:
            found.append((snippet, next((i for i, p in enumerate(paragraphs) if s in p), None)))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="shared corpus folder (default: beside the repo)")
    parser.add_argument("--ids", default=None, help="only these page ids (comma-separated)")
    parser.add_argument("--worst", type=int, default=20, help="list the N dev pages losing most F1 to precision")
    args = parser.parse_args(argv)
    pages = select_pages(args.corpus, "dev", args.ids, "article")
    if pages is None:
        return 2
    total = unreachable = 0
    precision_loss = []
    for page in pages:
        text = predict_ours(page)[0].get("text")
        truth = page.truth.get("main_content")
        p, r, f1 = word_prf(truth, text)
        precision_loss.append(((2 * r / (1 + r) if r else 0.0) - f1, page.id, page.domain, p, r))
        found = leaks(text, page.truth.get("without") or [])
        if not found:
            continue
        paragraphs = (text or "").split("\n\n")
        print(f"{page.id} {page.domain} P={p:.3f} R={r:.3f} ({len(paragraphs)} paragraphs)")
        for snippet, i in found:
            total += 1
            in_truth = _fold_space(snippet) in _fold_space(truth)
            unreachable += in_truth
            where = "spans paragraphs" if i is None else f"[{i}] {paragraphs[i][:160]!r}"
            print(f"  {snippet[:80]!r}{' (also in the truth)' if in_truth else ''}\n      {where}")
    print(f"\n{total} leaked snippets on {len(pages)} dev article pages, {unreachable} of them also in the truth")
    print("\npages losing most F1 to precision (F1 at P=1 minus F1):")
    for loss, page_id, domain, p, r in sorted(precision_loss, reverse=True)[: args.worst]:
        print(f"  {page_id} {domain:40s} {loss:.3f}  P={p:.3f} R={r:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
