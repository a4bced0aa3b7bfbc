"""Downloader middlewares."""

from __future__ import annotations

import logging
import re

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import (DownloadCancelledError, DownloadTimeoutError, IgnoreRequest,
                               ResponseDataLossError)
from scrapy.http import HtmlResponse
from scrapy.utils.asyncio import run_in_thread
from twisted.internet.defer import Deferred

from crawler.archiving import warc_archive
from crawler.capture import RAW_META_KEY
from crawler.signals import write_failed
from archives.digests import Original
from archives.records import split_message

logger = logging.getLogger(__name__)


# Downloads that failed after the response head arrived: what came of the body is archived,
# with the WARC-Truncated reason (WARC 1.1 section 5.13), and the request retried as usual.
_TRUNCATED_BY = ((DownloadTimeoutError, "time"), (ResponseDataLossError, "disconnect"),
                 (DownloadCancelledError, "length"))


def _not_modified_of(request, response) -> Original | None:
    """The archived record a 304 confirms, as the incremental middleware found it."""
    original = request.meta.get("revisit_of")
    if response.status != 304 or not original:
        return None
    return Original(original["uri"], original["date"], original["record_id"])


class WarcCaptureMiddleware:
    """Archive every exchange the capturing handler saw: 2xx, 3xx, 4xx, 5xx, robots.txt, feeds.

    Sits at 990, next to the downloader, so it sees each response before redirects,
    retries or decompression touch it. Sets `request.meta["warc"]` (the response
    record's RecordLocation as a dict) and `request.meta["warc_date"]` (its WARC-Date).

    A body of WARC_OFFLOAD_MIN_BYTES or more is digested and gzipped in a thread
    (hashlib and zlib release the GIL), so a 20 MB PDF does not stall every other
    download; the append (revisit lookup, file, index) stays on the reactor thread.
    """

    def __init__(self, crawler, archive):
        self.crawler = crawler
        self.stats = crawler.stats
        self.archive = archive    # crawler.archiving.WarcArchive: owns the writer and the WARC_* settings
        self.offload_min_bytes = archive.config.offload_min_bytes

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, warc_archive(crawler))

    async def process_response(self, request, response, spider=None):
        raw = request.meta.pop(RAW_META_KEY, None)
        if raw is None:
            # e.g. file://, a cache hit, another handler: nothing was on the wire.
            self.stats.inc_value("warc/uncaptured")
            logger.debug("Not archived (no raw capture): %s", response)
            return response
        request_head, request_body = split_message(bytes(raw.sent))
        truncated = None
        if "dataloss" in response.flags:
            truncated = "disconnect"
        elif "download_stopped" in response.flags:
            truncated = "unspecified"
        exchange = dict(
            url=response.url,
            request_head=request_head,
            request_body=request_body,
            response_head=raw.head,
            response_body=response.body,
            ip_address=str(response.ip_address) if response.ip_address else None,
            date=raw.started,
            truncated=truncated,
            not_modified=_not_modified_of(request, response),
        )
        try:
            writer = self.archive.writer
            if 0 < self.offload_min_bytes <= len(response.body):
                self.stats.inc_value("warc/offloaded")
                prepared = await run_in_thread(writer.prepare_exchange, **exchange)
                capture = writer.commit(prepared)
            else:
                capture = writer.write_exchange(**exchange)
        except OSError as exc:   # a full disk: WriteFailureStop logs it once and stops the crawl
            self.stats.inc_value("warc/write_errors")
            self.crawler.signals.send_catch_log(write_failed, error=exc,
                                                what=f"the WARC records of {response.url}")
            return response
        except Exception:
            self.stats.inc_value("warc/write_errors")
            logger.exception("Could not archive %s", response)
            return response
        request.meta["warc"] = capture.response.as_meta()
        request.meta["warc_date"] = capture.date
        self.stats.inc_value("warc/revisit_records" if capture.is_revisit else "warc/response_records")
        self.stats.inc_value(f"warc/status/{response.status}")
        return response

    def process_exception(self, request, exception, spider=None):
        """No response (DNS failure, refused, timeout): counted. A response cut short after its
        head (read timeout, connection reset mid-body) is archived as far as it came, with
        WARC-Truncated; past DOWNLOAD_MAXSIZE Scrapy has dropped the body, so the head alone
        (`length`). The exception goes on to the retry middleware."""
        raw = request.meta.pop(RAW_META_KEY, None)
        if isinstance(exception, IgnoreRequest):  # dropped before sending (robots.txt, filters)
            return None
        self.stats.inc_value("warc/no_response")
        self.stats.inc_value(f"warc/no_response/{type(exception).__name__}")
        reason = next((why for kind, why in _TRUNCATED_BY if isinstance(exception, kind)), None)
        if raw is not None and reason is not None:
            self._archive_partial(request, raw, reason)
        return None

    def _archive_partial(self, request, raw, reason: str) -> None:
        request_head, request_body = split_message(bytes(raw.sent))
        try:
            capture = self.archive.writer.write_exchange(
                url=request.url, request_head=request_head, request_body=request_body,
                response_head=raw.head, response_body=raw.partial_body(),
                ip_address=raw.ip_address, date=raw.started, truncated=reason)
        except Exception:
            self.stats.inc_value("warc/write_errors")
            logger.exception("Could not archive the truncated response of %s", request.url)
            return
        self.stats.inc_value("warc/truncated_records")
        self.stats.inc_value(f"warc/truncated_records/{reason}")
        logger.info("Archived %s cut short (WARC-Truncated: %s, %d body bytes)", request.url, reason,
                    capture.response.length if hasattr(capture.response, "length") else 0)


# Scrapy reads a refresh from the first 4096 characters; in an ASCII-compatible encoding they
# are at most 16 KB of bytes, and a refresh there has "http-equiv" and "refresh" in plain bytes.
# (Many pages declare <meta http-equiv="Content-Type">; few have a refresh.)
_HTTP_EQUIV = re.compile(rb"http-equiv", re.IGNORECASE)
_REFRESH = re.compile(rb"refresh", re.IGNORECASE)
_WIDE_ENCODINGS = ("utf-16", "utf-32", "utf16", "utf32")


class _VariantRedirects:
    """A redirect to another spelling of the URL asked for (`/world` -> `/world/`, a tracking
    parameter or fragment added: the same request fingerprint, crawler.fingerprint) is followed.

    Scrapy gives a redirect the dont_filter of the request it answers, so the dupe filter took
    the target for the page just asked for and dropped it: a section linked as `/world` on a
    site that adds the slash (WordPress, Django) was never read, nor anything only it links to.
    A loop between two spellings still ends at REDIRECT_MAX_TIMES."""

    def _redirect(self, redirected, request, reason):
        redirected = super()._redirect(redirected, request, reason)
        if not redirected.dont_filter:
            fingerprint = self.crawler.request_fingerprinter.fingerprint
            if fingerprint(redirected) == fingerprint(request):
                redirected.dont_filter = True
        return redirected


class VariantRedirectMiddleware(_VariantRedirects, RedirectMiddleware):
    """Scrapy's RedirectMiddleware, following a redirect to another spelling of the same URL."""


class LenientMetaRefreshMiddleware(_VariantRedirects, MetaRefreshMiddleware):
    """Scrapy's, but a page whose <base href> or refresh URL cannot be parsed ("http://[::1",
    w3lib raises ValueError) goes on to the spider as a page, counted, instead of failing, and
    a refresh to another spelling of the page's URL is followed (_VariantRedirects).
    A page with no "http-equiv" or no "refresh" near its start is passed on without decoding
    it whole."""

    def process_response(self, request, response, spider=None):
        if isinstance(response, HtmlResponse) and not (
                _HTTP_EQUIV.search(response.body, 0, 16384) and _REFRESH.search(response.body, 0, 16384)) \
                and not response.encoding.lower().startswith(_WIDE_ENCODINGS):
            return response
        try:
            return super().process_response(request, response)
        except ValueError as exc:
            self.crawler.stats.inc_value("news/bad_meta_refresh")
            logger.debug("Meta refresh/base URL ignored in %s: %s", response, exc)
            return response


def relay(source: Deferred) -> Deferred:
    """A new Deferred that fires with `source`'s result, leaving `source`'s result as it was."""
    waiter = Deferred()

    def passed(result):
        if not waiter.called:
            waiter.callback(result)
        return result

    source.addBoth(passed)
    return waiter


class RobotsTxtWaitersMiddleware(RobotsTxtMiddleware):
    """Scrapy's, except every request waiting for a site's robots.txt gets its parser.

    Scrapy 2.19 has the requests that arrive while robots.txt is being fetched await the one
    Deferred, each through `Deferred.asFuture`, whose callback returns None: the first
    waiter gets the parser, every later one None, which means "no robots.txt, all
    allowed". A process joining a distributed crawl pops a dozen requests for a site at
    once, and so fetched pages robots.txt disallows. Each waiter here awaits its own relay.
    """

    async def robot_parser(self, request):
        from scrapy.utils.defer import maybe_deferred_to_future
        from scrapy.utils.httpobj import urlparse_cached

        parser = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(relay(parser))
        return await super().robot_parser(request)
