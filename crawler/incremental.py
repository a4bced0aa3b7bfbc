"""Incremental crawls: what a job archived before decides what this run fetches.

`PageStore` (SQLite in INCREMENTAL_STATE_DIR) keeps, per canonical URL, when
it was last archived, its validators (ETag, Last-Modified), its payload
digest, its WARC record, and whether it turned out to be an article.
`IncrementalMiddleware` uses it:

- pages known to be articles that were archived within the revisit window
  are not fetched (IgnoreRequest, counted), unless a sitemap read in this run
  gives them a <lastmod> later than that: such a page is fetched (at once,
  or as soon as the sitemap arrives if it was skipped before);
- older ones are fetched with If-None-Match / If-Modified-Since. A 304 is
  archived by the capture middleware as a revisit record (profile
  server-not-modified, referring to the stored record, which this middleware
  hands over in `request.meta["revisit_of"]`) and stops here: it never
  reaches the spider. A 200 whose payload digest is the stored one was
  archived as an identical-payload-digest revisit and stops here too;
- start URLs, sitemaps, feeds, listings and every other non-article page are
  always fetched: they are where new articles are found.

Everything else passes untouched, so only new or changed articles reach the
spider and the item pipelines.

A resumed run (INCREMENTAL_RESUME_WARC: the run's own folder) does not fetch
again what it already archived: articles it finished are skipped, and every
other page with a final answer in its WARCs (not a 5xx) is answered from
there (`ResumeReplay`), so the spider finds the same links without a request
going out. Revisit records in it are resolved against the job's earlier runs
(the sibling folders).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archives.reader import ArchiveError
from archives.records import sha1_digest
from crawler.discovery import SITEMAP, document_kind, parse_sitemap, parse_w3c_date
from crawler.runid import run_id as run_id_of
from crawler.urls import canonicalize_url, url_canonicalizer
from pipelines.jsonl import NotWritten

logger = logging.getLogger(__name__)

STORE_FILE = "incremental.sqlite3"
META_KEY = "incremental"        # request.meta: the stored row this request was conditioned on
REVISIT_META_KEY = "revisit_of"  # request.meta: {uri, date, record_id} of the record a 304 refers to
RESUME_FLAG = "incremental-resume"  # Response.flags: answered from the resumed run's own WARCs


@dataclass
class Page:
    url: str
    article: bool
    status: int | None
    etag: str | None
    last_modified: str | None
    payload_digest: str | None
    record_uri: str | None
    record_id: str | None
    warc_date: str | None
    archived_at: float | None
    run_id: str | None          # the run that last fetched it
    done_run_id: str | None     # the run that finished with it (item made, or found unchanged)


class PageStore:
    """One row per canonical URL; every write is committed (a killed crawl loses nothing)."""

    COLUMNS = ("url", "article", "status", "etag", "last_modified", "payload_digest", "record_uri",
               "record_id", "warc_date", "archived_at", "run_id", "done_run_id")

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, article INTEGER NOT NULL DEFAULT 0,"
            " status INTEGER, etag TEXT, last_modified TEXT, payload_digest TEXT, record_uri TEXT,"
            " record_id TEXT, warc_date TEXT, archived_at REAL, run_id TEXT, done_run_id TEXT)")

    def get(self, url: str) -> Page | None:
        row = self._db.execute(f"SELECT {','.join(self.COLUMNS)} FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        page = Page(*row)
        page.article = bool(page.article)
        return page

    def archived(self, url: str, *, status: int, etag: str | None, last_modified: str | None,
                 payload_digest: str, record_uri: str, record_id: str, warc_date: str,
                 archived_at: float, run_id: str) -> None:
        """A full response was archived for `url` (response or identical-payload revisit)."""
        self._db.execute(
            "INSERT INTO pages (url, status, etag, last_modified, payload_digest, record_uri, record_id,"
            " warc_date, archived_at, run_id) VALUES (?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(url) DO UPDATE SET status=excluded.status, etag=excluded.etag,"
            " last_modified=excluded.last_modified, payload_digest=excluded.payload_digest,"
            " record_uri=excluded.record_uri, record_id=excluded.record_id,"
            " warc_date=excluded.warc_date, archived_at=excluded.archived_at, run_id=excluded.run_id",
            (url, status, etag, last_modified, payload_digest, record_uri, record_id, warc_date,
             archived_at, run_id))

    def rechecked(self, url: str, *, archived_at: float, run_id: str, etag: str | None = None,
                  last_modified: str | None = None) -> None:
        """The stored copy was confirmed current (304, or the same payload): only the check
        time (and fresher validators) change; revisits keep referring to the stored record."""
        self._db.execute(
            "UPDATE pages SET archived_at=?, run_id=?, done_run_id=?, etag=COALESCE(?, etag),"
            " last_modified=COALESCE(?, last_modified) WHERE url=?",
            (archived_at, run_id, run_id, etag, last_modified, url))

    def mark_article(self, url: str, run_id: str) -> None:
        """The page became an article item in `run_id` (written or dropped as a duplicate)."""
        self._db.execute("INSERT INTO pages (url, article, done_run_id) VALUES (?, 1, ?)"
                         " ON CONFLICT(url) DO UPDATE SET article=1, done_run_id=excluded.done_run_id",
                         (url, run_id))

    def close(self) -> None:
        self._db.close()


class ResumeReplay:
    """The archived answer, in the run's own WARCs, to a request a resumed run makes again."""

    def __init__(self, run_dir: str | Path, own: list[Path] | None = None):
        """`own`: the run's WARC files, when `run_dir` holds other runs' too (default: all)."""
        from archives.replay import Archive

        self.run_dir = Path(run_dir).resolve()
        self.own = Archive.open(own or self.run_dir)
        self._earlier = [self.run_dir] if own else None   # None: the job's sibling run folders
        self._with_earlier = None

    def response_for(self, request):
        from archives.replay import ReplayError, scrapy_response

        if request.method != "GET":
            return None
        entries = self.own.captures(request.url)
        if not entries:
            return None
        entry = entries[-1]
        if entry.status is None or entry.status >= 500 or entry.status == 429:
            return None                       # not a final answer: ask the server again
        try:
            replayed = self.own.load(entry)
        except ReplayError:
            replayed = self._load_with_earlier_runs(request.url, entry)
        except (ArchiveError, ValueError, OSError) as exc:
            logger.warning("resume: cannot read the archived %s, fetching it: %s", request.url, exc)
            return None
        if replayed is None or replayed.truncated:
            return None
        request.meta["warc"] = replayed.location
        request.meta["warc_date"] = replayed.date
        return scrapy_response(replayed, request, flags=["replay", RESUME_FLAG])

    def _load_with_earlier_runs(self, url, entry):
        """A revisit whose original an earlier run archived (of the job, or into the folder)."""
        from archives.replay import Archive

        if self._with_earlier is None:
            runs = self._earlier or sorted(
                p for p in self.run_dir.parent.iterdir()
                if p.is_dir() and not p.name.startswith(".") and p.name <= self.run_dir.name)
            self._with_earlier = Archive.open(runs)
        for candidate in self._with_earlier.captures(url):
            if (candidate.source, candidate.offset) == (entry.source, entry.offset):
                try:
                    return self._with_earlier.load(candidate)
                except (ArchiveError, ValueError, OSError):
                    return None
        return None

    def close(self) -> None:
        self.own.close()
        if self._with_earlier is not None:
            self._with_earlier.close()


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
        if now - page.archived_at < self.window:
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
        is_index, entries = parse_sitemap(response.body)
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
