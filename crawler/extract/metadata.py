"""Article metadata besides title, authors and dates: language, tags, section, description,
top image, canonical URL. The other finders live in their own modules (jsonld, metatags, titles,
authors, dates); the names other modules import from here are re-exported below.
"""

from __future__ import annotations

import re

from crawler.urls import join_url

from .authors import clean_authors, find_authors  # noqa: F401  (re-exported)
from .dates import find_dates, iso_date, iso_utc  # noqa: F401
from .html import squash
from .jsonld import (ARTICLE_TYPES, LISTING_TYPES, json_ld_objects, ld_article, ld_image,  # noqa: F401
                     ld_names, ld_str, ld_types)
from .metatags import first, meta_tags  # noqa: F401
from .titles import find_site_names, find_title, strip_site_suffix  # noqa: F401


def declared_language(tree, article: dict | None, metas: dict) -> str | None:
    """The language the page declares (<html lang>, meta, JSON-LD), as an ISO 639 code."""
    candidates = [tree.get("lang"), tree.get("xml:lang"), first(metas, "content-language", "og:locale", "language")]
    if article:
        candidates.append(ld_str(article.get("inLanguage")))
    for value in candidates:
        if value:
            code = re.split(r"[-_]", value.strip())[0].lower()
            if 2 <= len(code) <= 3 and code.isalpha():
                return code
    return None


def find_language(tree, article: dict | None, metas: dict, text: str | None = None) -> str | None:
    """Declared language (declared_language), else detected from `text`."""
    code = declared_language(tree, article, metas)
    if code is None and text and len(text) >= 40:
        return detect_language(text)
    return code


_CLD2_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # it rejects these as "invalid UTF-8"
_LEGACY_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv"}  # CLD2 still uses the withdrawn ones


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's main language, by CLD2 (pycld2), or None.

    CLD2's tables live in its shared library (~2 MB, shared by every extraction worker);
    py3langid loads a 74 MB model into each process. On the 223 pages of the shared article
    corpus both give the same language for every extracted body."""
    import pycld2

    try:
        _reliable, _size, guesses = pycld2.detect(_CLD2_UNSAFE.sub("", text[:3000]))
    except pycld2.error:
        return None
    code = guesses[0][1].split("-")[0]
    return None if code == "un" else _LEGACY_CODES.get(code, code)



_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def find_tags(article: dict | None, metas: dict) -> list[str]:
    tags = [t for value in metas.get("article:tag", []) for t in value.split(",")]
    if not tags and article:
        keywords = article.get("keywords")
        if isinstance(keywords, str):
            tags = keywords.split(",")
        elif isinstance(keywords, list):
            tags = [k for k in keywords if isinstance(k, str)]
    if not tags:
        for key in ("news_keywords", "keywords"):
            if metas.get(key):
                tags = metas[key][0].split(",")
                break
    out, seen = [], set()
    for tag in tags:
        tag = squash(tag)
        if tag and tag.lower() not in seen and len(tag) < 100 and not _UUID.match(tag):
            seen.add(tag.lower())
            out.append(tag)
    return out


def find_section(article: dict | None, metas: dict) -> str | None:
    section = first(metas, "article:section", "section", "parsely-section", "category")
    if not section and article:
        section = ld_str(article.get("articleSection"))
    return squash(section) or None


def find_description(article: dict | None, metas: dict) -> str | None:
    value = first(metas, "og:description", "description", "twitter:description")
    if not value and article:
        value = ld_str(article.get("description"))
    return squash(value) or None


def find_top_image(article: dict | None, metas: dict, base_url: str) -> str | None:
    value = first(metas, "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
    if not value and article:
        value = ld_image(article.get("image"))
    return join_url(base_url, value) if value else None


def find_canonical(tree, metas: dict, url: str) -> str:
    for link in tree.iterfind(".//link[@rel]"):
        if "canonical" in link.get("rel", "").lower().split() and link.get("href"):
            return join_url(url, link.get("href").strip()) or url
    og_url = first(metas, "og:url")
    if og_url and og_url.startswith(("http://", "https://", "/")):
        return join_url(url, og_url) or url
    return url
