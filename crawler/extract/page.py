"""What an extraction worker runs on one HTML response: parse it once, list its links,
classify it, and extract the article (article pages only; a listing is never extracted).

Bytes in, plain data out, and no Scrapy or Twisted imports: this module is what the pool's
workers run (through crawler.extraction.worker; crawler.extraction.preload has it in the forkserver
already), and importing Scrapy there cost each worker ~24 MB and a second of CPU per pool start.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree

from crawler.urls import join_url, link_url

from . import classify_and_extract_tree
from .html import parse_page
from .requisites import page_requisites

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
               "application/feed+json", "application/xml", "text/xml")
_SKIPPED_HREFS = ("#", "javascript:", "mailto:", "tel:", "data:")
# Plain strings, not lxml "smart" ones that keep a link to their element: a page has hundreds.
_BASE_HREF = etree.XPath("string(//base/@href)", smart_strings=False)
_HREFS = etree.XPath("//a/@href|//area/@href", smart_strings=False)
_FEEDS = etree.XPath("//link[@href][contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]")
# <link rel=next>: the page after this one, as CMSs declare their pagination in <head> (WordPress,
# Drupal, Yoast); rel is a list of case-blind tokens
_NEXT = etree.XPath("//link[@href][contains(concat(' ', translate(normalize-space(@rel), 'NEXT', 'next'), ' '),"
                    " ' next ')]/@href", smart_strings=False)


# Site menus (the hits) fit many times over; links seen once would only fill a larger one.
@lru_cache(maxsize=1 << 12)
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


def _media_type(value: str | None) -> str:
    """A type attribute's media type, its parameters left out: "application/rss+xml;
    charset=utf-8" is an RSS feed (RFC 9110 8.3.1: parameters follow a ';', case-blind type)."""
    return (value or "").split(";", 1)[0].strip().lower()


def _page_joiner(tree, base_url: str):
    base = _BASE_HREF(tree).strip()
    return _joiner((join_url(base_url, base) if base else None) or base_url)


def declared_next(tree, base_url: str, charset: str = "utf-8") -> list[str]:
    """The next page(s) the page declares with <link rel=next> (absolute, written as tree_links
    writes links; <a rel=next> is one of its links already)."""
    join = _page_joiner(tree, base_url)
    found = (join(href.strip()) for href in _NEXT(tree) if href.strip())
    found = (url if url is None or url.isascii() else link_url(url, charset) for url in found)
    return list(dict.fromkeys(url for url in found if url))


def tree_links(tree, base_url: str, charset: str = "utf-8") -> tuple[list[str], list[str]]:
    """(links, feeds) of a parsed page: absolute hrefs of <a>/<area> once each in document
    order, and the feeds named by <link rel=alternate>; written as a browser requests them
    from a page in `charset` (crawler.urls.link_url)."""
    join = _page_joiner(tree, base_url)
    links: dict[str, None] = {}
    for href in _HREFS(tree):
        href = href.strip()
        if href and not href.startswith(_SKIPPED_HREFS):
            links[join(href)] = None
    links.pop(None, None)
    feeds = [join(link.get("href").strip()) for link in _FEEDS(tree) if _media_type(link.get("type")) in _FEED_TYPES]
    if not all(map(str.isascii, links)) or not all(feed is None or feed.isascii() for feed in feeds):
        links = dict.fromkeys(link_url(link, charset) for link in links)
        links.pop(None, None)
        feeds = [link_url(feed, charset) if feed else None for feed in feeds]
    return list(links), [feed for feed in feeds if feed]


def analyze_page(body: bytes, url: str, encoding: str | None) -> dict:
    """Parse once; list the links and requisites, classify, and extract only if the page is
    an article.

    Links and requisites are read first: extraction prunes widgets (related-story boxes) from
    the tree. A page that fails in classification or extraction (an exception of trafilatura's on
    markup it cannot handle, a bug of ours) still gives them, with kind "error" and the failure as
    "error": the crawl counts the page failed and follows its links (a start page that failed would
    otherwise end the crawl with nothing)."""
    tree, charset = parse_page(body, encoding)
    links, feeds = tree_links(tree, url, charset)
    found = {"links": links, "feeds": feeds, "next": declared_next(tree, url, charset),
             "requisites": page_requisites(tree, url)}
    try:
        kind, article = classify_and_extract_tree(tree, url)
    except Exception as exc:    # the page is archived and counted; its links are still worth following
        return {"kind": "error", "error": repr(exc), "article": None, **found}
    return {"kind": kind, "article": article, **found}
