"""A job run twice (and thrice) against the demo site: only what is new or changed is archived anew.

Run 1 archives the site. Two articles are published and one is edited. Run 2
re-reads the home page, sitemaps and feeds, re-checks every known article with
a conditional GET, and its JSON holds exactly the three new and changed
articles; unchanged ones it re-checked are revisit records. Run 3, with a
revisit window, skips the known articles except the one the sitemap says
changed since.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archives.reader import iter_records
from archives.records import NOT_MODIFIED_PROFILES, REVISIT_PROFILES
from tests.conftest import LOOPBACK_SETTINGS, run_scrapy
from tests.tools import warcio_check
from tests.tools import read_jsonl

NEW_STORIES = {
    "ferry-line-reopens": ("Ferry line to Gull Island reopens after repairs", [
        "The ferry line between the mainland and Gull Island reopened on Tuesday after three weeks of repairs "
        "to the landing stage, the harbour office said.",
        "Crews replaced two pilings and the hydraulic ramp that had failed during the autumn storms, and "
        "inspectors signed off on the work late on Monday evening.",
        "Islanders had relied on a water taxi and a weekly supply boat while the service was suspended, and "
        "the school bus route was rerouted through the northern causeway.",
    ]),
    "orchard-cooperative-harvest": ("Orchard cooperative reports its largest apple harvest in a decade", [
        "Growers in the Vell valley orchard cooperative brought in their largest apple harvest in ten years, "
        "helped by a mild spring and a late frost that never came.",
        "The cooperative said it would open a second pressing shed for cider and hire thirty seasonal "
        "workers through the winter to keep up with orders from shops in the capital.",
        "Smaller farms outside the cooperative reported mixed results, with hail damage on the eastern slopes.",
    ]),
}
CORRECTION = ("Correction: an earlier version of this article misstated the date of the council vote, "
              "which took place on a Thursday and not on the Wednesday before it as first reported here.")


def article_url(site, url_or_path: str) -> str:
    """The site's own URL of the page a fetched URL or path stands for: the demo site lists its
    URL variants itself (duplicate groups of kind "url": tracking parameters, a trailing slash,
    a fragment, an AMP twin); every other path is its own. Written from the site's list, not with
    crawler.urls, whose canonicalization is under test."""
    parts = urlsplit(url_or_path)
    path = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    for group in site.expected["duplicate_groups"]:
        if group["kind"] == "url" and path in group["members"]:
            path = group["members"][0]
    return site.url(path)


def records_by_url(site, run_dir: Path) -> dict[str, list]:
    found: dict[str, list] = {}
    for record in iter_records([run_dir], payload=False):
        if record.type in ("response", "revisit"):
            found.setdefault(article_url(site, record.target_uri), []).append(record)
    return found


def wait_past(moment: datetime) -> None:
    """Sleep until the wall clock is in a later second than `moment`. The demo site stamps each
    change one second after the last (HTTP dates have whole seconds), so three changes made at
    once are stamped up to two seconds ahead; a crawl archiving a page in the second of its
    sitemap <lastmod> cannot tell which came first and rightly re-checks it next time
    (crawler.incremental._newer), which a run 3 that must fetch nothing known would report."""
    while datetime.now(timezone.utc) < moment.replace(microsecond=0) + timedelta(seconds=1):
        time.sleep(0.05)


def write_jobs(path: Path, base_url: str, revisit_window) -> None:
    settings = "\n".join(f"{k} = {json.dumps(v) if not v.isdigit() else v}" for k, v in LOOPBACK_SETTINGS.items())
    path.write_text(f"""
[jobs.herald]
urls = ["{base_url}"]
schedule = "0 3 * * *"
output_dir = "archive/herald"
revisit_window = {json.dumps(revisit_window)}

[jobs.herald.settings]
{settings}
""", encoding="utf-8")


def run_job(jobs_file: Path) -> dict:
    result = run_scrapy("jobs", "run", "herald", "--file", str(jobs_file))
    assert result.returncode == 0, result.stdout + result.stderr
    output = jobs_file.parent / "archive/herald"
    run_dir = sorted(p.parent for p in output.glob("*/manifest.json"))[-1]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["_dir"] = run_dir
    return manifest


def pick_article_to_edit(site) -> str:
    groups = site.expected["duplicate_groups"]
    in_groups = {m for g in groups for m in g["members"]}
    for path, article in sorted(site.expected["articles"].items()):
        if article["kind"] == "wordpress" and "sitemap" in article["reachable_via"] and path not in in_groups:
            return path
    raise AssertionError("the demo site has no plain wordpress article in its sitemap")


@pytest.fixture(scope="module")
def site():
    from demosite import DemoSite

    # Its own server: this test changes the site, other tests must not see that.
    with DemoSite() as site:
        yield site


def slug_of(site, path):
    return next(a.slug for a in site.catalog.articles if a.path == path)


def test_second_run_archives_only_new_and_changed_articles(tmp_path, site):
    jobs_file = tmp_path / "jobs.toml"
    write_jobs(jobs_file, site.base_url, 0)

    # --- run 1: everything is new --------------------------------------------------
    first = run_job(jobs_file)
    run1 = first["_dir"]
    assert first["result"] == "ok"
    run1_articles = {a["canonical_url"] for a in read_jsonl(run1 / "articles.jsonl")}
    assert len(run1_articles) >= 8
    run1_records = records_by_url(site, run1)
    pages_run1 = first["counts"]["pages"]

    # --- the site changes ----------------------------------------------------------
    edited_path = pick_article_to_edit(site)
    new_paths = [site.publish(slug, title=title, body="\n\n".join(paras), section="local")
                 for slug, (title, paras) in NEW_STORIES.items()]
    edited_canonical = site.url(edited_path)
    assert edited_canonical in run1_articles
    old = site.expected["articles"][edited_path]["text"].split("\n\n")
    site.edit(slug_of(site, edited_path), body=old + [CORRECTION])
    wait_past(site.catalog.changed_at)
    site.clear_log()

    # --- run 2 -----------------------------------------------------------------------
    second = run_job(jobs_file)
    run2 = second["_dir"]
    assert second["result"] == "ok" and run2 != run1
    pages_run2 = second["counts"]["pages"]
    print(f"\npages fetched: run 1 {pages_run1}, run 2 {pages_run2}; "
          f"run 2 counts {second['counts']}")

    # Its JSON holds exactly the new and changed articles.
    got = read_jsonl(run2 / "articles.jsonl")
    expected = {site.url(p) for p in new_paths} | {edited_canonical}
    assert sorted(a["canonical_url"] for a in got) == sorted(expected)
    assert CORRECTION in next(a["text"] for a in got if a["canonical_url"] == edited_canonical)

    # Every article run 1 archived was re-checked with a conditional GET.
    conditional = {article_url(site, path) for method, path, headers in site.request_log
                   if any(k.lower() == "if-none-match" for k in headers)}
    assert run1_articles <= conditional | {a for a in run1_articles if a not in run1_records}

    # Unchanged articles re-checked: revisit records pointing at run 1's records.
    run2_records = records_by_url(site, run2)
    not_modified = identical = 0
    for url in run1_articles - {edited_canonical}:
        original = next(r for r in run1_records[url] if r.status == 200)
        record = run2_records[url][-1]
        if record.status == 304:
            not_modified += 1
            assert record.type == "revisit"
            assert record.warc("WARC-Profile") == NOT_MODIFIED_PROFILES["1.1"]
            assert record.warc("WARC-Refers-To") == original.record_id
            assert record.warc("WARC-Refers-To-Date") == original.date
            assert record.warc("WARC-Refers-To-Target-URI") == original.target_uri
        elif record.payload_digest == original.payload_digest:
            identical += 1
            assert record.type == "revisit"
            assert record.warc("WARC-Profile") == REVISIT_PROFILES["1.1"]
            assert record.warc("WARC-Refers-To") == original.record_id
        else:
            # The page's chrome changed (e.g. "latest stories" now lists the new ones):
            # archived in full, but the article is the same, so it is not in the JSON.
            assert record.type == "response"
    assert not_modified >= 3
    # The edited article: a full new response record.
    edited = run2_records[edited_canonical][-1]
    assert edited.type == "response" and edited.status == 200
    assert edited.payload_digest != next(r for r in run1_records[edited_canonical] if r.status == 200).payload_digest

    # The manifest adds up: counts from the crawl, every file with its digest.
    counts = second["counts"]
    assert counts["articles"] == 3
    assert counts["not_modified"] == sum(1 for rs in run2_records.values() for r in rs if r.status == 304)
    assert counts["not_modified"] >= not_modified
    assert counts["revisits"] == sum(1 for rs in run2_records.values() for r in rs if r.type == "revisit")
    assert pages_run2 == sum(len(rs) for rs in run2_records.values())
    listed = {f["path"]: f for f in second["files"]}
    on_disk = {p.relative_to(run2).as_posix() for p in run2.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(listed) == on_disk
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256((run2 / name).read_bytes()).hexdigest()
        assert entry["bytes"] == (run2 / name).stat().st_size
    assert second["bytes"]["written"] == sum(f["bytes"] for f in second["files"])
    for warc in run2.glob("*.warc.gz"):
        check = warcio_check(warc)
        assert check.returncode == 0, check.stdout + check.stderr

    # --- run 3: within the revisit window only the sitemap's changed article is fetched ---
    write_jobs(jobs_file, site.base_url, "1d")
    site.edit(slug_of(site, edited_path), body=old + [CORRECTION, "Update: the council will meet again next week."])
    site.clear_log()
    third = run_job(jobs_file)
    print(f"run 3 (revisit window 1d) counts {third['counts']}")
    fetched = {article_url(site, path) for method, path, headers in site.request_log}
    known = run1_articles | expected
    assert fetched & known == {edited_canonical}
    assert third["counts"]["skipped_recent"] >= len(known) - 1 - 2   # a few are reachable only one way
    assert [a["canonical_url"] for a in read_jsonl(third["_dir"] / "articles.jsonl")] == [edited_canonical]
