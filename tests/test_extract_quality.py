"""Quality floors on copied real pages, so extraction quality cannot silently drop.

Deterministic figures only (no timings): body F1 with the ScrapingHub metric on 46 benchmark
pages, caption precision/recall, title and date on the 30 fundus pages and the 4 newspaper4k
pages with metadata. The data was copied
from the shared corpus beside the repo (shared/corpus) (see tests/data/extract/PROVENANCE.md); bench/extract_bench.py measures
the full sets. Floors sit a little under the measured values (noted beside each).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from bench import scoring
from crawler.extract import extract_article, page_kind

DATA = Path(__file__).parent / "data" / "extract"


def _read_gz(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture(scope="module")
def scrapinghub():
    truth = json.loads((DATA / "scrapinghub" / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {k: _read_gz(DATA / "scrapinghub" / "html" / f"{k}.html.gz") for k in truth}
    results = {k: extract_article(pages[k], truth[k]["url"]) for k in truth}
    return truth, pages, results


@pytest.fixture(scope="module")
def fundus():
    expected = json.loads((DATA / "fundus" / "expected.json").read_text(encoding="utf-8"))
    results = []
    for entry in expected:
        html = _read_gz(DATA / "fundus" / entry["html"])
        results.append((entry, html, extract_article(html, entry["url"])))
    return results


@pytest.fixture(scope="module")
def newspaper4k():
    expected = json.loads((DATA / "newspaper4k" / "expected.json").read_text(encoding="utf-8"))
    return [(entry, extract_article(_read_gz(DATA / "newspaper4k" / entry["html"]), entry["url"]))
            for entry in expected]


def test_body_f1_floor_on_benchmark_subset(scrapinghub):
    truth, _, results = scrapinghub
    scores = scoring.body_scores({k: v["articleBody"] for k, v in truth.items()},
                                 {k: r["text"] for k, r in results.items()}, bootstrap=0)
    # measured: F1 0.977, P 0.973, R 0.981
    assert scores["f1"] >= 0.965, scores
    assert scores["precision"] >= 0.955 and scores["recall"] >= 0.97, scores


def test_benchmark_pages_are_articles_with_titles(scrapinghub):
    truth, pages, results = scrapinghub
    kinds = [page_kind(pages[k], truth[k]["url"]) for k in truth]
    assert kinds.count("article") == len(kinds)
    assert all(r["title"] for r in results.values())


def test_caption_precision_recall_floor_on_fundus(fundus):
    tp = fp = fn = 0
    for entry, _, got in fundus:
        c = scoring.caption_scores([c["caption"] for c in entry["captions"]], got["captions"])
        tp, fp, fn = tp + c[0], fp + c[1], fn + c[2]
    assert tp + fn == 127  # 129 captioned images, 2 captions shown twice (counted once)
    # measured: tp=126 fp=2 fn=1 (P 0.984, R 0.992)
    assert tp / (tp + fp) >= 0.96, (tp, fp, fn)
    assert tp / (tp + fn) >= 0.97, (tp, fp, fn)


def test_captions_never_repeated_nor_in_body(fundus):
    for entry, _, got in fundus:
        keys = [scoring.norm(c["text"]) for c in got["captions"]]
        assert len(keys) == len(set(keys)), entry["html"]
        body = scoring.norm(got["text"])
        for caption in entry["captions"]:
            anchor = scoring.norm(caption["caption"])
            if len(anchor) >= 60:
                assert anchor not in body, (entry["html"], anchor)


def test_title_and_date_floor_on_fundus_and_newspaper4k(fundus, newspaper4k):
    pairs = [(e["title"], g) for e, _, g in fundus] + [(e["title"], g) for e, g in newspaper4k]
    missed = [(want, g["title"]) for want, g in pairs if not scoring.title_match(want, g["title"])]
    # measured 28/34: fundus 25/30, newspaper4k 3/4. These annotators take the <title> or og:title
    # wording; the extraction gives the headline the reader sees (the <h1> agreeing with a declared
    # title; WCXB's reviewed titles, 711 pages, are that). The six misses are pages whose <h1>
    # words the story otherwise ("Five key policies announced in first King's Speech of Labour
    # government" for the <title>'s "King's speech summary: Five key policies ...").
    assert len(pairs) == 34 and len(missed) <= 6, missed
    dated = [(e["publishing_date"], g) for e, _, g in fundus if e["publishing_date"]]
    dated += [(e["publish_date"], g) for e, g in newspaper4k if e["publish_date"]]
    same_day = sum(scoring.same_day(want, g["published"]) for want, g in dated)
    assert same_day / len(dated) >= 0.95, same_day  # measured 33/33
    # a day, or a timestamp with its offset (the page's own, or Z)
    assert all(g["published"] is None or len(g["published"]) == 10
               or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", g["published"])
               for _, _, g in fundus)
