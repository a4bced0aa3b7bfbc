"""Is a page an article, a listing (section/tag/author/archive/home), or something else?

Runs on every fetched page, so it must stay cheap: declared types, URL shape and a
paragraph-vs-link text count on the parsed tree. No trafilatura here.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml.etree import XPath

from crawler.urls import join_url

from .dates import _PUBLISHED_META as PUBLISHED_META  # the meta names dates.find_dates reads
from .metadata import (ARTICLE_TYPES, LISTING_TYPES, find_authors, first, json_ld_objects, ld_article,
                       ld_types, meta_tags)

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


def text_runs(tree) -> int:
    """Characters in long unlinked text runs: prose kept in <div>/<br> instead of <p>."""
    return sum(len(t.strip()) for t in _LONG_RUNS(tree))


_TEASER_LINKS = XPath("//body//*[self::h2 or self::h3 or self::h4]//a[@href]")


def _teasers(tree, url: str) -> int:
    """Headline links to article-shaped URLs: the repeated unit of a listing page."""
    links = (join_url(url, a.get("href", "")) for a in _TEASER_LINKS(tree))
    return sum(1 for link in links if link and url_kind(link) == "article")


# --- evidence for and against "this page is an article" -------------------------------------
# Long prose alone does not make an article: service, product, documentation and forum pages
# have plenty. What sets a story apart is what it declares about itself (an Article type, a
# publication date, a byline), where it sits (a blog/news section, a dated path), and the
# absence of what the other kinds declare (a Product, a forum thread, a cart). Each signal is
# a point or a few; a page needs a positive balance. Measured on the WCXB development half
# (bench/wcxb.py) and checked on its held-out half.

# JSON-LD main entities of pages that are not stories (a page may also carry an Article: then it is one)
NON_ARTICLE_TYPES = frozenset({
    "product", "productgroup", "qapage", "discussionforumposting", "softwareapplication", "webapplication",
    "mobileapplication", "service", "course", "educationaloccupationalprogram", "itempage", "offercatalog",
    "searchresultspage", "jobposting", "event", "recipe",
})
# path sections that hold stories, and ones that hold docs, threads, shops and services
_STORY_SECTION = re.compile(
    r"^(?:blogs?|articles?|posts?|news|stor(?:y|ies)|insights?|opinions?|columns?|editorials?|(?:19|20)\d\d)$")
_OTHER_SECTION = re.compile(
    r"^(?:docs?|documentation|wiki|reference|api|manual|threads?|t|topic|forums?|community|questions|"
    r"products?|collections|c|itm|shop|store|cart|services?|solutions|category|cat|browse|help|support|faq|"
    r"pricing|features)$")
_DATE_TEXT = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+(?:19|20)\d\d\b|"
    r"\b\d{1,2}\.?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(?:19|20)\d\d\b|"
    r"\b(?:19|20)\d\d-\d\d-\d\d\b|\b\d{1,2}/\d{1,2}/(?:19|20)?\d\d\b",
    re.IGNORECASE,
)
_CART = re.compile(r"add to (?:cart|bag|basket)", re.IGNORECASE)  # no \b: glued markup reads "PackAdd to cartThe"
_DATED_ELEMENTS = XPath('//*[@itemprop="datePublished"]|//time[@datetime]')
_TIMES = XPath("count(//time)")
_CODE_BLOCKS = XPath("count(//pre|//code)")
_FORUM_TIMES = 8       # a thread shows a time per post; a story one or two
_CODE_HEAVY = 20       # code blocks on a documentation page


def _headline_area_text(tree) -> str:
    """Text around the first <h1> (its grandparent block): where a story shows its date."""
    h1 = next(tree.iter("h1"), None)
    if h1 is None:
        return ""
    block = h1.getparent()
    if block is not None and block.getparent() is not None and block.tag not in ("body", "html"):
        block = block.getparent()
    return (block if block is not None else h1).text_content()[:3000]


def article_evidence(tree, url: str, objects: list[dict], metas: dict) -> tuple[int, list[str]]:
    """(points, reasons): declared types, dates, bylines, URL sections and page furniture."""
    points, reasons = 0, []

    def add(n: int, why: str) -> None:
        nonlocal points
        points += n
        reasons.append(why)

    types = set().union(*(ld_types(o) for o in objects)) if objects else set()
    declared_article = bool(types & ARTICLE_TYPES)
    if declared_article:
        add(2, "ld-article")
    elif types & NON_ARTICLE_TYPES:
        add(-3, "ld-other")
    if any(o.get("datePublished") for o in objects) or first(metas, *PUBLISHED_META) or _DATED_ELEMENTS(tree):
        add(2, "date")
    elif _DATE_TEXT.search(_headline_area_text(tree)):
        add(1, "date-text")
    if find_authors(tree, ld_article(objects), metas):
        add(1, "author")
    segments = [s.lower() for s in urlsplit(url).path.split("/") if s]
    sections = segments[:-1]
    if any(_STORY_SECTION.match(s) for s in sections):
        add(2, "story-section")
    if any(_OTHER_SECTION.match(s) for s in sections) or (segments and _OTHER_SECTION.match(segments[0])):
        add(-3, "other-section")
    if url_kind(url) == "article":
        add(1, "url")
    og_type = (first(metas, "og:type") or "").lower()
    if og_type == "article":
        add(1, "og-article")
    elif "product" in og_type or og_type.endswith(":item"):
        add(-3, "og-product")
    if _TIMES(tree) >= _FORUM_TIMES:
        add(-2, "many-times")
    body = tree.find("body")
    if body is not None and _CART.search(body.text_content()):
        add(-2, "cart")
    if _CODE_BLOCKS(tree) >= _CODE_HEAVY and "date" not in reasons:
        add(-1, "code")
    return points, reasons


# prose that reads like a story on its own: this many long paragraphs, this many characters
_STORY_PARAS, _STORY_CHARS = 5, 4000


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
    by_url = url_kind(url)
    long_paras, para_chars = prose(tree)
    has_prose = long_paras >= 3 and para_chars >= 800

    if declared_listing and not declared_article:
        return "listing"
    link_chars = _link_chars(tree)
    story_prose = long_paras >= _STORY_PARAS and para_chars >= _STORY_CHARS and para_chars > link_chars
    if by_url == "listing" and not (declared_article and has_prose and not declared_listing):
        # /archive/2025/12/some-post.html, /topics/x/best-y: a listing-looking path holding a
        # story's prose and a story's signals is a story; the home page never is
        if not (story_prose and urlsplit(url).path.strip("/")):
            return "listing"
    points, _ = article_evidence(tree, url, objects, metas)
    if story_prose:
        points += 1
    if by_url == "listing" and points < 2:
        return "listing"
    # a declared story with no prose in the page (a live-blog shell filled by script) is still an
    # article page: the item rules decide what an empty body gives
    if points >= 1 and (declared_article or long_paras >= 1 or text_runs(tree) >= 200):
        return "article"
    teasers = _teasers(tree, url)
    if teasers >= 2 or (link_chars > 2 * max(para_chars, 1) and len(tree.xpath("//a[@href]")) >= 30):
        return "listing"
    return "other"
