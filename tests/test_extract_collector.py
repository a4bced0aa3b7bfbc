"""The extraction holds Python's cyclic collector off for the length of a page (crawler.extract.collector)."""

from __future__ import annotations

import gc

import pytest

from crawler.extract import ExtractionError, classify_and_extract, extract_article
from crawler.extract.page import analyze_page

URL = "http://127.0.0.1/news/2024/05/harbor-dredging-starts-after-years-of-delay"
# a long story: its walks create far more tracked objects than the collector's 700-allocation threshold
PAGE = ("<html><head><title>Harbor dredging starts</title></head><body><article><h1>Harbor dredging starts</h1>"
        + "".join(f"<p>Paragraph {i} of the story, long enough to be prose: the dredgers arrived at dawn and "
                  f"<a href='/x/{i}'>work</a> began at once.</p>" for i in range(800))
        + "</article></body></html>")


@pytest.fixture
def collections():
    """(generation, collector enabled at the time) of each collection while the test runs."""
    seen = []

    def record(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.collect()
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


@pytest.mark.parametrize("call", [
    lambda: extract_article(PAGE, URL),
    lambda: classify_and_extract(PAGE, URL),
    lambda: analyze_page(PAGE.encode(), URL, "utf-8"),
])
def test_one_young_collection_per_page_and_the_collector_back_on(collections, call):
    assert gc.isenabled()
    result = call()
    assert result                                   # the page was extracted
    assert collections == [0]                       # only the one at the end of the page
    assert gc.isenabled()


def test_the_collector_runs_as_usual_without_the_deferral(collections):
    # the same work with the collector left on collects many times: what the test above counts is real
    from crawler.extract import _extract_tree, parse_html

    _extract_tree(parse_html(PAGE), URL)
    assert len(collections) > 1


def test_a_page_that_raises_leaves_the_collector_on():
    with pytest.raises(ExtractionError):
        extract_article(b"   ", URL)
    assert gc.isenabled()


def test_a_caller_that_turned_the_collector_off_keeps_it_off(collections):
    gc.disable()
    try:
        extract_article(PAGE, URL)
        assert not gc.isenabled()
        assert collections == []
    finally:
        gc.enable()
