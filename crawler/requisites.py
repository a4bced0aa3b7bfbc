"""Page requisites: the images, stylesheets, scripts and fonts a reader's browser loaded.

An archive of a news page without its photos and stylesheet replays as bare text, so for
every article page and every page a start URL names the spider asks `Requisites` for
requests for what the page loads (found in the extraction worker by
crawler.extract.requisites, so the crawl process parses no HTML for it). Requisites:

- are fetched from any host (image CDNs included); Scrapy's RobotsTxtMiddleware obeys each
  host's robots.txt as for any request;
- are requested once per run (a seen-set here, Scrapy's duplicate filter, persisted with
  JOBDIR, behind it); a payload archived before becomes a revisit record in the writer;
- do not count toward DEPTH_LIMIT (`depth_reset`) nor CLOSESPIDER_PAGECOUNT
  (crawler.extensions.PageCountCloseSpider), and never reach extraction: their callback
  only scans stylesheets for `@import` / `url()` (crawler.cssrefs, a regex over the bytes);
- are listed in a `metadata` record concurrent to the page's (or stylesheet's) response
  record, one `requisite: URL` field each, so tools see what belongs to which page.

REQUISITES ("all" / "images" / "none") says what is fetched, REQUISITES_MAX_SIZE caps
each body (Scrapy's per-request `download_maxsize`: a larger one is cut: its head archived, marked WARC-Truncated)
and REQUISITES_MEDIA_TYPES the Content-Types archived (others are stopped when their head
arrives, before the body). Requests carry plain meta and spider-method callbacks, so any
scheduler queue (JOBDIR, Redis) can serialize them.
"""

from __future__ import annotations

import fnmatch
import logging

import scrapy
from scrapy import signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, StopDownload
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.archiving import warc_archive
from crawler.capture import RAW_META_KEY
from crawler.cssrefs import IMAGE, STYLESHEET, css_references
from crawler.signals import write_failed
from crawler.urls import join_url

logger = logging.getLogger(__name__)

META_KEY = "requisite"          # request.meta: the requisite's kind (image, stylesheet, script, font)
PAGE_META_KEY = "requisite_of"  # request.meta: the URL of the page (or stylesheet) that loads it
MODES = ("all", "images", "none")


def requisites_mode(settings) -> str:
    value = settings.get("REQUISITES")
    return "all" if value is None else str(value).strip().lower()     # None: settings without ours


def check_requisite_settings(settings) -> None:
    """A bad REQUISITES value, as one error before the crawl starts."""
    mode = requisites_mode(settings)
    if mode not in MODES:
        raise ValueError(f"REQUISITES must be one of {', '.join(MODES)}, not {settings.get('REQUISITES')!r}")
    if settings.getint("REQUISITES_MAX_SIZE") < 0:
        raise ValueError("REQUISITES_MAX_SIZE must be 0 (no cap) or a number of bytes")


class Requisites:
    """Builds the requisite requests of pages and stylesheets and links them in the WARC."""

    def __init__(self, crawler, mode: str = "all", max_size: int = 0, media_types=("*",), priority: int = 0):
        self.crawler = crawler
        self.mode = mode
        self.max_size = max_size
        self.media_types = [t.strip().lower() for t in media_types if t.strip()] or ["*"]
        self.priority = priority
        # URLs requested in this process: a shared logo or stylesheet is on every page, and a
        # Request costs far more to build and filter than this lookup.
        self._seen: set[str] = set()
        self._warc_archive = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        check_requisite_settings(settings)
        requisites = cls(crawler, mode=requisites_mode(settings),
                         max_size=settings.getint("REQUISITES_MAX_SIZE"),
                         media_types=settings.getlist("REQUISITES_MEDIA_TYPES"),
                         priority=settings.getint("REQUISITES_PRIORITY"))
        if requisites.enabled:
            crawler.signals.connect(requisites.headers_received, signal=signals.headers_received)
        return requisites

    def _archive(self):
        """The crawl's WARC writer owner (crawler.archiving), found at first use: the spider,
        and this with it, is built before Scrapy builds the extensions."""
        if self._warc_archive is None:
            self._warc_archive = warc_archive(self.crawler)
        return self._warc_archive

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    def wanted(self, kind: str) -> bool:
        return self.mode == "all" or (self.mode == "images" and kind == IMAGE)

    # --- requests ----------------------------------------------------------

    def page_requests(self, response, found, callback, errback) -> list[scrapy.Request]:
        """Requests for the requisites `found` ((url, kind) pairs) of a page, those not
        requested before; all of them are listed in the page's metadata record."""
        wanted = [(url, kind) for url, kind in found if self.wanted(kind)]
        if not wanted:
            return []
        self._link(response, [url for url, _kind in wanted])
        return [request for url, kind in wanted
                if (request := self._request(url, kind, response.url, callback, errback)) is not None]

    def stylesheet_requests(self, response, callback, errback) -> list[scrapy.Request]:
        """Requests for what a fetched stylesheet imports and loads, resolved against its URL."""
        if not self._is_stylesheet(response):
            return []
        self.crawler.stats.inc_value("requisites/stylesheets_scanned")
        found = []
        for ref, kind in css_references(response.body):
            url = join_url(response.url, ref)
            if url and url.startswith(("http://", "https://")):
                found.append((url, kind))
        return self.page_requests(response, found, callback, errback)

    def _is_stylesheet(self, response) -> bool:
        content_type = response.headers.get(b"Content-Type", b"").split(b";")[0].strip().lower()
        if content_type:
            return content_type == b"text/css"
        return response.meta.get(META_KEY) == STYLESHEET

    def _request(self, url, kind, page_url, callback, errback) -> scrapy.Request | None:
        if url in self._seen:
            return None
        self._seen.add(url)
        self.crawler.stats.inc_value("requisites/requested")
        self.crawler.stats.inc_value(f"requisites/requested/{kind}")
        meta = {META_KEY: kind, PAGE_META_KEY: page_url, "depth_reset": True}
        if self.max_size:
            meta["download_maxsize"] = self.max_size
        return scrapy.Request(url, callback=callback, errback=errback, priority=self.priority, meta=meta)

    def _link(self, response, urls: list[str]) -> None:
        """A metadata record concurrent to the page's response record listing its requisites
        (only when this crawl archived that response: a replayed page has nothing to link)."""
        pointer = response.meta.get("warc")
        if not pointer:
            return
        archive = self._archive()
        if not archive.wrote(pointer["filename"]):
            return
        try:
            archive.writer.write_metadata(url=response.url, concurrent_to=pointer["record_id"],
                                  fields=[("requisite", url) for url in urls])
        except OSError as exc:  # disk full: crawler.extensions.WriteFailureStop reports it
            self.crawler.stats.inc_value("warc/metadata_errors")
            self.crawler.signals.send_catch_log(write_failed, error=exc,
                                                what=f"the requisites record of {response.url}")
            return
        except Exception:  # the link record is extra; the crawl goes on without it
            self.crawler.stats.inc_value("warc/metadata_errors")
            logger.exception("Could not write the requisites record of %s", response.url)
            return
        self.crawler.stats.inc_value("requisites/metadata_records")

    # --- responses ---------------------------------------------------------

    def headers_received(self, headers, body_length, request, spider=None):
        """Stop a requisite whose Content-Type is not in REQUISITES_MEDIA_TYPES before its
        body is read: nothing of it is archived, and it is counted. Only a 2xx answer is
        judged: a redirect or an error page is what the reader's browser got for that URL
        (and a replay answers it the same way), so it is archived whatever its type."""
        if META_KEY not in request.meta or self.media_types == ["*"]:
            return
        raw = request.meta.get(RAW_META_KEY)     # the capture's raw head, status line first
        status = raw.head.split(b" ", 2)[1:2] if raw is not None else []
        if status and not status[0].startswith(b"2"):
            return
        value = headers.get(b"Content-Type") or b""
        media_type = value.split(b";")[0].strip().lower().decode("latin-1")
        if not media_type:  # no type declared: a browser would sniff it; keep it
            return
        if any(fnmatch.fnmatchcase(media_type, pattern) for pattern in self.media_types):
            return
        self.crawler.stats.inc_value("requisites/refused_type")
        logger.debug("Requisite not archived (%s not in REQUISITES_MEDIA_TYPES): %s", media_type, request.url)
        raise StopDownload(fail=True)

    def fetched(self, response) -> None:
        self.crawler.stats.inc_value("requisites/fetched")

    def failed(self, failure) -> None:
        """Counted by reason; never a page failure (`news/failed_requests`)."""
        request = getattr(failure, "request", None)
        url = getattr(request, "url", "?")
        if failure.check(HttpError):
            self.crawler.stats.inc_value("requisites/http_errors")      # archived; the status was not 2xx
        elif failure.check(StopDownload):
            pass                                                # counted as refused_type
        elif failure.check(IgnoreRequest):
            self.crawler.stats.inc_value("requisites/not_fetched")      # robots.txt, filters
        elif failure.check(DownloadCancelledError):
            self.crawler.stats.inc_value("requisites/too_large")        # over REQUISITES_MAX_SIZE
        else:
            self.crawler.stats.inc_value("requisites/failed")
        logger.debug("requisite not archived: %s: %s", url, failure.getErrorMessage() or failure.type.__name__)
