"""Publish and modified dates: JSON-LD, meta tags, <time>, then htmldate, normalized to UTC."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .jsonld import ld_str
from .metatags import first

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


_FURNITURE = frozenset({"nav", "footer", "aside"})
_UPDATED = re.compile(r"updat|modifi|revised|edited|aktualisiert|mis à jour|actualizad", re.IGNORECASE)


def _shown_date(tree) -> tuple[str | None, bool]:
    """(the first <time datetime> printed in the page body, whether it is labelled as an update
    date: "Updated: Dec 19, 2025", class "updated"). Navigation, footers and asides (related
    stories, archives) are skipped."""
    for el in tree.iterfind(".//body//time[@datetime]"):
        if any(a.tag in _FURNITURE for a in el.iterancestors()):
            continue
        value = iso_utc(el.get("datetime"))
        if not value or not (el.text_content() or "").strip():
            continue
        parent = el.getparent()
        label = " ".join(filter(None, (el.get("class"), el.text_content()[:40],
                                       parent.text if parent is not None else None,
                                       parent.get("class") if parent is not None else None)))
        return value, bool(_UPDATED.search(label))
    return None, False


def find_dates(tree, article: dict | None, metas: dict, url: str | None) -> tuple[str | None, str | None]:
    """(published, modified): JSON-LD, then meta tags, then <time>, then htmldate (date only).

    A page that prints its modified date as its date (a <time> not labelled "Updated", on the
    day of the declared dateModified and not of datePublished: an article republished under
    a new date) gives that date: it is the one the reader is told the article is from."""
    published = modified = None
    if article:
        published = iso_utc(ld_str(article.get("datePublished")) or ld_str(article.get("dateCreated")))
        modified = iso_utc(ld_str(article.get("dateModified")))
    if not published:
        published = iso_utc(first(metas, *_PUBLISHED_META)) or iso_utc(_time_element(tree, "datePublished"))
    if not modified:
        modified = iso_utc(first(metas, *_MODIFIED_META)) or iso_utc(_time_element(tree, "dateModified"))
    shown, updated = _shown_date(tree)
    if published and modified and shown and not updated \
            and shown[:10] == modified[:10] != published[:10]:
        published = modified
    if not published:
        published = shown or iso_utc(_time_element(tree, None))
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


