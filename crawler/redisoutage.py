"""One ERROR line per Redis outage, for the whole crawl process.

A distributed crawl calls Redis from several components (the frontier's leases and queue,
the shared send slots, robots.txt, the article dedupe state), each many times a second: a
Redis down for a few seconds made each failed call an ERROR line, dozens of them (and a job
run counts ERROR lines among its errors). The first failed call of an outage, whichever
component makes it, is logged as an ERROR; the others at DEBUG (each component still counts
its failures in the stats); the first call that works again ends the outage with an INFO
line, so the next one is reported again. No Scrapy import: the tracker hangs on the crawler.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

_ATTRIBUTE = "newsarchive_redis_outage"


class RedisOutage:
    def __init__(self):
        self.failures = 0          # failed calls of the current outage (0: Redis answers)

    @classmethod
    def of(cls, crawler) -> "RedisOutage":
        """The crawl process's one tracker (every component of a crawler shares it)."""
        outage = getattr(crawler, _ATTRIBUTE, None)
        if outage is None:
            outage = cls()
            setattr(crawler, _ATTRIBUTE, outage)
        return outage

    def failed(self) -> int:
        """A Redis call failed: the level to log it at, ERROR for an outage's first."""
        self.failures += 1
        return logging.ERROR if self.failures == 1 else logging.DEBUG

    def answered(self) -> None:
        """A Redis call worked: an outage, if there was one, is over."""
        if self.failures:
            logger.info("Redis answers again (%d call(s) failed while it was unreachable; the first "
                        "was logged, every one counted)", self.failures)
            self.failures = 0
