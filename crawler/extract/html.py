"""Decode and parse a page once; every extractor works on the same lxml tree."""

from __future__ import annotations

import codecs
import re

import chardet
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction, fromstring
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, read_bom, resolve_encoding

_SPACES = re.compile(r"\s+")


def _parser() -> HTMLParser:
    """trafilatura's parser settings (utils.HTML_PARSER), plus two of our own, on a parser of
    ours: trafilatura's module globals stay as shipped, so a bare trafilatura run in the same
    process (the benchmark's baseline) is really bare.

    huge_tree: without it libxml2 stops at element depth 256 and silently drops the rest of the
    page (unclosed <div>/<font> tags pile up on old pages).
    Class lookup: lxml.html picks each element's Python class in a Python callback (form/input/
    label subclasses) every time an element is touched, ~1 million calls a second of extraction
    work; every element here is a plain HtmlElement (text_content, drop_tree...), chosen in C."""
    parser = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                        remove_comments=True, remove_pis=True, huge_tree=True)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))
    return parser


_PARSER = _parser()
# U+0000-U+001F but tab, LF, CR: with U+FFFE/U+FFFF, what libxml2 refuses (INVALID_XML_CHARS)
_CONTROL_BYTES = bytes(range(0x20)).translate(None, b"\t\n\r")


def _without_invalid_chars(text: str) -> str:
    """trafilatura.utils.repair_faulty_html runs INVALID_XML_CHARS over every page, a regex pass
    of 0.6-1.1 ms, and nearly no page holds such a character. Checking the UTF-8 bytes costs
    ~0.2 ms; only a page that may hold one goes through the regex. Same result either way."""
    data = text.encode("utf-8", "surrogatepass")
    # U+FFFE and U+FFFF are EF BF BE / EF BF BF; "EF BF" (U+FFC0-U+FFFF) is rare enough to test for
    if b"\xef\xbf" not in data and len(data.translate(None, _CONTROL_BYTES)) == len(data):
        return text
    return INVALID_XML_CHARS.sub("", text)


def _parse_bytes(text: str) -> HtmlElement | None:
    try:
        return fromstring(text.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except Exception:  # noqa: BLE001 -- as trafilatura.utils.fromstring_bytes: no tree
        return None


def _load_html(text: str) -> HtmlElement | None:
    """trafilatura.utils.load_html for a decoded page, step for step (repair_faulty_html, a
    str parse then a bytes parse, the dubious-HTML check), with our parser (see _parser)."""
    beginning = text[:50].lower()
    text = _without_invalid_chars(text)
    if "doctype" in beginning:      # libxml2/lxml bug 1955915
        firstline, _, rest = text.partition("\n")
        text = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in text[:4096].splitlines()[:4]:     # self-closing <html/> in the first lines
        if "<html" in line and line.endswith("/>"):
            text = FAULTY_HTML.sub(r"\1>", text, count=1)
            break
    tree, retried = None, False
    try:
        tree = fromstring(text, parser=_PARSER)
    except ValueError:              # "Unicode strings with encoding declaration are not supported"
        tree, retried = _parse_bytes(text), True
    except Exception:  # noqa: BLE001 -- libxml2's refusals; the bytes parse below is the second try
        tree = None
    if (tree is None or len(tree) < 1) and not retried:
        tree = _parse_bytes(text)
    if tree is not None and "html" not in beginning and len(tree) < 2:
        return None                 # not (well-formed) HTML at all
    if tree is not None and tree.getnext() is not None:
        _adopt_trailing_roots(tree)
    return tree


def _adopt_trailing_roots(root) -> None:
    """Content after </html> (a second page glued to the first, a CMS that prints its own
    </body></html> early) is left by libxml2 as sibling roots that no walk from the root sees,
    and no extractor reads. Browsers show it as part of the body: so does this tree."""
    body = root.find("body")
    if body is None:
        body = root
    for sibling in list(root.itersiblings()):
        if not isinstance(sibling.tag, str):
            continue
        if sibling.tag == "html":
            for child in list(sibling):
                body.extend(list(child) if child.tag in ("head", "body") else [child])
        else:
            body.append(sibling)


class ExtractionError(ValueError):
    """The input is not an HTML page we can parse (one-line reason in the message)."""


def decode_html(html: str | bytes, encoding: str | None = None) -> str:
    """Bytes -> str (see `decoded_html`)."""
    return decoded_html(html, encoding)[0]


_NON_ASCII = re.compile(rb"[\x80-\xff]")
_DETECT_BYTES = 1 << 16     # chardet reads this much of an undeclared page (~20 ms; the whole of a 300 KB page ~0.3 s)


# What a guess may answer: the charsets of chardet's MODERN_WEB era (UTF-8/16/32, Windows-125x,
# KOI8, TIS-620, the CJK ones) and the ISO-8859 ones Firefox's detector (chardetng) also guesses.
# Not the others chardet knows: undeclared Latin-1 French was read as ISO-8859-3, Italian in
# windows-1252 as HP Roman-8 ("giovedì" garbled), charsets no browser would pick.
_GUESSABLE = ("ascii", "utf-8", "utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-32-be", "utf-32-le",
              "big5hkscs", "cp932", "cp949", "euc_jis_2004", "euc_kr", "gb18030", "iso2022_jp_2",
              "iso2022_jp_2004", "iso2022_jp_ext", "shift_jis_2004", "cp874", "cp1250", "cp1251", "cp1252",
              "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "koi8-r", "koi8-u", "tis-620",
              "iso8859-2", "iso8859-5", "iso8859-6", "iso8859-7", "iso8859-8")


def _detect(data: bytes) -> str:
    """The charset of a page that declares none: UTF-8 when it reads as UTF-8, else chardet's
    guess, else windows-1252 (WHATWG's default for a page nothing tells about). chardet, not
    the charset-normalizer Scrapy asks: on ISO-8859-2 Polish or Czech text charset-normalizer
    answers iso8859-10 or windows-1250 ("Všichni" read "Vąichni"), chardet 7 reads all the
    legacy charsets of tests/test_world.py right."""
    if _utf8_text(data):
        return "utf-8"
    first = _NON_ASCII.search(data)     # a long <head> of scripts holds no clue: read from the text
    start = max(0, first.start() - 1024) if first else 0
    guess = chardet.detect(data[start:start + _DETECT_BYTES], include_encodings=_GUESSABLE)["encoding"]
    guess = resolve_encoding(guess) if guess else None
    return guess if guess and guess != "ascii" else "cp1252"


def _utf8_text(data: bytes) -> bool:
    """`data` is valid UTF-8 (ASCII included)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_NOT_UTF8_MIN = 32


def _mostly_not_utf8(data: bytes, text: str) -> bool:
    """`text`, `data` read as UTF-8 with replacement characters, holds more bytes that are not
    UTF-8 than characters that are, and at least _NOT_UTF8_MIN: a page in another charset (each
    of its letters beyond ASCII is such a byte: 97,000 on a Russian page in windows-1251, 180 on
    a German one in Latin-1; Shift_JIS, EUC-JP and EUC-KR text also makes valid UTF-8 by chance,
    still 3-6 times fewer), not a UTF-8 page with a few stray bytes (an ad's snippet), best left
    as it is."""
    if "\ufffd" not in text:
        return False
    replaced = text.count("\ufffd")
    bad = replaced - data.count(b"\xef\xbf\xbd")
    good = len(text) - len(text.encode("ascii", "ignore")) - replaced
    return bad >= _NOT_UTF8_MIN and bad > good


_UTF16 = frozenset({"utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-32-be", "utf-32-le"})


def _utf16_label(encoding: str | None, data: bytes) -> str | None:
    """The WHATWG Encoding Standard's reading of a UTF-16 declaration on a page without a BOM:
    the bare label "utf-16" means little-endian (w3lib reads big-endian: every character
    garbled); and a <meta> that names UTF-16 (or 32) could be read as ASCII, so the page is not
    in it: it is read as UTF-8 (and then as guessed, if it is not that either)."""
    if encoding:
        return "utf-16-le" if encoding.lower().replace("_", "-") == "utf-16" else encoding
    declared = html_body_declared_encoding(data)
    if declared and codecs.lookup(declared).name in _UTF16:
        return "utf-8"
    return None


def decoded_html(html: str | bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, charset) of a page: `encoding` is the charset its HTTP header declares, if any
    (crawler.extraction.pool.declared_charset: not Scrapy's `response.encoding`, already a guess
    when nothing is declared). As browsers: a BOM first, then that, then the page's own
    <meta>/XML declaration, else a guess from the bytes (`_detect`). Two declarations that
    cannot be the page's are overruled, so the article's text is what its writer wrote: a body
    that is valid UTF-8 with characters beyond ASCII is UTF-8 whatever is declared (a server's
    default "charset=ISO-8859-1" over a UTF-8 page printed "Ã¤" for "ä"; text in another charset
    with a few non-ASCII characters is practically never valid UTF-8), and a page declared UTF-8
    that mostly is not (a legacy page under a server's "charset=utf-8") is read in the charset
    its <meta> names, else the guessed one (it lost every Cyrillic letter to U+FFFD)."""
    if isinstance(html, str):
        return html, "utf-8"
    if not isinstance(html, (bytes, bytearray)):
        raise ExtractionError(f"html must be str or bytes, not {type(html).__name__}")
    data = bytes(html)
    bom = read_bom(data)[0] is not None
    if not bom:
        encoding = _utf16_label(encoding, data)
    content_type = f"text/html; charset={encoding}" if encoding else None
    charset, text = html_to_unicode(content_type, data, auto_detect_fun=_detect)
    if bom or data.isascii():
        return text, charset
    name = codecs.lookup(charset).name
    utf8 = name == "utf-8"
    if not utf8 and name not in _UTF16 and _utf8_text(data):     # UTF-16 text of ASCII letters is valid UTF-8 too
        return data.decode("utf-8"), "utf-8"
    if utf8 and _mostly_not_utf8(data, text):
        declared = html_body_declared_encoding(data)
        charset = declared if declared and codecs.lookup(declared).name not in _UTF16 | {"utf-8"} else _detect(data)
        text = data.decode(charset, "replace")
    return text, charset


# Mojibake: a page whose CMS once read its UTF-8 text as Latin-1 and stored it again as UTF-8
# prints "won\u00e2\x80\x99t" for "won’t": each character of the writer's becomes two to four, the
# first a letter (â, Ã), the others C1 control characters (U+0080-U+009F) or Latin-1 signs. A
# browser shows "wonât" (controls are invisible); the writer wrote, and a reader or an annotator
# types, "won’t". No text is written with C1 controls (Windows-1252 pages are decoded as such,
# WHATWG's rule, which w3lib follows), so a page holding one is taken for such a page, and each
# sequence that is a UTF-8 character read as Latin-1 is read back. On WCXB's dev half 23 of
# 1,007 pages hold C1 controls; the 6 articles among them (several hundred words mangled) read
# 0.003-0.035 better each, 4 must-have snippets more found.
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")      # a C1 control, as UTF-8 bytes: ~0.06 ms a page
_LATIN1_READ_UTF8 = re.compile("[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _read_back(match) -> str:
    try:
        return match.group().encode("latin-1").decode("utf-8")
    except UnicodeError:            # not a character's UTF-8 bytes after all: left as printed
        return match.group()


def repair_mojibake(text: str) -> str:
    """`text` with UTF-8 read as Latin-1 read back, if it holds a C1 control (see _C1_UTF8)."""
    if not _C1_UTF8.search(text.encode("utf-8", "surrogatepass")):
        return text
    return _LATIN1_READ_UTF8.sub(_read_back, text)


def parse_html(html: str | bytes, encoding: str | None = None) -> HtmlElement:
    """One parse (trafilatura's parser settings, see _parser); trafilatura and every extractor read this tree."""
    return parse_page(html, encoding)[0]


def parse_page(html: str | bytes, encoding: str | None = None) -> tuple[HtmlElement, str]:
    """(`parse_html`'s tree, the charset the page was read in: its links' queries are written in it)."""
    text, charset = decoded_html(html, encoding)
    text = repair_mojibake(text)
    if not text.strip():
        raise ExtractionError("empty document")
    tree = _load_html(text)
    if tree is None or len(tree) == 0:
        raise ExtractionError("not parseable as HTML")
    return tree, charset


def squash(text: str | None) -> str:
    """Collapse whitespace runs (incl. NBSP) to single spaces and strip."""
    if not text:
        return ""
    return _SPACES.sub(" ", text.replace("\xa0", " ")).strip()


# Elements that hold the site's furniture around a page, never its story's byline or dateline
FURNITURE_TAGS = frozenset({"nav", "footer", "aside"})
_SKIPPED = frozenset({"script", "style", "noscript", "template", "button", "svg", "select", "iframe"})
_BREAKING = frozenset({"br", "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "td", "tr",
                       "figcaption", "figure", "section", "article", "blockquote", "dd", "dt", "header", "footer"})


def element_text(el, skip=None) -> str:
    """Text of an element as rendered inline: inline tags glued (drop caps stay one word),
    block tags and <br> become spaces, scripts/styles/buttons (and `skip`) left out."""
    out: list[str] = []

    def walk(node):
        if node.text:
            out.append(node.text)
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else None
            if tag is not None and tag not in _SKIPPED and (skip is None or child not in skip):
                if tag in _BREAKING:
                    out.append(" ")
                walk(child)
                if tag in _BREAKING:
                    out.append(" ")
            if child.tail:
                out.append(child.tail)

    try:
        walk(el)
    except RecursionError:  # nested deeper than Python's stack (the parser allows 2048 levels)
        return squash(" ".join(el.itertext()))
    return squash("".join(out))


_SPACED_PIECES = etree.XPath("descendant::text()[not(" + " or ".join(f"ancestor::{t}" for t in sorted(_SKIPPED)) + ")]")


def spaced_text(el) -> str:
    """An element's text with every element boundary read as a space, what `element_text` left
    out still left out: for a byline, where a name is an element of its own printed against the
    next one in the markup ("By <a>Ada Lindqvist</a><span>In Politics</span>")."""
    return squash(" ".join(_SPACED_PIECES(el)))


def is_inside(el, ancestor) -> bool:
    """True when `ancestor` is a proper ancestor of `el` (lxml has no cheap containment test)."""
    node = el.getparent()
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


class InsideMatch(dict):
    """Whether an element or one of its ancestors passes `test`, each ancestor judged once (the
    dict: element -> answer): for questions asked of many elements of one tree, which share most
    of their ancestors. `above`: an element not judged, nor anything above it (a search's root)."""

    def __init__(self, test, above=None):
        super().__init__()
        self.test = test
        if above is not None:
            self[above] = False

    def __call__(self, el) -> bool:
        chain = []
        node, found = el, False
        while node is not None:
            known = self.get(node)
            if known is not None:
                found = known
                break
            chain.append(node)
            node = node.getparent()
        for node in reversed(chain):
            found = found or bool(self.test(node))
            self[node] = found
        return found


def following(el, *tags):
    """Elements after `el` in document order, not its own descendants (lxml's following axis
    as a generator: a search that stops after a few elements does not build the whole list);
    with `tags`, only those (filtered by lxml's iter, not in Python)."""
    node = el
    while node is not None:
        for sibling in node.itersiblings():
            if tags:
                yield from sibling.iter(*tags)
            else:
                yield sibling
                yield from sibling.iterdescendants()
        node = node.getparent()


def class_tokens(el) -> list[str]:
    """class and id tokens of an element, lowercased."""
    return f"{el.get('class', '')} {el.get('id', '')}".lower().split()


# Substrings of class/id values that captions.py and furniture.py look at. One walk over the page
# reading each element's class and id finds them all: ~1.8 ms a page, where an XPath with a
# contains() per word costs ~20 ms and one listing every class/id/itemprop attribute ~2.6 ms.
HOOK_WORDS = (
    "caption", "cutline", "legend", "unterschrift", "didascalia", "leyenda",  # captions
    "font", "text-size", "textsize", "share", "sharing", "social", "newsletter", "cookie", "consent",
    "related", "recirc", "subscri", "signup", "sign-up", "print", "rating", "tools",  # widgets
)
_HOOK = re.compile("|".join(re.escape(w) for w in HOOK_WORDS))


def hooked_elements(tree) -> list:
    """Elements (document order) whose class/id contains a HOOK_WORDS substring, plus every
    <figcaption> and itemprop=caption element."""
    out = []
    search = _HOOK.search
    # a page repeats its class values (every menu item, every card): each one is tested once
    tested: dict[str, bool] = {}
    for el in tree.iter(etree.Element):
        get = el.get
        if el.tag == "figcaption" or get("itemprop") == "caption":
            out.append(el)
            continue
        value = get("class")
        if value is not None:
            hooked = tested.get(value)
            if hooked is None:
                hooked = tested[value] = search(value.lower()) is not None
            if hooked:
                out.append(el)
                continue
        value = get("id")
        if value is not None and search(value.lower()):
            out.append(el)
    return out
