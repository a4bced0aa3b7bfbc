"""Would a second decision AFTER extraction, on what the extraction produced, recognise articles
better than the page-level score alone? Measured out of fold on the WCXB development half.

The page-level score (crawler/extract/classify.py) decides before trafilatura runs; for the pages
it passes, the extraction then yields evidence the page cannot give cheaply: the body actually
read (its length, paragraphs, share of sentence-ended text, short heading-like lines, numbers,
prices, second- and first-person address), the title chosen, the publication date and authors
the full metadata search found, how much of the page's prose the body holds. This bench fits
such a second stage and reports whether it pays, so the idea is judged by a number:

- stage 1 is refitted per fold (bench/fit_recognition.fit, 5 folds by registered domain within
  dev) with its bias loosened to keep `--stage1-keep` of the training articles;
- stage 2 is an L2 logistic model over [stage-1 margin] + the body features, fitted on the
  training pages stage 1 passes; its bias keeps `keep` of all training articles;
- each held-back fold is scored by models that never saw its sites; the figure is the share of
  its non-article pages recognised at 98.5 / 98 / 97% of its article pages recognised, beside
  the same for stage 1 alone (its bias set at `keep`), and for each body feature added alone.

Held-out pages are never read here. The body features live in this file, none in the runtime:
measured (session 8), out of fold, non-article pages recognised with stage 1 alone / with all
body features: 0.254 / 0.256 at 98.5% of articles (the operating point), 0.191 / 0.170 at 98%,
0.141 / 0.108 at 97%; no single feature moves the 98.5% figure beyond ~2 points (8 pages).
Read once on the held-out half (both stages fitted on all of dev), articles / non-articles
recognised: at 98.5%, stage 1 0.984 / 0.259, two stages 0.989 / 0.307; at 98%, 0.984 / 0.241
against 0.973 / 0.217: no gain that holds.

    .venv/bin/python -m bench.recognition_body [--corpus DIR] [--jobs N] [--stage1-keep 0.995]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fit_recognition import domain_fold, fit, fit_logistic, map_pages, raw_score  # noqa: E402
from bench.wcxb import select_pages  # noqa: E402

KEEPS = (0.985, 0.98, 0.97)
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f\u2026:;\"'\u201d\u2019\u00bb)]\s*$")
_CURRENCY = re.compile(r"[$\u20ac\u00a3\u00a5]\s?\d|\d\s?(?:\u20ac|EUR|USD)")
# second- and first-person plural pronouns in the corpus' main languages (en, fr, de, es, it):
# a service or product page addresses its reader and speaks for a company
_YOU = frozenset("you your yours yourself vous votre vos toi tu ton ta tes du dich dein deine deinen deiner ihr "
                 "euch euer ihnen usted ustedes tus vosotros voi tuo tua".split())
_WE = frozenset("we our us ours nous notre nos wir uns unser unsere nosotros nuestro nuestra noi nostro".split())


def body_features(fields: dict, page_prose: int) -> dict[str, float]:
    """Evidence read from an extracted article (extract_article's fields), each in [0, ~1]."""
    text = fields.get("text") or ""
    paras = [line.strip() for line in text.splitlines() if line.strip()]  # paragraphs, list items, table rows
    words = _WORD.findall(text.lower())
    n_words, n_paras, n_chars = max(1, len(words)), max(1, len(paras)), max(1, sum(map(len, paras)))
    title = fields.get("title") or ""
    title_words = set(_WORD.findall(title.lower()))
    capitalisable = [w for w in title.split() if len(w) >= 4 and w[0].isalpha()]
    return {
        "words": math.log1p(len(words)) / math.log1p(1000),
        "paragraphs": math.log1p(len(paras)) / math.log1p(30),
        "long-paragraphs": math.log1p(sum(len(p) >= 200 for p in paras)) / math.log1p(20),
        "mean-paragraph": math.log1p(len(text) / n_paras) / math.log1p(300),
        "first-paragraph": math.log1p(len(paras[0]) if paras else 0) / math.log1p(300),
        "sentence-share": sum(len(p) for p in paras if _SENTENCE_END.search(p)) / n_chars,
        "short-share": sum(len(p) < 60 for p in paras) / n_paras,
        "heads-per-100-words": min(1.0, sum(len(p) < 80 and not _SENTENCE_END.search(p) for p in paras)
                                   / n_words * 20),
        "list-items": sum(p.startswith(("- ", "* ", "\u2022")) for p in paras) / n_paras,
        "table-rows": sum(p.startswith("|") for p in paras) / n_paras,
        "questions": sum(p.rstrip().endswith("?") and len(p) < 200 for p in paras) / n_paras,
        "you": min(1.0, sum(w in _YOU for w in words) / n_words * 20),
        "we": min(1.0, sum(w in _WE for w in words) / n_words * 20),
        "digits": min(1.0, sum(ch.isdigit() for ch in text) / n_chars * 20),
        "prices": min(1.0, len(_CURRENCY.findall(text)) / n_words * 100),
        "published": float(bool(fields.get("published"))),
        "authors": float(bool(fields.get("authors"))),
        "holds-page-prose": min(1.0, len(text) / (page_prose + 1)),
        "title-opens-body": float(bool(title_words) and len(title_words & set(_WORD.findall(text[:300].lower())))
                                  > len(title_words) / 2),
        "title-case": (sum(w[0].isupper() for w in capitalisable) / len(capitalisable)
                       if len(capitalisable) >= 2 else 0.5),
    }


def _measure(page) -> tuple[str, dict, bool, dict]:
    """(page id, page features, gate, body features) of one page."""
    from crawler.extract import _extract_tree, parse_html
    from crawler.extract import metadata as meta
    from crawler.extract.classify import prose, recognition_features, recognition_gate, text_runs

    tree = parse_html(page.body, "utf-8")
    objects, metas = meta.json_ld_objects(tree), meta.meta_tags(tree)
    features = recognition_features(tree, page.fetch_url, objects, metas)
    gate = recognition_gate(tree, page.fetch_url, objects)
    page_prose = max(prose(tree)[1], text_runs(tree))
    fields = _extract_tree(tree, page.fetch_url, objects, metas)
    return page.id, features, gate, body_features(fields, page_prose)


def two_stage(train, test, data, names, body_names, stage1_keep, keep, l2=1.0) -> dict[str, bool]:
    """{page id: recognised} for `test`, by models fitted on `train` (see the module docstring)."""
    import numpy as np

    page_features = {i: f for i, (f, _, _) in data.items()}
    gates = {i: g for i, (_, g, _) in data.items()}
    weights, bias = fit(train, page_features, gates, names, 0.1, stage1_keep if body_names else keep)

    def margin(p):
        return raw_score(weights, page_features[p.id]) + bias if gates[p.id] else None

    def x(pages):
        return np.array([[margin(p)] + [data[p.id][2][n] for n in body_names] for p in pages]).reshape(
            len(pages), 1 + len(body_names))

    passed = [p for p in train if margin(p) is not None and margin(p) > 0]
    articles = [p for p in train if p.page_type == "article"]
    if body_names:
        w, b = fit_logistic(x(passed), [p.page_type == "article" for p in passed], l2)
    else:
        w, b = np.array([1.0]), 0.0
    scores = sorted(x([p for p in passed if p.page_type == "article"]) @ w + b)
    may_lose = int((1 - keep) * len(articles)) - (len(articles) - len(scores))
    cut = scores[max(may_lose, 0)]
    tested = [p for p in test if margin(p) is not None and margin(p) > 0]
    result = {p.id: False for p in test}
    if tested:
        result.update({p.id: bool(s >= cut) for p, s in zip(tested, x(tested) @ w + b)})
    return result


def out_of_fold(dev, data, names, body_names, stage1_keep) -> list[tuple[float, float]]:
    """(articles, non-articles) recognised out of fold at each of KEEPS."""
    shares = []
    for keep in KEEPS:
        recognised = {}
        for k in range(5):
            recognised.update(two_stage([p for p in dev if domain_fold(p) != k], [p for p in dev if domain_fold(p) == k], data,
                                        names, body_names, stage1_keep, keep))
        arts = [p for p in dev if p.page_type == "article"]
        others = [p for p in dev if p.page_type != "article"]
        shares.append((sum(recognised[p.id] for p in arts) / len(arts),
                       sum(recognised[p.id] for p in others) / len(others)))
    return shares


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="shared corpus folder (default: shared/corpus beside the repo)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--stage1-keep", type=float, default=0.995, help="training articles stage 1 passes")
    args = parser.parse_args(argv)
    dev = select_pages(args.corpus, "dev")
    if dev is None:
        return 2
    rows = map_pages(_measure, dev, args.jobs)
    data = {i: (f, g, b) for i, f, g, b in rows}
    names, body_names = list(rows[0][1]), list(rows[0][3])

    def line(label, shares):
        print(f"{label:<28}" + "  ".join(f"{a:.3f} / {o:.3f}" for a, o in shares))

    print(f"# {len(dev)} dev pages; out of fold (5 folds by domain): articles / non-articles recognised at "
          f"{', '.join(map(str, KEEPS))} of training articles kept")
    line("stage 1 alone", out_of_fold(dev, data, names, [], args.stage1_keep))
    line("+ all body features", out_of_fold(dev, data, names, body_names, args.stage1_keep))
    for name in body_names:
        line(f"+ {name}", out_of_fold(dev, data, names, [name], args.stage1_keep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
