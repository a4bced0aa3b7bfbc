"""Progress extension: what the crawl is doing, while it runs.

On a terminal, one line on stderr redrawn every PROGRESS_INTERVAL seconds (pages fetched,
articles written, duplicates, errors, pages/s, queue size, WARC bytes); log records still
print, each clearing the line first, and the next tick redraws it. When stderr is not a
terminal (cron, CI, a pipe) the same figures are one INFO log line every
PROGRESS_LOG_INTERVAL seconds, since carriage returns make a mess of log files. It replaces
Scrapy's LogStats line (LOGSTATS_INTERVAL = 0 in crawler/settings.py). PROGRESS_ENABLED=False
turns it off.
"""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.archiving import WarcArchive
from crawler.report.text import human_bytes

logger = logging.getLogger(__name__)

CLEAR_LINE = "\r\x1b[K"


class _ClearLineFilter(logging.Filter):
    """Wipes the progress line before any log record reaches the terminal."""

    def __init__(self, progress: "Progress"):
        super().__init__()
        self.progress = progress

    def filter(self, record):
        self.progress.clear()
        return True


class Progress:
    def __init__(self, crawler, *, interval: float, stream=None):
        self.crawler = crawler
        self.stats = crawler.stats
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._loop = None
        self._shown = False
        self._last = (time.monotonic(), 0)
        self._handlers = []
        self._filter = _ClearLineFilter(self)
        self.warc_bytes = 0

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("PROGRESS_ENABLED"):
            raise NotConfigured
        tty = sys.stderr.isatty()
        interval = settings.getfloat("PROGRESS_INTERVAL" if tty else "PROGRESS_LOG_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval=interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # --- figures ---------------------------------------------------------------------
    def figures(self) -> dict:
        get = self.stats.get_value
        pages = int(get("downloader/response_count", 0))
        now = time.monotonic()
        then, before = self._last
        self._last = (now, pages)
        archive = self.crawler.get_extension(WarcArchive)
        if archive is not None:
            self.warc_bytes = archive.bytes_written()
        engine = getattr(self.crawler, "engine", None)
        scheduler = getattr(engine, "scheduler", None) if engine is not None else None
        try:
            queue = len(scheduler) if scheduler is not None else 0
        except TypeError:  # a scheduler without __len__
            queue = 0
        return {
            "pages": pages,
            # articles are written when the crawl ends (pipelines.held); till then, those held
            "articles": int(get("output/articles", 0)) or int(get("dedupe/held", 0)),
            "duplicates": sum(int(get(f"dedupe/{k}", 0)) for k in ("url", "exact", "near")),
            # a replay's made-up 404s for URLs not in the archive are misses, not errors
            "errors": int(get("news/failed_requests", 0)) + int(get("extract/errors", 0))
            - int(get("replay/miss_404", 0)),
            "rate": (pages - before) / (now - then) if now > then else 0.0,
            "queue": queue,
            "warc_bytes": self.warc_bytes,
        }

    @staticmethod
    def format(f: dict) -> str:
        return (f"{f['pages']} pages ({f['rate']:.1f}/s), {f['articles']} articles, "
                f"{f['duplicates']} duplicates, {f['errors']} errors, {f['queue']} queued, "
                f"WARC {human_bytes(f['warc_bytes'])}")

    # --- output ----------------------------------------------------------------------
    def tick(self):
        line = self.format(self.figures())
        if self.tty:
            self.stream.write(CLEAR_LINE + line[:200])
            self.stream.flush()
            self._shown = True
        else:
            logger.info("Progress: %s", line)

    def clear(self):
        if self._shown:
            self._shown = False
            self.stream.write(CLEAR_LINE)
            self.stream.flush()

    def spider_opened(self, spider):
        if self.tty:
            for handler in logging.getLogger().handlers:
                handler.addFilter(self._filter)
                self._handlers.append(handler)
        self._last = (time.monotonic(), 0)
        self._loop = create_looping_call(self.tick)
        self._loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.clear()
        for handler in self._handlers:
            handler.removeFilter(self._filter)
        self._handlers = []
