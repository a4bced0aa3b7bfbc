"""Request routing for the demo site, independent of the socket layer.

`SiteApp.handle()` maps (method, path, headers) to a `Response`; server.py writes it to the
wire. Faults (redirect chain, once-503, gzip, chunked, windows-1252) and HTTP caching
(ETag / Last-Modified / 304) are decided here so they are the same for every caller.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from .catalog import (ARCHIVE_PAGE_SIZE, FAULTS, REDIRECT_HOP, REDIRECT_START, REMOVED_REASON, REMOVED_STORY,
                      SEED_VARIANTS, SITEMAP_CHUNK, STATIC_PAGES, Catalog)
from .content import SECTIONS, SITE_NAME
from .render import Renderer, esc
from . import stories

STATIC_PAGES_MODIFIED = datetime(2024, 1, 2, tzinfo=timezone.utc)
CACHE_SIZE = 512


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list = field(default_factory=list)
    reason: str | None = None
    chunked: bool = False
    last_modified: datetime | None = None    # set => ETag/Last-Modified and conditional GET apply


def tiny_png(seed: int) -> bytes:
    """A valid 8x8 single-colour PNG; the colour depends on the path so images differ."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rgb = bytes(((seed >> s) & 0xFF for s in (0, 8, 16)))
    raw = b"".join(b"\x00" + rgb * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)


class SiteApp:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._failed_once: set[str] = set()
        self._lock = threading.Lock()
        self._cache: OrderedDict = OrderedDict()

    # --- entry point ------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers) -> Response:
        parts = urlsplit(target)
        path, query = parts.path or "/", parse_qs(parts.query)
        base = "http://" + (headers.get("Host") or "127.0.0.1")
        fault = {k for k in ("once_503", "gzip", "chunked") if path.rstrip("/") == FAULTS[k]}
        if "once_503" in fault:
            with self._lock:
                first = path not in self._failed_once
                self._failed_once.add(path)
            if first:
                return Response(503, b"<html><body><h1>Service Temporarily Unavailable</h1>"
                                     b"<p>Please try again in a moment.</p></body></html>",
                                headers=[("Retry-After", "1"), ("Cache-Control", "no-store")])
        with self.catalog.lock:                 # publish()/edit() never show half-applied
            response = self.route(path, query, base)
        if "gzip" in fault and response.status == 200 and "gzip" in (headers.get("Accept-Encoding") or ""):
            response.body = gzip.compress(response.body, mtime=0)
            response.headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        if response.last_modified is not None:
            response = self.conditional(response, headers)
        if "chunked" in fault and response.status == 200:
            response.chunked = True
        return response

    def conditional(self, response: Response, headers) -> Response:
        etag = '"' + hashlib.sha1(response.body).hexdigest()[:20] + '"'
        last_modified = response.last_modified.replace(microsecond=0)
        response.headers += [("ETag", etag), ("Last-Modified", http_date(last_modified)),
                             ("Cache-Control", "public, max-age=60")]
        if response.status != 200:
            return response
        inm = headers.get("If-None-Match")
        ims = headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            not_modified = "*" in tags or etag in tags
        elif ims:
            try:
                not_modified = last_modified <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                not_modified = False
        if not_modified:
            kept = [(k, v) for k, v in response.headers if k in ("ETag", "Last-Modified", "Cache-Control", "Vary")]
            return Response(304, headers=kept, content_type="")
        return response

    # --- routing ----------------------------------------------------------------------------

    def route(self, path: str, query: dict, base: str) -> Response:
        cat = self.catalog
        if path == REDIRECT_START:
            return Response(301, headers=[("Location", REDIRECT_HOP)], body=b"Moved Permanently")
        if path == REDIRECT_HOP:
            return Response(302, headers=[("Location", base + FAULTS["redirect_chain"]["final"])], body=b"Found")
        if path == REMOVED_STORY:
            return self.not_found(base, reason=REMOVED_REASON)
        if path.startswith("/media/"):
            return Response(200, tiny_png(zlib.crc32(path.encode())), content_type="image/png",
                            last_modified=STATIC_PAGES_MODIFIED)
        article, is_amp = cat.resolve(path, query)
        if article is not None:
            return self.article(article, is_amp, base)
        key = (base, path, tuple(sorted((k, tuple(v)) for k, v in query.items())), cat.version)
        cached = self.cache_get(key)
        if cached is not None:
            return Response(200, cached[0], content_type=cached[1], last_modified=cached[2])
        made = self.render_page(path, query, base)
        if made is None:
            return self.not_found(base)
        if isinstance(made, Response):
            return made
        body, content_type, modified = made
        self.cache_put(key, (body, content_type, modified))
        return Response(200, body, content_type=content_type, last_modified=modified)

    def article(self, article, is_amp, base) -> Response:
        cat = self.catalog
        key = (base, article.path, is_amp, cat.version)
        cached = self.cache_get(key)
        if cached is None:
            text = Renderer(cat, base).article(article, amp=is_amp)
            charset = "windows-1252" if article.style == "cutline" else "utf-8"
            cached = (text.encode(charset), f"text/html; charset={charset}", article.modified)
            self.cache_put(key, cached)
        return Response(200, cached[0], content_type=cached[1], last_modified=cached[2])

    def not_found(self, base, reason=None) -> Response:
        page = Renderer(self.catalog, base).page(
            "Page not found", "  <p>Sorry, we could not find the page you were looking for. It may have been "
            "moved or removed.</p>\n  <p><a href=\"/\">Return to the home page</a></p>", robots="noindex")
        return Response(404, page.encode("utf-8"), reason=reason)

    def cache_get(self, key):
        with self._lock:
            value = self._cache.get(key)
            if value is not None:
                self._cache.move_to_end(key)
            return value

    def cache_put(self, key, value):
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    def render_page(self, path, query, base):
        """Non-article pages: (body bytes, content type, last modified), a Response, or None."""
        cat = self.catalog
        r = Renderer(cat, base)
        html, xml, text = "text/html; charset=utf-8", "application/xml; charset=utf-8", "text/plain; charset=utf-8"
        if path == "/robots.txt":
            return self.robots(base).encode(), text, STATIC_PAGES_MODIFIED
        if path == "/sitemap_index.xml":
            children = [("/sitemap-news.xml", cat.last_modified), ("/sitemap-pages.xml", cat.last_modified)]
            children += [(f"/sitemap-articles-{n}.xml", cat.last_modified)
                         for n in range(1, cat.synthetic_sitemaps() + 1)]
            return r.sitemap_index(children).encode(), xml, cat.last_modified
        if path == "/sitemap-news.xml":
            rows = [(a.path, a.modified, a) for a in cat.sitemap_articles if not a.synthetic]
            return r.urlset(rows, news=True).encode(), xml, cat.last_modified
        if path == "/sitemap-pages.xml":
            rows = [("/", cat.last_modified, None)] + [(f"/{s}/", cat.last_modified, None) for s in SECTIONS]
            rows += [(p, STATIC_PAGES_MODIFIED, None) for p in STATIC_PAGES]
            return r.urlset(rows).encode(), xml, cat.last_modified
        if path.startswith("/sitemap-articles-") and path.endswith(".xml"):
            try:
                n = int(path[len("/sitemap-articles-"):-4])
            except ValueError:
                return None
            synthetic = [a for a in cat.sitemap_articles if a.synthetic]
            chunk = synthetic[(n - 1) * SITEMAP_CHUNK: n * SITEMAP_CHUNK] if n >= 1 else []
            if not chunk:
                return None
            return r.urlset([(a.path, a.modified, a) for a in chunk]).encode(), xml, cat.last_modified
        if path == "/feeds/rss.xml":
            return r.rss(cat.feed_articles).encode(), "application/rss+xml; charset=utf-8", cat.last_modified
        if path == "/feeds/atom.xml":
            return r.atom(cat.feed_articles).encode(), "application/atom+xml; charset=utf-8", cat.last_modified
        if path == "/":
            return self.home(r).encode(), html, cat.last_modified
        if path == "/archive":
            return self.archive(r, query)
        if path in STATIC_PAGES or path.rstrip("/") + "/" in STATIC_PAGES:
            heading = STATIC_PAGES[path.rstrip("/") + "/"]
            content = ("  <p>The Meridian Herald has covered the northern shore since 1887. Our newsroom of 42 "
                       "journalists publishes around the clock.</p>\n  <p>Reach the newsroom at "
                       "news@meridian-herald.invalid.</p>")
            return r.page(heading, content).encode(), html, STATIC_PAGES_MODIFIED
        if path in ("/blog", "/blog/"):
            posts = [a for a in cat.hand_linked if a.section == "blog"]
            return r.listing(path="/blog/", heading="From the Newsroom", items=[r.teaser(a) for a in posts],
                             body_class="blog-index").encode(), html, cat.last_modified
        segments = [s for s in path.split("/") if s]
        if len(segments) == 2 and segments[0] in ("tag", "author"):
            index = cat.by_tag if segments[0] == "tag" else cat.by_author
            if segments[1] not in index:
                return None
            name, items = index[segments[1]]
            heading = name if segments[0] == "tag" else f"Stories by {name}"
            return (r.listing(path=f"/{segments[0]}/{segments[1]}/", heading=heading,
                              items=[r.teaser(a) for a in items], body_class=f"{segments[0]}-page").encode(),
                    html, cat.last_modified)
        if segments and segments[0] in SECTIONS and (len(segments) == 1 or (
                len(segments) == 3 and segments[1] == "page" and segments[2].isdigit())):
            return self.section(r, segments[0], int(segments[2]) if len(segments) == 3 else 1)
        return None

    def robots(self, base) -> str:
        return (f"# robots.txt for {SITE_NAME}\n"
                "User-agent: *\nDisallow: /private/\nDisallow: /search\nDisallow: /account/\nAllow: /\n\n"
                "User-agent: GPTBot\nDisallow: /\n\n"
                f"Sitemap: {base}/sitemap_index.xml\nSitemap: {base}/sitemap-news.xml\n")

    def home(self, r: Renderer) -> str:
        cat = self.catalog
        items = []
        for a in cat.hand_linked:
            href = a.path + SEED_VARIANTS[0] if a.path == stories.LUKASHENKO.path else a.path
            items.append(r.teaser(a, href))
        wire = [a for a in cat.linked if a.synthetic][:20]
        extra = []
        if wire:
            extra.append('  <section class="latest-wire"><h2>Latest from the wire</h2><ul class="story-list">\n'
                         + "\n".join(r.teaser(a) for a in wire) + "\n  </ul></section>")
        extra.append(
            '  <aside class="most-discussed"><h2>Most discussed</h2><ol>'
            f'<li><a href="{esc(stories.LUKASHENKO.path + SEED_VARIANTS[2])}">{esc(stories.LUKASHENKO.title)}</a>'
            ' <span class="comment-count">214 comments</span></li></ol></aside>')
        extra.append(
            '  <aside class="from-the-archives"><h2>From the archives</h2><ul>'
            f'<li><a href="{REDIRECT_START}">Inside the whaling museum&rsquo;s long-awaited restoration</a></li>'
            f'<li><a href="{REMOVED_STORY}">Ministers meet on border crossings</a></li></ul></aside>')
        embargoed = [a for a in cat.linked if a.disallowed]
        if embargoed:
            extra.append('  <aside class="coming-up"><h2>Coming up</h2><ul>' + "".join(
                f'<li><a href="{esc(a.path)}">{esc(a.title)}</a></li>' for a in embargoed) + "</ul></aside>")
        head_links = (f'<link rel="alternate" type="application/rss+xml" title="{esc(SITE_NAME)} RSS" '
                      f'href="{r.abs("/feeds/rss.xml")}">\n<link rel="alternate" type="application/atom+xml" '
                      f'title="{esc(SITE_NAME)} Atom" href="{r.abs("/feeds/atom.xml")}">')
        return r.listing(path="/", heading="Top stories", items=items, extra="\n".join(extra),
                         head_links=head_links, body_class="home",
                         description=f"{SITE_NAME}: news from the northern shore and the world.")

    def section(self, r: Renderer, section: str, page: int):
        cat = self.catalog
        name, size = SECTIONS[section]
        pages = cat.section_pages(section)
        if page < 1 or page > pages:
            return None
        chunk = cat.by_section.get(section, [])[(page - 1) * size: page * size]
        items = [r.teaser(a, a.path + SEED_VARIANTS[1] if a.path == stories.LUKASHENKO.path else None) for a in chunk]
        page_path = lambda n: f"/{section}/" if n == 1 else f"/{section}/page/{n}/"  # noqa: E731
        links = []
        if page > 1:
            links.append(f'<a class="newer" rel="prev" href="{page_path(page - 1)}">Newer stories</a>')
        if page < pages:
            links.append(f'<a class="older" rel="next" href="{page_path(page + 1)}">Older stories</a>')
        pagination = f'  <nav class="pagination">{" ".join(links)} <span>Page {page} of {pages}</span></nav>'
        path = page_path(page)
        return (r.listing(path=path, heading=name, items=items, pagination=pagination,
                          body_class=f"section-{section}").encode(), "text/html; charset=utf-8", cat.last_modified)

    def archive(self, r: Renderer, query):
        """Endless: every page links to the next one and the stories repeat in a cycle."""
        cat = self.catalog
        try:
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            return Response(400, b"<html><body><h1>Bad page number</h1></body></html>")
        if page < 1:
            return None
        pool = [a for a in cat.linked if not a.disallowed]
        start = (page - 1) * ARCHIVE_PAGE_SIZE
        chunk = [pool[(start + i) % len(pool)] for i in range(ARCHIVE_PAGE_SIZE)]
        links = [f'<a class="older" rel="next" href="/archive?page={page + 1}">Older</a>']
        if page > 1:
            links.insert(0, f'<a class="newer" rel="prev" href="/archive?page={page - 1}">Newer</a>')
        pagination = f'  <nav class="pagination">{" ".join(links)} <span>Page {page}</span></nav>'
        return (r.listing(path=f"/archive?page={page}", heading="Archive", items=[r.teaser(a) for a in chunk],
                          pagination=pagination, body_class="archive").encode(), "text/html; charset=utf-8",
                cat.last_modified)
