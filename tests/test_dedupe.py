"""Dedupe policy and pipeline on the hand-written fixture (tests/data/dedupe/), with the real
SQLite and Redis backends, plus one real crawl of the demo site."""

import itertools
import json
import logging
import random
import sqlite3
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

import crawler.settings as project_settings
from crawler.items import ArticleItem
from pipelines.dedupe.deduplicator import Deduplicator
from pipelines.dedupe.pipeline import PIPELINE_PATH, DedupePipeline, check_dedupe_state, default_fingerprinter
from pipelines.dedupe.store import SQLiteStore
from pipelines.held import HELD_FILENAME, LOCK_FILENAME, is_held
from tests.conftest import crawl, group_canonical_urls
from tests.dedupe_support import ARTICLES, BY_ID, CANONICAL_BY_HAND, canonical

STORIES = [row for row in ARTICLES if row["kind"] is None]


def pair_scores(rows, roots):
    """Pairwise precision and recall of predicted groups (same root) against true groups."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(rows, 2):
        same_true = a["group"] == b["group"]
        same_pred = roots[a["id"]] == roots[b["id"]]
        tp += same_true and same_pred
        fp += same_pred and not same_true
        fn += same_true and not same_pred
    return tp / (tp + fp), tp / (tp + fn)


def check_all(dedup, rows):
    outcomes, roots = {}, {}
    for row in rows:
        outcome = dedup.check(canonical(row), row["text"])
        outcomes[row["id"]] = outcome
        roots[row["id"]] = outcome.duplicate_of or canonical(row)
    return outcomes, roots


def test_fixture_is_what_it_claims():
    """Near copies really are edited and re-templated; same-topic stories share vocabulary."""
    assert len(STORIES) == 26 and len(ARTICLES) == 59
    near = [row for row in ARTICLES if row["kind"] == "near"]
    assert len(near) == 16
    for row in near:
        original = BY_ID[row["group"]]
        assert row["title"] != original["title"] and row["text"] != original["text"]
        changed = set(row["text"].split("\n\n")) ^ set(original["text"].split("\n\n"))
        assert 2 <= len(changed) <= 9, row["id"]
    assert {"url", "exact", "near", None} == {row["kind"] for row in ARTICLES}


def test_fixture_grouping_precision_and_recall(dedupe_backend):
    dedup = Deduplicator(dedupe_backend(), default_fingerprinter())
    outcomes, roots = check_all(dedup, ARTICLES)
    precision, recall = pair_scores(ARTICLES, roots)
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)
    # in publication order the first-seen article is the original and each copy is classified
    for row in ARTICLES:
        assert outcomes[row["id"]].kind == (row["kind"] or "new"), row["id"]
        if row["kind"]:
            assert outcomes[row["id"]].duplicate_of == canonical(BY_ID[row["group"]])
    assert all(o.similarity == 1.0 for i, o in outcomes.items() if BY_ID[i]["kind"] == "exact")
    assert all(0.6 <= o.similarity < 1.0 for i, o in outcomes.items() if BY_ID[i]["kind"] == "near")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fixture_grouping_in_any_order(tmp_path, seed):
    rows = list(ARTICLES)
    random.Random(seed).shuffle(rows)
    dedup = Deduplicator(SQLiteStore(tmp_path / "s.sqlite3"), default_fingerprinter())
    _outcomes, roots = check_all(dedup, rows)
    precision, recall = pair_scores(rows, roots)
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)
    assert len(set(roots.values())) == len(STORIES)


def test_state_carries_over_to_the_next_run(dedupe_backend):
    first = Deduplicator(dedupe_backend(), default_fingerprinter(), run_id="run-1")
    _outcomes, roots = check_all(first, ARTICLES)
    first.store.close()

    second = Deduplicator(dedupe_backend(), default_fingerprinter(), run_id="run-2")
    a1 = BY_ID["A1"]
    changed = a1["text"] + "\n\nCorrection: An earlier version misstated the number of bus routes affected."
    update = second.check(canonical(a1), changed)
    assert update.kind == "update" and not update.is_duplicate
    seen = second.store.seen(canonical(a1))
    assert seen.run_id == "run-2" and seen.duplicate_of is None
    for row in ARTICLES:
        if row["id"] == "A1":
            continue
        outcome = second.check(canonical(row), row["text"])
        if canonical(row) == canonical(a1):       # A1's URL twins: same URL, met again this run
            assert outcome.kind == "url" and outcome.duplicate_of == canonical(a1)
            assert outcome.similarity is not None and outcome.similarity < 1.0
        else:                                     # yesterday's article is a duplicate today
            assert outcome.kind == "url", row["id"]
            assert outcome.duplicate_of == roots[row["id"]]
            assert outcome.similarity == 1.0
    # the updated body replaced the old one in the index: a copy of the new version is near
    assert second.check("https://other.example/a1-copy", changed + "\n\nAdvertisement").kind == "near"


def test_same_url_with_changed_body_in_the_same_run_is_a_url_duplicate(tmp_path):
    dedup = Deduplicator(SQLiteStore(tmp_path / "s.sqlite3"), default_fingerprinter())
    b1 = BY_ID["B1"]
    assert dedup.check(canonical(b1), b1["text"]).kind == "new"
    again = dedup.check(canonical(b1), b1["text"].replace("120 mph", "125 mph"))
    assert again.kind == "url" and again.duplicate_of == canonical(b1) and 0.6 < again.similarity < 1.0


def test_short_bodies_are_only_deduplicated_by_url(tmp_path):
    dedup = Deduplicator(SQLiteStore(tmp_path / "s.sqlite3"), default_fingerprinter())
    stub = "Subscribe to continue reading. Already a subscriber? Log in to your account."
    assert dedup.check("https://e.com/one", stub).kind == "new"
    assert dedup.check("https://e.com/two", stub).kind == "new"
    assert dedup.check("https://e.com/three", None).kind == "new"
    assert dedup.check("https://e.com/one", stub).kind == "url"
    assert dedup.check("https://e.com/three", "").kind == "url"


# --- the pipeline -------------------------------------------------------------------------

def make_crawler(tmp_path, **settings):
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.update(OUTPUT_DIR=str(tmp_path / "out"), ITEM_PIPELINES={}, EXTENSIONS={},
                  DOWNLOADER_MIDDLEWARES={}, DOWNLOAD_HANDLERS={})
    values.update(settings)
    return get_crawler(settings_dict=values)


def item_of(row):
    return ArticleItem(url=row["url"], canonical_url=canonical(row), title=row["title"], text=row["text"])


def run_pipeline(crawler, rows):
    """Feed `rows` through the pipeline as one run; returns (passed, dropped, published): what
    went down the pipeline, what was dropped at once, and the articles file written at close."""
    pipeline = DedupePipeline.from_crawler(crawler)
    pipeline.open_spider()
    passed, dropped = [], []
    for row in rows:
        try:
            passed.append((row, pipeline.process_item(item_of(row))))
        except DropItem as exc:
            dropped.append((row, exc))
    pipeline.close_spider()
    return passed, dropped, read_lines(crawler, "ARTICLES_FILE")


def read_lines(crawler, name):
    path = Path(crawler.settings["OUTPUT_DIR"]) / crawler.settings[name]
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


def expected_kept(rows):
    """The rule, written out again from the README for the test: per true group, the page
    fetched at its own canonical URL, then the canonical most pages declare, then (no dates in
    the fixture) the shortest URL, then the smallest."""
    kept = {}
    for group in {row["group"] for row in rows}:
        members = [row for row in rows if row["group"] == group]
        declared = [canonical(row) for row in members]

        def key(row, declared=declared):
            own = CANONICAL_BY_HAND.get(row["url"], row["url"]) == canonical(row)
            return (not own, -declared.count(canonical(row)), len(row["url"]), row["url"])
        kept[group] = min(members, key=key)
    return kept


def expected_kind(row, kept):
    """url: same canonical URL as the kept page; exact: the same body (both are the story's
    original or exact/url copies of it); near otherwise."""
    if canonical(row) == canonical(kept):
        return "url"
    same_text = {"url", "exact", None}
    return "exact" if row["kind"] in same_text and kept["kind"] in same_text else "near"


def test_pipeline_holds_articles_and_publishes_one_per_story(dedupe_backend, tmp_path):
    crawler = make_crawler(tmp_path, **dedupe_backend.settings)
    passed, dropped, published = run_pipeline(crawler, ARTICLES)
    # Nothing is decided while the run goes: every article is held, none written or dropped.
    assert not dropped and len(passed) == len(ARTICLES)
    assert all(is_held(item) for _row, item in passed)
    kept = expected_kept(ARTICLES)
    assert sorted(a["url"] for a in published) == sorted(row["url"] for row in kept.values())
    assert [a["canonical_url"] for a in published] == sorted(a["canonical_url"] for a in published)
    assert all(a["duplicate_of"] is None for a in published)
    lines = read_lines(crawler, "DUPLICATES_FILE")
    expected = {row["url"]: (expected_kind(row, kept[row["group"]]), canonical(kept[row["group"]]))
                for row in ARTICLES if row is not kept[row["group"]]}
    assert {line["url"]: (line["kind"], line["duplicate_of"]) for line in lines} == expected
    assert all(set(line) == {"url", "canonical_url", "duplicate_of", "kind", "similarity"} for line in lines)
    assert not (tmp_path / "out" / HELD_FILENAME).exists()
    assert not (tmp_path / "out" / LOCK_FILENAME).exists()    # a finished run leaves neither
    stats = crawler.stats.get_stats()
    kinds = [kind for kind, _ in expected.values()]
    assert (stats["dedupe/url"], stats["dedupe/exact"], stats["dedupe/near"], stats["dedupe/new"]) == (
        kinds.count("url"), kinds.count("exact"), kinds.count("near"), len(STORIES))
    assert stats["output/articles"] == len(STORIES)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pipeline_output_does_not_depend_on_arrival_order(tmp_path, seed):
    _p, _d, in_order = run_pipeline(make_crawler(tmp_path / "a"), ARTICLES)
    shuffled = list(ARTICLES)
    random.Random(seed).shuffle(shuffled)
    _p, _d, reordered = run_pipeline(make_crawler(tmp_path / "b"), shuffled)
    assert reordered == in_order
    assert (tmp_path / "b" / "out" / "articles.jsonl").read_bytes() == \
        (tmp_path / "a" / "out" / "articles.jsonl").read_bytes()
    assert (tmp_path / "b" / "out" / "duplicates.jsonl").read_bytes() == \
        (tmp_path / "a" / "out" / "duplicates.jsonl").read_bytes()


def test_pipeline_can_emit_duplicates_marked(tmp_path):
    crawler = make_crawler(tmp_path, DEDUPE_EMIT_DUPLICATES=True)
    _passed, dropped, published = run_pipeline(crawler, ARTICLES)
    assert not dropped and len(published) == len(ARTICLES)
    kept = expected_kept(ARTICLES)
    for line in published:
        row = next(r for r in ARTICLES if r["url"] == line["url"])
        target = kept[row["group"]]
        assert line["duplicate_of"] == (None if row is target else canonical(target)), row["id"]
    assert len((tmp_path / "out" / "duplicates.jsonl").read_text().splitlines()) == len(ARTICLES) - len(STORIES)


def test_pipeline_state_persists_between_crawls(tmp_path):
    _passed, _dropped, published = run_pipeline(make_crawler(tmp_path), STORIES[:5])
    assert len(published) == 5
    second = make_crawler(tmp_path)
    passed, dropped, published = run_pipeline(second, STORIES[:6])
    # Yesterday's articles are final duplicates at once; the new one is held, then published.
    assert [row["id"] for row, _ in passed] == [STORIES[5]["id"]]
    assert {exc.args[0].split()[0] for _row, exc in dropped} == {"url"}
    assert second.stats.get_value("dedupe/url") == 5
    # the file now holds the first run's five and the second run's one
    assert [a["url"] for a in published[5:]] == [STORIES[5]["url"]]
    assert sorted(a["url"] for a in published) == sorted(row["url"] for row in STORIES[:6])
    assert (tmp_path / "out" / "dedupe.sqlite3").exists()


def test_pipeline_prunes_what_no_run_met_for_dedupe_retention_days(tmp_path):
    """A story forgotten after DEDUPE_RETENTION_DAYS is published again when met again; one a
    run met within them stays a duplicate. The state's times are set by hand: 40 and 10 days ago."""
    from datetime import datetime, timedelta, timezone

    from archives.records import warc_date

    _passed, _dropped, published = run_pipeline(make_crawler(tmp_path), STORIES[:2])
    assert len(published) == 2
    with sqlite3.connect(tmp_path / "out" / "dedupe.sqlite3") as db:
        for row, days in zip(STORIES[:2], (40, 10), strict=True):
            db.execute("UPDATE urls SET last_seen = ? WHERE url = ?",
                       (warc_date(datetime.now(timezone.utc) - timedelta(days=days)), canonical(row)))
    crawler = make_crawler(tmp_path, DEDUPE_RETENTION_DAYS=30)
    passed, dropped, published = run_pipeline(crawler, [])                  # a run that meets neither
    assert crawler.stats.get_value("dedupe/pruned") == 1
    passed, dropped, published = run_pipeline(make_crawler(tmp_path), STORIES[:2])
    assert [row["id"] for row, _item in passed] == [STORIES[0]["id"]]      # new again
    assert [row["id"] for row, _exc in dropped] == [STORIES[1]["id"]]      # still known
    assert [line["url"] for line in published[2:]] == [STORIES[0]["url"]]


def test_dedupe_retention_days_as_given_on_the_command_line(tmp_path):
    """-s gives a string. A huge retention (reaching back before year 1) made the run's end raise
    OverflowError before publishing: its articles stayed held; 'abc', 'inf' or a negative number is
    one error line before the crawl (check_dedupe_state), not a traceback."""
    passed, _dropped, published = run_pipeline(make_crawler(tmp_path, DEDUPE_RETENTION_DAYS="1e6"), STORIES[:2])
    assert [line["url"] for line in published] == [row["url"] for row in STORIES[:2]]
    pipelines = {PIPELINE_PATH: 100}
    assert check_dedupe_state(make_crawler(tmp_path, ITEM_PIPELINES=pipelines, DEDUPE_RETENTION_DAYS="30").settings) is None
    for bad in ("abc", "inf", "-1"):
        with pytest.raises(ValueError, match=f"DEDUPE_RETENTION_DAYS must be a number of days.*not '{bad}'"):
            check_dedupe_state(make_crawler(tmp_path, ITEM_PIPELINES=pipelines, DEDUPE_RETENTION_DAYS=bad).settings)


def test_pipeline_recanonicalizes_with_the_crawl_settings(tmp_path):
    crawler = make_crawler(tmp_path, URL_TRACKING_PARAMS="session,utm_*")
    pipeline = DedupePipeline.from_crawler(crawler)
    pipeline.open_spider()
    item = ArticleItem(url="https://e.com/a?session=9", canonical_url="https://e.com/a?session=9&id=1", text="x")
    assert pipeline.process_item(item)["canonical_url"] == "https://e.com/a?id=1"
    pipeline.process_item(ArticleItem(url="https://e.com/a?id=1&session=2", canonical_url=None, text="y"))
    pipeline.close_spider()
    (line,) = read_lines(crawler, "DUPLICATES_FILE")
    assert (line["kind"], line["duplicate_of"]) == ("url", "https://e.com/a?id=1")


def test_pipeline_can_be_switched_off(tmp_path):
    with pytest.raises(NotConfigured):
        DedupePipeline.from_crawler(make_crawler(tmp_path, DEDUPE_ENABLED=False))


# --- a real crawl -------------------------------------------------------------------------

def test_crawl_of_the_demo_site_records_its_duplicate_groups(demo_site, tmp_path):
    out = tmp_path / "out"
    result = crawl(demo_site.base_url, out, settings={"LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in (out / "duplicates.jsonl").read_text("utf-8").splitlines()]
    articles = [json.loads(line) for line in (out / "articles.jsonl").read_text("utf-8").splitlines()]
    emitted = {a["canonical_url"] for a in articles}
    recorded = {line["canonical_url"]: line for line in lines}
    for group in demo_site.expected["duplicate_groups"]:
        members = group_canonical_urls(demo_site.base_url, group)
        kept = members & emitted
        assert len(kept) == 1, group
        for member in members - kept:
            assert recorded[member]["kind"] == group["kind"], (group, recorded[member])
            assert recorded[member]["duplicate_of"] in kept
    # held, then published at the end: no WARNING about dropped items, the counts in the stats
    assert "WARNING: Dropped" not in result.stderr
    assert f"held article(s) in {len(articles)} group(s): {len(articles)} article line(s)" in result.stderr
    assert "'dedupe/near': " in result.stderr


def test_pipeline_passes_articles_on_when_the_state_fails(tmp_path, caplog):
    """Redis going away mid-crawl must not cost the archive its articles."""
    from tests.redis_server import RedisServer

    server = RedisServer(tmp_path / "redis").start()
    crawler = make_crawler(tmp_path, DEDUPE_BACKEND="redis", REDIS_URL=server.url)
    pipeline = DedupePipeline.from_crawler(crawler)
    pipeline.open_spider()
    first, copy = BY_ID["A1"], BY_ID["A1-exact1"]
    assert pipeline.process_item(item_of(first))
    assert pipeline.process_item(item_of(copy))
    server.stop()
    with caplog.at_level(logging.INFO, logger="pipelines.dedupe.pipeline"):
        passed = [pipeline.process_item(item_of(row)) for row in (BY_ID["B1"], BY_ID["B1-exact2"], BY_ID["C1"])]
    assert len(passed) == 3
    assert crawler.stats.get_value("dedupe/unchecked") == 3
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "passing articles on unchecked" in errors[0].getMessage()
    pipeline.close_spider()
    # the pair checked before the failure is one story; the unchecked three are published as they are
    published = {a["url"] for a in read_lines(crawler, "ARTICLES_FILE")}
    kept = expected_kept([first, copy])[first["group"]]
    assert published == {kept["url"], BY_ID["B1"]["url"], BY_ID["B1-exact2"]["url"], BY_ID["C1"]["url"]}


def test_next_run_points_duplicates_at_the_page_published(dedupe_backend, tmp_path):
    """Run 1 meets the copies first (reversed order), so the state first indexed pages that are
    not kept; at publish the kept page becomes the group's original. Run 2's copies are then
    duplicates of pages that are in articles.jsonl."""
    first = make_crawler(tmp_path, **dedupe_backend.settings)
    _p, _d, published = run_pipeline(first, list(reversed(ARTICLES)))
    kept = expected_kept(ARTICLES)
    assert sorted(a["url"] for a in published) == sorted(row["url"] for row in kept.values())
    second = make_crawler(tmp_path, **dedupe_backend.settings)
    copies = [dict(row, url=row["url"].replace("https://www.", "https://mirror."),
                   declared_canonical=None) for row in ARTICLES if row["kind"] in ("exact", None)]
    passed, dropped, _published = run_pipeline(second, copies)
    assert not passed and len(dropped) == len(copies)       # every one a final duplicate at once
    lines = read_lines(second, "DUPLICATES_FILE")[-len(copies):]     # after run 1's lines
    emitted = {a["canonical_url"] for a in published}
    assert {line["duplicate_of"] for line in lines} <= emitted
    for line, row in zip(lines, copies, strict=True):
        assert line["duplicate_of"] == canonical(kept[row["group"]]), row["id"]


def test_two_processes_in_one_output_dir_publish_once_when_the_last_ends(tmp_path):
    """Two crawls into one OUTPUT_DIR (two processes of a distributed crawl on one machine)
    share the held articles: the first to end leaves them, the last publishes them all."""
    crawlers = [make_crawler(tmp_path, DEDUPE_COMMIT_INTERVAL=0) for _ in range(2)]
    pipelines = [DedupePipeline.from_crawler(c) for c in crawlers]
    for pipeline in pipelines:
        pipeline.open_spider()
    for i, row in enumerate(ARTICLES):
        pipelines[i % 2].process_item(item_of(row))
    pipelines[0].close_spider()
    assert read_lines(crawlers[0], "ARTICLES_FILE") == []
    assert (tmp_path / "out" / HELD_FILENAME).exists()
    assert (tmp_path / "out" / LOCK_FILENAME).exists()        # the second still crawls: its lock stays
    pipelines[1].close_spider()
    published = read_lines(crawlers[1], "ARTICLES_FILE")
    assert sorted(a["url"] for a in published) == sorted(row["url"] for row in expected_kept(ARTICLES).values())
    assert not (tmp_path / "out" / HELD_FILENAME).exists()
    assert not (tmp_path / "out" / LOCK_FILENAME).exists()


def test_summary_names_the_state_that_already_held_every_article(dedupe_backend, tmp_path):
    """A second run into another folder finds every article in the dedupe state. The summary
    said "already archived in OTHER/ by an earlier run", naming the folder the second run wrote
    into, where nothing was ever archived: it names the state that held them (a Redis one is
    shared by other processes and folders; a DEDUPE_STATE_DIR one lives elsewhere)."""
    from crawler.report.figures import build_report
    from crawler.report.text import summary_lines

    run_pipeline(make_crawler(tmp_path / "a", **dedupe_backend.settings), STORIES)
    second = make_crawler(tmp_path / "b", **dedupe_backend.settings)
    _passed, dropped, published = run_pipeline(second, STORIES)
    assert not published and len(dropped) == len(STORIES)
    out = Path(second.settings["OUTPUT_DIR"])
    sources = {kind: [(out / second.settings[f"{kind.upper()}_FILE"], 0)]
               for kind in ("articles", "duplicates", "errors")}
    report = build_report(stats=second.stats.get_stats(), output_dir=out, run_id="r2", sources=sources, warcs=[])
    text = "\n".join(summary_lines(report))
    assert f"already archived in {out.resolve()}/" not in text, text
    settings = dedupe_backend.settings
    if dedupe_backend.backend == "redis":
        expected = (f"All {len(STORIES)} articles found were already archived by an earlier run or another "
                    f"process (shared dedupe state at {settings['REDIS_URL']} prefix "
                    f"{{{settings['DEDUPE_REDIS_PREFIX']}}}): nothing new to write.")
    else:
        expected = (f"All {len(STORIES)} articles found were already archived by an earlier run (dedupe state "
                    f"{Path(settings['DEDUPE_STATE_DIR']) / 'dedupe.sqlite3'}): nothing new to write.")
    assert expected in text, text
