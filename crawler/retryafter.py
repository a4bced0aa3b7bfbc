"""A site that answers 429 Too Many Requests or 503 with Retry-After is left alone that long.

Scrapy's RetryMiddleware retries a 429 or 503 as soon as the site's download slot allows
(DOWNLOAD_DELAY, AutoThrottle: a fraction of a second to a few seconds) and ignores
Retry-After, so a site asking for a minute's rest got RETRY_TIMES more requests at once and
the page was given up. This middleware sits before it (the response reaches it first) and
pauses the site's download slot: no new request to that host is sent until the pause ends,
the requests in flight finish, and the retry RetryMiddleware schedules waits behind it.
In a distributed crawl (FRONTIER_SHARED_POLITENESS) the site's shared send time in Redis is
pushed past the pause too: the other processes (and the retry, which any of them may take
from the shared queue) wait as well, when they space their sends to it (DOWNLOAD_DELAY > 0 or
a robots.txt Crawl-delay).
"""

from __future__ import annotations

import logging
import time
from datetime import timezone
from email.utils import parsedate_to_datetime

from scrapy.utils.asyncio import call_later
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)

STATUSES = (429, 503)


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After value asks for (RFC 9110 10.2.3: delay-seconds or an HTTP-date),
    None for no value or one that is neither; a date in the past asks for 0."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isascii() and text.isdigit():   # str.isdigit() also takes '²' (Latin-1 0xB2), which float() refuses
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class RetryAfterMiddleware:
    """Pause a host's download slot for its 429/503 Retry-After (RETRY_AFTER_MAX at most; a 429
    without one: RETRY_AFTER_DEFAULT). Counted: `retry_after/paused`, `retry_after/seconds`."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.enabled = crawler.settings.getbool("RETRY_ENABLED")
        self.max_pause = crawler.settings.getfloat("RETRY_AFTER_MAX")
        self.default_pause = crawler.settings.getfloat("RETRY_AFTER_DEFAULT")
        self._paused_until: dict[str, float] = {}    # slot key -> monotonic end of its pause
        self.shared = None       # the distributed crawl's shared send times (crawler.distributed)
        settings = crawler.settings
        # (read by the other processes when they space their sends: DOWNLOAD_DELAY or a Crawl-delay)
        if self.enabled and settings.getbool("DISTRIBUTED") and settings.getbool("FRONTIER_SHARED_POLITENESS"):
            from crawler.distributed import open_frontier
            from crawler.redisoutage import RedisOutage

            self.shared = open_frontier(settings, crawler.spidercls.name, worker="budget")
            self.outage = RedisOutage.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if response.status not in STATUSES or not self.enabled or "replay" in (response.flags or []):
            return response
        seconds = retry_after_seconds(response.headers.get(b"Retry-After"))
        if seconds is None and response.status == 429:
            seconds = self.default_pause
        if seconds:
            seconds = min(seconds, self.max_pause)
            self._pause(request, seconds, response.status)
            if self.shared is not None and seconds > 0:
                self._pause_shared(request, seconds)
        return response

    def _pause_shared(self, request, seconds: float) -> None:
        host = urlparse_cached(request).netloc.lower()     # PoliteCapturingHandler's key
        # without Redis this process's own pause still holds
        self.outage.call(self.shared.hold, host, seconds, what=f"Retry-After of {host}",
                         then="not shared: other processes may send to it before the pause ends")

    def _pause(self, request, seconds: float, status: int) -> None:
        downloader = self.crawler.engine.downloader
        key = request.meta.get(downloader.DOWNLOAD_SLOT) or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        seconds = max(seconds, slot.download_delay())   # never shorter than the wait it replaces
        until = time.monotonic() + seconds
        if until <= self._paused_until.get(key, 0.0):
            return
        self._paused_until[key] = until
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, downloader._latercall, slot)
        self.stats.inc_value("retry_after/paused")
        self.stats.inc_value("retry_after/seconds", round(seconds))
        logger.info("%s answered %d: no request to it for %.0f s (Retry-After, RETRY_AFTER_MAX)",
                    key, status, seconds)
