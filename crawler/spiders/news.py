"""The `news` spider: from site roots, sitemaps or feeds to article items.

It decides what to fetch next and what a page is; extraction runs in
`crawler.extraction.pool.ExtractionPool`, archiving in the capture middleware, and
everything after the item in the pipelines.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from archives.records import warc_date as utc_iso
from crawler import discovery
from crawler.depth import SAME_DEPTH
from crawler.extraction.pool import ExtractionPool, declared_charset
from crawler.robots import cap_robots
from crawler.items import ArticleItem, build_article, has_body, response_truncated
from crawler.requisites import Requisites
from crawler.signals import fetch_failed, page_failed
from crawler.starturls import parse_start_urls
from crawler.urls import join_url, site_key, url_canonicalizer


# Request meta: the URL was named as a sitemap (robots.txt `Sitemap:`, a sitemap index), so a
# document that is neither XML nor HTML may be a text sitemap.
SITEMAP_META = "news_sitemap"
# Request meta: which page of its listing a page followed through <link rel=next> is (2, 3, ...).
LISTING_PAGE = "news_listing_page"


class NewsSpider(scrapy.Spider):
    name = "news"
    distributed = False   # DISTRIBUTED setting: start requests go through the shared dupefilter

    def __init__(self, urls=None, *args, require_urls=True, **kwargs):
        super().__init__(*args, **kwargs)
        # A process joining a distributed crawl may take its seeds from the shared frontier.
        self.start_urls = parse_start_urls(urls) if require_urls or urls else []
        self._robots_sitemaps: dict[str, list[str]] = {}
        self._sitemaps_scheduled: set[str] = set()
        self._offsite_sitemaps: set[str] = set()     # counted once each
        self._link_depths: dict[str, int] = {}    # link -> shallowest depth it was followed from
        self._start_sites: tuple[int, set[str]] = (-1, set())   # (of how many start URLs, their urls.site_key)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        distributed = crawler.settings.getbool("DISTRIBUTED")
        spider = super().from_crawler(crawler, *args, require_urls=not distributed, **kwargs)
        settings = crawler.settings
        spider.distributed = distributed
        spider.pool = ExtractionPool.from_crawler(crawler)
        spider.requisites = Requisites.from_crawler(crawler)
        spider.max_listing_pages = settings.getint("NEWS_MAX_LISTING_PAGES")
        spider.follow_external = settings.getbool("NEWS_FOLLOW_EXTERNAL")
        spider.sitemap_max_age = settings.getint("NEWS_SITEMAP_MAX_AGE_DAYS")
        spider.urls = url_canonicalizer(crawler)
        spider.tracking_params = spider.urls.tracking_params   # plain data, for the extraction workers
        spider.read_robots_itself = not settings.getbool("ROBOTSTXT_OBEY")
        spider.max_page_size = settings.getint("EXTRACT_MAX_PAGE_SIZE")
        crawler.signals.connect(spider._robots_parsed, signal=signals.robots_parsed)
        return spider

    async def start(self):
        for request in self.seed_requests(self.start_urls):
            yield request

    def seed_requests(self, urls):
        """The requests of start URLs. In a distributed crawl every process may be started
        with the same URLs (or take them from the Redis start key): the shared request
        dupefilter lets one of them fetch each, so they are not marked dont_filter."""
        for url in urls:
            if url not in self.start_urls:
                self.start_urls.append(url)
            yield scrapy.Request(url, callback=self.parse, errback=self.failed,
                                 meta={"news_start": True}, dont_filter=not self.distributed)
            if self.read_robots_itself:
                yield scrapy.Request(urljoin(url, "/robots.txt"), callback=self.parse_robots,
                                     errback=self.failed)

    def frontier_request(self, request, seeds) -> None:
        """A request from the shared frontier: if it is on a site another process was
        seeded with, that site becomes in scope here too (`seeds()` reads the shared list).
        Only pages whose links are followed matter; a redirect's target is not a seed site by
        being fetched."""
        if request.callback != self.parse or request.meta.get("redirect_urls") or self.in_scope(request.url):
            return
        for url in seeds():
            if url not in self.start_urls:
                self.start_urls.append(url)

    # --- scope -----------------------------------------------------------

    def in_scope(self, url: str) -> bool:
        if urlsplit(url).scheme not in ("http", "https"):
            return False
        if self.follow_external:
            return True
        if self._start_sites[0] != len(self.start_urls):   # seeds are added as a crawl goes
            self._start_sites = (len(self.start_urls), {site_key(start) for start in self.start_urls})
        return site_key(url) in self._start_sites[1]

    def follow(self, url: str, **kwargs) -> scrapy.Request | None:
        try:
            url = self.urls.strip_tracking(url)
            if not self.in_scope(url):
                return None
        except ValueError:  # "http://[::1" in a sitemap: one bad URL, not a failed document
            self.crawler.stats.inc_value("news/bad_urls")
            self.logger.debug("unusable URL skipped: %r", url)
            return None
        page = discovery.pagination_number(url)
        if page is not None and page > self.max_listing_pages:
            self.crawler.stats.inc_value("news/pagination_capped")
            return None
        return scrapy.Request(url, callback=self.parse, errback=self.failed, **kwargs)

    # --- robots.txt sitemaps ---------------------------------------------

    def _robots_parsed(self, robotparser, request):
        parser = getattr(robotparser, "rp", None)
        sitemaps = getattr(parser, "sitemaps", []) or []
        # `Sitemap: /sitemap.xml` should be absolute, but relative ones are common
        joined = (join_url(request.url, url) for url in sitemaps)
        self._robots_sitemaps[urlsplit(request.url).netloc] = [url for url in joined if url]

    def parse_robots(self, response):
        netloc = urlsplit(response.url).netloc
        body = cap_robots(response.body, self.settings.getint("ROBOTSTXT_MAX_SIZE"))
        self._robots_sitemaps[netloc] = discovery.robots_sitemaps(body, response.url)
        if netloc in self._sitemaps_scheduled:
            yield from self._sitemap_requests(netloc)

    def _start_moved(self, response) -> None:
        """A start URL redirected to another site (a domain that moved, http://a -> https://b):
        that site is what the user asked for, so it is in scope too (Heritrix's
        seedsRedirectNewSeeds); otherwise every link of the new home page is off-site."""
        if response.meta.get("redirect_urls") and not self.in_scope(response.url):
            self.start_urls.append(response.url)
            self.crawler.stats.inc_value("news/start_url_moved")
            self.logger.info("Start URL %s redirects to %s: that site is crawled too",
                             response.meta["redirect_urls"][0], response.url)

    def _sitemap_requests(self, netloc: str):
        for url in self._robots_sitemaps.get(netloc, []):
            request = self._follow_sitemap(url, f"{netloc}'s robots.txt")
            if request is not None:
                yield request

    def _follow_sitemap(self, url: str, named_by: str) -> scrapy.Request | None:
        """A sitemap robots.txt or a sitemap index names. One on another site (sitemaps.org's
        cross-submission: a CDN or a sitemap service) is not read, the crawl's scope being the
        start URLs' sites, but counted and logged once (`news/sitemap_offsite`): a site whose
        stories are listed only there would otherwise look empty for no reason given."""
        request = self.follow(url, priority=10, meta={SITEMAP_META: True})
        if request is None and url not in self._offsite_sitemaps and self._off_site(url):
            self._offsite_sitemaps.add(url)
            self.crawler.stats.inc_value("news/sitemap_offsite")
            self.logger.info("Sitemap %s (named by %s) is on another site: not read (NEWS_FOLLOW_EXTERNAL)",
                             url, named_by)
        return request

    def _off_site(self, url: str) -> bool:
        try:
            return not self.in_scope(self.urls.strip_tracking(url))
        except ValueError:     # a bad URL: counted as one (news/bad_urls)
            return False

    # --- parsing ---------------------------------------------------------

    async def parse(self, response):
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        kind = discovery.document_kind(response.body, content_type)
        if kind == discovery.SITEMAP:
            for request in self.parse_sitemap(response):
                yield request
        elif kind == discovery.FEED:
            self.crawler.stats.inc_value("news/feeds")
            for url in discovery.parse_feed(response.body, response.url):
                request = self.follow(url, priority=5)
                if request is not None:
                    yield request
        elif kind == discovery.OTHER and (response.meta.get(SITEMAP_META) or response.meta.get("news_start")) \
                and (urls := discovery.parse_text_sitemap(response.body, response.url)):
            # a text sitemap (one URL a line) named by robots.txt, a sitemap index or the user
            self.crawler.stats.inc_value("news/sitemaps")
            for url in urls:
                request = self.follow(url, priority=5)
                if request is not None:
                    yield request
        elif kind == discovery.HTML:
            if response.meta.get("news_start"):
                self._start_moved(response)
                netloc = urlsplit(response.url).netloc
                self._sitemaps_scheduled.add(netloc)
                for request in self._sitemap_requests(netloc):
                    yield request
            async for output in self.parse_html(response):
                yield output
        else:
            self.crawler.stats.inc_value("news/skipped_not_html")

    def parse_sitemap(self, response):
        self.crawler.stats.inc_value("news/sitemaps")
        skipped = Counter()
        is_index, entries = discovery.parse_sitemap(response.body, self.sitemap_max_age, skipped=skipped,
                                                      base_url=response.url)
        for reason, count in skipped.items():   # "entity" (not a plain URL), "over_limit" (> 50,000)
            self.crawler.stats.inc_value(f"news/sitemap_skipped/{reason}", count)
        for url, _lastmod in entries:
            request = self._follow_sitemap(url, f"the sitemap index {response.url}") if is_index \
                else self.follow(url, priority=5)
            if request is not None:
                yield request

    async def parse_html(self, response):
        if 0 < self.max_page_size < len(response.body):
            # archived already; analysing 30 MB of prose took a worker 77 s and 830 MB
            self.crawler.stats.inc_value("extract/too_large")
            self.logger.warning("not analysed: %s is %d bytes (EXTRACT_MAX_PAGE_SIZE)",
                                response.url, len(response.body))
            return
        encoding = declared_charset(response)   # the page's own declaration is read there
        try:
            result = await self.pool.analyze(response.body, response.url, encoding)
        except Exception as exc:  # one bad page never ends the crawl
            self._page_failed(response, repr(exc))
            return
        if result["kind"] == "error":   # failed after its links were read (analyze_page): they are followed
            self._page_failed(response, result["error"])
        if self.requisites.enabled and (result["kind"] in ("article", "error") or response.meta.get("news_start")):
            for request in self.requisites.page_requests(response, result.get("requisites", ()),
                                                         self.parse_requisite, self.requisite_failed):
                yield request
        if result["kind"] == "article" and has_body(result["article"]):
            self.crawler.stats.inc_value("news/articles")
            yield self.make_item(response, result["article"], result["links"])
            return
        if result["kind"] == "article":
            # a live-blog shell or a script-drawn page: no item without a body; its links are followed
            self.crawler.stats.inc_value("news/empty_articles")
            self.logger.debug("article page without body text, not emitted: %s", response.url)
        elif result["kind"] != "error":
            self.crawler.stats.inc_value(f"news/pages/{result['kind']}")
        depth = response.meta.get("depth", 0) + 1
        for request in self._declared_next(response, result.get("next", ()), depth):
            yield request
        for url in result["feeds"]:
            request = self.follow(url, priority=5) if self._first_sighting(url, depth) else None
            if request is not None:
                yield request
        listing = discovery.listing_of(response.url)
        for url in result["links"]:
            next_page = discovery.pagination_number(url) is not None and discovery.listing_of(url) == listing
            if not self._first_sighting(url, depth - 1 if next_page else depth):
                continue
            request = self.follow(url, meta={SAME_DEPTH: True}) if next_page else self.follow(url)
            if request is not None:
                yield request

    def _declared_next(self, response, urls, depth: int):
        """The next page a listing declares with <link rel=next> in its <head> (WordPress,
        Drupal and most CMSs do; some print no "next" link in the page at all): the same
        listing, so no hop (ListingDepthMiddleware), and NEWS_MAX_LISTING_PAGES pages at most
        counted along the chain, whatever its URLs look like (a page number in them or not).
        Only from pages that are not stories: a story is a leaf, its own pages included."""
        page = response.meta.get(LISTING_PAGE) or discovery.pagination_number(response.url) or 1
        for url in urls:
            if page + 1 > self.max_listing_pages:
                self.crawler.stats.inc_value("news/pagination_capped")
                return
            if not self._first_sighting(url, depth - 1):
                continue
            request = self.follow(url, meta={SAME_DEPTH: True, LISTING_PAGE: page + 1})
            if request is not None:
                self.crawler.stats.inc_value("news/declared_next")
                yield request

    def _page_failed(self, response, error: str) -> None:
        self.crawler.stats.inc_value("extract/errors")
        self.logger.warning("extraction failed for %s: %s", response.url, error)
        self.crawler.signals.send_catch_log(page_failed, url=response.url, error=error)

    def parse_requisite(self, response):
        """An image, stylesheet, script or font a page loads: archived already, never
        extracted; a stylesheet is scanned for what it loads in turn."""
        self.requisites.fetched(response)
        yield from self.requisites.stylesheet_requests(response, self.parse_requisite, self.requisite_failed)

    def requisite_failed(self, failure):
        self.requisites.failed(failure)

    def _first_sighting(self, url: str, depth: int) -> bool:
        """False for a link already followed from no deeper a page: the scheduler would drop
        it as a duplicate. Site menus repeat hundreds of links on every listing page, and a
        Request costs far more to build and filter than this lookup."""
        seen = self._link_depths.get(url)
        if seen is not None and seen <= depth:
            return False
        self._link_depths[url] = depth
        return True

    def make_item(self, response, fields: dict, outlinks=None) -> ArticleItem:
        fetched_at = response.meta.get("warc_date") or utc_iso()
        return build_article(fields, url=response.url, fetched_at=fetched_at,
                             warc=response.meta.get("warc"), tracking_params=self.tracking_params,
                             outlinks=outlinks, truncated=response_truncated(response))

    def failed(self, failure):
        request = getattr(failure, "request", None)
        url = getattr(request, "url", "?")
        # RedirectMiddleware drops the hop that used up REDIRECT_MAX_TIMES: a page lost, not a skip.
        redirects_used_up = request is not None and request.meta.get("redirect_ttl") == 0
        if failure.check(IgnoreRequest) and not failure.check(HttpError) and not redirects_used_up:
            # robots.txt disallowed, offsite, incremental skip: by design, not a failure.
            self.logger.debug("not fetched: %s: %s", url, failure.getErrorMessage())
            return
        self.crawler.stats.inc_value("news/failed_requests")
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if failure.check(HttpError) and response is not None \
            else failure.type.__name__
        self.crawler.signals.send_catch_log(fetch_failed, url=url, reason=reason)
        if response is not None and "replay" in (response.flags or []):
            # Replaying someone else's WARC: its archived 404s are its business, counted
            # in the summary and the report, not a warning each.
            self.logger.debug("replayed error response: %s: %s", url, reason)
            return
        # Some errors (ResponseDataLossError) carry no message: name the type then.
        self.logger.warning("fetch failed: %s: %s", url,
                            failure.getErrorMessage() or failure.type.__name__)
