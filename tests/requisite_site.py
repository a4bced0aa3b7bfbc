"""A small news site whose pages load their requisites every way real sites do, and its CDN.

Two real HTTP servers on 127.0.0.1 (ephemeral ports): the site, and a second one playing the
image/script CDN. Every request is recorded per server. `EXPECTED` lists, by hand, what each
page loads, so tests compare the crawl against this and not against the code under test.

    python -m tests.requisite_site      # serve it, print the URLs (Ctrl-C stops)
"""

from __future__ import annotations

import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid, solid-colour PNG (no imaging library needed): browsers decode it, so a replayed
    <img> of it has a naturalWidth."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


STORIES = {
    "harbour": ("The council voted on Tuesday to widen the harbour road after a year of complaints from "
                "residents, shop owners and the bus company, who said the narrow stretch caused daily delays."),
    "ferry": ("Morning ferries to the island will leave twenty minutes earlier from January, the operator said, "
              "after tide tables forced three cancellations during the autumn storms and angered commuters."),
    "lighthouse": ("Volunteers spent four weekends scraping rust and salt from the old lighthouse before giving "
                   "it two coats of white paint, the first since the keeper's cottage became a museum in 1998."),
}


def _body(slug: str) -> str:
    words = STORIES[slug].split()
    # Each paragraph a different rotation of the story's words: prose-like, and unlike the other stories.
    return "".join(f"<p>{' '.join(words[i:] + words[:i])} {' '.join(words[:i + 5])}.</p>\n" for i in range(8))


def _article(title: str, slug: str, extra: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Harbour News</title>
<meta property="og:type" content="article">
<link rel="stylesheet" href="/static/site.css">
<link rel="icon" href="/static/favicon.png" type="image/png">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "{title}", "datePublished": "2026-12-01T08:00:00Z",
 "author": {{"@type": "Person", "name": "A. Reporter"}}}}</script>
<style>.masthead {{ background: url("/static/masthead.png") no-repeat; }}</style>
</head><body>
<header class="masthead"><img src="/static/logo.png" alt="Harbour News" width="120" height="30"></header>
<nav><a href="/">Home</a></nav>
<article><h1>{title}</h1>
{extra}
{_body(slug)}
</article>
<footer>Harbour News</footer>
</body></html>"""


def pages(cdn: str) -> dict[str, str]:
    """Path -> HTML; `cdn` is the CDN's origin (http://127.0.0.1:PORT)."""
    one = _article("Harbour road to be widened", "harbour", f"""
<figure><img src="{cdn}/img/harbour-600.png" alt="The road"
  srcset="{cdn}/img/harbour-300.png 300w, {cdn}/img/w_600,h_400/harbour.png 600w, {cdn}/img/harbour-1200.png 1200w"
  sizes="(max-width: 600px) 300px, 600px" width="600" height="400">
<figcaption>The road. Photo: P. Grapher</figcaption></figure>
<picture>
  <source type="image/png" srcset="{cdn}/img/pier-1x.png 1x, {cdn}/img/pier-2x.png 2x">
  <img src="{cdn}/img/pier.png" alt="The pier" width="300" height="200">
</picture>
<img class="lazy" src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
  data-src="{cdn}/img/lazy-bus.png" data-srcset="{cdn}/img/lazy-bus.png 1x, {cdn}/img/lazy-bus-2x.png 2x"
  alt="A bus" width="300" height="200">
<img class="lazy" src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
  data-lazy-src="{cdn}/img/lazy-shop.png" alt="A shop" width="300" height="200">
<noscript><img src="{cdn}/img/noscript-fallback.png" alt="fallback"></noscript>
<video poster="{cdn}/img/poster.png" width="320" height="180" controls></video>
<div class="banner" style="background-image: url('{cdn}/img/banner.png'); width: 300px; height: 40px"></div>
<script src="{cdn}/js/lazy.js"></script>
""")
    two = _article("Ferry timetable changes", "ferry", f"""
<figure><img src="{cdn}/img/ferry.png" alt="The ferry" width="400" height="300">
<figcaption>The ferry.</figcaption></figure>
""")
    blocked = _article("Lighthouse repainted", "lighthouse", f"""
<img src="{cdn}/private/lighthouse.png" alt="Disallowed by the CDN's robots.txt" width="50" height="50">
<img src="/static/missing.png" alt="A 404, an HTML error page" width="50" height="50">
<img src="/static/moved.png" alt="Moved permanently" width="50" height="50">
""")
    home = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour News</title>
<link rel="stylesheet" href="/static/site.css"><link rel="icon" href="/static/favicon.png" type="image/png">
</head><body><header class="masthead"><img src="/static/logo.png" alt="Harbour News" width="120" height="30"></header>
<h1>Latest</h1><ul>
<li><a href="/news/2026/12/01/harbour-road">Harbour road to be widened</a></li>
<li><a href="/news/2026/12/02/ferry-timetable">Ferry timetable changes</a></li>
<li><a href="/news/2026/12/03/lighthouse">Lighthouse repainted</a></li>
</ul></body></html>"""
    return {"/": home, "/news/2026/12/01/harbour-road": one, "/news/2026/12/02/ferry-timetable": two,
            "/news/2026/12/03/lighthouse": blocked}


SITE_CSS = b"""@import url("%(cdn)s/css/fonts.css");
/* url(/static/commented-out.png) is not loaded */
body { font-family: Harbour, serif; background: #fff url(img/paper.png); }
.icon { background-image: url('../static/icons/arrow.png'); width: 16px; height: 16px; }
"""
# Relative to the CDN stylesheet's own URL (/css/fonts.css), not to the page.
FONTS_CSS = b"""@font-face { font-family: Harbour; src: url(../fonts/harbour.woff2) format("woff2"); }
.banner { background-color: #eee; }
"""
# What a lazy-loading library does: copies data-src / data-lazy-src / data-srcset into place.
LAZY_JS = b"""document.querySelectorAll('img.lazy').forEach(function (img) {
  if (img.dataset.srcset) img.srcset = img.dataset.srcset;
  img.src = img.dataset.src || img.dataset.lazySrc;
});
"""
FONT = b"wOF2" + bytes(60)      # a font file's bytes as far as archiving goes (never decoded here)

# Requisites per page, by hand: ("site" | "cdn", path).
_COMMON = [("site", "/static/site.css"), ("site", "/static/favicon.png"), ("site", "/static/masthead.png"),
           ("site", "/static/logo.png")]
EXPECTED = {
    "/news/2026/12/01/harbour-road": _COMMON + [
        ("cdn", p) for p in ("/img/harbour-600.png", "/img/harbour-300.png", "/img/w_600,h_400/harbour.png",
                             "/img/harbour-1200.png", "/img/pier-1x.png", "/img/pier-2x.png", "/img/pier.png",
                             "/img/lazy-bus.png", "/img/lazy-bus-2x.png", "/img/lazy-shop.png",
                             "/img/noscript-fallback.png", "/img/poster.png", "/img/banner.png", "/js/lazy.js")],
    "/news/2026/12/02/ferry-timetable": _COMMON + [("cdn", "/img/ferry.png")],
    "/news/2026/12/03/lighthouse": _COMMON + [("cdn", "/private/lighthouse.png"), ("site", "/static/missing.png"),
                                              ("site", "/static/moved.png")],
    "/": [("site", "/static/site.css"), ("site", "/static/favicon.png"), ("site", "/static/logo.png")],
}
# What the stylesheets load, by hand: site.css (on the site) and the fonts.css it imports (CDN).
EXPECTED_FROM_CSS = {
    ("site", "/static/site.css"): [("cdn", "/css/fonts.css"), ("site", "/static/img/paper.png"),
                                   ("site", "/static/icons/arrow.png")],
    ("cdn", "/css/fonts.css"): [("cdn", "/fonts/harbour.woff2")],
}
REDIRECTS = {"/static/moved.png": "/static/new-place.png"}     # 301s, on the site
ROBOTS_SITE = b"User-agent: *\nDisallow: /private/\n"
ROBOTS_CDN = b"User-agent: *\nDisallow: /private/\n"


class _Server:
    def __init__(self, routes_for, redirects=None):
        self.requests: list[str] = []
        self.redirects = redirects or {}
        self._routes_for = routes_for
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                owner.requests.append(self.path)
                found = owner._routes_for().get(self.path)
                status, ctype, body = (200, *found) if found else (404, "text/html", b"<h1>Not found</h1>")
                if self.path in owner.redirects:
                    status, ctype, body = 301, "text/html", b"<a href=%s>moved</a>" % owner.redirects[self.path].encode()
                self.send_response(status)
                if status == 301:
                    self.send_header("Location", owner.redirects[self.path])
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=3600")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass        # a crawler cutting a body short (REQUISITES_MAX_SIZE) is expected

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RequisiteSite:
    """The site and its CDN, started together: `with RequisiteSite() as site: site.url("/")`."""

    def __init__(self):
        self.site = _Server(lambda: self._site_routes, REDIRECTS)
        self.cdn = _Server(lambda: self._cdn_routes)
        cdn = self.cdn.origin
        html = "text/html; charset=utf-8"
        self._site_routes = {path: (html, body.encode("utf-8")) for path, body in pages(cdn).items()}
        self._site_routes.update({
            "/robots.txt": ("text/plain", ROBOTS_SITE),
            "/static/site.css": ("text/css", SITE_CSS % {b"cdn": cdn.encode()}),
            "/static/favicon.png": ("image/png", png(16, 16, (200, 30, 30))),
            "/static/masthead.png": ("image/png", png(40, 10, (20, 20, 120))),
            "/static/logo.png": ("image/png", png(120, 30, (10, 10, 10))),
            "/static/img/paper.png": ("image/png", png(8, 8, (250, 250, 240))),
            "/static/icons/arrow.png": ("image/png", png(16, 16, (0, 120, 0))),
            "/static/new-place.png": ("image/png", png(50, 50, (0, 0, 200))),
        })
        self._cdn_routes = {
            "/robots.txt": ("text/plain", ROBOTS_CDN),
            "/css/fonts.css": ("text/css; charset=utf-8", FONTS_CSS),
            "/fonts/harbour.woff2": ("font/woff2", FONT),
            "/js/lazy.js": ("application/javascript", LAZY_JS),
            "/private/lighthouse.png": ("image/png", png(50, 50, (255, 255, 0))),
        }
        for i, (_, path) in enumerate(p for p in EXPECTED["/news/2026/12/01/harbour-road"] + EXPECTED[
                "/news/2026/12/02/ferry-timetable"] if p[0] == "cdn" and p[1].startswith("/img/")):
            self._cdn_routes[path] = ("image/png", png(30 + i, 20 + i, (i * 15 % 256, 90, 160)))

    def url(self, path: str) -> str:
        return self.site.origin + path

    def absolute(self, where: str, path: str) -> str:
        return (self.site if where == "site" else self.cdn).origin + path

    def body(self, where: str, path: str) -> bytes:
        return (self._site_routes if where == "site" else self._cdn_routes)[path][1]

    def __enter__(self):
        self.site.start()
        self.cdn.start()
        return self

    def __exit__(self, *exc):
        self.site.stop()
        self.cdn.stop()


if __name__ == "__main__":
    import time

    with RequisiteSite() as served:
        print("site:", served.url("/"), " cdn:", served.cdn.origin, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
