"""Article metadata from what the page declares: JSON-LD, OpenGraph/meta tags, markup.

Declared metadata is cheap to read and, where present, what the publisher meant; heuristics
(trafilatura's author/title finders, htmldate) are only the fallback.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timezone

from lxml.etree import XPath

from crawler.urls import join_url

from .html import element_text, squash

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle", "blogposting",
    "liveblogposting", "socialmediaposting", "scholarlyarticle", "techarticle", "report",
})
LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})


# --- JSON-LD -------------------------------------------------------------------------------

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


def _ld_str(value) -> str | None:
    if isinstance(value, str):
        return squash(value) or None
    if isinstance(value, list):
        for item in value:
            text = _ld_str(item)
            if text:
                return text
    if isinstance(value, dict):
        return _ld_str(value.get("name") or value.get("@value") or value.get("url"))
    return None


def _ld_names(value) -> list[str]:
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
            names.extend(_ld_names(item))
        return names
    return []


def _ld_image(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        for item in value:
            found = _ld_image(item)
            if found:
                return found
    if isinstance(value, dict):
        return _ld_image(value.get("url") or value.get("contentUrl"))
    return None


# --- meta tags ----------------------------------------------------------------------------

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


# --- dates --------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISOISH = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?",
    re.IGNORECASE,
)


def iso_utc(value: str | None) -> str | None:
    """'2023-02-28T10:15:00+01:00' -> '2023-02-28T09:15:00Z'; '2023-02-28' stays a date.

    A time without zone is taken as UTC (the page said nothing better)."""
    if not value or not isinstance(value, str):
        return None
    match = _ISOISH.search(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        if hour is None:
            return datetime(int(year), int(month), int(day)).strftime("%Y-%m-%d")
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    if zone and zone.upper() not in ("Z", "UTC", "GMT"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        from datetime import timedelta

        moment = moment.replace(tzinfo=timezone(timedelta(minutes=offset)))
    else:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished", "article.published",
    "published_time", "publishdate", "publish-date", "pubdate", "date", "dc.date.issued", "dcterms.created",
    "dc.date", "sailthru.date", "parsely-pub-date", "article_date_original", "cxenseparse:recs:publishtime",
    "original-publish-date", "displaydate", "og:pubdate", "article:published", "datecreated",
)
_MODIFIED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
    "article.updated", "last-modified", "dcterms.modified", "dc.date.modified", "article:modified",
)


def _time_element(tree, itemprop: str | None) -> str | None:
    if itemprop:
        for el in tree.xpath(f'//*[@itemprop="{itemprop}"]'):
            value = el.get("datetime") or el.get("content")
            if value:
                return value
        return None
    for el in tree.iterfind(".//time[@datetime]"):
        return el.get("datetime")
    return None


def find_dates(tree, article: dict | None, metas: dict, url: str | None) -> tuple[str | None, str | None]:
    """(published, modified): JSON-LD, then meta tags, then <time>, then htmldate (date only)."""
    published = modified = None
    if article:
        published = iso_utc(_ld_str(article.get("datePublished")) or _ld_str(article.get("dateCreated")))
        modified = iso_utc(_ld_str(article.get("dateModified")))
    if not published:
        published = iso_utc(first(metas, *_PUBLISHED_META)) or iso_utc(_time_element(tree, "datePublished"))
    if not modified:
        modified = iso_utc(first(metas, *_MODIFIED_META)) or iso_utc(_time_element(tree, "dateModified"))
    if not published:
        published = iso_utc(_time_element(tree, None))
    if not published:
        published = _htmldate(tree, url)
    return published, modified


def _htmldate(tree, url: str | None) -> str | None:
    from htmldate import find_date

    try:
        found = find_date(tree, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except Exception:  # htmldate is a heuristic; a failure there only means "no date"
        return None
    return found or None


# --- title --------------------------------------------------------------------------------

_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:·•»«/]|::)\s+|(?<=\w):\s+")


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _names_site(segment: str, known: set[str]) -> bool:
    n = _norm(segment)
    if not n:
        return False
    if n in known:
        return True
    return any(len(k) >= 3 and (n.startswith(k + " ") or n.endswith(" " + k) or k.startswith(n + " "))
               for k in known)


_STRONG_SEPARATORS = ("|", "-", "–", "—", "·", "•", "»", "::", "/")


def strip_site_suffix(title: str, site_names: list[str]) -> str:
    """'Headline | Site' / 'Headline - Section - Site' / 'Site: Headline' -> 'Headline'.

    Segments naming the site go from either end; then up to three short capitalised trailing
    segments after a strong separator (section names, an unknown site name)."""
    title = squash(title)
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    seps = _TITLE_SEPARATORS.findall(title)
    known = {_norm(s) for s in site_names if s and _norm(s)}
    start, end = 0, len(parts)
    while end - start > 1 and _names_site(parts[end - 1], known):
        end -= 1
    while end - start > 1 and _names_site(parts[start], known):
        start += 1
    for _ in range(3):
        if end - start < 2:
            break
        last = parts[end - 1].strip()
        head = " ".join(parts[start:end - 1])
        if len(last) <= 30 and len(last.split()) <= 4 and (last[:1].isupper() or last[:1].isdigit()) \
                and seps[end - 2].strip() in _STRONG_SEPARATORS and len(last) * 2 < len(head):
            end -= 1
        else:
            break
    out = parts[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + parts[i]
    return out.strip()


def _h1_titles(tree) -> list[str]:
    return [t for t in (element_text(h) for h in tree.iter("h1")) if t]


def _segment_in_body(tree, title: str) -> str | None:
    segments = sorted((p.strip() for p in _TITLE_SEPARATORS.split(title) if len(p.strip()) >= 10), key=len, reverse=True)
    if len(segments) < 2:
        return None
    body = tree.find(".//body")
    if body is None:
        return None
    wanted = {_norm(s): s for s in segments}
    for el in body.iter("b", "strong", "font", "span", "h2", "h3", "td", "div", "p"):
        text = el.text_content()
        if 10 <= len(text) <= 300:
            n = _norm(text)
            if n in wanted:
                return squash(text)
    return None


def find_title(tree, article: dict | None, metas: dict, site_names: list[str]) -> str | None:
    """Headline as presented, site suffix removed.

    Each source votes: JSON-LD headline, og:title, twitter:title, <title> (suffix stripped) and
    the <h1> that agrees with one of them (else the first <h1>). The wording most sources share
    wins and is returned as the <h1> shows it when the <h1> is among them. One source alone is
    not trusted over several that agree: SEO <title>s, social titles and stale JSON-LD each
    differ from the page now and then. When no wording has more votes than every other (the
    <h1> and JSON-LD say one thing, the social titles another), the document's own <title>
    decides, site suffix stripped; without a <title>, JSON-LD then og:title break the tie."""
    sources: list[tuple[str, str]] = []
    if article:
        headline = _ld_str(article.get("headline")) or _ld_str(article.get("name"))
        if headline:
            sources.append(("ld", strip_site_suffix(headline, site_names)))
    for name, key in (("og", "og:title"), ("tw", "twitter:title")):
        value = first(metas, key)
        if value:
            sources.append((name, strip_site_suffix(value, site_names)))
    title_el = tree.find(".//head/title")
    if title_el is None:
        title_el = tree.find(".//title")
    if title_el is not None:
        value = squash(title_el.text_content())
        if value:
            sources.append(("title", strip_site_suffix(value, site_names)))
    if not sources:
        value = first(metas, "headline", "title", "dc.title")
        if value:
            sources.append(("meta", strip_site_suffix(value, site_names)))
    h1s = _h1_titles(tree)
    declared = {_norm(v) for _, v in sources}
    h1 = next((h for h in h1s if _norm(h) in declared), h1s[0] if h1s else None)
    if h1:
        sources.append(("h1", h1))
    if not sources:
        return None
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, value in sources:
        if _norm(value):
            groups.setdefault(_norm(value), []).append((name, value))
    if not groups:
        return None
    # a truncated social title ("Headline with a long") votes for the full wording
    for short in [k for k in groups if len(k) >= 20]:
        longer = [k for k in groups if k.startswith(short + " ")]
        if len(longer) == 1:
            groups[longer[0]].extend(("~" + n, v) for n, v in groups.pop(short))
    order = ("ld", "og", "title", "tw", "meta", "h1")
    top = max(len(g) for g in groups.values())
    tied = [g for g in groups.values() if len(g) == top]
    titled = [g for g in groups.values() if any(n.lstrip("~") == "title" for n, _ in g)]
    if len(tied) > 1 and titled:
        # no wording wins: the document's own <title> (site suffix stripped) decides
        best = titled[0]
    else:
        best = max(tied, key=lambda g: -min(order.index(n.lstrip("~")) for n, _ in g))
    by_name = dict(best)
    if len(best) == 1 and not h1s and title_el is not None and "title" in by_name:
        # an old page with only a <title> ("Site - Section - Headline") and no <h1>: the
        # segment printed as a heading-like element in the body is the headline
        shown = _segment_in_body(tree, squash(title_el.text_content()))
        if shown:
            return shown
    for name in ("h1", "ld", "og", "title", "tw", "meta"):
        if name in by_name:
            return by_name[name]
    return None


# --- authors ------------------------------------------------------------------------------

_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bund\b|\bet\b|\by\b|&|\|)\s*", re.IGNORECASE)
_BY_PREFIX = re.compile(r"^(?:by|von|par|por|di|door|av|af)\s+", re.IGNORECASE)


def clean_authors(names: list[str]) -> list[str]:
    out: list[str] = []
    seen = set()
    for raw in names:
        raw = squash(raw)
        if not raw or raw.startswith("http") or "@" in raw and " " not in raw:
            continue
        raw = _BY_PREFIX.sub("", raw)
        for name in _AUTHOR_SPLIT.split(raw) if len(raw) > 40 or "," in raw or " and " in raw else [raw]:
            name = squash(_BY_PREFIX.sub("", name)).strip(" .,-")
            if not name or len(name) > 80 or name.startswith("http"):
                continue
            key = name.lower()
            if key not in seen:
                seen.add(key)
                out.append(name)
    return out


def find_authors(tree, article: dict | None, metas: dict) -> list[str]:
    names: list[str] = []
    if article:
        names = _ld_names(article.get("author")) or _ld_names(article.get("creator"))
    if not names:
        names = [v for key in ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author", "byl")
                 for v in metas.get(key, []) if not v.startswith("http")]
    if not names:
        names = [element_text(el) for el in _BYLINE(tree)[:5]]
        names = [n for n in names if 2 < len(n) < 80]
    if not names:
        names = _byline_text(tree)
    return clean_authors(names)


_BYLINE_BLOCK = XPath(
    '//body//*[self::p or self::span or self::div or self::font or self::address]'
    '[contains(@class, "byline") or contains(@class, "meta") or contains(@class, "author")'
    ' or contains(@class, "posted") or contains(@class, "credit")]'
)
_BY_NAME = re.compile(
    r"(?:^|\b)(?:[Bb]y|BY|[Pp]osted by|[Ww]ritten by|[Vv]on|[Pp]ar|[Pp]or)\s+"
    r"((?:[A-Z][\w'’.-]+)(?:\s+(?:[A-Z][\w'’.-]+|de|van|von|da|di|del|la|le|der|den)){0,4})"
)


def _byline_text(tree) -> list[str]:
    """'Posted by Ada Lindqvist on March 9' / 'By WALT PEMBERTON' in a byline-ish block."""
    for el in _BYLINE_BLOCK(tree)[:8]:
        text = element_text(el)
        if not text or len(text) > 200:
            continue
        match = _BY_NAME.search(text)
        if match:
            name = match.group(1)
            return [name.title() if name.isupper() else name]
    return []


# byline markup when nothing is declared (trafilatura's author finder costs ~15 ms a page)
_BYLINE = XPath(
    '//body//*[@rel="author" or (@itemprop="author" and not(.//*[@itemprop="name"])) or'
    ' (ancestor::*[@itemprop="author"] and @itemprop="name")'
    ' or contains(@class, "author-name") or contains(@class, "byline__name")]'
)


# --- the rest -----------------------------------------------------------------------------

def find_language(tree, article: dict | None, metas: dict, text: str | None = None) -> str | None:
    """Declared language (<html lang>, meta, JSON-LD), else detected from `text`."""
    candidates = [tree.get("lang"), tree.get("xml:lang"), first(metas, "content-language", "og:locale", "language")]
    if article:
        candidates.append(_ld_str(article.get("inLanguage")))
    for value in candidates:
        if value:
            code = re.split(r"[-_]", value.strip())[0].lower()
            if 2 <= len(code) <= 3 and code.isalpha():
                return code
    if text and len(text) >= 40:
        return detect_language(text)
    return None


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


def find_site_names(article: dict | None, objects: list[dict], metas: dict) -> list[str]:
    names = []
    for key in ("og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:site"):
        names.extend(metas.get(key, []))
    if article:
        names.extend(_ld_names(article.get("publisher")))
    for obj in objects:
        if ld_types(obj) & {"newsmediaorganization", "organization", "website"}:
            names.extend(_ld_names(obj))
    return [n.lstrip("@") for n in names if n]


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
        section = _ld_str(article.get("articleSection"))
    return squash(section) or None


def find_description(article: dict | None, metas: dict) -> str | None:
    value = first(metas, "og:description", "description", "twitter:description")
    if not value and article:
        value = _ld_str(article.get("description"))
    return squash(value) or None


def find_top_image(article: dict | None, metas: dict, base_url: str) -> str | None:
    value = first(metas, "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
    if not value and article:
        value = _ld_image(article.get("image"))
    return join_url(base_url, value) if value else None


def find_canonical(tree, metas: dict, url: str) -> str:
    for link in tree.iterfind(".//link[@rel]"):
        if "canonical" in link.get("rel", "").lower().split() and link.get("href"):
            return join_url(url, link.get("href").strip()) or url
    og_url = first(metas, "og:url")
    if og_url and og_url.startswith(("http://", "https://", "/")):
        return join_url(url, og_url) or url
    return url
