"""The conventions a page's markup and address carry, as a bag of tokens for article recognition
(fitted by bench/fit_conventions.py).

Hand-written features (crawler.extract.classify.recognition_features) name the evidence someone
thought of; this lets the data name it. Every page gives a set of tokens: the words of its class
and id attributes ("price", "breadcrumb", "byline", "reply"), its element names (counted), its
declared schema.org types and og:type, the names of its meta tags, its rel values, its form input
types and the words and shapes of its URL (a dated path, a numeric id, the last segment's length
in words, an extension, the path's depth, the query's keys). The fit weighs only tokens found on
many different registered domains: what many unrelated sites share is a convention (a CMS's, a
CSS kit's, a markup standard's), not one site's class name.

Bench code: no token model is in the crawler (bench/fit_conventions.py measured none that beats
the hand features out of fold and on the held-out half), so the tokens live beside their fit. Only
the families a model weighs are computed: the class/id words cost ~1 ms a page (two XPaths over
the attribute values and one regex scan, WCXB pages), every family ~2 ms.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from lxml.etree import XPath

from crawler.extract.jsonld import ld_types

# two XPaths: a union of the two costs ~20% more (libxml2 sorts the merged node-set)
_CLASSES = XPath("//@class", smart_strings=False)
_IDS = XPath("//@id", smart_strings=False)
_RELS = XPath("//a/@rel|//link/@rel", smart_strings=False)
_ITEMTYPES = XPath("//@itemtype", smart_strings=False)
_INPUT_TYPES = XPath("//input/@type|//button/@type", smart_strings=False)
# a word boundary inside an identifier: a-b, a_b, a b, aB (camelCase), a1 (digits are dropped)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_DATE_PATH = re.compile(r"/(?:19|20)\d{2}[/-](?:0?[1-9]|1[0-2])(?:[/-]|$)")
_NUMERIC_ID = re.compile(r"\d{5,}")
_COUNT_SCALE = math.log1p(500)  # element counts on a log scale, 1.0 at 500
# the element names worth counting (everything else is rare or layout): counted on a log scale
COUNTED = frozenset({
    "a", "p", "div", "span", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "img", "figure",
    "figcaption", "table", "tr", "td", "th", "form", "input", "select", "textarea", "button", "label",
    "nav", "aside", "header", "footer", "section", "article", "main", "time", "blockquote", "pre",
    "code", "iframe", "video", "picture", "svg", "dl", "dt", "dd", "strong", "em", "b", "i", "br",
    "hr", "small", "cite", "address", "details", "summary", "option",
})


@lru_cache(maxsize=1 << 14)
def identifier_words(value: str) -> frozenset[str]:
    """The words of a class or id attribute: split on any non-letter and at camelCase, lower-cased,
    digits dropped, two letters at least ("post-body__text2" -> post, body, text)."""
    return frozenset(w.lower() for w in _WORD.findall(value) if len(w) >= 2)


def _schema_type(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1].lower()


def url_tokens(url: str) -> set[str]:
    """Words and shapes of the address: path words, a dated path, a numeric id, the last segment's
    length in words, its extension, the path's depth, the query's keys."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    tokens = {f"u:{w}" for s in segments for w in identifier_words(s.rsplit(".", 1)[0] if s is segments[-1] else s)}
    if _DATE_PATH.search(parts.path + "/"):
        tokens.add("u#date")
    if _NUMERIC_ID.search(parts.path):
        tokens.add("u#id")
    if segments:
        last = segments[-1]
        stem, dot, ext = last.rpartition(".")
        if dot and ext.isalnum() and len(ext) <= 5:
            tokens.add(f"u#ext-{ext.lower()}")
            last = stem
        words = len([w for w in re.split(r"[-_+ ]+", last) if w.isalpha()])
        tokens.add(f"u#slug-{min(words, 6)}")
    tokens.add(f"u#depth-{min(len(segments), 5)}")
    for key, _ in parse_qsl(parts.query, keep_blank_values=True)[:20]:
        tokens.update(f"q:{w}" for w in identifier_words(key))
    return tokens


def class_tokens(tree) -> dict[str, float]:
    """The class/id words of the page ("c:price": 1.0) and "#class-words", how many there are
    (per 100): a page's class words together move its score by about their number times their
    mean weight; this one input takes that shared part, so the words' own weights are what sets
    each apart, and a page with little markup (a legacy template) is not scored as if its
    missing words were evidence. One XPath over the attribute values and one regex scan over
    the distinct values joined by spaces (both in C): identifier_words of each value in a call of
    its own cost twice the time, and a per-value cache hardly hits across sites."""
    values = set(_CLASSES(tree))
    values.update(_IDS(tree))
    joined = " ".join(values)
    words = {f"c:{w.lower()}" for w in set(_WORD.findall(joined)) if len(w) >= 2}
    tokens = dict.fromkeys(words, 1.0)
    tokens["#class-words"] = len(words) / 100
    return tokens


FAMILIES = frozenset({"c", "#", "e", "s", "og", "m", "r", "i", "u", "q"})


def family(token: str) -> str:
    """The family of a token: "c" for "c:price", "u" for "u#date", "#" for "#class-words"."""
    return "#" if token[0] == "#" else re.split("[:#]", token, maxsplit=1)[0]


def convention_tokens(tree, url: str, objects: list[dict], metas: dict,
                      families: frozenset[str] = FAMILIES) -> dict[str, float]:
    """The page's tokens of `families` (see family(); all by default): 1.0 for a presence,
    log(1 + n) / log(501) for an element count ("e:p"), "#class-words" as class_tokens gives it.
    The families a model does not weigh are not computed (the element walk and the four
    attribute XPaths cost ~1.5 ms a page)."""
    tokens = class_tokens(tree) if "c" in families or "#" in families else {}
    if "c" not in families:
        tokens = {t: v for t, v in tokens.items() if t[0] != "c"}
    elif "#" not in families:
        tokens.pop("#class-words", None)
    if "e" in families:
        counts: dict[str, int] = {}
        for element in tree.iter():
            tag = element.tag
            if isinstance(tag, str):
                counts[tag] = counts.get(tag, 0) + 1
        for tag, n in counts.items():
            if tag in COUNTED:
                tokens[f"e:{tag}"] = math.log1p(n) / _COUNT_SCALE
    if "s" in families:
        for obj in objects:
            for kind in ld_types(obj):
                tokens[f"s:{kind}"] = 1.0
        for value in _ITEMTYPES(tree):
            for part in value.split():
                tokens[f"s:{_schema_type(part)}"] = 1.0
    og_type = metas.get("og:type")
    if og_type and "og" in families:
        tokens[f"og:{og_type[0].strip().lower().split(':')[0][:30]}"] = 1.0
    if "m" in families:
        for name in metas:
            if len(name) <= 40:
                tokens[f"m:{name}"] = 1.0
    if "r" in families:
        for value in _RELS(tree):
            for rel in value.lower().split():
                tokens[f"r:{rel}"] = 1.0
    if "i" in families:
        for value in _INPUT_TYPES(tree):
            tokens[f"i:{value.strip().lower()[:20]}"] = 1.0
    if "u" in families or "q" in families:
        tokens.update((t, 1.0) for t in url_tokens(url) if family(t) in families)
    return tokens
