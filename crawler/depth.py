"""Link depth in which the next pages of a listing are not one more hop."""

from __future__ import annotations

from scrapy.spidermiddlewares.depth import DepthMiddleware

# Request meta key the spider sets on a link to page N of the listing its page is part of.
SAME_DEPTH = "news_same_depth"


class ListingDepthMiddleware(DepthMiddleware):
    """Scrapy's DepthMiddleware, except a request marked SAME_DEPTH gets its page's depth, not one more.

    DEPTH_LIMIT (5) counted each "next page" as a hop: a section linked from the home page
    showed its pages 2 to 5 of the NEWS_MAX_LISTING_PAGES (20) the README promises, and a story
    linked only from page 6 on was never found. The spider marks only a page number of the
    listing the page itself is (`/world/` -> `/world/page/7/`), and page numbers past
    NEWS_MAX_LISTING_PAGES are never followed, so pagination stays bounded; any other link,
    and what a listing page links to, still counts.
    """

    def get_processed_request(self, request, response):
        if response is None or not request.meta.pop(SAME_DEPTH, False):
            return super().get_processed_request(request, response)
        depth = response.meta["depth"]
        request.meta["depth"] = depth
        if self.prio:
            request.priority -= depth * self.prio
        return request
