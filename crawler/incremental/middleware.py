"""The incremental downloader middleware: skips articles archived within the revisit window
(unless a sitemap's <lastmod> says they changed), makes the rest conditional GETs, and stops
304s and unchanged payloads before the spider (see `crawler.incremental`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archives.records import sha1_digest
from crawler.discovery import SITEMAP, document_kind, parse_sitemap, parse_w3c_date
from crawler.incremental.resume import RESUME_FLAG, ResumeReplay
from crawler.incremental.store import STORE_FILE, PageStore
from crawler.runid import run_id as run_id_of
from crawler.urls import canonicalize_url, url_canonicalizer
from pipelines.jsonl import NotWritten

logger = logging.getLogger(__name__)

META_KEY = "incremental"        # request.meta: the stored row this request was conditioned on
REVISIT_META_KEY = "revisit_of"  # request.meta: {uri, date, record_id} of the record a 304 refers to


def _header(response_or_request, name: bytes) -> str | None:
    value = response_or_request.headers.get(name)
    return value.decode("latin-1") if value else None


class IncrementalMiddleware:
    def __init__(self, store: PageStore, *, window: float, run_id: str, stats=None,
                 tracking_params=None, clock: Callable[[], float] = time.time,
                 resume: ResumeReplay | None = None):
        self.store = store
        self.resume = resume
        self.window = window
        self.run_id = run_id
        self.stats = stats
        self.tracking_params = tracking_params
        self.clock = clock
        self.crawler = None
        self.hints: dict[str, float] = {}          # canonical URL -> newest sitemap <lastmod>
        self.deferred: dict[str, tuple[object, float]] = {}  # skipped: (request, archived_at)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        state_dir = settings.get("INCREMENTAL_STATE_DIR")
        if not state_dir:
            raise NotConfigured
        run_id = run_id_of(crawler)   # crawler.runid reads INCREMENTAL_RUN_ID among its aliases
        resume_dir = settings.get("INCREMENTAL_RESUME_WARC")
        mw = cls(PageStore(Path(state_dir) / STORE_FILE),
                 window=settings.getfloat("INCREMENTAL_REVISIT_WINDOW"), run_id=run_id,
                 stats=crawler.stats, tracking_params=url_canonicalizer(crawler).tracking_params,
                 resume=ResumeReplay(resume_dir) if resume_dir else None)
        mw.crawler = crawler
        crawler.signals.connect(mw.item_done, signal=signals.item_scraped)
        crawler.signals.connect(mw.item_done, signal=signals.item_dropped)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"incremental/{key}")

    def key(self, url: str) -> str:
        return canonicalize_url(url, self.tracking_params)

    # --- before the download ------------------------------------------------

    def process_request(self, request, spider=None):
        if request.method != "GET":
            return None
        key = self.key(request.url)
        page = self.store.get(key)
        if page is not None and page.article and page.done_run_id == self.run_id \
                and not request.meta.get("news_start"):
            # Finished earlier in this same run (it was interrupted and resumed).
            self._inc("skipped_done")
            raise IgnoreRequest(f"already archived in this run: {request.url}")
        if self.resume is not None:
            response = self.resume.response_for(request)
            if response is not None:
                self._inc("resume_replayed")
                return response
        if request.meta.get("news_start") or page is None or not page.article or page.archived_at is None:
            return None
        if page.run_id == self.run_id:
            # Fetched earlier in this run, but the run was killed before its item was
            # made: fetch it whole again (no validators, so no 304) to make it.
            return None
        now = self.clock()
        if now < page.archived_at:
            # Archived "in the future": the clock was ahead then, or went back since. Skipping by
            # age would skip every known article until the clock catches up (a year, for a
            # clock set a year ahead and corrected) and miss their edits: re-check them instead.
            self._inc("clock_behind")
        elif now - page.archived_at < self.window:
            if not _newer(self.hints.get(key), page.archived_at):
                self.deferred[key] = (request, page.archived_at)
                self._inc("skipped_recent")
                raise IgnoreRequest(f"archived {int(now - page.archived_at)}s ago, within the revisit window: {request.url}")
            self._inc("changed_by_lastmod")
        if page.etag:
            request.headers.setdefault(b"If-None-Match", page.etag)
        if page.last_modified:
            request.headers.setdefault(b"If-Modified-Since", page.last_modified)
        if page.record_id and page.warc_date:
            request.meta[REVISIT_META_KEY] = {"uri": page.record_uri or request.url,
                                              "date": page.warc_date, "record_id": page.record_id}
        request.meta[META_KEY] = {"payload_digest": page.payload_digest}
        self._inc("conditional")
        return None

    # --- after the download (and after the capture middleware archived it) --

    def process_response(self, request, response, spider=None):
        warc = request.meta.get("warc")
        key = self.key(response.url)
        known = request.meta.get(META_KEY)
        if response.status == 200 and self.window > 0:
            self._read_sitemap(response)
        if RESUME_FLAG in response.flags:
            return response
        if response.status == 304 and known is not None:
            self.store.rechecked(key, archived_at=self.clock(), run_id=self.run_id,
                                 etag=_header(response, b"ETag"),
                                 last_modified=_header(response, b"Last-Modified"))
            self._inc("not_modified")
            raise IgnoreRequest(f"not modified since it was archived: {response.url}")
        if warc is None or response.status != 200:
            return response
        digest = sha1_digest(response.body)
        if known is not None and known.get("payload_digest") == digest:
            self.store.rechecked(key, archived_at=self.clock(), run_id=self.run_id,
                                 etag=_header(response, b"ETag"),
                                 last_modified=_header(response, b"Last-Modified"))
            self._inc("unchanged")
            raise IgnoreRequest(f"unchanged since it was archived: {response.url}")
        self.store.archived(
            key, status=response.status, etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"), payload_digest=digest,
            record_uri=response.url, record_id=warc.get("record_id"),
            warc_date=request.meta.get("warc_date"), archived_at=self.clock(), run_id=self.run_id)
        if known is not None:
            self._inc("changed")
        return response

    def _read_sitemap(self, response) -> None:
        """Remember each entry's <lastmod>; re-schedule pages skipped before it came."""
        content_type = (_header(response, b"Content-Type") or "").lower()
        if "html" in content_type or document_kind(response.body, content_type) != SITEMAP:
            return
        is_index, entries = parse_sitemap(response.body, base_url=response.url)
        if is_index:
            return
        for url, lastmod in entries:
            when = _lastmod(lastmod)
            if when is None:
                continue
            key = self.key(url)
            self.hints[key] = max(when, self.hints.get(key, 0.0))
            skipped = self.deferred.get(key)
            if skipped is not None and _newer(when, skipped[1]) and self.crawler is not None:
                del self.deferred[key]
                self._inc("changed_by_lastmod")
                self.crawler.engine.crawl(skipped[0].replace(dont_filter=True))

    # --- signals ------------------------------------------------------------

    def item_done(self, item, response, spider, exception=None, **kwargs):
        if isinstance(exception, NotWritten):
            return                          # not written (disk full): a resumed run makes it again
        if response is not None:
            self.store.mark_article(self.key(response.url), self.run_id)

    def spider_closed(self, spider):
        self.store.close()
        if self.resume is not None:
            self.resume.close()


def _newer(lastmod: float | None, archived_at: float) -> bool:
    """Was the page (maybe) modified after it was archived? <lastmod> has whole seconds:
    the same second counts as after (a conditional GET settles it)."""
    return lastmod is not None and lastmod >= int(archived_at)


def _lastmod(value) -> float | None:
    if not value:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    when = parse_w3c_date(str(value))
    return when.timestamp() if when else None
