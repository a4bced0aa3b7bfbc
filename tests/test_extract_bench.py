"""bench/extract_bench.py's archive path: pages -> WARC exchanges -> `scrapy reextract` -> joined by URL.

Uses the copied fixture pages (tests/data/extract, see its PROVENANCE.md), never the shared corpus beside the repo.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from archives.reader import WarcReader
from bench import extract_bench
from crawler.extract import extract_article
from crawler.items import normalize_text

DATA = Path(__file__).parent / "data" / "extract"


def _pages() -> list[extract_bench.Page]:
    pages = []
    for entry in json.loads((DATA / "newspaper4k" / "expected.json").read_text(encoding="utf-8")):
        body = gzip.decompress((DATA / "newspaper4k" / entry["html"]).read_bytes())
        pages.append(extract_bench.Page("newspaper4k", entry["html"], entry["url"], body, entry))
    # a URL with tracking parameters and a fundus page share one WARC with the others
    fundus = json.loads((DATA / "fundus" / "expected.json").read_text(encoding="utf-8"))[0]
    pages.append(extract_bench.Page("fundus", fundus["html"], fundus["url"],
                                    gzip.decompress((DATA / "fundus" / fundus["html"]).read_bytes()), fundus))
    return pages


def test_bench_pages_go_through_reextract_and_join_by_url(tmp_path):
    pages = _pages()
    assert "utm_source" in pages[-1].url
    warcs = extract_bench.write_warcs(pages, tmp_path / "warcs")
    responses = [r for w in warcs for r in WarcReader(w).records() if r.type == "response"]
    assert len(responses) == len(pages)
    assert all(r.status == 200 for r in responses)

    run = extract_bench.run_reextract(tmp_path / "warcs", tmp_path / "out.jsonl", all_pages=True, workers=1)
    records, summary = run.records, run.summary
    assert run.cpu > 0 and run.seconds > 0
    assert f"{len(pages)} item(s)" in summary, summary
    got = extract_bench.by_page(pages, records)
    assert set(got) == {(p.corpus, p.key) for p in pages}
    for page in pages:
        record, direct = got[(page.corpus, page.key)], extract_article(page.html, page.url)
        # the archive path gives what extraction gives in process
        assert record["title"] == normalize_text(direct["title"]), page.key
        assert record["text"] == normalize_text(direct["text"]), page.key
        assert record["warc"]["filename"] == warcs[0].name


def test_a_page_without_a_body_is_absent_on_purpose_not_missing(tmp_path):
    # reextract emits an item only when a page has a body: such a page is listed apart, and only
    # a page with a body absent from the output is a failure (the benchmark's exit code)
    real = _pages()[0]
    empty = extract_bench.Page("newspaper4k", "empty.html", "https://example.org/2024/03/05/empty-story",
                               b"<html><head><title>Live</title></head><body><div id='app'></div></body></html>")
    pages = [real, empty]
    extract_bench.write_warcs(pages, tmp_path / "warcs")
    run = extract_bench.run_reextract(tmp_path / "warcs", tmp_path / "out.jsonl", all_pages=True, workers=1)
    got = extract_bench.by_page(pages, run.records)
    assert set(got) == {(real.corpus, real.key)}
    assert extract_bench.split_absent(pages, got) == ([], ["newspaper4k/empty.html"])
    assert extract_bench.split_absent(pages, {}) == ([f"newspaper4k/{real.key}"], ["newspaper4k/empty.html"])


def test_a_page_the_dedupe_folds_is_scored_on_its_own_extraction(tmp_path):
    # the same story at a second address is a duplicate to reextract's dedupe (on by default);
    # the benchmark still gets its record (marked duplicate_of) instead of a missing page
    real = _pages()[0]
    copy = extract_bench.Page("newspaper4k", "copy.html", real.url.rstrip("/") + "-copy", real.body, real.truth)
    pages = [real, copy]
    extract_bench.write_warcs(pages, tmp_path / "warcs")
    run = extract_bench.run_reextract(tmp_path / "warcs", tmp_path / "out.jsonl", all_pages=True, workers=1)
    got = extract_bench.by_page(pages, run.records)
    assert set(got) == {(p.corpus, p.key) for p in pages}
    assert got[(copy.corpus, copy.key)]["url"] == copy.url
    assert got[(copy.corpus, copy.key)]["duplicate_of"] == got[(real.corpus, real.key)]["canonical_url"]
    assert "duplicate_of" not in got[(real.corpus, real.key)] or not got[(real.corpus, real.key)]["duplicate_of"]
    assert extract_bench.split_absent(pages, got) == ([], [])


def test_cpu_bench_stages_time_the_extraction_and_put_its_functions_back():
    import crawler.extract as extract
    import crawler.extract.dates as dates
    from bench import cpu_bench

    before = (extract.trafilatura_body, dates._htmldate, extract.classify_tree)
    stages = cpu_bench.time_stages(_pages()[:1])
    assert (extract.trafilatura_body, dates._htmldate, extract.classify_tree) == before
    assert stages["total extract_article"] > 0 and stages["total classify_and_extract"] > 0
    # trafilatura's passes are part of extract_article's time, never more than it and the classify run
    assert 0 < stages["body.bare_extraction"] <= stages["total extract_article"] + stages["total classify_and_extract"]
    assert {module.rsplit(".", 1)[-1] + "." + name for module, name in cpu_bench.STAGES} >= {
        label for label in stages if not label.startswith("total ")}
