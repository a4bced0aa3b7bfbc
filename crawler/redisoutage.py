"""One ERROR line per Redis outage, for the whole crawl process.

A distributed crawl calls Redis from several components (the frontier's leases and queue,
the shared send slots, a 429's shared pause, robots.txt, the article dedupe state), each many
times a second: a Redis down for a few seconds made each failed call an ERROR line, dozens of
them (and a job run counts ERROR lines among its errors). The first failed call of an outage,
whichever component makes it, is logged as an ERROR; the others at DEBUG; every one is counted;
the first call that works again ends the outage with an INFO line, so the next one is reported
again. `RedisOutage.call` is the one way a component makes a Redis call that may fail, so each
reports an outage the same way. No Scrapy import: the tracker hangs on the crawler; redis is
imported when a call is made (a crawl that never calls Redis, the SQLite dedupe's, loads none).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

_ATTRIBUTE = "newsarchive_redis_outage"


class RedisOutage:
    def __init__(self, stats=None):
        self.stats = stats          # the crawl's stats (crawler.stats), None: nothing counted
        self.failures = 0           # failed calls of the current outage (0: Redis answers)

    @classmethod
    def of(cls, crawler) -> RedisOutage:
        """The crawl process's one tracker (every component of a crawler shares it)."""
        outage = getattr(crawler, _ATTRIBUTE, None)
        if outage is None:
            outage = cls(getattr(crawler, "stats", None))
            setattr(crawler, _ATTRIBUTE, outage)
        return outage

    def call(self, function, *args, what: str, then: str, default=None, stat: str = "frontier/redis_errors"):
        """`function(*args)`, or `default` when Redis fails: the failure counted in `stat` and
        logged ("Redis unreachable (WHAT): error; THEN", THEN saying what the crawl does
        instead), at ERROR for an outage's first failed call. A call that works ends the outage."""
        from redis import RedisError

        try:
            value = function(*args)
        except RedisError as exc:
            if self.stats is not None:
                self.stats.inc_value(stat)
            logger.log(self.failed(), "Redis unreachable (%s): %s; %s", what, exc, then)
            return default
        self.answered()
        return value

    def failed(self) -> int:
        """A Redis call failed: the level to log it at, ERROR for an outage's first. For a
        component whose calls fail in other ways too (the dedupe state, SQLite or Redis) and
        that reports them itself; the others use call()."""
        self.failures += 1
        return logging.ERROR if self.failures == 1 else logging.DEBUG

    def answered(self) -> None:
        """A Redis call worked: an outage, if there was one, is over."""
        if self.failures:
            logger.info("Redis answers again (%d call(s) failed while it was unreachable; the first "
                        "was logged, every one counted)", self.failures)
            self.failures = 0
