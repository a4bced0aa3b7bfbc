"""Publish and modified dates: JSON-LD, meta tags, <time>, the printed byline, then htmldate;
ISO 8601 with the page's own UTC offset (the publisher's calendar day)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from lxml.etree import XPath

from .html import FURNITURE_TAGS, InsideMatch, element_text, following
from .jsonld import ld_str, ld_types
from .metatags import first
from .rebind import rebound, rebound_module

_ISOISH = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?",
    re.IGNORECASE,
)


def iso_date(value: str | None) -> str | None:
    """'2023-02-28T10:15:00+01:00' stays as declared, normalized: '2023-02-28T10:15:00+01:00';
    '...Z' / '... UTC' / a time without zone -> '...Z'; '2023-02-28' stays a date; a date
    written out in a meta tag ("March 27, 2025") -> '2025-03-27'.

    The page's own offset is kept: the publisher's calendar day is the article's day (what the
    reader is shown, what citations and both annotated corpora here give; 11 of 437 WCXB
    articles were a day off in UTC), and the moment is still exact. A time without zone is
    written as UTC (the page said nothing better)."""
    if not value or not isinstance(value, str):
        return None
    match = _ISOISH.search(value.strip())
    if not match:
        written = _printed_dates(value) if len(value) <= 40 else []
        return written[0][0] if written else None
    year, month, day, hour, minute, second, zone = match.groups()
    if int(year) < 1000:    # "0001-01-01": a CMS placeholder, and strftime would not pad the year
        return None
    try:
        if hour is None:
            return datetime(int(year), int(month), int(day)).strftime("%Y-%m-%d")
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    offset = 0
    if zone and zone.upper() not in ("Z", "UTC", "GMT"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        if abs(offset) > 18 * 60:
            return None
    if not offset:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    sign, minutes = ("+" if offset > 0 else "-"), abs(offset)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def iso_utc(value: str | None) -> str | None:
    """'2023-02-28T10:15:00+01:00' -> '2023-02-28T09:15:00Z'; '2023-02-28' stays a date: the
    UTC form of `iso_date`, for comparing moments."""
    value = iso_date(value)
    if not value or len(value) == 10 or value.endswith("Z"):
        return value
    return datetime.fromisoformat(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished", "article.published",
    "published_time", "publishdate", "publish-date", "pubdate", "date", "dc.date.issued", "dcterms.created",
    "dc.date", "sailthru.date", "parsely-pub-date", "article_date_original", "cxenseparse:recs:publishtime",
    "original-publish-date", "displaydate", "og:pubdate", "article:published", "datecreated", "published",
)
_MODIFIED_META = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
    "article.updated", "last-modified", "dcterms.modified", "dc.date.modified", "article:modified",
)


# The page object Yoast, Rank Math and other SEO plugins declare in an @graph, often without an
# Article: its dates are the post's
_PAGE_TYPES = frozenset({"webpage", "itempage", "medicalwebpage"})
# from the itemprop attributes to their elements: the same elements in the same order as
# //*[@itemprop=...], at 0.4 instead of 0.9 ms a page (libxml2 tests far fewer nodes)
_MICRODATA_DATES = XPath('//@itemprop[.="datePublished" or .="dateModified"]/parent::*[@datetime or @content]')


def _microdata_dates(tree) -> dict[str, str]:
    """{"datePublished": value, "dateModified": value}: the first of each microdata date
    (one pass over the page for both)."""
    found: dict[str, str] = {}
    for el in _MICRODATA_DATES(tree):
        value = el.get("datetime") or el.get("content")
        if value:
            found.setdefault(el.get("itemprop"), value)
    return found


def _marked_published(tree) -> str | None:
    """The first <time> the markup marks as the publication date (HTML5's withdrawn, still
    written `pubdate`; microformats2's h-entry `dt-published`), outside navigation, footers
    and asides (other posts' dates) and not also named an update ("post-date updated")."""
    for el in tree.iter("time"):
        value = el.get("datetime")
        classes = el.get("class") or ""
        if not value or el.get("pubdate") is None and "dt-published" not in classes.split():
            continue
        if _UPDATED.search(classes) or any(a.tag in FURNITURE_TAGS for a in el.iterancestors()):
            continue
        value = iso_date(value)
        if value:
            return value
    return None


def _first_time(tree) -> str | None:
    for el in tree.iterfind(".//time[@datetime]"):
        return el.get("datetime")
    return None


_UPDATED = re.compile(r"updat|modifi|revised|edited|aktualisiert|mis à jour|actualizad", re.IGNORECASE)


def _shown_date(tree) -> tuple[str | None, bool]:
    """(the first <time datetime> printed in the page body, whether it is labelled as an update
    date: "Updated: Dec 19, 2025", class "updated"). Navigation, footers and asides (related
    stories, archives) are skipped."""
    for el in tree.iterfind(".//body//time[@datetime]"):
        if any(a.tag in FURNITURE_TAGS for a in el.iterancestors()):
            continue
        value = iso_date(el.get("datetime"))
        if not value or not (el.text_content() or "").strip():
            continue
        parent = el.getparent()
        label = " ".join(filter(None, (el.get("class"), el.text_content()[:40],
                                       parent.text if parent is not None else None,
                                       parent.get("class") if parent is not None else None)))
        return value, bool(_UPDATED.search(label))
    return None, False


# month names and their abbreviations as bylines print them in English, German, French, Spanish,
# Italian, Portuguese, Dutch and the Scandinavian languages
_MONTH_WORDS = (
    "january jan januar januari janvier janv enero ene gennaio gen janeiro jänner",
    "february feb februar februari février fevrier févr fevr febrero febbraio fevereiro fev",
    "march mar märz maerz mär maart mars marzo março",
    "april apr avril avr abril abr aprile",
    "may mai mei maj mayo maggio mag maio",
    "june jun juni juin junio giugno giu junho",
    "july jul juli juillet juil julio luglio lug julho",
    "august aug augustus août aout agosto ago",
    "september sep sept septembre septiembre setiembre settembre set setembro",
    "october oct oktober okt octobre octubre ottobre ott outubro out",
    "november nov novembre noviembre novembro",
    "december dec dezember dez décembre decembre déc diciembre dic dicembre dezembro desember",
)
_MONTHS = {word: number for number, words in enumerate(_MONTH_WORDS, 1) for word in words.split()}
_MONTH = "(?P<{}>" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + ")"
# "March 9, 2024" / "Mar. 9th 2024" / "9 March 2024" / "9. März 2024" / "30 août 2023" /
# "15 de octubre de 2024" / "28.04.2024" (the dotted form read day first only where no other
# order makes a date: some American pages print "09.10.2024" for September 10) / "2024-03-09"
_PRINTED = re.compile(
    rf"\b{_MONTH.format('m1')}\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d\d)\b"
    rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th|\.|º)?\s+(?:de\s+)?{_MONTH.format('m2')}\.?,?\s+(?:de\s+)?"
    r"(?P<y2>(?:19|20)\d\d)\b"
    r"|\b(?P<y3>(?:19|20)\d\d)-(?P<m3>\d\d)-(?P<d3>\d\d)\b"
    r"|\b(?P<d4>\d{1,2})\.(?P<m4>\d{1,2})\.(?P<y4>(?:19|20)\d\d)\b"
    # Chinese, Japanese, Korean: "2026年12月5日", "2026년 12월 5일"
    r"|(?P<y5>(?:19|20)\d\d)\s*[年년]\s*(?P<m5>\d{1,2})\s*[月월]\s*(?P<d5>\d{1,2})\s*[日일]"
    # "٠٥/١٢/٢٠٢٦": read only when written in other digits than ASCII (see _printed_dates)
    r"|\b(?P<d6>\d{1,2})/(?P<m6>\d{1,2})/(?P<y6>(?:19|20)\d\d)\b",
    re.IGNORECASE)
_DIGIT = re.compile(r"\d")      # any script's decimal digit (str patterns)
_YEAR = re.compile(r"(?:19|20)\d\d")
_SKIPPED = frozenset({"script", "style", "noscript", "template", "nav", "footer", "aside", "button", "select",
                      "figure", "figcaption"})     # a photo's caption dates the photo, not the story
_CAPTION = re.compile(r"caption|credit|cutline", re.IGNORECASE)
_STORY_STARTED = 250    # a paragraph this long: the byline area is over
_BYLINE_WINDOW = 80     # elements after the headline searched for the printed date


_LABEL = re.compile(r"(?P<upd>updat|modifi|revised|edited|aktualisiert|mis à jour|actualizad)"
                    r"|publish|posted|created|written|date[d:]|veröffentlicht|publié|publicado", re.IGNORECASE)
_LABEL_REACH = 30       # characters before a printed date searched for its label
_LINE_MAX = 100         # a text holding a date longer than this is prose or a list, not a byline


def _printed_dates(text: str, before: str = "") -> list[tuple[str, bool]]:
    """[(YYYY-MM-DD, labelled as an update)] of the dates written in `text`; `before` is the
    text printed just before it ("Last updated:" in an element of its own). A date is an
    update's when the nearest label before it says so ("Updated Jan 5, 2025 Published: Dec 3,
    2024": the second date is the publication's)."""
    out = []
    # digits of other scripts (Arabic-Indic "٢٠٢٦", Devanagari "२०२६") read as ASCII ones; a
    # numeric date written in them is never an American page's, so it is read day first
    other_digits = not text.isascii() and _other_digits(text)
    if other_digits:
        text = _DIGIT.sub(lambda digit: str(int(digit.group())), text)
    if not _YEAR.search(text):
        return out      # most texts around a headline hold no year: the long pattern is not tried
    for m in _PRINTED.finditer(text):
        year, month, day = next((m[f"y{i}"], m[f"m{i}"], m[f"d{i}"]) for i in range(1, 7) if m[f"y{i}"])
        if m["y6"] and not other_digits:
            continue    # "05/12/2026" in ASCII digits: either order; htmldate's to read
        if m["y4"] and int(day) <= 12 and day != month and not other_digits:
            continue    # "09.10.2024": day first in Europe, month first on American pages
        try:
            moment = datetime(int(year), int(month) if month.isdigit() else _MONTHS[month.lower()], int(day))
        except (ValueError, KeyError):
            continue
        out.append((moment.strftime("%Y-%m-%d"), _labelled_update(before + " " + text[:m.start()])))
    return out


def _other_digits(text: str) -> bool:
    """`text` holds a decimal digit that is not ASCII."""
    return any(not char.isascii() for char in _DIGIT.findall(text))


def _labelled_update(before: str) -> bool:
    """The nearest date label in the text printed just before a date says "Updated"."""
    labels = list(_LABEL.finditer(before[-_LABEL_REACH:]))
    return bool(labels and labels[-1]["upd"])


def _after(el):
    """Elements after `el` in document order, its own descendants first."""
    yield from el.iterdescendants()
    yield from following(el)


def _skipped_tag(node) -> bool:
    """Not where a byline is: a script, a caption, a navigation... (_SKIPPED, _CAPTION)."""
    return node.tag in _SKIPPED or bool(_CAPTION.search(node.get("class") or ""))


def printed_dates(tree) -> list[tuple[str, bool]]:
    """[(YYYY-MM-DD, labelled as an update)] printed in the byline: the dates written between
    the page's headline (its first <h1>) and the story's first long paragraph, in short texts;
    none when more than two days are written there (a changelog's or a list's dated lines are
    not a byline). The dates the reader is told the article is from."""
    start = next((h for h in tree.iter("h1") if h.text_content().strip()), None)
    if start is None:
        return []
    found: list[tuple[str, bool]] = []
    listed: set[str] = set()    # every day written there, short texts or not
    seen = 0
    before = ""     # the text printed last: a label in an element of its own
    # the byline search asks it of up to 80 neighbouring elements, which share most of their ancestors
    skipped = InsideMatch(_skipped_tag)
    for el in _after(start):
        if not isinstance(el.tag, str) or skipped(el):
            continue
        seen += 1
        if seen > _BYLINE_WINDOW or el.tag == "p" and len(el.text_content()) > _STORY_STARTED:
            break
        for text, own in ((el.text_content() if el.tag == "time" else el.text or "", True), (el.tail or "", False)):
            text = " ".join(text.split())
            if not text:
                continue
            days = _printed_dates(text, before)
            listed.update(day for day, _ in days)
            if len(text) <= _LINE_MAX:
                # class names say "updated": the element's own (WordPress's "entry-date
                # published updated" is both), or its wrapper's alone
                mine = (el.get("class") or "") if own else ""
                wrapper = (el.getparent().get("class") or "") if own and el.getparent() is not None else ""
                marked = bool(_UPDATED.search(mine)) and "publish" not in mine.lower() \
                    or bool(_UPDATED.search(wrapper)) and "publish" not in wrapper.lower()
                found += [(day, upd or marked) for day, upd in days]
            before = (before + " " + text)[-_LABEL_REACH:]
    if len(listed) > 2:
        return []   # dated items (a changelog, a list of posts): a byline has a date or two
    return found or _printed_above(start)


_ABOVE_WINDOW = 12      # elements before the headline searched for a date printed above it


def _printed_above(start) -> list[tuple[str, bool]]:
    """Dates printed just above the headline, in its header ("Published October 14, 2025 in
    Training" over the <h1>): the nearest elements before it, up to two levels out."""
    found: list[tuple[str, bool]] = []
    seen = 0
    node = start
    for _ in range(3):
        for sibling in node.itersiblings(preceding=True):
            for el in [sibling, *sibling.iterdescendants()]:
                if not isinstance(el.tag, str) or el.tag in _SKIPPED:
                    continue
                seen += 1
                if seen > _ABOVE_WINDOW:
                    return found
                texts = [el.text_content() if el.tag == "time" else el.text or "", el.tail or ""]
                for text in (" ".join(t.split()) for t in texts):
                    if text and len(text) <= _LINE_MAX:
                        label = element_text(el.getprevious()) if el.getprevious() is not None else ""
                        found += _printed_dates(text, label[-_LABEL_REACH:])
            if found:
                return found
        node = node.getparent()
        if node is None or node.tag in ("body", "article", "main"):
            break
    return found


def _a_day_apart(moment: str, day: str) -> bool:
    """A timestamp and a calendar day that may name the same moment in two time zones: the
    day is the timestamp's in some zone from UTC-12 to UTC+14 (a date alone: within a day)."""
    try:
        if len(moment) == 10:
            return abs((datetime.strptime(moment, "%Y-%m-%d") - datetime.strptime(day, "%Y-%m-%d")).days) <= 1
        utc = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)
    except ValueError:
        return False
    earliest, latest = (utc - timedelta(hours=12)).strftime("%Y-%m-%d"), (utc + timedelta(hours=14)).strftime("%Y-%m-%d")
    return earliest <= day <= latest


def find_dates(tree, article: dict | None, metas: dict, url: str | None,
               objects: list[dict] = (), language: str | None = None) -> tuple[str | None, str | None]:
    """(published, modified): JSON-LD (the article, else the WebPage it is on: `objects`), then
    meta tags, then <time>, then htmldate (date only), each with the page's own UTC offset
    (`iso_date`).

    What the page prints in its byline is what the reader is told the article is from, so it
    reconciles the declared dates: the declared dateModified shown without an "Updated" label
    while the declared publication date is not shown (an article republished under a new
    date) makes that the published date; a date printed under the headline that is neither
    declared date (a CMS's stale or template datePublished) is taken as printed (a day), one
    not labelled "Updated" preferred; before it, a <time> the markup marks as the publication
    (`pubdate`, microformats' `dt-published`, wherever the template prints it) that is neither
    declared date. A printed day that is a declared timestamp's day in some
    time zone (UTC-12 to UTC+14) is the same moment, and the timestamp stays; a timestamp
    declared in UTC a day from the day in the page's permalink (/2025/12/18/slug, WordPress
    files posts under their local day) becomes that day, the publisher's. `language`: the
    page's declared language (metadata.declared_language), told to htmldate's date parser."""
    published = modified = None
    for obj in [article] + [o for o in objects if o is not article and ld_types(o) & _PAGE_TYPES]:
        if obj:
            published = published or iso_date(ld_str(obj.get("datePublished")) or ld_str(obj.get("dateCreated")))
            modified = modified or iso_date(ld_str(obj.get("dateModified")))
    if not published:
        published = iso_date(first(metas, *_PUBLISHED_META))
    if not modified:
        modified = iso_date(first(metas, *_MODIFIED_META))
    if not published or not modified:
        microdata = _microdata_dates(tree)
        published = published or iso_date(microdata.get("datePublished"))
        modified = modified or iso_date(microdata.get("dateModified"))
    shown, updated = _shown_date(tree)
    printed = printed_dates(tree)
    # the byline's date, one not labelled "Updated" preferred; an update's date alone is the
    # date the reader is given (the annotated corpora take it too)
    plain = next((day for day, upd in printed if not upd), printed[0][0] if printed else None)
    visible = {day for day, _ in printed} | ({shown[:10]} if shown else set())
    unlabelled = {day for day, upd in printed if not upd} | ({shown[:10]} if shown and not updated else set())
    marked = _marked_published(tree)
    if marked and (not published or marked[:10] not in (published[:10], (modified or "")[:10])
                   and not _a_day_apart(published, marked[:10])):
        published = marked      # what the markup marks as published, against a stale declaration
    elif published and modified and modified[:10] != published[:10] \
            and modified[:10] in unlabelled and published[:10] not in visible:
        # the page shows its last modification as its date and not the first publication:
        # the date the reader is given
        published = modified
    elif plain and published and plain not in (published[:10], (modified or "")[:10]) \
            and not _a_day_apart(published, plain):
        published = plain   # a CMS's stale or template datePublished
    if not published:
        published = shown or plain or iso_date(_first_time(tree))
    day = _url_day(url)
    if day and published and published.endswith("Z") and published[:10] != day and _a_day_apart(published, day):
        # declared in UTC, filed under the local day in its permalink (/2025/12/18/slug): the
        # publisher's calendar day, the time of day unknown in its zone
        published = day
    if not published:
        published = _htmldate(tree, url, language)
    return published, modified


_URL_DAY = re.compile(r"/((?:19|20)\d\d)/(\d\d)/(\d\d)/")


def _url_day(url: str | None) -> str | None:
    """The day in a permalink ("/2025/12/18/slug"), if it is a valid date."""
    match = _URL_DAY.search(url or "")
    if not match:
        return None
    try:
        return datetime(*map(int, match.groups())).strftime("%Y-%m-%d")
    except ValueError:
        return None


def _no_page_sweep(htmlstring, options):
    return None


# dateparser as htmldate.extractors.get_external_parser builds it (htmldate pinned in requirements.txt)
_DATEPARSER_SETTINGS = {"NORMALIZE": True, "PARSERS": ["custom-formats", "absolute-time"],
                        "PREFER_DATES_FROM": "past", "PREFER_LOCALE_DATE_ORDER": True,
                        "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": True}


def _told_languages(language: str) -> dict:
    """htmldate's try_date_expr and try_date_expr_opts (with a cache of their own) whose
    dateparser is told the page's language and English, or {} when dateparser knows no such
    language.

    Told nothing, dateparser asks every one of its ~200 locales whether a string can be one
    of its dates: ~15 ms for each string that is none (a price, "4.5 out of 5 stars", a
    headline with a year), which is most of what htmldate's free-text stage sends it, and 1.5 s
    per process to compile the regexes of them all the first time. A page's dates are written
    in its own language or in English (templates, CMS defaults). On the 1,581 pages of the
    benchmarks the answers are the same on every page but a product listing's, where "Mar 30 -
    Apr 17" read as Italian gave 2017-04-30."""
    from dateparser import DateDataParser
    import htmldate.extractors as extractors

    try:
        parser = DateDataParser(languages=list(dict.fromkeys((language, "en"))), settings=_DATEPARSER_SETTINGS)
    except ValueError:      # a language dateparser does not have
        return {}

    def external_date(string: str):
        try:
            return parser.get_date_data(string)["date_obj"]
        except (OverflowError, ValueError):     # as htmldate's _external_date: no date
            return None

    scope = {**vars(extractors), "_external_date": external_date}
    cached = extractors.try_date_expr
    scope["try_date_expr"] = lru_cache(maxsize=cached.cache_info().maxsize)(rebound(cached.__wrapped__, scope))
    scope["try_date_expr_opts"] = rebound(extractors.try_date_expr_opts, scope)
    return {"try_date_expr": scope["try_date_expr"], "try_date_expr_opts": scope["try_date_expr_opts"]}


@lru_cache(maxsize=64)      # the languages of a crawl's sites: a few, not every code a page may declare
def _find_date(language: str | None = None):
    """htmldate.find_date (its own code, pinned in requirements.txt) with its last resort,
    `search_page`, answering "no date", and its dateparser told the page's `language` (see
    _told_languages).

    search_page runs a dozen regexes that start with `\\D` over the whole serialized page,
    ~25 ms a page it is reached on, and is reached on most pages declaring no date. What it
    finds there is a copyright year or any date-shaped string: on the WCXB development
    split's article pages it gave 50 dates (dev) and 22 (held-out), of which 1 and 0 were the
    publication day; htmldate's markup and free-text stages before it are kept. Clones of
    htmldate.core's functions sharing globals of their own, so htmldate as imported elsewhere
    (trafilatura's metadata) is left as shipped."""
    import htmldate.core as core

    overrides = {**(_told_languages(language) if language else {}), "search_page": _no_page_sweep}
    return rebound_module(core, overrides)["find_date"]


def _htmldate(tree, url: str | None, language: str | None = None) -> str | None:
    """htmldate's date (day) of a page, `language` its declared language (ISO 639-1), if any."""
    try:
        found = _find_date(language)(tree, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except Exception:  # htmldate is a heuristic; a failure there only means "no date"
        return None
    return found or None
