"""ExtractionPool: page analysis off the caller's thread, for the crawl and for reextract.

`ExtractionPool` runs a worker task (`crawler.extraction.worker.analyze` by default: links,
page kind, article, all CPU-heavy work done to one HTML page) in `EXTRACT_WORKERS` processes
(1 = in the calling process) through crawler.extraction.workerpool, so that handing pages
over costs the event loop little and a page that kills or hangs its worker fails alone. The
calling process never imports the extraction code (the workers' forkserver preloads it).
Scrapy is imported only by `from_settings` / `from_crawler` (the crawl's component; `scrapy
reextract`'s library, crawler.reextract, uses `from_settings`).
bench/crawl_bench.py measures the whole crawl, bench/extract_bench.py reextract's throughput.
"""

from __future__ import annotations

import asyncio
import os

from w3lib.encoding import http_content_type_encoding

from crawler.extraction import worker
from crawler.extraction.workerpool import TaskTimeout, WorkerDied, WorkerPool

__all__ = ["ExtractionPool", "ExtractionTimeout", "WorkerDied", "declared_charset"]


def declared_charset(response) -> str | None:
    """The charset a response's Content-Type header declares, the `encoding` a page is analysed
    with: its <meta> is read in the worker (crawler.extract.html.decoded_html). Not Scrapy's
    `response.encoding`: for a page that declares nothing that is charset-normalizer's guess,
    and the worker would take it for a declaration (and guesses better, with chardet)."""
    return http_content_type_encoding((response.headers.get(b"Content-Type") or b"").decode("latin-1"))

ExtractionTimeout = TaskTimeout  # a page's analysis ran past EXTRACT_TIMEOUT (archived; no item)

_STATS = {"worker_died": "extract/pool_restarts", "worker_recycled": "extract/pool_recycled",
          "timeout": "extract/timeouts"}


class ExtractionPool:
    """Runs page analysis in worker processes so the event loop never waits on extraction.

    In a crawl, work in flight is bounded by Scrapy itself: a response stays in the scraper's
    slot (SCRAPER_SLOT_MAX_ACTIVE_SIZE bytes) until its callback is done, and the downloader
    backs out while that slot is full; reextract keeps a window of its own. Each worker is
    replaced after `max_tasks_per_worker` pages, so a slow leak in a parser cannot grow memory
    with the run's length. `on_event(stat)` hears "extract/pool_restarts", "extract/pool_recycled"
    and "extract/timeouts".
    """

    def __init__(self, workers: int, *, max_tasks_per_worker: int = 0, timeout: float = 0,
                 task=worker.analyze, on_event=None):
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.timeout = timeout          # seconds; 0: none (and none in-process)
        self.task = task                # picklable by name: what a worker runs on (body, url, encoding, ...)
        self.on_event = on_event or (lambda stat: None)
        self.processes: WorkerPool | None = None
        if self.workers > 1:
            # Workers fork from a server that has the extraction code and models loaded already.
            self.processes = WorkerPool(self.workers, preload=("crawler.extraction.preload",),
                                        max_tasks_per_worker=max_tasks_per_worker,
                                        on_event=lambda name: self.on_event(_STATS[name]))

    @classmethod
    def from_settings(cls, settings, on_event=None) -> ExtractionPool:
        """EXTRACT_WORKERS, EXTRACT_MAX_TASKS_PER_WORKER, EXTRACT_TIMEOUT and EXTRACT_TASK, read once."""
        from scrapy.utils.misc import load_object

        return cls(settings.getint("EXTRACT_WORKERS"),
                   max_tasks_per_worker=settings.getint("EXTRACT_MAX_TASKS_PER_WORKER"),
                   timeout=settings.getfloat("EXTRACT_TIMEOUT"),
                   # settings without the project's (scrapy.utils.test.get_crawler): the standard task
                   task=load_object(settings.get("EXTRACT_TASK") or worker.analyze), on_event=on_event)

    @classmethod
    def from_crawler(cls, crawler) -> ExtractionPool:
        """The crawl's one pool: stats in crawler.stats, workers started now, closed on spider_closed."""
        from scrapy import signals

        # crawler.stats exists from the crawl's start: looked up at each event, not now
        pool = cls.from_settings(crawler.settings, on_event=lambda stat: crawler.stats.inc_value(stat))
        crawler.signals.connect(pool.close, signal=signals.spider_closed)
        pool.start()
        return pool

    def start(self) -> None:
        """Start the workers now rather than at the first page: the forkserver's imports and
        warm-up (~0.8 s) then overlap the caller's own start-up (Scrapy's, the first WARC read)."""
        if self.processes is not None:
            self.processes.start()

    def submit(self, *args) -> asyncio.Future:
        """The task's result for (body, url, encoding, ...) as a future of the running loop:
        fails with ExtractionTimeout, WorkerDied (the page killed its worker twice) or what the
        task raised. In-process (EXTRACT_WORKERS=1) it runs here, now."""
        if self.processes is not None:
            return self.processes.submit(self.task, *args, timeout=self.timeout)
        future = asyncio.get_running_loop().create_future()
        try:
            future.set_result(self.task(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    async def analyze(self, body: bytes, url: str, encoding: str | None, *extra) -> dict:
        return await self.submit(body, url, encoding, *extra)

    def close(self, *args, **kwargs) -> None:
        if self.processes is not None:
            self.processes.close()
