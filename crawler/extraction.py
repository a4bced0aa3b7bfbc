"""Page analysis off the reactor thread.

`analyze_page` is everything CPU-heavy done to one HTML response: parse it once,
list its links, classify it, and extract the article (article pages only; a
listing is never extracted). It takes bytes and returns plain data so it can run
in a worker process; `ExtractionPool` runs it in `EXTRACT_WORKERS` processes
(1 = in the crawl process). bench/crawl_bench.py measures the whole crawl.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree
from scrapy import signals

from crawler.urls import join_url

logger = logging.getLogger(__name__)

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
               "application/feed+json", "application/xml", "text/xml")
_SKIPPED_HREFS = ("#", "javascript:", "mailto:", "tel:", "data:")
# Plain strings, not lxml "smart" ones that keep a link to their element: a page has hundreds.
_BASE_HREF = etree.XPath("string(//base/@href)", smart_strings=False)
_HREFS = etree.XPath("//a/@href|//area/@href", smart_strings=False)
_FEEDS = etree.XPath("//link[@href][contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]")


@lru_cache(maxsize=1 << 14)
def _join_from_origin(origin: str, href: str) -> str | None:
    return join_url(origin, href)


def _joiner(base_url: str):
    """urljoin(base_url, href), memoized where the result depends only on the base's origin:
    "/path", "//host/path" and "http(s)://..." hrefs (RFC 3986 5.2.2: an absolute path or an
    authority replaces the base's path). Site menus repeat the same few hundred of those on
    every page, and urljoin costs ~5-20 us each."""
    parts = urlsplit(base_url)
    if not parts.scheme or not parts.netloc:
        return lambda href: join_url(base_url, href)
    origin = f"{parts.scheme}://{parts.netloc}/"

    def join(href: str) -> str | None:
        if href.startswith(("/", "http://", "https://")):
            return _join_from_origin(origin, href)
        return join_url(base_url, href)

    return join


def tree_links(tree, base_url: str) -> tuple[list[str], list[str]]:
    """(links, feeds) of a parsed page: absolute hrefs of <a>/<area> once each in document
    order, and the feeds named by <link rel=alternate>."""
    base = _BASE_HREF(tree).strip()
    join = _joiner((join_url(base_url, base) if base else None) or base_url)
    links: dict[str, None] = {}
    for href in _HREFS(tree):
        href = href.strip()
        if href and not href.startswith(_SKIPPED_HREFS):
            links[join(href)] = None
    links.pop(None, None)
    feeds = [join(link.get("href").strip()) for link in _FEEDS(tree)
             if (link.get("type") or "").lower() in _FEED_TYPES]
    return list(links), [feed for feed in feeds if feed]


def analyze_page(body: bytes, url: str, encoding: str | None) -> dict:
    """Parse once; list the links, classify, and extract only if the page is an article.

    Links are read first: extraction prunes widgets (related-story boxes) from the tree."""
    from crawler.extract import classify_and_extract_tree, parse_html

    tree = parse_html(body, encoding)
    links, feeds = tree_links(tree, url)
    kind, article = classify_and_extract_tree(tree, url)
    return {"kind": kind, "article": article, "links": links, "feeds": feeds}


def _warm_up():
    import crawler.extract  # noqa: F401  (pay the import once per worker, not per page)

    # A crawl killed with SIGKILL never shuts the pool down, and a worker blocked on its task
    # queue would live on (keeping the forkserver alive too): leave with the crawl process.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (parent.join(), os._exit(0)), daemon=True).start()


class ExtractionPool:
    """Runs `analyze_page` in worker processes so the reactor never waits on extraction.

    In flight work is bounded by Scrapy itself: a response stays in the scraper's slot
    (SCRAPER_SLOT_MAX_ACTIVE_SIZE bytes) until its callback is done, and the downloader
    backs out while that slot is full. Workers are replaced after EXTRACT_MAX_TASKS_PER_WORKER
    pages each, so a slow leak in a parser cannot grow the crawl's memory with its length.
    """

    def __init__(self, workers: int, crawler=None, max_tasks_per_worker: int = 0):
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.crawler = crawler
        self.max_tasks_per_worker = max_tasks_per_worker
        self._executor: ProcessPoolExecutor | None = None
        self._submitted = 0

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pool = cls(settings.getint("EXTRACT_WORKERS"), crawler,
                   settings.getint("EXTRACT_MAX_TASKS_PER_WORKER", 0))
        crawler.signals.connect(pool.close, signal=signals.spider_closed)
        return pool

    def _ensure_executor(self) -> ProcessPoolExecutor:
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
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_warm_up)
            self._submitted = 0
        self._submitted += 1
        return self._executor

    async def analyze(self, body: bytes, url: str, encoding: str | None) -> dict:
        if self.workers == 1:
            return analyze_page(body, url, encoding)
        loop = asyncio.get_running_loop()
        executor = self._ensure_executor()
        try:
            return await loop.run_in_executor(executor, analyze_page, body, url, encoding)
        except BrokenProcessPool:
            # A worker died (OOM, signal): start a fresh pool and give this page one more try.
            # Every page in flight sees the same broken pool; only the first replaces it.
            if self._executor is executor:
                logger.warning("extraction worker died; restarting the pool")
                if self.crawler is not None:
                    self.crawler.stats.inc_value("extract/pool_restarts")
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            return await loop.run_in_executor(self._ensure_executor(), analyze_page, body, url, encoding)

    def close(self, *args, **kwargs):
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
