"""<meta> tags (OpenGraph, Twitter cards, Dublin Core, CMS-specific names) as one lookup."""

from __future__ import annotations

import html

from .html import squash


def meta_tags(tree) -> dict[str, list[str]]:
    """All <meta> name/property/itemprop -> contents (lowercased keys, order kept)."""
    metas: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if content is None:
            continue
        content = squash(html.unescape(content) if "&" in content else content)  # double-escaped CMS output
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                metas.setdefault(key.strip().lower(), []).append(content)
    return metas


def first(metas: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        values = metas.get(key)
        if values:
            return values[0]
    return None


