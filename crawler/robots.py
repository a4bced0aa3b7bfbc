"""robots.txt as RFC 9309 reads it, in place of Scrapy's RobotsTxtMiddleware.

Scrapy's middleware treats a robots.txt it cannot get as allow-all and parses whatever
body comes back, whatever its status and size. RFC 9309 section 2.3.1 says otherwise:

- 2xx: the rules apply; at least 500 KiB must be parsed, so the first ROBOTSTXT_MAX_SIZE
  bytes are (cut at a line end) and the rest ignored: a 60 MB robots.txt cost 631 MB and
  0.15 s of reactor time per request to its host when parsed whole. The download stops once
  that much has arrived (`bytes_received`): the rest was never read, and one past
  DOWNLOAD_MAXSIZE would otherwise be cancelled and its host taken for unreachable;
- 4xx ("unavailable"): no rules, everything allowed;
- 5xx or no answer at all ("unreachable"): complete disallow (ROBOTSTXT_UNREACHABLE =
  "disallow"; "allow" to change it), "retried later in the run". The host's requests wait,
  off the scheduler and the downloader (other hosts go on; `robotstxt/waiting` is how many),
  and ROBOTSTXT_RETRY_AFTER seconds later robots.txt is asked again and they are scheduled
  again: fetched if it now allows them. A crawl that has nothing else to do waits for that,
  except for a host whose name does not resolve (its pages cannot be fetched either).
  After ROBOTSTXT_RETRY_TIMES such retries, or past ROBOTSTXT_WAITING_MAX requests for one
  host, requests are dropped and counted (`robotstxt/unreachable_forbidden`). Dropping them
  at once (as before) lost the pages of a host whose robots.txt failed for a minute.

A 2xx robots.txt's `Crawl-delay` for our user agent paces its site (crawler.crawldelay).

The robots.txt request has its own short timeout (ROBOTSTXT_TIMEOUT) and is not retried
on the spot: every request to a host waits for its robots.txt, and three 30 s attempts
stalled the host for 90 s. It goes through the downloader like any request, so it is
archived (capture middleware) or answered from REPLAY_WARC.
"""

from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.exceptions import CannotResolveHostError, DontCloseSpider, IgnoreRequest, StopDownload
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.crawldelay import CrawlDelays
from crawler.middlewares import RobotsTxtWaitersMiddleware, relay

logger = logging.getLogger(__name__)

POLICIES = ("disallow", "allow")
META_KEY = "robotstxt_bytes"     # request.meta of a robots.txt download: bytes received so far
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


def cap_robots(body: bytes, max_size: int) -> bytes:
    """The first `max_size` bytes of a robots.txt, cut after the last whole line in them."""
    if not max_size or len(body) <= max_size:
        return body
    head = body[:max_size]
    end = max(head.rfind(b"\n"), head.rfind(b"\r"))
    return head[:end + 1] if end >= 0 else b""


def check_robots_settings(settings) -> str:
    """The ROBOTSTXT_UNREACHABLE policy (its one reader); ValueError with a one-line message
    for a value the middleware cannot use."""
    policy = str(settings.get("ROBOTSTXT_UNREACHABLE") or "").strip().lower()
    if policy not in POLICIES:
        raise ValueError(f"ROBOTSTXT_UNREACHABLE must be one of {', '.join(POLICIES)}, not {policy!r}")
    return policy


class RFC9309RobotsTxtMiddleware(RobotsTxtWaitersMiddleware):
    """Scrapy's robots.txt middleware with RFC 9309's status rules and size limit; every
    request waiting for the fetch gets the answer (RobotsTxtWaitersMiddleware)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        policy = check_robots_settings(settings)
        self.max_size = settings.getint("ROBOTSTXT_MAX_SIZE")
        self.timeout = settings.getfloat("ROBOTSTXT_TIMEOUT")
        self.retry_after = settings.getfloat("ROBOTSTXT_RETRY_AFTER")
        self.retry_times = settings.getint("ROBOTSTXT_RETRY_TIMES")
        self.waiting_max = settings.getint("ROBOTSTXT_WAITING_MAX")
        self.disallow_unreachable = policy == "disallow"
        self._unreachable_until: dict[str, float] = {}   # netloc -> when to ask again
        self._waiting: dict[str, list[Request]] = {}     # netloc -> requests held for the retry
        self._retried: dict[str, int] = {}               # netloc -> retries since it last answered
        self._timers: dict = {}                          # netloc -> the retry's DelayedCall
        self.crawl_delays = CrawlDelays.of(crawler)      # a parsed robots.txt's Crawl-delay sets its site's pace

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(mw.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def process_request_2(self, rp, request):
        netloc = urlparse_cached(request).netloc
        if netloc in self._unreachable_until and self.disallow_unreachable:
            waiting = self._waiting.setdefault(netloc, [])
            if self._retried.get(netloc, 0) < self.retry_times and len(waiting) < self.waiting_max:
                waiting.append(request)
                self._count_waiting()
                logger.debug("Waiting for robots.txt to be asked again (RFC 9309: unreachable): %s", request)
                raise IgnoreRequest("robots.txt unreachable: waiting for it to be asked again (RFC 9309)")
            self._stats.inc_value("robotstxt/unreachable_forbidden")
            logger.debug("Not fetched, robots.txt unreachable (RFC 9309: complete disallow): %s", request)
            raise IgnoreRequest("robots.txt unreachable: complete disallow (RFC 9309)")
        super().process_request_2(rp, request)

    def _count_waiting(self) -> None:
        self._stats.set_value("robotstxt/waiting", sum(len(w) for w in self._waiting.values()))

    def _ask_again(self, netloc: str) -> None:
        """The retry: forget the verdict and schedule the host's waiting requests again; the
        first of them fetches robots.txt, the rest wait for its answer as usual."""
        self._timers.pop(netloc, None)
        waiting = self._waiting.pop(netloc, [])
        self._count_waiting()
        if not waiting:
            return
        self._retried[netloc] = self._retried.get(netloc, 0) + 1
        self._unreachable_until.pop(netloc, None)
        if not isinstance(self._parsers.get(netloc), Deferred):
            self._parsers.pop(netloc, None)
        logger.info("Asking robots.txt of %s again (retry %d of %d) for its %d waiting request(s)",
                    netloc, self._retried[netloc], self.retry_times, len(waiting))
        self._stats.inc_value("robotstxt/retried", len(waiting))
        for request in waiting:         # the dupe filter saw them already
            self.crawler.engine.crawl(request.replace(dont_filter=True))

    def bytes_received(self, data, request, spider=None):
        """Stop a robots.txt download past ROBOTSTXT_MAX_SIZE: what came is the response."""
        if META_KEY not in request.meta or not self.max_size:
            return
        request.meta[META_KEY] += len(data)
        if request.meta[META_KEY] > self.max_size:
            raise StopDownload(fail=False)

    def spider_idle(self):
        """Nothing else to crawl: wait for the retry rather than end without the host."""
        waiting = [netloc for netloc, requests in self._waiting.items() if requests]
        for netloc in waiting:
            if netloc not in self._timers:     # none due (it fired with nothing waiting): now
                self._ask_again(netloc)
        if waiting:
            raise DontCloseSpider

    def spider_closed(self, reason):
        waiting = sum(len(w) for w in self._waiting.values())
        if waiting:   # stopped early (Ctrl-C, a close condition): still counted on stats
            logger.warning("%d request(s) waiting for an unreachable robots.txt to be asked again "
                           "were not fetched (robotstxt/waiting)", waiting)
        for timer in self._timers.values():
            if timer.active():
                timer.cancel()
        self._timers.clear()

    async def robot_parser(self, request):
        url = urlparse_cached(request)
        netloc = url.netloc
        until = self._unreachable_until.get(netloc)
        if until is not None and time.monotonic() >= until and not isinstance(self._parsers.get(netloc), Deferred):
            del self._unreachable_until[netloc]        # ask again
            self._parsers.pop(netloc, None)
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                             meta={"dont_obey_robotstxt": True, "dont_retry": True,
                                   "download_timeout": self.timeout, META_KEY: 0,
                                   # its own cap (bytes_received) replaces DOWNLOAD_MAXSIZE's
                                   **({"download_maxsize": 0} if self.max_size else {})},
                             callback=NO_CALLBACK)
            try:
                response = await self.crawler.engine.download_async(robots)
            except Exception as exc:  # refused, timed out, not HTTP, a decompression bomb ...
                if isinstance(exc, (DNSLookupError, CannotResolveHostError)):
                    # A name that does not resolve: the host's pages cannot be fetched either, so
                    # its requests are dropped and counted now instead of holding the crawl open
                    # for the retries (ROBOTSTXT_RETRY_AFTER x ROBOTSTXT_RETRY_TIMES, 4 min by default)
                    self._retried[netloc] = self.retry_times
                self._unreachable(netloc, type(exc).__name__)
            else:
                await self._parse_robots(response, netloc, request)
                if self._parsers.get(netloc) is not None:
                    self._retried.pop(netloc, None)     # it answered: a later failure retries anew
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(relay(parser))
        return parser

    async def _parse_robots(self, response, netloc, request):
        status = response.status
        if 200 <= status < 300:
            body = cap_robots(response.body, self.max_size)
            if len(body) < len(response.body):
                self._stats.inc_value("robotstxt/capped")
                logger.warning("robots.txt of %s is %d bytes: only the first %d parsed (ROBOTSTXT_MAX_SIZE)",
                               netloc, len(response.body), len(body))
            response = response.replace(body=body)
        elif 300 <= status < 500:     # redirects not followed to the end, 4xx: no rules
            response = response.replace(body=b"")
        else:                         # 5xx, or a status that is not HTTP's
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{status}")
            self._unreachable(netloc, f"status {status}")
            return
        await super()._parse_robots(response, netloc, request)
        parser = self._parsers.get(netloc)
        if parser is not None and not isinstance(parser, Deferred):
            self.crawl_delays.apply(request, parser)

    def _unreachable(self, netloc: str, reason: str) -> None:
        from twisted.internet import reactor

        self._stats.inc_value("robotstxt/unreachable")
        self._unreachable_until[netloc] = time.monotonic() + self.retry_after
        retries_left = self.retry_times - self._retried.get(netloc, 0)
        if not self.disallow_unreachable:
            policy = f"all pages allowed for {self.retry_after:.0f} s, then asked again"
        elif retries_left > 0:
            policy = f"its requests wait {self.retry_after:.0f} s, then it is asked again"
        else:
            policy = f"asked {self._retried.get(netloc, 0) + 1} times, still unreachable: its pages are not fetched"
        logger.warning("robots.txt of %s unreachable (%s): %s (RFC 9309; ROBOTSTXT_UNREACHABLE)",
                       netloc, reason, policy)
        if self.disallow_unreachable and retries_left > 0 and netloc not in self._timers:
            self._timers[netloc] = reactor.callLater(self.retry_after, self._ask_again, netloc)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = None
        if isinstance(waiting, Deferred):
            waiting.callback(None)
