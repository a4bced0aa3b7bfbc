"""The one definition of an article record.

`ARTICLE_FIELDS` is the order fields are written in; the JSON Schema in
`crawler/schema/article.schema.json` is the contract for consumers, and
`tests/test_items.py` keeps the two in step.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import scrapy

from crawler.urls import canonicalize_url, same_site

SCHEMA_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).parent / "schema" / "article.schema.json"

ARTICLE_FIELDS = (
    "schema_version",
    "url",
    "canonical_url",
    "title",
    "text",
    "captions",
    "authors",
    "published",
    "modified",
    "language",
    "site_name",
    "section",
    "tags",
    "description",
    "top_image",
    "fetched_at",
    "warc",
    "truncated",
    "duplicate_of",
)

# Scrapy's response flags for a body that stopped short: "dataloss" (fewer bytes than
# Content-Length, or the connection dropped mid-chunk) and "download_stopped" (StopDownload).
# archives.replay puts the same flags on a response replayed from a truncated record.
TRUNCATED_FLAGS = frozenset({"dataloss", "download_stopped"})


def response_truncated(response) -> bool:
    """Whether the response an article is built from is cut short (its text may stop early)."""
    return not TRUNCATED_FLAGS.isdisjoint(response.flags)


_WORD = re.compile(r"\w+")
# words of a byline line besides the names themselves ("By Ada Lindqvist and Bo Ek")
_BYLINE_WORDS = frozenset({"by", "and", "von", "und", "par", "et", "por", "y", "di", "door", "written",
                           "posted", "staff", "reporter", "editor"})


def has_body(fields: dict | None) -> bool:
    """Whether extracted fields hold body text, so that an item may be emitted.

    A live-blog shell or a page whose story is drawn by script gives a headline and nothing
    else; the extractor's fallback then returns the lines it found (the headline, the site
    name, the byline), which are not a body. A line counts as body text unless its words are
    all the headline's, the site name's, or those of the authors' names with "by"/"and"."""
    if not fields:
        return False
    text = fields.get("text") or ""
    known = set()
    for value in (fields.get("title"), fields.get("site_name")):
        known.update(_WORD.findall((value or "").lower()))
    names = set(_BYLINE_WORDS)
    for author in fields.get("authors") or ():
        names.update(_WORD.findall(author.lower()))
    for line in text.splitlines():
        words = _WORD.findall(line.lower())
        if words and not (set(words) <= known or set(words) <= names):
            return True
    return False


class ArticleItem(scrapy.Item):
    """A news article as extracted from one archived response."""

    for _name in ARTICLE_FIELDS:
        locals()[_name] = scrapy.Field()
    del _name
    # Not written to JSON: links of the page, kept for the WARC metadata record.
    outlinks = scrapy.Field()


def build_article(fields: dict, *, url: str, fetched_at: str, warc: dict | None,
                  tracking_params=None, outlinks=None, truncated: bool = False) -> ArticleItem:
    """An ArticleItem from extracted fields and where/when the page was fetched.

    The declared canonical URL (rel=canonical / og:url) is trusted only when it
    stays on the fetched page's site; otherwise the fetched URL is the key.
    """
    item = ArticleItem()
    for name, value in fields.items():
        if name in item.fields:
            item[name] = value
    declared = fields.get("canonical_url")
    key = declared if declared and same_site(declared, url) else url
    item["canonical_url"] = canonicalize_url(key, tracking_params)
    item["url"] = url
    item["fetched_at"] = fetched_at
    item["warc"] = warc
    item["truncated"] = bool(truncated)
    if outlinks is not None:
        item["outlinks"] = outlinks
    return item


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")  # \t \n \v \f \r are whitespace, folded below


# Every character str.split() splits on (tests/test_items.py checks the list)...
WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# ...but " " and "\n", then control characters and lone surrogates: what normalize_text always
# changes. Listed, not [^\S \n]: a negated class makes the scan 4x slower.
_NOT_NORMAL_CHAR = re.compile(
    "[" + WHITESPACE.replace(" ", "").replace("\n", "") + "\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")


def _is_normal(value: str) -> bool:
    """normalize_text(value) == value, cheaply: every record passes through twice (WARC digest,
    JSON line), nearly always already normal."""
    if value[:1] in (" ", "\n") or value[-1:] in (" ", "\n"):
        return False
    if "  " in value or " \n" in value or "\n " in value or "\n\n\n" in value:
        return False
    return not _NOT_NORMAL_CHAR.search(value) and unicodedata.is_normalized("NFC", value)


def normalize_text(value: str | None) -> str | None:
    """NFC, no control characters, runs of spaces folded; blank-line paragraphs kept.
    A lone surrogate (JSON-LD "\\ud800") becomes U+FFFD: it cannot be written as UTF-8."""
    if value is None:
        return None
    if _is_normal(value):
        return value
    value = _CONTROL.sub("", _LONE_SURROGATE.sub("\ufffd", value))
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    for block in value.split("\n\n"):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        block = "\n".join(line for line in lines if line)
        if block:
            paragraphs.append(block)
    return "\n\n".join(paragraphs)


def normalize_value(value):
    """Apply `normalize_text` through nested lists and dicts."""
    if isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, list):
        return [normalize_value(v) for v in value]
    if isinstance(value, dict):
        return {k: normalize_value(v) for k, v in value.items()}
    return value


def to_record(item) -> dict:
    """The JSON object written for an item: every schema field, in order, normalized."""
    data = dict(item)
    record = {name: normalize_value(data.get(name)) for name in ARTICLE_FIELDS}
    record["schema_version"] = SCHEMA_VERSION
    for name in ("captions", "authors", "tags"):
        if record[name] is None:
            record[name] = []
    record["truncated"] = bool(record["truncated"])
    return record
