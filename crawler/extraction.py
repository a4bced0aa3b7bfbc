"""Page analysis off the reactor thread.

`analyze_page` is everything CPU-heavy done to one HTML response: classify it,
extract the article (only for article pages) and list its links. It takes and
returns plain data so it can run in a worker process; `ExtractionPool` runs it
in `EXTRACT_WORKERS` processes (1 = in the crawl process).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from urllib.parse import urljoin

import lxml.html

from scrapy import signals

logger = logging.getLogger(__name__)

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
               "application/feed+json", "application/xml", "text/xml")


def page_links(html: bytes | str, base_url: str, encoding: str | None = None):
    """(links, feeds): absolute hrefs of <a>/<area>, and feeds named by <link rel=alternate>."""
    try:
        if isinstance(html, bytes):
            parser = lxml.html.HTMLParser(encoding=encoding) if encoding else None
            doc = lxml.html.fromstring(html, parser=parser)
        else:
            doc = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return [], []
    base = doc.xpath("string(//base/@href)").strip()
    base_url = urljoin(base_url, base) if base else base_url
    links = []
    for href in doc.xpath("//a/@href|//area/@href"):
        href = href.strip()
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            links.append(urljoin(base_url, href))
    feeds = [urljoin(base_url, link.get("href").strip())
             for link in doc.xpath("//link[@href][contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]")
             if (link.get("type") or "").lower() in _FEED_TYPES]
    return links, feeds


def analyze_page(body: bytes, url: str, encoding: str | None) -> dict:
    """Classify one HTML page; extract it if it is an article, else list its links."""
    from crawler.extract import extract_article, page_kind

    html = body.decode(encoding or "utf-8", "replace")
    kind = page_kind(html, url)
    result = {"kind": kind, "article": None, "links": [], "feeds": []}
    if kind == "article":
        result["article"] = extract_article(html, url)
    result["links"], result["feeds"] = page_links(html, url)
    return result


def _warm_up():
    import crawler.extract  # noqa: F401  (pay the import once per worker, not per page)


class ExtractionPool:
    """Runs `analyze_page` in worker processes so the reactor never waits on extraction."""

    def __init__(self, workers: int, crawler=None):
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.crawler = crawler
        self._executor: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pool = cls(crawler.settings.getint("EXTRACT_WORKERS"), crawler)
        crawler.signals.connect(pool.close, signal=signals.spider_closed)
        return pool

    def _ensure_executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_warm_up)
        return self._executor

    async def analyze(self, body: bytes, url: str, encoding: str | None) -> dict:
        if self.workers == 1:
            return analyze_page(body, url, encoding)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._ensure_executor(), analyze_page, body, url, encoding)
        except BrokenProcessPool:
            # A worker died (OOM, signal): start a fresh pool and give this page one more try.
            logger.warning("extraction worker died; restarting the pool")
            if self.crawler is not None:
                self.crawler.stats.inc_value("extract/pool_restarts")
            self._executor = None
            return await loop.run_in_executor(self._ensure_executor(), analyze_page, body, url, encoding)

    def close(self, *args, **kwargs):
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
