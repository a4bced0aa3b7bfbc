"""Page analysis off the reactor thread.

`ExtractionPool` runs `crawler.extract.page.analyze_page` (everything CPU-heavy done to
one HTML response) in `EXTRACT_WORKERS` processes (1 = in the crawl process), through
crawler.worker so that the crawl process itself never imports the extraction code, and
crawler.workerpool so that handing pages over costs the reactor thread little.
bench/crawl_bench.py measures the whole crawl.
"""

from __future__ import annotations

import os

from scrapy import signals

from crawler import worker
from crawler.workerpool import TaskTimeout, WorkerPool

_STATS = {"worker_died": "extract/pool_restarts", "worker_recycled": "extract/pool_recycled",
          "timeout": "extract/timeouts"}


class ExtractionTimeout(Exception):
    """A page's analysis ran past EXTRACT_TIMEOUT (the page stays archived; it makes no item)."""


class ExtractionPool:
    """Runs page analysis in worker processes so the reactor never waits on extraction.

    In flight work is bounded by Scrapy itself: a response stays in the scraper's slot
    (SCRAPER_SLOT_MAX_ACTIVE_SIZE bytes) until its callback is done, and the downloader
    backs out while that slot is full. Each worker is replaced after EXTRACT_MAX_TASKS_PER_WORKER
    pages, so a slow leak in a parser cannot grow the crawl's memory with its length.
    """

    def __init__(self, workers: int, crawler=None, max_tasks_per_worker: int = 0, timeout: float = 0,
                 task=worker.analyze):
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.crawler = crawler
        self.timeout = timeout          # seconds; 0: none (and none in-process)
        self.task = task                # picklable by name: what a worker runs on (body, url, encoding)
        self.processes: WorkerPool | None = None
        if self.workers > 1:
            # Workers fork from a server that has the extraction code and models loaded already.
            self.processes = WorkerPool(self.workers, preload=("crawler.extraction_preload",),
                                        max_tasks_per_worker=max_tasks_per_worker, on_event=self._count)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pool = cls(settings.getint("EXTRACT_WORKERS"), crawler,
                   settings.getint("EXTRACT_MAX_TASKS_PER_WORKER"), settings.getfloat("EXTRACT_TIMEOUT"))
        crawler.signals.connect(pool.close, signal=signals.spider_closed)
        pool.start()
        return pool

    def start(self) -> None:
        """Start the workers now rather than at the first page: the forkserver's imports and
        warm-up (~0.8 s) then overlap Scrapy's own start-up and the first fetches."""
        if self.processes is not None:
            self.processes.start()

    async def analyze(self, body: bytes, url: str, encoding: str | None) -> dict:
        if self.processes is None:
            return self.task(body, url, encoding)
        try:
            return await self.processes.submit(self.task, body, url, encoding, timeout=self.timeout)
        except TaskTimeout:
            self._count("timeout")
            raise ExtractionTimeout(f"analysis took over {self.timeout:g} s; its worker was stopped") from None

    def _count(self, event: str) -> None:
        if self.crawler is not None:
            self.crawler.stats.inc_value(_STATS[event])

    def close(self, *args, **kwargs):
        if self.processes is not None:
            self.processes.close()
