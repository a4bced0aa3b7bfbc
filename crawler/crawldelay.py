"""robots.txt `Crawl-delay`: the seconds a site asks between two requests, kept for that site.

No part of RFC 9309, but written by many news sites and kept by Heritrix, Bing and Yandex;
a crawl that calls itself polite by default does what the site asks, up to
ROBOTSTXT_CRAWL_DELAY_MAX. The robots.txt middleware (crawler.robots) hands each parsed
robots.txt to `CrawlDelays.apply`, which sets the site's download slot: its delay (without
DOWNLOAD_DELAY_JITTER's randomness, which would halve it at times) now and for a slot made
again later (Scrapy's DOWNLOAD_SLOTS entry). AutoThrottle lowers a slot's delay towards
DOWNLOAD_DELAY as the site answers fast: CrawlDelayAutoThrottle keeps it at the floor.
"""

from __future__ import annotations

import logging

from scrapy.extensions.throttle import AutoThrottle

logger = logging.getLogger(__name__)

_CRAWLER_ATTRIBUTE = "newsarchive_crawl_delays"


class CrawlDelays:
    """The crawl's Crawl-delay floors (ROBOTSTXT_CRAWL_DELAY_MAX read once; 0 turns them off)."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.max_delay = settings.getfloat("ROBOTSTXT_CRAWL_DELAY_MAX")
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or ""

    @classmethod
    def of(cls, crawler) -> CrawlDelays:
        """The crawler's one instance (the robots.txt middleware and the throttle share it)."""
        delays = getattr(crawler, _CRAWLER_ATTRIBUTE, None)
        if delays is None:
            delays = cls(crawler)
            setattr(crawler, _CRAWLER_ATTRIBUTE, delays)
        return delays

    def apply(self, request, parser) -> None:
        """Set the floor of `request`'s site from its parsed robots.txt (Scrapy's RobotParser)."""
        rules = getattr(parser, "rp", None)
        if not self.max_delay or rules is None or not hasattr(rules, "crawl_delay"):
            return
        try:
            asked = float(rules.crawl_delay(self.user_agent) or 0)
        except (TypeError, ValueError):
            return
        if not asked > 0:          # also NaN
            return
        seconds = min(asked, self.max_delay)
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        downloader.per_slot_settings[key] = {**downloader.per_slot_settings.get(key, {}),
                                             "delay": seconds, "jitter": 0}
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay, slot.jitter = max(slot.delay, seconds), 0
        self.crawler.stats.inc_value("robotstxt/crawl_delay")
        logger.info("robots.txt of %s asks for Crawl-delay: %g: %g s between its requests%s", key, asked,
                    seconds, " (ROBOTSTXT_CRAWL_DELAY_MAX)" if seconds < asked else "")

    def floor(self, key: str | None) -> float:
        if key is None:
            return 0.0
        return self.crawler.engine.downloader.per_slot_settings.get(key, {}).get("delay", 0.0)


class CrawlDelayAutoThrottle(AutoThrottle):
    """Scrapy's AutoThrottle, never taking a site's delay below its robots.txt Crawl-delay."""

    def _response_downloaded(self, response, request, spider):
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if slot is not None:
            floor = CrawlDelays.of(self.crawler).floor(key)
            if slot.delay < floor:
                slot.delay = floor
