"""Small crawl-wide guards, enabled through EXTENSIONS in crawler/settings.py."""

from __future__ import annotations

import errno
import logging
import sqlite3

from scrapy.extensions.closespider import CloseSpider

from crawler.requisites import META_KEY as REQUISITE_META_KEY

logger = logging.getLogger(__name__)


class OfflineSuffixList:
    """Keeps tldextract on the public suffix list bundled with it.

    Scrapy's cookie middleware builds a `TLDExtract()` that downloads the list from
    the web on first use; an archiving crawl must not make requests it did not
    archive or ask for. (Reaches a private name of Scrapy 2.19, pinned.)
    """

    def __init__(self):
        from scrapy.downloadermiddlewares import cookies
        from tldextract import TLDExtract

        cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)

    @classmethod
    def from_crawler(cls, crawler):
        return cls()


class CollectorTuning:
    """Keeps Python's cyclic garbage collector from stalling the reactor.

    A crawl allocates a great many short-lived containers (requests, deferreds, headers) on
    top of a large, long-lived heap (Scrapy, the spider, its seen-link tables). With Python's
    defaults the collector ran ~680 times in a 2,000-article crawl, 1.2 s of the crawl
    process's CPU, with full collections pausing the reactor for ~90 ms each while the
    extraction workers ran out of pages. Freezing what exists once the spider is open keeps
    full collections off that heap; a larger first-generation threshold (GC_GEN0_THRESHOLD)
    lets most short-lived objects die before they are scanned. Measured (gc.callbacks in a
    bench/crawl_bench.py crawl): 0.46 s of collection, pauses of 60 ms at most, same peak
    memory. Larger thresholds cut more but hold cyclic garbage (response bodies among it)
    longer: +11 MB peak at 7,000.
    """

    def __init__(self, freeze: bool, gen0_threshold: int):
        self.freeze = freeze
        self.gen0_threshold = gen0_threshold

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        settings = crawler.settings
        ext = cls(settings.getbool("GC_FREEZE_ON_OPEN"), settings.getint("GC_GEN0_THRESHOLD"))
        if not ext.freeze and ext.gen0_threshold <= 0:
            raise NotConfigured("GC_FREEZE_ON_OPEN and GC_GEN0_THRESHOLD are off")
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider):
        import gc

        if self.freeze:
            gc.collect()        # what is garbage now must not be frozen with the rest
            gc.freeze()
        if self.gen0_threshold > 0:
            gc.set_threshold(self.gen0_threshold, *gc.get_threshold()[1:])


class PageCountCloseSpider(CloseSpider):
    """Scrapy's CloseSpider, except that CLOSESPIDER_PAGECOUNT (a job's `max_pages`) counts
    pages: the images, stylesheets and scripts archived with a page (crawler.requisites) are
    not pages, and a limit of 50 must not stop after three articles and their photos."""

    def page_count(self, response, request, spider=None):
        if REQUISITE_META_KEY in request.meta:
            return
        super().page_count(response, request, spider)
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def is_disk_full(error: BaseException) -> bool:
    """No space left, quota exceeded, or the file size limit (ulimit -f) reached; for SQLite
    (dedupe state, held articles) its SQLITE_FULL."""
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS


class WriteFailureStop:
    """Stops the crawl at the first write that fails for want of space.

    Every later write would fail too: going on only fetches pages that cannot be archived
    (the issue's full-disk crawl logged 893 tracebacks and reported success). The crawl
    closes with finish reason "disk_full" (exit status 1, see crawler/commands/crawl.py),
    after one ERROR line; what was written before is whole (archives.appendfile cuts a
    failed record back). Other write errors are logged one line each and counted.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler):
        from crawler.signals import write_failed

        ext = cls(crawler)
        crawler.signals.connect(ext.write_failed, signal=write_failed)
        return ext

    def write_failed(self, error, what):
        if not is_disk_full(error):
            logger.error("Could not write %s: %s", what, error)
            return
        self.crawler.stats.inc_value("output/disk_full_errors")
        if self.stopping:
            logger.debug("Disk full, not written: %s", what)
            return
        self.stopping = True
        logger.error("Disk full (%s) writing %s: stopping the crawl. Everything written before "
                     "is intact; free space and run the same command again.",
                     getattr(error, "strerror", None) or error, what)
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason="disk_full"))
