"""End to end: `scrapy crawl news` against the demo news site on 127.0.0.1.

One crawl per module; each test checks one promise of the crawl against the
site's own ground truth (`DemoSite.expected`).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import jsonschema
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.items import load_schema
from tests.conftest import crawl
from tests.tools import warcio_check



@pytest.fixture(scope="module")
def site():
    from demosite import DemoSite

    with DemoSite() as site:
        yield site


@pytest.fixture(scope="module")
def run(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e")
    result = crawl(site.base_url, out)
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    warcs = sorted(out.glob("*.warc.gz"))
    return {"out": out, "result": result, "items": items, "warcs": warcs}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def canonical_path(site, path: str) -> str:
    """The canonical URL's path the site declares for one of its pages, written out from the
    demo site's conventions (not with crawler.urls, which is under test): its article paths are
    already canonical; a listing's URL loses its trailing slash; a fragment is never kept."""
    path = path.split("#")[0]
    return path if path == "/" or not path.endswith("/") else path.rstrip("/")


def test_every_article_once(site, run):
    expected = site.expected
    got = [path_of(item["canonical_url"]) for item in run["items"]]
    assert len(got) == len(set(got)), "an article was emitted twice"
    grouped = {}
    for group in expected["duplicate_groups"]:
        if group["kind"] in ("exact", "near"):
            members = {canonical_path(site, p) for p in group["members"]}
            assert len(members & set(got)) == 1, (group, got)
            for member in members:
                grouped[member] = group
    singles = {canonical_path(site, p) for p in expected["articles"]} - set(grouped)
    assert singles <= set(got), singles - set(got)
    n_groups = len({id(g) for g in grouped.values()})
    assert len(got) == len(singles) + n_groups


def test_no_listing_or_amp_page_becomes_an_item(site, run):
    got = {path_of(item["url"]) for item in run["items"]} | {path_of(i["canonical_url"]) for i in run["items"]}
    listings = {canonical_path(site, p) for p in site.expected["listings"]}
    assert not got & listings
    assert not any(p.rstrip("/").endswith("/amp") for p in got)


def test_disallowed_area_never_fetched(site, run):
    fetched = {path for _method, path, _headers in site.request_log}
    for path in site.expected["disallowed"]:
        assert path not in fetched
    assert "/robots.txt" in fetched


def test_endless_listing_is_bounded(site, run):
    endless = site.expected["endless"]
    pages = [int(path.split(f"{endless['param']}=")[1].split("&")[0])
             for _m, path, _h in site.request_log if path.startswith(endless["path"] + "?")]
    assert pages and max(pages) <= 20


def test_json_valid_against_schema(run):
    schema = load_schema()
    assert run["items"]
    for item in run["items"]:
        jsonschema.validate(item, schema)


def test_seed_layout_pages_exact(site, run):
    by_path = {path_of(i["canonical_url"]): i for i in run["items"]}
    seeds = [p for p, a in site.expected["articles"].items() if a["kind"] == "asharq"]
    assert len(seeds) == 2
    for path in seeds:
        want = site.expected["articles"][path]
        item = by_path[canonical_path(site, path)]
        assert item["title"] == want["title"]
        assert [(c["text"], c["credit"]) for c in item["captions"]] == [
            (c["text"], c["credit"]) for c in want["captions"]]
        assert item["text"] == want["text"]
        for debris in ("TT", "20"):
            assert debris not in item["text"].split("\n")
        assert want["title"] not in item["text"]


def test_titles_and_exact_bodies(site, run):
    by_path = {path_of(i["canonical_url"]): i for i in run["items"]}
    for path, want in site.expected["articles"].items():
        item = by_path.get(canonical_path(site, path))
        if item is None:   # only the other member of a duplicate group may be missing
            assert any(path in group["members"] and group["kind"] in ("exact", "near")
                       for group in site.expected["duplicate_groups"]), f"{path}: no article"
            continue
        assert item["title"] == want["title"], path
        if want.get("exact_text"):
            assert item["text"] == want["text"], path


def test_warcio_check_passes(run):
    assert run["warcs"]
    for warc in run["warcs"]:
        result = warcio_check(warc)
        assert result.returncode == 0, result.stdout + result.stderr


def _records(warcs):
    for warc in warcs:
        with open(warc, "rb") as f:
            yield from ArchiveIterator(f)


def test_every_exchange_archived(site, run):
    responses, requests, first_types = {}, {}, []
    for warc in run["warcs"]:
        with open(warc, "rb") as f:
            first_types.append(next(iter(ArchiveIterator(f))).rec_type)
    for record in _records(run["warcs"]):
        uri = record.rec_headers.get_header("WARC-Target-URI")
        if record.rec_type in ("response", "revisit"):
            responses.setdefault(path_of(uri), []).append(record)
        elif record.rec_type == "request":
            requests[record.rec_headers.get_header("WARC-Concurrent-To")] = uri
    assert set(first_types) == {"warcinfo"}
    faults = site.expected["faults"]
    statuses = lambda p: {r.http_headers.get_statuscode() for r in responses.get(p, [])}  # noqa: E731
    assert "/robots.txt" in responses
    assert {"301"} <= statuses(faults["redirect_chain"]["start"])
    assert {"404"} <= statuses(faults["not_found"])
    assert {"503", "200"} <= statuses(faults["once_503"])
    for sitemap in site.expected["sitemaps"]:
        assert path_of(site.url(sitemap)) in responses, sitemap
    for feed in site.expected["feeds"]:
        assert path_of(site.url(feed)) in responses, feed
    # every response has its request record, linked by WARC-Concurrent-To
    for records in responses.values():
        for record in records:
            assert record.rec_headers.get_header("WARC-Record-ID") in requests


def test_gzip_body_kept_as_sent(site, run):
    path = site.expected["faults"]["gzip"]
    found = False
    for record in _records(run["warcs"]):
        if record.rec_type == "response" and path_of(record.rec_headers.get_header("WARC-Target-URI")) == path:
            assert record.http_headers.get_header("Content-Encoding") == "gzip"
            raw = record.raw_stream.read()
            assert raw[:2] == b"\x1f\x8b"
            assert int(record.http_headers.get_header("Content-Length")) == len(raw)
            found = True
    assert found


def test_items_point_at_their_response_records(run):
    for item in run["items"]:
        pointer = item["warc"]
        with open(run["out"] / pointer["filename"], "rb") as f:
            f.seek(pointer["offset"])
            record = next(iter(ArchiveIterator(f)))
        assert record.rec_type in ("response", "revisit")  # revisit: body already archived this run
        assert record.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == item["url"]
        assert record.rec_headers.get_header("WARC-Date") == item["fetched_at"]


def test_summary_names_outputs(run):
    assert "articles.jsonl" in run["result"].stdout
    assert re.search(r"^  WARC\s+\d+ file\(s\)", run["result"].stdout, re.M), run["result"].stdout
