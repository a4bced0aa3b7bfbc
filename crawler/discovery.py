"""What a fetched document is, and which URLs it points to.

Pure functions over bytes (no Scrapy), so the spider stays about scheduling and
the same code can read archived documents.
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from crawler.urls import join_url

SITEMAP = "sitemap"
FEED = "feed"
HTML = "html"
OTHER = "other"

_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(urlset|sitemapindex|rss|feed|RDF)\b")
_PAGE_PARAMS = ("page", "p", "pg", "paged", "pagina", "seite", "offset", "start")
_PAGE_PATH = re.compile(r"/(?:page|p|seite|pagina)/(\d+)/?$", re.IGNORECASE)
_GZIP_MAGIC = b"\x1f\x8b"
_MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed


def maybe_gunzip(body: bytes) -> bytes:
    """Sitemaps are often served as `.xml.gz` files (not Content-Encoding).

    A cut-off or damaged stream gives what inflates before the damage (b"" if nothing
    does): one bad file is a skipped document, not a spider error."""
    if body[:2] != _GZIP_MAGIC:
        return body
    out, data = bytearray(), body
    try:
        while data and len(out) < _MAX_SITEMAP_BYTES:  # one member after another, like gzip
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += inflater.decompress(data, _MAX_SITEMAP_BYTES - len(out))
            if not inflater.eof:
                break
            data = inflater.unused_data
    except zlib.error:
        pass
    return bytes(out)


def document_kind(body: bytes, content_type: str = "") -> str:
    """Tell sitemap, feed and HTML apart by the response itself, not the URL."""
    content_type = content_type.lower()
    head = maybe_gunzip(body[:_MAX_SITEMAP_BYTES])[:2048].lstrip()
    match = _XML_ROOT.search(head)
    if match and not re.search(rb"<html\b", head, re.I):
        return SITEMAP if match.group(1) in (b"urlset", b"sitemapindex") else FEED
    if "html" in content_type or re.search(rb"<(!doctype html|html|head|body)\b", head, re.I):
        return HTML
    return OTHER


def _parse_xml(body: bytes):
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                             remove_comments=True, huge_tree=False)
    try:
        return etree.fromstring(maybe_gunzip(body), parser=parser)
    except etree.XMLSyntaxError:  # even recover=True gives up on some bytes (e.g. none at all)
        return None


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_sitemap(body: bytes, max_age_days: int = 0, now: datetime | None = None):
    """(is_index, [(url, lastmod_or_None)]); entries older than max_age_days dropped."""
    root = _parse_xml(body)
    if root is None:
        return False, []
    is_index = _local(root.tag) == "sitemapindex"
    cutoff = None
    if max_age_days:
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=max_age_days)
    entries = []
    for element in root:
        if _local(element.tag) not in ("url", "sitemap"):
            continue
        loc = lastmod = None
        for child in element.iter():
            name = _local(child.tag)
            if name == "loc" and loc is None and child.text:
                loc = child.text.strip()
            elif name in ("lastmod", "publication_date") and child.text:
                lastmod = lastmod or child.text.strip()
        if not loc:
            continue
        if cutoff and lastmod and not is_index:
            when = parse_w3c_date(lastmod)
            if when and when < cutoff:
                continue
        entries.append((loc, lastmod))
    return is_index, entries


def parse_w3c_date(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_feed(body: bytes, base_url: str) -> list[str]:
    """Item links of an RSS 2.0, RSS 1.0 (RDF) or Atom feed."""
    root = _parse_xml(body)
    if root is None:
        return []
    links = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "item":
            for child in element:
                if _local(child.tag) == "link" and child.text and child.text.strip():
                    links.append(join_url(base_url, child.text.strip()))
                    break
            else:
                about = element.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
                if about:
                    links.append(join_url(base_url, about))
        elif name == "entry":
            hrefs = [(c.get("rel") or "alternate", c.get("href")) for c in element
                     if _local(c.tag) == "link" and c.get("href")]
            chosen = next((h for rel, h in hrefs if rel == "alternate"), hrefs[0][1] if hrefs else None)
            if chosen:
                links.append(join_url(base_url, chosen))
    return [link for link in links if link]


def robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """`Sitemap:` lines of a robots.txt (used when robots.txt is not obeyed but still read)."""
    urls = []
    for line in body.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            urls.append(join_url(base_url, value.strip()))
    return [url for url in urls if url]


def pagination_number(url: str) -> int | None:
    """The page number a listing URL asks for (`?page=7`, `/page/7/`), if any."""
    parts = urlsplit(url)
    match = _PAGE_PATH.search(parts.path)
    if match:
        return int(match.group(1))
    for key, value in parse_qsl(parts.query):
        if key.lower() in _PAGE_PARAMS and value.isdigit():
            return int(value)
    return None
