"""What a fetched document is, and which URLs it points to.

Pure functions over bytes (no Scrapy), so the spider stays about scheduling and
the same code can read archived documents.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree

from archives.inflate import inflate_chunks
from crawler.urls import join_url

SITEMAP = "sitemap"
FEED = "feed"
HTML = "html"
OTHER = "other"

_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(urlset|sitemapindex|rss|feed|RDF)\b")
# Parameters and path segments that number a listing's pages (page 7 of /world/). Not `p` (WordPress's
# `?p=123` is a post's id, its pages are `?paged=`) nor `offset`/`start` (an item offset: `?start=40` is
# page 3 of 20 a page): capping those at NEWS_MAX_LISTING_PAGES lost every post past id 20.
_PAGE_PARAMS = ("page", "pg", "paged", "pagina", "seite")
_PAGE_PATH = re.compile(r"/(?:page|seite|pagina)/(\d+)/?$", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
_MAX_SITEMAP_URLS = 50_000             # the sitemaps.org limit per file: more is not a sitemap
_SNIFF_BYTES = 4096                    # what document_kind looks at
# A document type declaration with an internal subset: where XML entities are declared.
# Sitemaps and feeds have no use for one; it is how a billion-laughs bomb or an external
# entity (XXE) gets in, and how `&e;` in a <loc> would become another URL.
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(\[.*?\]\s*)?>", re.IGNORECASE | re.DOTALL)
# A reference to any entity but XML's five and character references: with its declaration
# gone it is undefined, and libxml2 in recovery mode then also drops the `&amp;`s after it.
# It becomes U+E000 (private use), which no URL keeps (see _plain_text).
_CUSTOM_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)[^\s;&<>]{1,100};")
_UNDEFINED = "\ue000"
# A JSON Feed (jsonfeed.org, application/feed+json) names its version first or soon after.
_JSON_FEED = re.compile(rb'\{.{0,2000}?"version"\s*:\s*"https?://jsonfeed\.org/version/', re.DOTALL)


def maybe_gunzip(body: bytes, limit: int = _MAX_SITEMAP_BYTES) -> bytes:
    """Sitemaps are often served as `.xml.gz` files (not Content-Encoding).

    A cut-off or damaged stream gives what inflates before the damage (b"" if nothing
    does): one bad file is a skipped document, not a spider error. At most `limit` bytes
    come out: a gzip bomb is a sitemap cut short."""
    if body[:2] != _GZIP_MAGIC:
        return body
    out = bytearray()
    try:
        for piece in inflate_chunks(body, chunk_size=min(limit, 1 << 16)):  # member after member, like gzip
            out += piece
            if len(out) >= limit:
                break
    except zlib.error:
        pass
    return bytes(out[:limit])


def document_kind(body: bytes, content_type: str = "") -> str:
    """Tell sitemap, feed and HTML apart by the response itself, not the URL."""
    content_type = content_type.lower()
    head = maybe_gunzip(body, _SNIFF_BYTES)[:2048].lstrip()
    match = _XML_ROOT.search(head)
    if match and not re.search(rb"<html\b", head, re.I):
        return SITEMAP if match.group(1) in (b"urlset", b"sitemapindex") else FEED
    if _JSON_FEED.match(head.removeprefix(b"\xef\xbb\xbf")):
        return FEED
    if "html" in content_type or re.search(rb"<(!doctype html|html|head|body)\b", head, re.I):
        return HTML
    return OTHER


def without_doctype(data: bytes) -> bytes:
    """The document with its DOCTYPE (and any entity it declares) removed, and references to
    such entities marked: never expanded (billion laughs), never fetched (XXE)."""
    found = re.search(rb"<!DOCTYPE", data[:65536], re.IGNORECASE)  # before the root element
    if found:
        start = found.start()
        match = _DOCTYPE.match(data, start)
        data = data[:start] + data[match.end():] if match else data[:start]
    if _CUSTOM_ENTITY.search(data) is None:   # the usual case: no copy of a 50 MB sitemap
        return data
    return _CUSTOM_ENTITY.sub(b"&#xE000;", data)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                           remove_comments=True, huge_tree=False, load_dtd=False)


def _parse_xml(body: bytes):
    try:
        return etree.fromstring(without_doctype(maybe_gunzip(body)), parser=_parser())
    except etree.XMLSyntaxError:  # even recover=True gives up on some bytes (e.g. none at all)
        return None


def _plain_text(element) -> str | None:
    """An element's text if it is only text: None when an entity reference or an element
    splits it (`http://&e;/x` must not become `http://`)."""
    if len(element) or (element.text and _UNDEFINED in element.text):
        return None
    return element.text.strip() if element.text else None


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_sitemap(body: bytes, max_age_days: int = 0, now: datetime | None = None,
                  skipped: Counter | None = None, base_url: str | None = None):
    """(is_index, [(url, lastmod_or_None)]); entries older than max_age_days dropped.

    sitemaps.org wants absolute <loc>s, but `/2024/05/story.html` is met on real sites: with
    `base_url` (the sitemap's own URL) it resolves there, as a browser would, instead of
    becoming a URL with no scheme that the crawl drops unseen.

    Read as a stream (each <url> is dropped once read), so a 50 MB sitemap costs its entries,
    not its tree. A <loc> that is not plain text (an entity reference in it) is left out and
    counted in `skipped["entity"]`, everything around it kept; reading stops at the
    sitemaps.org limit of 50,000 entries (`skipped["over_limit"]` = 1)."""
    skipped = skipped if skipped is not None else Counter()
    data = without_doctype(maybe_gunzip(body))
    cutoff = None
    if max_age_days:
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=max_age_days)
    is_index, entries = False, []
    events = etree.iterparse(io.BytesIO(data), events=("start", "end"), recover=True,
                             resolve_entities=False, no_network=True, remove_comments=True,
                             huge_tree=False, load_dtd=False)
    try:
        for event, element in events:
            name = _local(element.tag)
            if event == "start":
                if element.getparent() is None:
                    is_index = name == "sitemapindex"
                continue
            if name not in ("url", "sitemap") or element.getparent() is None \
                    or element.getparent().getparent() is not None:
                continue
            entry = _entry(element, is_index, cutoff, skipped)
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
            if entry is None:
                continue
            if len(entries) >= _MAX_SITEMAP_URLS:
                skipped["over_limit"] += 1   # and the rest is not even parsed: it runs on the reactor
                break
            if base_url:
                entry = (join_url(base_url, entry[0]) or entry[0], entry[1])
            entries.append(entry)
    except etree.XMLSyntaxError:  # what was read before the damage is kept
        pass
    return is_index, entries


def _entry(element, is_index: bool, cutoff, skipped: Counter):
    loc = lastmod = None
    seen_loc = False
    for child in element.iter():
        name = _local(child.tag)
        if name == "loc" and not seen_loc:
            seen_loc = True
            loc = _plain_text(child)
            if loc is None and (len(child) or _UNDEFINED in (child.text or "")):
                skipped["entity"] += 1
                return None
        elif name in ("lastmod", "publication_date") and child.text:
            lastmod = lastmod or child.text.strip()
    if not loc:
        return None
    if cutoff and lastmod and not is_index:
        when = parse_w3c_date(lastmod)
        if when and when < cutoff:
            return None
    return loc, lastmod


def parse_text_sitemap(body: bytes, base_url: str | None = None) -> list[str] | None:
    """The URLs of a text sitemap (sitemaps.org: one URL a line, UTF-8, at most 50,000 of them),
    plain or `.txt.gz`; None when the document is not one: a line that is no absolute http(s) URL
    (so a text page that is not a list of URLs is not read as one), or no URL at all."""
    text = maybe_gunzip(body).decode("utf-8", "replace").lstrip("\ufeff")
    urls = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not re.match(r"https?://[^\s]+$", line, re.IGNORECASE):
            return None
        if len(urls) >= _MAX_SITEMAP_URLS:
            break
        urls.append(join_url(base_url, line) if base_url else line)
    urls = [url for url in urls if url]
    return urls or None


def parse_w3c_date(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_feed(body: bytes, base_url: str) -> list[str]:
    """Item links of an RSS 2.0, RSS 1.0 (RDF), Atom or JSON Feed."""
    if body.lstrip()[:1] == b"{" or body[:4] == b"\xef\xbb\xbf{":
        return _json_feed_links(body, base_url)
    root = _parse_xml(body)
    if root is None:
        return []
    links = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "item":
            for child in element:
                if _local(child.tag) == "link" and _plain_text(child):
                    links.append(join_url(_xml_base(child, base_url), _plain_text(child)))
                    break
            else:
                about = element.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
                guid = _permalink_guid(element)
                if about or guid:
                    links.append(join_url(base_url, about or guid))
        elif name == "entry":
            hrefs = [(c.get("rel") or "alternate", c) for c in element
                     if _local(c.tag) == "link" and c.get("href")]
            chosen = next((c for rel, c in hrefs if rel == "alternate"), hrefs[0][1] if hrefs else None)
            if chosen is not None:
                links.append(join_url(_xml_base(chosen, base_url), chosen.get("href")))
    return [link for link in links if link]


def _json_feed_links(body: bytes, base_url: str) -> list[str]:
    """The items' `url` (their permalinks; `external_url` is what an item links to, not the
    item) of a JSON Feed (1.0 and 1.1), relative ones resolved against the feed's URL. A feed
    that is no JSON object gives nothing; a JSON feed past the sitemap size limit is not read."""
    if len(body) > _MAX_SITEMAP_BYTES:
        return []
    try:
        feed = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return []
    items = feed.get("items") if isinstance(feed, dict) else None
    urls = (item.get("url") for item in items if isinstance(item, dict)) if isinstance(items, list) else ()
    links = (join_url(base_url, url.strip()) for url in urls if isinstance(url, str) and url.strip())
    return [link for link in links if link]


def _permalink_guid(item) -> str | None:
    """An RSS 2.0 item without <link> is still a story when its <guid> is a permalink (the
    spec's default unless isPermaLink="false"; podcast and CMS feeds often give only that).
    Only an absolute http(s) URL: a guid that is a tag or a number names nothing to fetch."""
    for child in item:
        if _local(child.tag) == "guid":
            text = _plain_text(child) or ""
            if (child.get("isPermaLink") or "true").strip().lower() != "false" and re.match(r"https?://", text, re.I):
                return text
    return None


def _xml_base(element, base_url: str) -> str:
    """What a relative link in `element` is relative to: the `xml:base` in force there (Atom
    feeds set one on the feed or the entry, often a folder other than the feed's own, RFC 4287
    section 2), itself resolved against the feed's URL; the feed's URL when there is none."""
    try:
        declared = element.base   # libxml2 resolves nested xml:base attributes against each other
    except ValueError:
        declared = None
    return (join_url(base_url, declared) or base_url) if declared else base_url


def robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """`Sitemap:` lines of a robots.txt (used when robots.txt is not obeyed but still read)."""
    urls = []
    for line in body.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            urls.append(join_url(base_url, value.strip()))
    return [url for url in urls if url]


def _split_page_number(url: str) -> tuple:
    """(url's parts, its path and query pairs without the page number, the page number or
    None): the number is a page segment of the path (`/page/7/`), else the first page
    parameter of the query (`?page=7`)."""
    parts = urlsplit(url)
    path, number = parts.path, None
    match = _PAGE_PATH.search(path)
    if match:
        path, number = path[:match.start()], int(match.group(1))
    pairs = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
    if number is None:
        for i, (key, value) in enumerate(pairs):
            if key.lower() in _PAGE_PARAMS and value.isdigit():
                number = int(value)
                del pairs[i]
                break
    return parts, path, pairs, number


def pagination_number(url: str) -> int | None:
    """The page number a listing URL asks for (`?page=7`, `/page/7/`), if any."""
    return _split_page_number(url)[3]


def listing_of(url: str) -> str:
    """The listing a page of a paginated listing belongs to: its URL without the page number
    (`/world/page/7/` and `/world/?page=7` -> `/world/`); any other URL is its own listing."""
    parts, path, pairs, _number = _split_page_number(url)
    path = path if path.endswith("/") else path + "/"
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, urlencode(pairs), ""))
