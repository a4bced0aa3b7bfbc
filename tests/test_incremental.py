"""IncrementalMiddleware and its page store, one decision at a time, on an injected clock.

The end-to-end behaviour (two runs of a job against the demo site) is in
test_jobs_incremental.py; here each rule is pinned down on its own.
"""

from __future__ import annotations

import gzip
from collections import Counter

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, XmlResponse

from archives.digests import Original
from archives.reader import iter_records
from archives.records import NOT_MODIFIED_PROFILES, sha1_digest
from archives.writer import WarcWriter
from crawler.incremental.middleware import REVISIT_META_KEY, IncrementalMiddleware
from crawler.incremental.store import PageStore
from tests.tools import warcio_check

HOUR = 3600.0
ARTICLE = "https://news.example/world/2025/01/02/story"
BODY = b"<html><body><article>The story.</article></body></html>"


class Stats(Counter):
    def inc_value(self, key, count=1, start=0):
        self[key] += count


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class Engine:
    def __init__(self):
        self.crawled = []

    def crawl(self, request):
        self.crawled.append(request)


class Crawler:
    def __init__(self):
        self.engine = Engine()


@pytest.fixture
def store(tmp_path):
    store = PageStore(tmp_path / "incremental.sqlite3")
    yield store
    store.close()


def middleware(store, run_id="run-2", window=12 * HOUR, now=100 * HOUR):
    mw = IncrementalMiddleware(store, window=window, run_id=run_id, stats=Stats(), clock=Clock(now))
    mw.crawler = Crawler()
    return mw


def archive_article(store, *, at, run_id="run-1", url=ARTICLE, body=BODY):
    """What run 1 leaves: the page archived, then made into an article item."""
    store.archived(url, status=200, etag='"v1"', last_modified="Thu, 02 Jan 2025 10:00:00 GMT",
                   payload_digest=sha1_digest(body), record_uri=url, record_id="<urn:uuid:first>",
                   warc_date="2025-01-02T10:00:00Z", archived_at=at, run_id=run_id)
    store.mark_article(url, run_id)


def response(request, status=200, body=BODY, cls=HtmlResponse, headers=None, archived=True):
    if archived:
        request.meta["warc"] = {"filename": "f.warc.gz", "offset": 0, "length": 1, "record_id": "<urn:uuid:new>"}
        request.meta["warc_date"] = "2025-01-05T10:00:00Z"
    return cls(request.url, status=status, body=body, request=request, headers=headers or {})


def test_unknown_and_non_article_pages_always_go_out(store):
    mw = middleware(store)
    listing = "https://news.example/world/"
    store.archived(listing, status=200, etag='"l"', last_modified=None, payload_digest="sha1:X",
                   record_uri=listing, record_id="<urn:uuid:l>", warc_date="2025", archived_at=99 * HOUR,
                   run_id="run-1")
    for url in ("https://news.example/new-story", listing):
        request = Request(url)
        assert mw.process_request(request) is None
        assert b"If-None-Match" not in request.headers
    assert not mw.stats


def test_article_within_the_window_is_skipped(store):
    archive_article(store, at=95 * HOUR)
    mw = middleware(store, now=100 * HOUR)
    with pytest.raises(IgnoreRequest, match="revisit window"):
        mw.process_request(Request(ARTICLE + "?utm_source=feed"))      # canonical URL decides
    assert mw.stats["incremental/skipped_recent"] == 1
    # A start URL is never skipped, whatever it is.
    assert mw.process_request(Request(ARTICLE, meta={"news_start": True})) is None


def test_older_article_is_fetched_conditionally(store):
    archive_article(store, at=80 * HOUR)
    mw = middleware(store, now=100 * HOUR)
    request = Request(ARTICLE)
    assert mw.process_request(request) is None
    assert request.headers[b"If-None-Match"] == b'"v1"'
    assert request.headers[b"If-Modified-Since"] == b"Thu, 02 Jan 2025 10:00:00 GMT"
    assert request.meta[REVISIT_META_KEY] == {"uri": ARTICLE, "date": "2025-01-02T10:00:00Z",
                                              "record_id": "<urn:uuid:first>"}
    assert mw.stats["incremental/conditional"] == 1


def test_window_zero_rechecks_everything(store):
    archive_article(store, at=100 * HOUR - 1)
    mw = middleware(store, window=0, now=100 * HOUR)
    request = Request(ARTICLE)
    assert mw.process_request(request) is None
    assert b"If-None-Match" in request.headers


def test_304_stops_here_and_keeps_the_original_record(store):
    archive_article(store, at=80 * HOUR)
    mw = middleware(store, now=100 * HOUR)
    request = Request(ARTICLE)
    mw.process_request(request)
    with pytest.raises(IgnoreRequest, match="not modified"):
        mw.process_response(request, response(request, status=304, body=b"", cls=Response,
                                                 headers={"ETag": '"v1"'}))
    page = store.get(ARTICLE)
    assert page.archived_at == 100 * HOUR and page.done_run_id == "run-2"
    assert page.record_id == "<urn:uuid:first>"         # later revisits still refer to the original
    assert mw.stats["incremental/not_modified"] == 1
    # Checked now: within the window again.
    with pytest.raises(IgnoreRequest):
        middleware(store, run_id="run-3", now=101 * HOUR).process_request(Request(ARTICLE))


def test_same_payload_stops_here_changed_payload_goes_on(store):
    archive_article(store, at=80 * HOUR)
    mw = middleware(store, now=100 * HOUR)
    request = Request(ARTICLE)
    mw.process_request(request)
    with pytest.raises(IgnoreRequest, match="unchanged"):
        mw.process_response(request, response(request))
    assert store.get(ARTICLE).record_id == "<urn:uuid:first>"

    changed = BODY.replace(b"The story.", b"The story, corrected.")
    store.archived(ARTICLE, status=200, etag='"v1"', last_modified=None, payload_digest=sha1_digest(BODY),
                   record_uri=ARTICLE, record_id="<urn:uuid:first>", warc_date="2025", archived_at=80 * HOUR,
                   run_id="run-1")
    mw = middleware(store, run_id="run-3", now=100 * HOUR)
    request = Request(ARTICLE)
    mw.process_request(request)
    result = mw.process_response(request, response(request, body=changed, headers={"ETag": '"v2"'}))
    assert result.body == changed
    page = store.get(ARTICLE)
    assert (page.etag, page.record_id, page.payload_digest) == ('"v2"', "<urn:uuid:new>", sha1_digest(changed))
    assert mw.stats["incremental/changed"] == 1


def test_item_marks_the_page_as_an_article(store):
    mw = middleware(store, run_id="run-1")
    request = Request(ARTICLE)
    resp = mw.process_response(request, response(request))
    assert store.get(ARTICLE).article is False
    mw.item_done(item={}, response=resp, spider=None)
    page = store.get(ARTICLE)
    assert page.article and page.done_run_id == "run-1"


def test_resumed_run_skips_finished_articles_and_refetches_unfinished_ones_whole(store):
    archive_article(store, at=99 * HOUR, run_id="run-2")                # finished in this run
    unfinished = "https://news.example/world/2025/01/03/other"
    archive_article(store, at=90 * HOUR, run_id="run-1", url=unfinished)
    store.archived(unfinished, status=200, etag='"x"', last_modified=None, payload_digest="sha1:X",
                   record_uri=unfinished, record_id="<urn:uuid:x>", warc_date="2025", archived_at=99 * HOUR,
                   run_id="run-2")                                      # fetched, item never made
    mw = middleware(store, run_id="run-2", window=0, now=100 * HOUR)
    with pytest.raises(IgnoreRequest, match="already archived in this run"):
        mw.process_request(Request(ARTICLE))
    request = Request(unfinished)
    assert mw.process_request(request) is None
    assert b"If-None-Match" not in request.headers                      # a 304 would make no item


def sitemap(entries):
    urls = "".join(f"<url><loc>{u}</loc><lastmod>{m}</lastmod></url>" for u, m in entries)
    return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>").encode()


@pytest.mark.parametrize("gzipped", [False, True])
def test_sitemap_lastmod_brings_back_a_skipped_article(store, gzipped):
    archived_at = 1_736_000_000.0                                        # 2025-01-04T14:13:20Z
    archive_article(store, at=archived_at)
    mw = middleware(store, now=archived_at + HOUR)
    request = Request(ARTICLE, meta={"depth": 2})
    with pytest.raises(IgnoreRequest):
        mw.process_request(request)                                     # found by a link first
    body = sitemap([(ARTICLE, "2025-01-04T15:00:00Z"), ("https://news.example/other", "2025-01-04T15:00:00Z")])
    sm_request = Request("https://news.example/sitemap.xml")
    if gzipped:
        body = gzip.compress(body)
    mw.process_response(sm_request, response(sm_request, body=body, cls=Response, archived=False))
    [again] = mw.crawler.engine.crawled
    assert again.url == ARTICLE and again.dont_filter and again.meta["depth"] == 2
    assert mw.process_request(again) is None                            # now fetched, conditionally
    assert b"If-None-Match" in again.headers
    assert mw.stats["incremental/changed_by_lastmod"] == 2


def test_sitemap_lastmod_older_than_the_archive_changes_nothing(store):
    archived_at = 1_736_000_000.0
    archive_article(store, at=archived_at)
    mw = middleware(store, now=archived_at + HOUR)
    sm_request = Request("https://news.example/sitemap.xml")
    mw.process_response(sm_request, response(sm_request, body=sitemap([(ARTICLE, "2025-01-02T10:00:00Z")]),
                                             cls=XmlResponse, archived=False))
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request(ARTICLE))
    assert mw.crawler.engine.crawled == []


def test_writer_archives_a_304_as_a_server_not_modified_revisit(tmp_path):
    original = Original("https://news.example/a", "2025-01-02T10:00:00Z", "<urn:uuid:first>")
    with WarcWriter(tmp_path, cdxj=False) as writer:
        capture = writer.write_exchange(
            url="https://news.example/a",
            request_head=b'GET /a HTTP/1.1\r\nHost: news.example\r\nIf-None-Match: "v1"\r\n\r\n',
            response_head=b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n',
            not_modified=original)
    assert capture.is_revisit and capture.refers_to == original
    [warc] = tmp_path.glob("*.warc.gz")
    check = warcio_check(warc)
    assert check.returncode == 0, check.stdout + check.stderr
    [revisit] = [r for r in iter_records([warc], payload=False) if r.type == "revisit"]
    assert revisit.warc("WARC-Profile") == NOT_MODIFIED_PROFILES["1.1"]
    assert revisit.warc("WARC-Refers-To") == "<urn:uuid:first>"
    assert revisit.warc("WARC-Refers-To-Target-URI") == "https://news.example/a"
    assert revisit.warc("WARC-Refers-To-Date") == "2025-01-02T10:00:00Z"
    assert revisit.payload_digest is None
    assert revisit.status == 304


def test_an_article_archived_later_than_now_is_rechecked_not_skipped(store):
    """The clock went back (a clock a year ahead, corrected): its archive time is in the future.
    By age it would be skipped for that year, edits and all; it is re-checked instead."""
    archive_article(store, at=100 * HOUR + 365 * 24 * HOUR)
    mw = middleware(store, now=100 * HOUR)
    request = Request(ARTICLE)
    assert mw.process_request(request) is None
    assert request.headers[b"If-None-Match"] == b'"v1"'
    assert mw.stats["incremental/clock_behind"] == 1 and mw.stats["incremental/skipped_recent"] == 0
