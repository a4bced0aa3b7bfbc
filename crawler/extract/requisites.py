"""A page's requisites: what a browser loads to show it (images, stylesheets, scripts, icons).

Read from the page's parsed tree in the extraction worker, before extraction prunes it, so
the crawl process gets a list of URLs and parses nothing. What counts, and why:

- `img`: `src`, every `srcset` candidate, and the lazy-loading attributes real sites put the
  real picture in (`data-src`, `data-srcset`, `data-lazy-src`, `data-lazy-srcset`,
  `data-original`); `picture > source` `srcset` / `data-srcset`; `input type=image`.
  Every srcset candidate, the largest included, not only the largest: a browser picks one by
  viewport width and pixel density, and a replay in another window or on another screen asks
  for another one, which would be missing.
- `noscript` fallbacks: libxml2 parses their markup as elements, so the `img` rules see them;
  a `noscript` left as text (in `<head>`) is parsed on its own.
- `link`: `rel=stylesheet` (not alternate ones, which browsers do not load), icons
  (`icon`, `shortcut icon`, `apple-touch-icon`, `mask-icon`), `preload` with `as=image|style|script|font`.
- `script src`, `video poster`, and the `url()` / `@import` of `<style>` blocks and `style=""`
  attributes (crawler.cssrefs).
- `video` / `audio` `src` and their `source` / `track` children (MEDIA): a browser asks for
  them as the page loads (for the first frame and the duration), so a replay without them
  shows a failed request; REQUISITES_MAX_SIZE keeps a long film out.

Not requisites: links, iframes (pages of their own).
"""

from __future__ import annotations

from lxml import etree
from lxml.html import fromstring as html_fromstring

from crawler.cssrefs import FONT, IMAGE, MEDIA, SCRIPT, STYLESHEET, css_references
from crawler.urls import join_url

_BASE_HREF = etree.XPath("string(//base/@href)", smart_strings=False)
_ELEMENTS = etree.XPath(
    "//img|//picture/source|//input[@type='image' or @type='IMAGE']|//link[@href or @imagesrcset]"
    "|//script[@src]|//video|//audio|//video/source|//audio/source|//video/track|//audio/track"
    "|//style|//*[@style]|//noscript", smart_strings=False)
_IMG_SRC_ATTRS = ("src", "data-src", "data-lazy-src", "data-original")
_SRCSET_ATTRS = ("srcset", "data-srcset", "data-lazy-srcset")
_ICON_RELS = {"icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}
_PRELOAD_KINDS = {"image": IMAGE, "style": STYLESHEET, "script": SCRIPT, "font": FONT}
_NOT_FETCHED = ("data:", "#", "javascript:", "about:", "blob:", "mailto:")


def srcset_candidates(value: str) -> list[tuple[str, str]]:
    """(url, descriptor) pairs of a srcset, split as the HTML standard says: a URL runs to the
    next whitespace (so image-CDN URLs with commas in them, `w_300,h_200`, stay whole), a
    trailing comma ends it, and a descriptor runs to the next comma outside parentheses."""
    out, pos, n = [], 0, len(value)
    while True:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        if pos >= n:
            return out
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url, descriptor = value[start:pos], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start, depth = pos, 0
            while pos < n and not (value[pos] == "," and depth == 0):
                depth += {"(": 1, ")": -1 if depth else 0}.get(value[pos], 0)
                pos += 1
            descriptor = value[start:pos].strip()
        if url:
            out.append((url, descriptor))


def page_requisites(tree, base_url: str) -> list[tuple[str, str]]:
    """(absolute URL, kind) of each requisite of a parsed page, once each, in document order;
    kind is one of crawler.cssrefs IMAGE, STYLESHEET, SCRIPT, FONT."""
    base = _BASE_HREF(tree).strip()
    base_url = (join_url(base_url, base) if base else None) or base_url
    found: dict[str, str] = {}

    def add(ref, kind):
        ref = (ref or "").strip()
        if ref and not ref.lower().startswith(_NOT_FETCHED):
            url = join_url(base_url, ref)
            if url and url.startswith(("http://", "https://")):
                found.setdefault(url, kind)

    def add_srcset(value):
        for url, _descriptor in srcset_candidates(value or ""):
            add(url, IMAGE)

    _collect(_ELEMENTS(tree), add, add_srcset)
    return list(found.items())


def _collect(elements, add, add_srcset) -> None:
    for el in elements:
        tag = el.tag if isinstance(el.tag, str) else ""
        get = el.get
        if tag == "img" or tag == "input":
            for attr in _IMG_SRC_ATTRS:
                add(get(attr), IMAGE)
            for attr in _SRCSET_ATTRS:
                if get(attr):
                    add_srcset(get(attr))
        elif tag == "source" or tag == "track":
            for attr in _SRCSET_ATTRS:
                if get(attr):
                    add_srcset(get(attr))
            parent = el.getparent()
            if parent is not None and parent.tag in ("video", "audio"):
                add(get("src"), MEDIA)
        elif tag == "link":
            rels = set((get("rel") or "").lower().split())
            if "stylesheet" in rels and "alternate" not in rels:
                add(get("href"), STYLESHEET)
            elif rels & _ICON_RELS:
                add(get("href"), IMAGE)
            elif rels & {"preload", "modulepreload"}:
                kind = SCRIPT if "modulepreload" in rels else _PRELOAD_KINDS.get((get("as") or "").lower())
                if kind == IMAGE and get("imagesrcset"):
                    add_srcset(get("imagesrcset"))
                elif kind:
                    add(get("href"), kind)
        elif tag == "script":
            add(get("src"), SCRIPT)
        elif tag == "video" or tag == "audio":
            add(get("poster"), IMAGE)
            add(get("src"), MEDIA)
        elif tag == "style":
            for ref, kind in css_references(el.text or ""):
                add(ref, kind)
        elif tag == "noscript":
            text = el.text or ""
            if "<" in text:     # kept as text (noscript in <head>): parse the fallback markup
                try:
                    fallback = html_fromstring(text)
                except (etree.ParserError, ValueError):
                    fallback = None
                if fallback is not None:
                    _collect(_ELEMENTS(fallback), add, add_srcset)
        if tag != "style" and "url(" in (get("style") or ""):
            for ref, kind in css_references(get("style")):
                add(ref, kind)
