"""What a stylesheet makes the browser load: its `@import`s and `url()`s, found by a scan.

A page requisite is fetched, archived and never parsed (it must not cost the crawl CPU): a
stylesheet is the one kind whose references we need, and a browser resolves them against the
stylesheet's own URL. Two regular expressions over the bytes find them; nothing builds a CSS
tree. Plain module (no Scrapy, no lxml): the crawl process scans fetched stylesheets, the
extraction workers the `<style>` blocks and `style=""` attributes of pages.
"""

from __future__ import annotations

import re

IMAGE, STYLESHEET, SCRIPT, FONT, MEDIA = "image", "stylesheet", "script", "font", "media"

_COMMENT = re.compile(rb"/\*.*?(?:\*/|\Z)", re.S)
# @import "a.css" | @import 'a.css' | @import url(a.css) ; url("x") | url('x') | url(x)
_REF = re.compile(
    rb"""@import\s+(?:url\(\s*)?(?:"([^"\n]*)"|'([^'\n]*)'|([^\s'";)]+))"""
    rb"""|url\(\s*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s'")]*))\s*\)""",
    re.I)
_FONT_EXTENSIONS = (".woff2", ".woff", ".ttf", ".otf", ".eot")
# Not something to fetch: inline data, a fragment of this document (SVG filters), nothing.
_NOT_FETCHED = ("data:", "#", "about:", "javascript:", "blob:")


def url_kind(url: str) -> str:
    """A `url()` target is a font or an image as far as fetching goes; the path tells which."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    return FONT if path.endswith(_FONT_EXTENSIONS) else IMAGE


def css_references(css: bytes | str) -> list[tuple[str, str]]:
    """(reference as written, kind) for each `@import` (STYLESHEET) and `url()` (FONT or
    IMAGE) of a stylesheet, in order, once each; comments, `data:` URIs and `#fragment`
    references left out. Relative references are returned as written: the caller resolves
    them against the stylesheet's URL (or the page's, for inline CSS)."""
    if isinstance(css, str):
        css = css.encode("utf-8", "surrogatepass")
    if b"url(" not in css.lower() and b"@import" not in css.lower():
        return []
    if b"/*" in css:
        css = _COMMENT.sub(b" ", css)
    found: dict[str, str] = {}
    for match in _REF.finditer(css):
        imported = match.group(1) or match.group(2) or match.group(3)
        raw = imported if imported is not None else (match.group(4) or match.group(5) or match.group(6))
        if not raw:
            continue
        ref = raw.decode("utf-8", "replace").strip()
        if not ref or ref.lower().startswith(_NOT_FETCHED):
            continue
        if ref not in found:
            found[ref] = STYLESHEET if imported is not None else url_kind(ref)
    return list(found.items())
