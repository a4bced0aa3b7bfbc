"""Is a page an article, a listing (section/tag/author/archive/home), or something else?

Runs on every fetched page, so it must stay cheap (~10 ms a page, a fifth of trafilatura's
extraction): a weighted sum of named evidence read from the parsed tree, its declared metadata and
its URL (`article_evidence`), plus the gates no evidence overrides (a home page, a declared
collection). No trafilatura here.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

from lxml.etree import XPath

from crawler.urls import join_url

from .authors import AUTHOR_META  # the meta names authors.find_authors reads
from .boilerplate import WIDE_SCRIPT, prose_paragraphs
from .dates import _PUBLISHED_META as PUBLISHED_META  # the meta names dates.find_dates reads
from .html import following
from .metadata import ARTICLE_TYPES, LISTING_TYPES, first, json_ld_objects, ld_article, ld_types, meta_tags

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


# a query naming one item by its number at the site's root: WordPress's plain permalinks
# (/?p=4711, /?page_id=12) and the id-in-query URLs of other CMSs; a tracking or language
# parameter (/?srsltid=..., /?lang=en) leaves the root the home page
_ITEM_QUERY = re.compile(r"(?:^|&)(?:p|page_id|id|story|article|post|postid|nid)=\d+(?:&|$)", re.IGNORECASE)


def is_home(url: str) -> bool:
    """The site's home page: the root path, with no query naming one item (_ITEM_QUERY)."""
    parts = urlsplit(url)
    return not parts.path.strip("/") and not _ITEM_QUERY.search(parts.query)


def url_kind(url: str) -> str | None:
    """What the URL shape alone says: 'listing', 'article' or None (no opinion)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    segments = [s for s in path.split("/") if s]
    if not segments:
        return "listing" if is_home(url) else None
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


def prose(tree, paragraphs: list[tuple] | None = None) -> tuple[int, int]:
    """(long paragraphs, their characters): boilerplate.prose_paragraphs, <p> of 80+ characters,
    less than half link text (`paragraphs`: that list, if the caller has it). Article bodies are
    long unlinked prose."""
    paragraphs = prose_paragraphs(tree) if paragraphs is None else paragraphs
    return len(paragraphs), sum(n for _, n in paragraphs)


# each text node under a link, asked of the text nodes: "//a//text()" merges one node-set per
# link, quadratic in the links (a page of 100,000 links: ~10 s against 0.08 s)
_LINK_TEXTS = XPath("//text()[ancestor::a]", smart_strings=False)


def _link_chars(tree) -> int:
    """Characters of link text; one XPath instead of text_content() on each of a page's
    hundreds of links (whitespace is stripped per text node, not per link)."""
    return sum(len(text.strip()) for text in _LINK_TEXTS(tree))


_LONG_RUNS = XPath(
    "//body//text()[string-length(normalize-space(.)) >= 80]"
    "[not(ancestor::a or ancestor::script or ancestor::style or ancestor::noscript)]"
)


def text_runs(tree, skip=None) -> int:
    """Characters in long unlinked text runs: prose kept in <div>/<br> instead of <p>; with
    `skip` (element -> bool), not those of the elements it answers True for."""
    runs = _LONG_RUNS(tree)
    if skip is not None:
        runs = [t for t in runs if not skip(t.getparent())]
    return sum(len(t.strip()) for t in runs)


_TEASER_LINKS = XPath("//body//*[self::h2 or self::h3 or self::h4]//a[@href]")


def _teasers(tree, url: str) -> int:
    """Headline links to article-shaped URLs: the repeated unit of a listing page."""
    links = (join_url(url, a.get("href", "")) for a in _TEASER_LINKS(tree))
    return sum(1 for link in links if link and url_kind(link) == "article")


# --- evidence for and against "this page is an article" -------------------------------------
# Long prose alone does not make an article: service, product, documentation and forum pages
# have plenty. What sets a story apart is what it declares about itself (an Article type, a
# byline), where it sits (a news section, a dated path), how its text is laid out (one block of
# prose, opened by a lede under the headline, with its subheads inside it) and the absence of what
# the other kinds are built from (offers and prices, calls to action, code listings, a post and a
# date per user, menus of sibling pages, fields to fill in) and the presence of what stories carry
# (share buttons, a sentence for a headline). Each piece of evidence is one feature in [0, 1]; the
# page's score is their weighted sum (a logistic model). The weights were fitted on the WCXB
# development half only and checked on its held-out half (bench/fit_recognition.py refits and
# prints them); no feature reads a site's class names or strings.

# JSON-LD main entities of pages that are not stories (a page may also carry an Article: then it
# is one). TechArticle is schema.org's type for how-tos and specifications: documentation.
NON_ARTICLE_TYPES = frozenset({
    "product", "productgroup", "qapage", "discussionforumposting", "softwareapplication", "webapplication",
    "mobileapplication", "service", "course", "educationaloccupationalprogram", "itempage", "offercatalog",
    "searchresultspage", "jobposting", "event", "recipe", "techarticle", "aboutpage", "contactpage", "checkoutpage",
})
_STORY_TYPES = ARTICLE_TYPES - NON_ARTICLE_TYPES
# path sections that hold stories, and ones that hold docs, threads, shops and services
_STORY_SECTION = re.compile(
    r"^(?:blogs?|articles?|posts?|news|stor(?:y|ies)|insights?|opinions?|columns?|editorials?|(?:19|20)\d\d)$")
_OTHER_SECTION = re.compile(
    r"^(?:docs?|documentation|wiki|reference|api|manual|threads?|t|topic|forums?|community|questions|comments|"
    r"discussions?|products?|collections|c|itm|shop|store|cart|services?|solutions|category|cat|browse|help|"
    r"support|faq|pricing|features)$")
# the scripts of forum software (phpBB, vBulletin, Discuz, IPB): a thread whatever its folder
_FORUM_SCRIPT = re.compile(r"^(?:viewtopic|showthread|showtopic|viewthread|forumdisplay)\.\w+$")
# a site's own furniture, named by web convention: policies, about/contact, FAQ, help, search, sign-in
_SITE_PAGE = re.compile(
    r"^(?:privacy|data[-_]?protection|datenschutz(?:erklaerung)?|cookies?|terms|terms[-_]of[-_](?:use|service|sale)|tos|"
    r"legal|imprint|impressum|"
    r"mentions[-_]?legales|disclaimer|accessibility|about|about[-_]?us|who[-_]?we[-_]?are|contact|contact[-_]?us|"
    r"kontakt|faqs?|frequently[-_]?asked[-_]?questions|help|search|suche|login|log[-_]?in|sign[-_]?in|register|"
    r"sign[-_]?up|subscribe|careers|jobs)$")
# ... and a short name ending in what such pages are: "cookies-policy", "accessibility-statement",
# "code-of-conduct", "terms-and-conditions" (a story's slug is longer: its headline)
_SITE_PAGE_END = re.compile(
    r"^(?:[a-z]+[-_]){0,3}(?:polic(?:y|ies)|notice|statement|conduct|conditions|guidelines|terms)$")
_SEARCH_QUERY = re.compile(r"(?:^|&)(?:q|s|query|search|keywords?)=", re.IGNORECASE)
_DATE_TEXT = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+(?:19|20)\d\d\b|"
    r"\b\d{1,2}\.?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(?:19|20)\d\d\b|"
    r"\b(?:19|20)\d\d-\d\d-\d\d\b|\b\d{1,2}/\d{1,2}/(?:19|20)?\d\d\b",
    re.IGNORECASE,
)
_AGO = r"\b\d+\s+(?:minutes?|hours?|days?|weeks?|months?|years?)\s+ago\b"
_DATE_LINE = re.compile(f"{_DATE_TEXT.pattern}|{_AGO}", re.IGNORECASE)
# matched in the lower-cased text (a case-blind search costs ~5x); no \b: glued markup reads "PackAdd to cartThe"
_CART = re.compile(r"add to (?:cart|bag|basket)")
_PRICE = re.compile(r"[$€£¥]\s?\d")  # a price's currency sign (tried only where str.find finds one: _prices)
_DATED_ELEMENTS = XPath('//*[@itemprop="datePublished"]|//time[@datetime]')
_TIMES = XPath("count(//time)")
_PRE_BLOCKS = XPath("count(//pre)")
_ARTICLE_ELEMENTS = XPath("count(//article)")
_MENU_LINKS = XPath("count(//nav//a|//aside//a)")
_MENU_HREFS = XPath("//nav//a/@href|//header//a/@href", smart_strings=False)
# buttons, and links dressed as buttons (the "btn"/"button"/"cta" class conventions of CSS kits)
_BUTTONS = XPath('count(//button|//a[contains(@class, "btn") or contains(@class, "button") or contains(@class, "cta")])')
_DIGIT = re.compile(r"[0-9]")
_UNREAD = frozenset({"script", "style"})
_FORUM_TIMES = 8       # a thread shows a time per post; a story one or two
# share buttons: links to the big networks' share intents (their URL conventions, not a site's
# class names); a story asks to be passed on, a service, product or docs page rarely does
_SHARE_INTENT = re.compile(r"facebook\.com/sharer|twitter\.com/intent|x\.com/intent|linkedin\.com/share|"
                           r"pinterest\.com/pin/create|reddit\.com/submit|mailto:\?|api\.whatsapp\.com/send|wa\.me/\?")
_HREFS = XPath("//a/@href", smart_strings=False)  # a regex over the hrefs: half the time of nine contains() in XPath
# <code> spans: documentation names identifiers in running text, a story (even a tech story) seldom
_CODE_SPANS = XPath("count(//code)")
# fields a reader fills in (quote, booking, sign-up, filter forms), a site search box left out:
# service, product and listing pages ask for input, a story only for a newsletter address
_FORM_FIELDS = XPath(
    "count(//input[not(@type) or @type='text' or @type='email' or @type='tel' or @type='number' or @type='date']"
    "[not(ancestor::form[@role='search' or contains(@action, 'search')])]|//textarea|//select)")
# a link to the writer's page: rel=author (HTML's link type) or an /author/ archive (the CMS convention)
_AUTHOR_LINKS = XPath("count(//a[@rel='author' or contains(@href, '/author/')])")
# "By Ann Lee" (and the same word in German, French, Spanish, Italian, Dutch, Scandinavian): a byline
_BY_NAME = re.compile(r"(?:^|\s)(?:[Bb]y|[Vv]on|[Pp]ar|[Pp]or|[Dd]i|[Dd]oor|[Aa]v|[Aa]f):?\s+[A-ZÀ-ÖØ-Þ][\w'’.-]+\s+[A-ZÀ-ÖØ-Þ]")


def _headline_area_text(tree) -> str:
    """Text around the first <h1> (its grandparent block): where a story shows its date."""
    h1 = next(tree.iter("h1"), None)
    if h1 is None:
        return ""
    block = h1.getparent()
    if block is not None and block.getparent() is not None and block.tag not in ("body", "html"):
        block = block.getparent()
    return " ".join((block if block is not None else h1).itertext())[:3000]  # spaced: "bridge" + "By Ann" stay apart


def _prose_layout(paragraphs: list[tuple]) -> tuple[int, int]:
    """(characters of long unlinked paragraphs, subheads inside the block holding most of them).
    A story's paragraphs sit in one container with its h2/h3s; a service or product page spreads
    short blocks over many sections, each under its own heading."""
    blocks: dict = {}
    total = 0
    for p, n in paragraphs:
        total += n
        parent = p.getparent()
        blocks[parent] = blocks.get(parent, 0) + n
    if not blocks:
        return 0, 0
    main = max(blocks, key=blocks.get)
    subheads = sum(1 for child in main if child.tag in ("h2", "h3", "h4"))
    return total, subheads


def _short_texts(tree):
    """The body's text nodes under 80 characters that hold a digit, outside script and style:
    an element's text and its tail (a text node of its parent), read from lxml's tree instead of
    an XPath over text(), which builds a string for every text node of the page (~3x the time)."""
    for body in tree.iter("body"):
        for element in body.iter():
            if isinstance(element.tag, str) and element.tag not in _UNREAD:
                text = element.text
                if text and len(text) < 80 and _DIGIT.search(text):
                    yield text
            tail = element.tail
            if tail and element is not body and len(tail) < 80 and _DIGIT.search(tail) \
                    and element.getparent().tag not in _UNREAD:
                yield tail


def _lede_chars(tree) -> int:
    """Characters of long paragraphs between the first <h1> and the first subhead."""
    chars = 0
    for element in following(next(tree.iter("h1"), None), "p", "h2", "h3"):  # lazily: the lede is the first few
        if element.tag != "p":
            break
        n = len(element.text_content().strip())
        if n >= 80:
            chars += n
    return chars


def _date_lines(tree) -> int:
    """Short text nodes that are dates ("Mar 5, 2024", "3 days ago"): one per post in a thread,
    one per teaser in a listing, one or two in a story."""
    return sum(1 for text in _short_texts(tree) if len(text.strip()) < 60 and _DATE_LINE.search(text))


def _prices(text: str) -> int:
    """Prices in `text` (_PRICE's matches, which cannot overlap): each currency sign found by
    str.find and the pattern tried there, ~6x faster than a regex scan of the whole body text."""
    count = 0
    for sign in "$€£¥":
        at = text.find(sign)
        while at >= 0:
            count += _PRICE.match(text, at) is not None
            at = text.find(sign, at + 1)
    return count


def _headline_words(tree, metas: dict) -> int:
    """Words in the page's headline (its first <h1>, else og:title), two CJK characters counting
    as one word: a story's headline is a sentence, a service's or a product's a name."""
    h1 = next(tree.iter("h1"), None)
    text = h1.text_content() if h1 is not None else (first(metas, "og:title") or "")
    return len(text.split()) + len(WIDE_SCRIPT.findall(text)) // 2


def _credited(tree, objects: list[dict], metas: dict, headline_area: str) -> bool:
    """Whether the page credits a writer: its story object's author, an author meta tag, a link
    to an author's page or a "By Name" line by the headline. Cheaper than the byline search that
    authors.find_authors runs for the item (~4 ms a page over the whole tree, and it also finds a
    site owner's copyright line on service pages)."""
    article = ld_article(objects)
    if article and (article.get("author") or article.get("creator")):
        return True
    return (any(metas.get(key) for key in AUTHOR_META) or bool(_AUTHOR_LINKS(tree))
            or bool(_BY_NAME.search(headline_area)))


def _in_menu(tree, url: str) -> bool:
    """The site's menu links to this very page: menus list a site's sections, services, products
    and docs; a story is reached from listings, never from the menu."""
    here = urlsplit(url)
    path = here.path.rstrip("/")
    if not path:
        return False
    for href in _MENU_HREFS(tree):
        href = href.strip()
        if not href or href.startswith("#") or path not in href:
            continue  # cheap test first: the path must appear in the href
        link = urlsplit(join_url(url, href) or "")
        if link.path.rstrip("/") == path and link.netloc == here.netloc:
            return True
    return False


def _site_page_name(name: str) -> bool:
    return bool(_SITE_PAGE.match(name) or _SITE_PAGE_END.match(name))


def _log(value: float, scale: float) -> float:
    """log(1 + value) / log(1 + scale): counts that matter by their order of magnitude, ~1 at `scale`."""
    return math.log1p(value) / math.log1p(scale)


def recognition_features(tree, url: str, objects: list[dict], metas: dict,
                         paragraphs: list[tuple] | None = None) -> dict[str, float]:
    """The evidence, by name: 0/1 flags, and counts on a log scale (~1 at a typical large value).
    `paragraphs`: the page's boilerplate.prose_paragraphs, if the caller has them."""
    types = set().union(*(ld_types(o) for o in objects)) if objects else set()
    story_type = bool(types & _STORY_TYPES)
    parts = urlsplit(url)
    segments = [s.lower() for s in parts.path.split("/") if s]
    sections = segments[:-1]
    og_type = (first(metas, "og:type") or "").lower()
    kind = url_kind(url)
    body = tree.find("body")
    body_text = body.text_content() if body is not None else ""
    declared_date = bool(any(o.get("datePublished") for o in objects) or first(metas, *PUBLISHED_META)
                         or _DATED_ELEMENTS(tree))
    prose_chars, subheads = _prose_layout(prose_paragraphs(tree) if paragraphs is None else paragraphs)
    headline_area = _headline_area_text(tree)
    return {
        "ld-article": float(story_type),
        "ld-other": float(bool(types & NON_ARTICLE_TYPES) and not story_type),
        "og-article": float(og_type == "article"),
        "og-product": float("product" in og_type or og_type.endswith(":item")),
        "date": float(declared_date or bool(_DATE_TEXT.search(headline_area))),
        "author": float(_credited(tree, objects, metas, headline_area)),
        "url-article": float(kind == "article"),
        "url-listing": float(kind == "listing"),
        "story-section": float(any(_STORY_SECTION.match(s) for s in sections)),
        "other-section": float(any(_OTHER_SECTION.match(s) for s in sections)
                               or bool(segments and (_OTHER_SECTION.match(segments[0])
                                                     or _FORUM_SCRIPT.match(segments[-1])))),
        "site-page": float(bool(segments and _site_page_name(segments[-1].rsplit(".", 1)[0]))
                           or bool(_SEARCH_QUERY.search(parts.query))),
        "in-menu": float(_in_menu(tree, url)),
        "many-times": float(_TIMES(tree) >= _FORUM_TIMES),
        "date-lines": _log(_date_lines(tree), 20),
        "cart": float(bool(_CART.search(body_text.lower()))),
        "prices": _log(_prices(body_text), 50),
        "code": _log(_PRE_BLOCKS(tree), 20),
        "prose": _log(prose_chars, 3000),
        "lede": _log(_lede_chars(tree), 3000),
        "headed-body": _log(subheads, 20),
        "buttons": _log(_BUTTONS(tree), 50),
        "one-article-element": float(_ARTICLE_ELEMENTS(tree) == 1),
        "menus": _log(_MENU_LINKS(tree), 150),
        "share": _log(sum(1 for href in _HREFS(tree) if _SHARE_INTENT.search(href)), 5),
        "code-spans": _log(_CODE_SPANS(tree), 50),
        "form-fields": _log(_FORM_FIELDS(tree), 10),
        "headline-words": min(_headline_words(tree, metas), 20) / 10,
    }


# Fitted by bench/fit_recognition.py on the WCXB development half (L2-regularised logistic
# regression, rounded to 0.1); the bias puts the threshold where 98.5% of the dev articles pass.
# "site-page" is set by hand (the development pages hold almost none: see FIXED there). Read as:
# a declared story type, a news section or subheads inside one block of prose each outweigh the
# bias; a forum/product type, a docs/shop section or code listings each sink a page. "menus" is
# positive: a big section menu is what news and magazine sites carry, a product or service
# page's menu is short. Share buttons are the strongest structural sign of a story; <code> spans
# (documentation) the strongest against. `--cv` there picked the features and the penalty.
WEIGHTS = {
    "ld-article": 2.0, "ld-other": -4.9, "og-article": 1.0, "og-product": -2.4, "date": 0.4, "author": 0.9,
    "url-article": 0.8, "url-listing": -1.4, "story-section": 2.9, "other-section": -2.8, "site-page": -5.0,
    "in-menu": -1.1, "many-times": -1.8, "date-lines": -0.2, "cart": -2.4, "prices": -0.7, "code": -0.7,
    "prose": 1.6, "lede": 0.7, "headed-body": 2.1, "buttons": -1.1, "one-article-element": 1.1, "menus": 0.6,
    "share": 3.4, "code-spans": -2.1, "form-fields": -0.3, "headline-words": 0.9,
}
BIAS = -0.98


def article_evidence(tree, url: str, objects: list[dict], metas: dict,
                     paragraphs: list[tuple] | None = None) -> tuple[float, list[str]]:
    """(score, reasons): the weighted evidence (> 0: an article) and the features that moved it,
    strongest first, signed ("+lede", "-code")."""
    features = recognition_features(tree, url, objects, metas, paragraphs)
    parts = {name: WEIGHTS.get(name, 0.0) * value for name, value in features.items()}
    reasons = [f"{'+' if v > 0 else '-'}{name}" for name, v in sorted(parts.items(), key=lambda kv: -abs(kv[1]))
               if abs(v) >= 0.05]
    return BIAS + sum(parts.values()), reasons


def _declared(objects: list[dict]) -> tuple[bool, bool]:
    """(declares a story with a headline, body or date; declares a collection/list/search page)."""
    declared_article = declared_listing = False
    for obj in objects:
        types = ld_types(obj)
        if types & ARTICLE_TYPES and (obj.get("headline") or obj.get("articleBody") or obj.get("datePublished")):
            declared_article = True
        if types & LISTING_TYPES:
            declared_listing = True
    return declared_article, declared_listing


def _can_be_article(tree, url: str, declared_article: bool, declared_listing: bool, long_paras: int) -> bool:
    """The gates no evidence overrides: a declared collection and the home page (a story always
    has a path of its own) are listings; a page needs prose, or must declare a story (a live-blog
    shell filled by script is still an article page: the item rules decide what an empty body
    gives)."""
    if declared_listing and not declared_article or is_home(url):
        return False
    return declared_article or long_paras >= 1 or text_runs(tree) >= 200


def recognition_gate(tree, url: str, objects: list[dict]) -> bool:
    """Whether a positive score would make this page an article (for refitting the weights on the
    pages the score actually decides: bench/fit_recognition.py)."""
    return _can_be_article(tree, url, *_declared(objects), prose(tree)[0])


def classify_tree(tree, url: str, objects: list[dict] | None = None, metas: dict | None = None) -> str:
    """`objects`/`metas`: the page's JSON-LD objects and meta tags, if the caller has them."""
    objects = json_ld_objects(tree) if objects is None else objects
    declared_article, declared_listing = _declared(objects)
    if declared_listing and not declared_article or is_home(url):
        return "listing"
    metas = meta_tags(tree) if metas is None else metas
    paragraphs = prose_paragraphs(tree)   # walked once for the score's layout and the gate's prose
    score, _ = article_evidence(tree, url, objects, metas, paragraphs)
    long_paras, para_chars = prose(tree, paragraphs)
    if score > 0 and _can_be_article(tree, url, declared_article, declared_listing, long_paras):
        return "article"
    if url_kind(url) == "listing" or _teasers(tree, url) >= 2 or (
            _link_chars(tree) > 2 * max(para_chars, 1) and len(tree.xpath("//a[@href]")) >= 30):
        return "listing"
    return "other"
