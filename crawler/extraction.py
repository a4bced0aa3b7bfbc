"""Page analysis off the reactor thread.

`ExtractionPool` runs `crawler.extract.page.analyze_page` (everything CPU-heavy done to
one HTML response) in `EXTRACT_WORKERS` processes (1 = in the crawl process), through
crawler.worker so that the crawl process itself never imports the extraction code.
bench/crawl_bench.py measures the whole crawl.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy import signals

from crawler import worker

logger = logging.getLogger(__name__)


class ExtractionTimeout(Exception):
    """A page's analysis ran past EXTRACT_TIMEOUT (the page stays archived; it makes no item)."""


class ExtractionPool:
    """Runs page analysis in worker processes so the reactor never waits on extraction.

    In flight work is bounded by Scrapy itself: a response stays in the scraper's slot
    (SCRAPER_SLOT_MAX_ACTIVE_SIZE bytes) until its callback is done, and the downloader
    backs out while that slot is full. Workers are replaced after EXTRACT_MAX_TASKS_PER_WORKER
    pages each, so a slow leak in a parser cannot grow the crawl's memory with its length.
    """

    def __init__(self, workers: int, crawler=None, max_tasks_per_worker: int = 0, timeout: float = 0,
                 task=worker.analyze):
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.crawler = crawler
        self.max_tasks_per_worker = max_tasks_per_worker
        self.timeout = timeout          # seconds; 0: none (and none in-process)
        self.task = task                # picklable by name: what a worker runs on (body, url, encoding)
        self._executor: ProcessPoolExecutor | None = None
        self._submitted = 0
        self._lock = threading.Lock()
        self._closed = False
        self._starter: threading.Thread | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pool = cls(settings.getint("EXTRACT_WORKERS"), crawler,
                   settings.getint("EXTRACT_MAX_TASKS_PER_WORKER", 0), settings.getfloat("EXTRACT_TIMEOUT", 0))
        crawler.signals.connect(pool.close, signal=signals.spider_closed)
        pool.start()
        return pool

    def start(self) -> None:
        """Fork the workers now rather than at the first page: the forkserver's imports and
        warm-up (~0.8 s) then overlap Scrapy's own start-up and the first fetches instead of
        holding up every page behind the first one. In a thread: forking from the forkserver
        waits for it to be ready."""
        if self.workers > 1:
            self._starter = threading.Thread(target=self._fork_workers, name="extraction-pool-start", daemon=True)
            self._starter.start()

    def _fork_workers(self) -> None:
        try:
            with self._lock:
                if self._closed:        # a crawl that ended before this thread ran
                    return
                executor = self._current_executor()
            for _ in range(self.workers):      # the executor forks a worker per queued task
                executor.submit(os.getpid)
        except Exception as exc:  # closed meanwhile, or broken: the first page starts a pool
            logger.debug("extraction workers not started ahead: %r", exc)

    def _ensure_executor(self) -> ProcessPoolExecutor:
        with self._lock:        # the reactor thread and start()'s thread
            return self._current_executor()

    def _current_executor(self) -> ProcessPoolExecutor:
        if self._executor is not None and self.max_tasks_per_worker > 0 \
                and self._submitted >= self.max_tasks_per_worker * self.workers:
            # Retire the pool: it finishes what it has, a fresh one takes new pages.
            # (Not max_tasks_per_child: Python 3.11's executor can hang replacing workers.)
            self._executor.shutdown(wait=False)
            self._executor = None
            if self.crawler is not None:
                self.crawler.stats.inc_value("extract/pool_recycled")
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            # Workers fork from a server that has the extraction code and models loaded already.
            context.set_forkserver_preload(["crawler.extraction_preload"])
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=worker.worker_init)
            self._submitted = 0
        self._submitted += 1
        return self._executor

    async def analyze(self, body: bytes, url: str, encoding: str | None) -> dict:
        if self.workers == 1:
            return self.task(body, url, encoding)
        executor = self._ensure_executor()
        try:
            return await self._run(executor, body, url, encoding)
        except BrokenProcessPool:
            # A worker died (OOM, signal): start a fresh pool and give this page one more try.
            # Every page in flight sees the same broken pool; only the first replaces it.
            if self._executor is executor:
                logger.warning("extraction worker died; restarting the pool")
                if self.crawler is not None:
                    self.crawler.stats.inc_value("extract/pool_restarts")
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            return await self._run(self._ensure_executor(), body, url, encoding)

    async def _run(self, executor: ProcessPoolExecutor, body: bytes, url: str, encoding: str | None) -> dict:
        future = asyncio.get_running_loop().run_in_executor(executor, self.task, body, url, encoding)
        if not self.timeout:
            return await future
        try:
            return await asyncio.wait_for(future, self.timeout)
        except asyncio.TimeoutError:
            self._stop(executor)
            if self.crawler is not None:
                self.crawler.stats.inc_value("extract/timeouts")
            raise ExtractionTimeout(f"analysis took over {self.timeout:g} s; its worker was stopped") from None

    def _stop(self, executor: ProcessPoolExecutor) -> None:
        """A busy worker cannot be interrupted: end its pool. Its other pages in flight see a
        broken pool and get their one more try on a fresh one (analyze)."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        for process in list(getattr(executor, "_processes", {}).values()):
            process.kill()
        # No cancel_futures: a cancelled page would end its callback; a broken pool's pages
        # get BrokenProcessPool, which analyze() retries.
        executor.shutdown(wait=False)

    def close(self, *args, **kwargs):
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
