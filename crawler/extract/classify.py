"""Is a page an article, a listing (section/tag/author/archive/home), or something else?

Runs on every fetched page, so it must stay cheap: declared types, URL shape and a
paragraph-vs-link text count on the parsed tree. No trafilatura here.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml.etree import XPath

from crawler.urls import join_url

from .metadata import ARTICLE_TYPES, LISTING_TYPES, first, json_ld_objects, ld_types, meta_tags

# path segments that name a listing: /tag/x, /topics/x, /author/x, /page/2, /archive/2023 ...
_LISTING_SEGMENT = re.compile(
    r"^(?:tags?|topics?|themen|thema|categor(?:y|ies)|section|sections|rubri[ck]|ressort|authors?|autor(?:en)?|"
    r"auteurs?|writers?|contributors?|people|profiles?|staff|archives?|archiv|search|suche|page|seite|feeds?|"
    r"latest|sitemap)$",
    re.IGNORECASE,
)
_DATE_PATH = re.compile(r"/(?:19|20)\d{2}[/-](?:0?[1-9]|1[0-2])(?:[/-](?:0?[1-9]|[12]\d|3[01]))?(?:/|-)")
_COMPACT_DATE = re.compile(r"(?:^|[^\d])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[^\d]|$)")
_ARTICLE_ID = re.compile(r"(?:^|[^\d])\d{5,}(?:[^\d]|$)|[.-][0-9a-f]{8}-[0-9a-f]{4}-|\.html?$|\.s?html$")


def _slug_words(segment: str) -> int:
    return len([w for w in re.split(r"[-_]+", segment) if w.isalpha() and len(w) > 1])


def url_kind(url: str) -> str | None:
    """What the URL shape alone says: 'listing', 'article' or None (no opinion)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    segments = [s for s in path.split("/") if s]
    if not segments:
        return "listing"  # the home page
    if len(segments) > 1 and re.match(r"^(?:index|default|story|article)\.\w+$", segments[-1], re.IGNORECASE):
        segments = segments[:-1]  # /2019/11/18/politics/some-story/index.html
        path = "/" + "/".join(segments)
    if any(_LISTING_SEGMENT.match(s) for s in segments[:-1]) or _LISTING_SEGMENT.match(segments[-1].split(".")[0]):
        # /page/2 of a section, /tag/x; but /news/2023/05/some-long-slug-with-tag is an article
        last = segments[-1]
        if not (_slug_words(last) >= 5 and (_DATE_PATH.search(path + "/") or _ARTICLE_ID.search(last))):
            return "listing"
    if _DATE_PATH.search(path + "/") and segments and _slug_words(segments[-1]) >= 2:
        return "article"
    last = segments[-1]
    if _slug_words(last) >= 4 or (_ARTICLE_ID.search(last) and (_slug_words(last) >= 1 or re.search(r"\d{6,}", last))) or _COMPACT_DATE.search(last):
        return "article"
    if re.search(r"[?&](?:page|p)=\d+", parts.query or ""):
        return "listing"
    return None


def prose(tree) -> tuple[int, int]:
    """(long paragraphs, their characters): <p> of 80+ characters, less than half link text.
    Article bodies are long unlinked prose."""
    long_paras = para_chars = 0
    for p in tree.iter("p"):
        n = len(p.text_content().strip())
        if n >= 80:
            linked = sum(len(a.text_content()) for a in p.iter("a"))
            if linked < n / 2:
                long_paras += 1
                para_chars += n
    return long_paras, para_chars


_LINK_TEXTS = XPath("//a//text()", smart_strings=False)


def _link_chars(tree) -> int:
    """Characters of link text; one XPath instead of text_content() on each of a page's
    hundreds of links (whitespace is stripped per text node, not per link)."""
    return sum(len(text.strip()) for text in _LINK_TEXTS(tree))


_LONG_RUNS = XPath(
    "//body//text()[string-length(normalize-space(.)) >= 80]"
    "[not(ancestor::a or ancestor::script or ancestor::style or ancestor::noscript)]"
)


def _text_runs(tree) -> int:
    """Characters in long unlinked text runs: prose kept in <div>/<br> instead of <p>."""
    return sum(len(t.strip()) for t in _LONG_RUNS(tree))


_TEASER_LINKS = XPath("//body//*[self::h2 or self::h3 or self::h4]//a[@href]")


def _teasers(tree, url: str) -> int:
    """Headline links to article-shaped URLs: the repeated unit of a listing page."""
    links = (join_url(url, a.get("href", "")) for a in _TEASER_LINKS(tree))
    return sum(1 for link in links if link and url_kind(link) == "article")


def classify_tree(tree, url: str, objects: list[dict] | None = None, metas: dict | None = None) -> str:
    """`objects`/`metas`: the page's JSON-LD objects and meta tags, if the caller has them."""
    objects = json_ld_objects(tree) if objects is None else objects
    declared_article = declared_listing = False
    for obj in objects:
        types = ld_types(obj)
        if types & ARTICLE_TYPES and (obj.get("headline") or obj.get("articleBody") or obj.get("datePublished")):
            declared_article = True
        if types & LISTING_TYPES:
            declared_listing = True
    metas = meta_tags(tree) if metas is None else metas
    og_type = (first(metas, "og:type") or "").lower()
    by_url = url_kind(url)
    long_paras, para_chars = prose(tree)
    has_prose = long_paras >= 3 and para_chars >= 800

    if by_url == "listing" and not (declared_article and has_prose and not declared_listing):
        return "listing"
    if declared_listing and not declared_article:
        return "listing"
    if declared_article:
        return "article"
    if og_type == "article" and (has_prose or by_url == "article"):
        return "article"
    # an article-shaped URL with a big "more stories" block stays an article: the teaser count
    # only decides for URLs that say nothing
    teasers = _teasers(tree, url) if by_url != "article" else 0
    if teasers >= 3 and long_paras < teasers:
        return "listing"
    link_chars = _link_chars(tree)  # only the rules below need it
    if has_prose and para_chars > link_chars * 0.5:
        return "article"
    if by_url == "article" and (long_paras >= 2 or _text_runs(tree) >= 1000):
        return "article"
    if teasers >= 2 or (link_chars > 2 * max(para_chars, 1) and len(tree.xpath("//a[@href]")) >= 30):
        return "listing"
    return "other"
