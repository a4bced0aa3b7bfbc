"""crawler/extract/readings.py: trafilatura's readings of one tree sharing the steps they repeat
give the readings trafilatura gives alone, on real pages (tests/data/extract, see PROVENANCE.md)."""

from __future__ import annotations

import gzip
from copy import deepcopy
from pathlib import Path

import trafilatura
import trafilatura.core
import trafilatura.main_extractor

from crawler.extract import body, readings
from crawler.extract.html import parse_html

DATA = Path(__file__).parent / "data" / "extract"
OPTIONS = {"url": "https://www.politico.eu/article/x", "include_comments": False, "with_metadata": False}
# fast, full (readability and jusText compared), recall: the readings body.trafilatura_body asks
READINGS = ({"fast": True}, {"fast": False}, {"fast": True, "favor_recall": True})


def _tree(path: str):
    return parse_html(gzip.decompress((DATA / path).read_bytes()))


def _count_main_extractor(monkeypatch) -> list:
    runs = []
    real = readings._extract_content_noting_recovery

    def counted(tree, options):
        runs.append(options.focus)
        return real(tree, options)

    monkeypatch.setattr(readings, "_extract_content_noting_recovery", counted)
    return runs


def test_three_readings_of_one_tree_share_their_main_extractor_and_read_what_trafilatura_reads(monkeypatch):
    # on this page the fast reading is short (784 characters): trafilatura's full reading takes
    # another extractor's (5,003), and each balanced reading runs trafilatura's recall retry
    tree = _tree("fundus/be/PoliticoEu_2025_10_23.html.gz")
    prunes = []
    prune = trafilatura.core.prune_unwanted_nodes

    def counted(tree, nodelist, with_backup=False):
        prunes.append(nodelist)
        return prune(tree, nodelist, with_backup)

    monkeypatch.setattr(trafilatura.core, "prune_unwanted_nodes", counted)
    alone = [trafilatura.bare_extraction(deepcopy(tree), **OPTIONS, **kw).text for kw in READINGS]
    assert len(alone[1]) > 2 * len(alone[0])
    # each reading prunes its copy of the page: trafilatura's raw-tree and comment prunes
    assert len(prunes) == 2 * len(READINGS)
    runs = _count_main_extractor(monkeypatch)
    prunes.clear()
    shared = readings.SharedSteps()
    together = [readings.bare_extraction(tree, shared=shared, **OPTIONS, **kw).text for kw in READINGS]
    assert together == alone
    # alone: fast + its recall retry, full + its recall retry, recall = 5 runs; shared: one per focus
    assert sorted(runs) == ["balanced", "recall"]
    assert len(prunes) == 2         # the first reading's


def test_a_changed_tree_is_read_again(monkeypatch):
    tree = _tree("fundus/be/PoliticoEu_2025_10_23.html.gz")
    shared = readings.SharedSteps()
    first = readings.bare_extraction(tree, shared=shared, fast=True, **OPTIONS).text
    for p in list(tree.iter("p"))[: len(list(tree.iter("p"))) // 2]:
        p.drop_tree()
    alone = trafilatura.bare_extraction(deepcopy(tree), fast=True, **OPTIONS).text
    assert alone != first
    shared.changed()
    assert readings.bare_extraction(tree, shared=shared, fast=True, **OPTIONS).text == alone


def test_readings_with_other_keywords_share_nothing(monkeypatch):
    tree = _tree("fundus/be/PoliticoEu_2025_10_23.html.gz")
    shared = readings.SharedSteps()
    readings.bare_extraction(tree, shared=shared, fast=True, **OPTIONS)
    runs = _count_main_extractor(monkeypatch)
    other = {**OPTIONS, "prune_xpath": ["//h2"]}
    got = readings.bare_extraction(tree, shared=shared, fast=True, **other).text
    assert got == trafilatura.bare_extraction(deepcopy(tree), fast=True, **other).text
    assert runs and runs[0] == "balanced"


def test_trafilatura_body_reads_what_it_reads_without_sharing(monkeypatch):
    # pages whose body goes through trafilatura's full reading and the recall reading after the
    # fast one, and through the re-readings without names (which change the tree's attributes
    # between readings: Politico, National Post, Quanta)
    pages = ["fundus/us/TechCrunch_2024_05_17.html.gz",
             "scrapinghub/html/8e3efab59f48fd29a1e1e7aa135880c4251a9f090f94999668cdbaec59d30b5a.html.gz",
             "fundus/be/PoliticoEu_2025_10_23.html.gz", "fundus/ca/NationalPost_2025_05_08.html.gz",
             "scrapinghub/html/bdb56ac83513635db1d8b9eb46b2da4c0de8da2f1f28f5bf5163df3eb3d3ec06.html.gz"]
    runs = _count_main_extractor(monkeypatch)
    together = [body.trafilatura_body(_tree(p), OPTIONS["url"]) for p in pages]
    alone_runs = []
    extract_content = trafilatura.core.extract_content

    def counted(tree, options):
        alone_runs.append(options.focus)
        return extract_content(tree, options)

    monkeypatch.setattr(trafilatura.core, "extract_content", counted)
    monkeypatch.setattr(body, "bare_extraction", lambda tree, shared=None, **kw: trafilatura.bare_extraction(tree, **kw))
    assert together == [body.trafilatura_body(_tree(p), OPTIONS["url"]) for p in pages]
    assert all(together)
    assert 0 < len(runs) < len(alone_runs)


def test_trafilatura_as_imported_elsewhere_is_left_as_shipped():
    assert trafilatura.core.extract_content is trafilatura.main_extractor.extract_content
    assert trafilatura.bare_extraction is trafilatura.core.bare_extraction
    assert readings._bare_extraction is not trafilatura.core.bare_extraction
    assert readings._bare_extraction.__code__ is trafilatura.core.bare_extraction.__code__
