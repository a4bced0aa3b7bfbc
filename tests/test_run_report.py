"""The end of a crawl: the summary table, report.json, manifest.json and one run id everywhere;
a second crawl into the same folder says why it wrote nothing; a replay says "replayed".

Expectations are computed from the files the crawl wrote (articles.jsonl, duplicates.jsonl,
the WARCs read with warcio), not from the report code."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import crawl
from tests.tools import read_jsonl


def warcinfo_run_ids(out):
    ids = []
    for path in sorted(out.glob("*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "warcinfo":
                    fields = dict(line.split(": ", 1) for line in
                                  record.content_stream().read().decode().splitlines() if ": " in line)
                    ids.append(fields["run-id"])
    return ids


@pytest.fixture(scope="module")
def runs(demo_site, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    first = crawl(demo_site.base_url, out, settings={"WARC_WACZ": "True"})
    assert first.returncode == 0, first.stderr[-3000:]
    first_report = json.loads((out / "report.json").read_text())
    first_manifest = json.loads((out / "manifest.json").read_text())
    articles_after_first = read_jsonl(out / "articles.jsonl")
    duplicates_after_first = read_jsonl(out / "duplicates.jsonl")
    second = crawl(demo_site.base_url, out)
    assert second.returncode == 0, second.stderr[-3000:]
    replay_out = tmp_path_factory.mktemp("report-replay")
    replay = crawl(demo_site.base_url, replay_out, settings={"REPLAY_WARC": str(out)})
    assert replay.returncode == 0, replay.stderr[-3000:]
    return {"out": out, "first": first, "report": first_report, "manifest": first_manifest,
            "articles": articles_after_first, "duplicates": duplicates_after_first,
            "second": second, "second_report": json.loads((out / "report.json").read_text()),
            "replay": replay, "replay_report": json.loads((replay_out / "report.json").read_text())}


def test_report_figures_match_the_files_the_crawl_wrote(runs):
    report, articles, dups = runs["report"], runs["articles"], runs["duplicates"]
    assert articles, "the demo site has articles"
    assert report["counts"]["articles"] == len(articles)
    assert report["counts"]["duplicates"] == dict(Counter(d["kind"] for d in dups))
    assert report["articles_per_day"] == dict(Counter(
        a["published"][:10] if a.get("published") else "unknown" for a in articles))
    assert report["articles_per_section"] == dict(Counter(a.get("section") or "(none)" for a in articles))
    assert sorted(a["url"] for a in report["articles"]) == sorted(a["url"] for a in articles)
    clustered = {d["url"] for c in report["duplicate_clusters"] for d in c["duplicates"]}
    assert clustered == {d["url"] for d in dups}
    warcs = sorted(p.name for p in runs["out"].glob("*.warc.gz"))
    assert [w["name"] for w in report["files"]["warcs"]] == warcs[:len(report["files"]["warcs"])]
    assert report["warc"]["bytes"] == sum((runs["out"] / w["name"]).stat().st_size
                                          for w in report["files"]["warcs"])
    # The demo site serves a 404 and robots.txt disallows a section: both counted apart.
    assert report["counts"]["http_errors"].get("404", 0) >= 1
    assert report["counts"]["robots_forbidden"] >= 1
    assert report["result"] == "ok" and report["finish_reason"] == "finished"
    assert {e["reason"] for e in report["errors"]} >= {"HTTP 404"}


def test_one_run_id_everywhere(runs):
    run_id = runs["report"]["run_id"]
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", run_id)
    first = runs["first"]
    assert f"run id         {run_id}" in first.stdout or re.search(rf"run id\s+{run_id}", first.stdout)
    assert f"Run id {run_id}" in first.stderr                      # the log
    assert f"run {run_id}" in first.stderr                          # the dedupe state's log line
    assert runs["manifest"]["run_id"] == run_id
    assert (runs["out"] / f"{run_id}.wacz").is_file()               # WARC_WACZ names it by the run id
    ids = warcinfo_run_ids(runs["out"])
    second_id = runs["second_report"]["run_id"]
    assert second_id != run_id
    assert set(ids) == {run_id, second_id}


def test_manifest_lists_this_runs_files_with_their_digests(runs):
    manifest, out = runs["manifest"], runs["out"]
    assert manifest["result"] == "ok"
    assert manifest["counts"]["articles"] == len(runs["articles"])
    names = {f["path"] for f in manifest["files"]}
    assert {w["name"] for w in runs["report"]["files"]["warcs"]} <= names
    assert {"articles.jsonl", "report.json"} <= names
    wacz = f"{runs['report']['run_id']}.wacz"
    for entry in manifest["files"]:
        if entry["path"] in ("report.json", "report.html", "manifest.json", wacz):
            continue                                 # rewritten by the second run
        if entry["path"].endswith((".warc.gz", ".cdxj")):
            data = (out / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]


def test_log_is_short_and_the_summary_truthful(runs):
    first = runs["first"]
    assert "Dumping Scrapy stats" not in first.stderr
    assert "Disabled crawler.replay" not in first.stderr
    assert "WARNING" not in "".join(l for l in first.stderr.splitlines() if "Disabled" in l)
    n = len(runs["articles"])
    assert re.search(rf"articles\s+{n} written", first.stdout), first.stdout
    assert "fetched and archived" in first.stdout
    assert str(runs["out"]) in first.stdout and "report.html" in first.stdout


def test_second_run_into_the_same_folder_says_why_it_wrote_nothing(runs):
    second, report = runs["second"], runs["second_report"]
    assert report["counts"]["articles"] == 0
    found = sum(report["counts"]["duplicates"].values())
    assert found >= len(runs["articles"])
    assert report["counts"]["already_archived"] == found
    assert f"All {found} articles found were already archived" in second.stdout, second.stdout
    assert "none written by this run" in second.stdout


def test_replay_summary_says_replayed_not_archived(runs):
    replay, report = runs["replay"], runs["replay_report"]
    assert "replayed from the archive" in replay.stdout and "fetched and archived" not in replay.stdout
    assert report["replay"]["served"] > 0 and report["warc"]["files"] == 0
    summary = [l for l in replay.stderr.splitlines() if "replay:" in l and "served from the archive" in l]
    assert len(summary) == 1, replay.stderr[-3000:]
    # The demo site's archived 404 is counted in that line, not warned about one by one.
    assert "404 x" in summary[0]
    assert "fetch failed" not in replay.stderr


def test_replay_of_a_third_party_warc_is_summed_up_not_listed(tmp_path):
    """A UK Web Archive WARC (tests/data/warc/PROVENANCE.md) links to thousands of pages it never
    captured: one line says so, the made-up 404s for them are not the site's errors."""
    from tests.conftest import ROOT

    warc = ROOT / "tests" / "data" / "warc" / "ukwa-data.gov.uk-crawl1.warc.gz"
    result = crawl("http://data.gov.uk/", tmp_path, settings={"REPLAY_WARC": str(warc)})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    stats = report["stats"]
    assert stats["replay/miss"] > 1000                           # the page links far beyond the capture
    assert len(result.stderr.splitlines()) < 200                  # not one line per missed URL
    assert "fetch failed" not in result.stderr
    assert len([l for l in result.stderr.splitlines() if "not in the archive" in l]) == 1
    assert report["counts"]["pages"] == stats["replay/hit"]       # served from the archive, no made-up 404
    # the archived 404s are the site's errors, but for robots.txt's (no rules, RFC 9309: counted as robots.txt)
    robots_404 = stats.get("robotstxt/response_status_count/404", 0)
    assert robots_404 == 1
    assert report["counts"]["http_errors"].get("404", 0) == stats.get("replay/status/404", 0) - robots_404
    assert len(report["replay"]["miss_examples"]) == 100
    assert "replayed from the archive" in result.stdout and report["warc"]["files"] == 0


def test_a_robots_txt_404_is_counted_as_robots_txt_not_as_an_http_error():
    # a site without robots.txt (RFC 9309: no rules) showed "HTTP errors 404 1" in every summary,
    # and the 404 twice in the pages by kind
    from crawler.report.figures import http_errors, page_kinds

    stats = {"downloader/response_status_count/200": 5, "downloader/response_status_count/404": 3,
             "downloader/response_status_count/503": 1, "robotstxt/response_count": 2,
             "robotstxt/response_status_count/404": 1, "robotstxt/response_status_count/503": 1,
             "news/articles": 4, "news/pages/listing": 1}
    assert http_errors(stats) == {"404": 2}
    kinds = page_kinds(stats)
    assert kinds["robots.txt"] == 2 and kinds["HTTP error"] == 2
    assert sum(kinds.values()) == 5 + 3 + 1


def test_a_304_is_counted_as_not_modified_not_as_a_redirect():
    # a scheduled job's conditional GETs answered 304 (archived as server-not-modified revisits)
    # showed as "redirect N" in every night's summary
    from crawler.report.figures import page_kinds

    stats = {"downloader/response_status_count/200": 3, "downloader/response_status_count/301": 1,
             "downloader/response_status_count/304": 6, "news/articles": 2, "news/pages/listing": 1}
    kinds = page_kinds(stats)
    assert kinds["redirect"] == 1 and kinds["not modified"] == 6
    assert sum(kinds.values()) == 3 + 1 + 6
