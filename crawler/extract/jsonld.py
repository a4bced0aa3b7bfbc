"""JSON-LD: the typed objects a page declares (schema.org Article, Organization, ...).

What the publisher declares about a page is cheap to read and, where present, what they meant;
every metadata finder reads these objects before looking at markup.
"""

from __future__ import annotations

import html
import json

from .html import squash

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle", "blogposting",
    "liveblogposting", "socialmediaposting", "scholarlyarticle", "techarticle", "report",
})
LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})


def _walk_ld(node, out):
    if isinstance(node, list):
        for item in node:
            _walk_ld(item, out)
    elif isinstance(node, dict):
        if "@type" in node:
            out.append(node)
        graph = node.get("@graph")
        if graph is not None:
            _walk_ld(graph, out)
        main = node.get("mainEntity")
        if isinstance(main, (dict, list)):
            _walk_ld(main, out)


def json_ld_objects(tree) -> list[dict]:
    """Every typed object in the page's JSON-LD blocks (broken blocks skipped)."""
    out: list[dict] = []
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            # common breakage: trailing semicolon or HTML comment wrappers
            raw = raw.strip().strip(";").replace("<!--", "").replace("-->", "")
            try:
                data = json.loads(raw, strict=False)
            except (ValueError, RecursionError):
                continue
        _walk_ld(data, out)
    return out


def ld_types(obj: dict) -> set[str]:
    types = obj.get("@type")
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list):
        return set()
    return {t.rsplit("/", 1)[-1].lower() for t in types if isinstance(t, str)}


def ld_article(objects: list[dict]) -> dict | None:
    """The article object: the first Article-like one, the one with a headline preferred."""
    candidates = [o for o in objects if ld_types(o) & ARTICLE_TYPES]
    for obj in candidates:
        if obj.get("headline") or obj.get("articleBody"):
            return obj
    return candidates[0] if candidates else None


def ld_str(value) -> str | None:
    """The text of a JSON-LD value (a string, the first of a list, an object's name); entities
    left escaped by the CMS ("&#8217;", "&amp;") are decoded."""
    if isinstance(value, str):
        if "&" in value and ";" in value:
            value = html.unescape(value)
        return squash(value) or None
    if isinstance(value, list):
        return _first_of(value, ld_str)
    if isinstance(value, dict):
        return ld_str(value.get("name") or value.get("@value") or value.get("url"))
    return None


def _first_of(values: list, read):
    """The first item of a JSON-LD list `read` gets something from."""
    for item in values:
        found = read(item)
        if found:
            return found
    return None


def ld_names(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, list):
            return [n for n in name if isinstance(n, str)]
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        names = []
        for item in value:
            names.extend(ld_names(item))
        return names
    return []


def ld_image(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return _first_of(value, ld_image)
    if isinstance(value, dict):
        return ld_image(value.get("url") or value.get("contentUrl"))
    return None
