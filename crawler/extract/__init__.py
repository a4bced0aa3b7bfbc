"""HTML + URL -> article fields. Pure functions: no Scrapy, no network, picklable in and out.

The page is decoded and parsed once; metadata, captions and page kind read that tree and
trafilatura gets it directly (it copies before cleaning), so nothing is parsed twice.
`url`, `fetched_at` and `warc` are the crawler's to add.
"""

from __future__ import annotations

from crawler.urls import canonicalize_url

from . import metadata as meta
from .body import trafilatura_body
from .paragraphs import clean_paragraphs
from .captions import find_captions
from .classify import classify_tree
from .html import ExtractionError, hooked_elements, parse_html

__all__ = ["ExtractionError", "extract_article", "page_kind", "classify_and_extract", "classify_and_extract_tree", "parse_html", "EXTRACTED_FIELDS"]

EXTRACTED_FIELDS = (
    "title", "text", "captions", "authors", "published", "modified", "language",
    "site_name", "section", "tags", "description", "top_image", "canonical_url",
)


def page_kind(html: str | bytes, url: str, *, encoding: str | None = None) -> str:
    """'article', 'listing' or 'other'; cheap (no trafilatura), for deciding what to extract."""
    return classify_tree(parse_html(html, encoding), url)


def extract_article(html: str | bytes, url: str, *, encoding: str | None = None) -> dict:
    """All article fields of one page. Raises ExtractionError for input that is not HTML."""
    return _extract_tree(parse_html(html, encoding), url)


def classify_and_extract(html: str | bytes, url: str, *, encoding: str | None = None) -> tuple[str, dict | None]:
    """(page kind, fields or None): one parse for a caller that classifies then extracts."""
    return classify_and_extract_tree(parse_html(html, encoding), url)


def classify_and_extract_tree(tree, url: str) -> tuple[str, dict | None]:
    """classify_and_extract on a tree from `parse_html`, for a caller that reads the same tree
    first (the crawl's link listing, crawler.extraction). Prunes an article's tree in place."""
    objects, metas = meta.json_ld_objects(tree), meta.meta_tags(tree)
    kind = classify_tree(tree, url, objects, metas)
    return kind, (_extract_tree(tree, url, objects, metas) if kind == "article" else None)


def _extract_tree(tree, url: str, objects: list[dict] | None = None, metas: dict | None = None) -> dict:
    objects = meta.json_ld_objects(tree) if objects is None else objects
    article = meta.ld_article(objects)
    metas = meta.meta_tags(tree) if metas is None else metas
    site_names = meta.find_site_names(article, objects, metas)
    title = meta.find_title(tree, article, metas, site_names, url)
    published, modified = meta.find_dates(tree, article, metas, url, objects,
                                          meta.declared_language(tree, article, metas))
    authors = meta.find_authors(tree, article, metas, site_names, url, objects)  # before the body prunes bylines from the tree
    hooked = hooked_elements(tree)
    caption_elements: list = []
    captions = find_captions(tree, url, hooked, caption_elements)
    # last: trafilatura_body prunes captions and widgets from the tree in place
    paragraphs = clean_paragraphs(trafilatura_body(tree, url, hooked, caption_elements), title=title, captions=captions,
                                  authors=authors)
    canonical = meta.find_canonical(tree, metas, url)
    try:
        canonical = canonicalize_url(canonical)
    except ValueError:
        canonical = canonicalize_url(url)
    text = "\n\n".join(paragraphs) or None
    top_image = meta.find_top_image(article, metas, url)
    if top_image is None and captions:
        top_image = next((c["image_url"] for c in captions if c["image_url"]), None)
    return {
        "title": title,
        "text": text,
        "captions": captions,
        "authors": authors,
        "published": published,
        "modified": modified,
        "language": meta.find_language(tree, article, metas, text),
        "site_name": site_names[0] if site_names else None,
        "section": meta.find_section(article, metas),
        "tags": meta.find_tags(article, metas),
        "description": meta.find_description(article, metas),
        "top_image": top_image,
        "canonical_url": canonical,
    }
