"""Authors: JSON-LD, meta tags, byline markup and "By ..." lines, cleaned and split.

Declared people come first (JSON-LD Person, author meta tags). A declared author that is the
publisher itself (an Organization, the site's own name, the copyright holder, a name with a
company's legal form) is what a CMS fills in when nobody is credited, so the byline printed on
the page is read before falling back to it. The byline
is found by markup conventions, in this order: elements whose class names an author's *name*
(author-name, authorname, byline__name, creator-name) or itemprop=author / rel=author, links
to an author page (/author/slug), then short author/byline blocks and "By ..." / "Written by"
lines, from which the name is cut out (labels, dates, roles and reading times dropped).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml.etree import XPath

from .boilerplate import WIDE_SCRIPT
from .html import FURNITURE_TAGS, class_tokens, element_text, following, spaced_text, squash
from .jsonld import ld_names, ld_types

_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bund\b|\bet\b|\by\b|&|\|)\s*", re.IGNORECASE)
# the word before a byline's name: English, German, French, Spanish/Portuguese, Italian, Dutch,
# Scandinavian, Greek (genitive article), Arabic, Hebrew, Thai
_BY_OTHER_SCRIPTS = "του|της|بقلم|מאת|โดย"
_BY_PREFIX = re.compile(rf"^(?:by|von|par|por|di|door|av|af|{_BY_OTHER_SCRIPTS})\s+", re.IGNORECASE)


# meta tags that name a page's writer (OpenGraph, Dublin Core, the big CMS/analytics conventions),
# read in this order
AUTHOR_META = ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author", "byl")
# what a CMS writes when nobody is credited: its default account, a generated user id
_PLACEHOLDER = re.compile(r"^(?:admin|administrator|webmaster|site\s*admin)$|^(?=(?:[a-z]*\d){3})[a-z\d]{12,}$",
                          re.IGNORECASE)


def clean_authors(names: list[str]) -> list[str]:
    """Names split ("A, B and C"), "By" labels cut, each once; links, e-mail handles and CMS
    placeholder accounts ("admin", "mdelatorre7q6vk2ma0ci") left out."""
    out: list[str] = []
    seen = set()
    for raw in names:
        raw = squash(raw)
        if not raw or raw.startswith("http") or "@" in raw and " " not in raw:
            continue
        raw = _BY_PREFIX.sub("", raw)
        for name in _AUTHOR_SPLIT.split(raw) if len(raw) > 40 or "," in raw or " and " in raw else [raw]:
            name = squash(_BY_PREFIX.sub("", name)).strip(" .,-")
            if not name or len(name) > 80 or name.startswith("http") or _PLACEHOLDER.match(name):
                continue
            key = name.lower()
            if key not in seen:
                seen.add(key)
                out.append(name)
    return out


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _resolve(value, objects: list[dict]):
    """A JSON-LD reference ({"@id": ...} and nothing else, as Yoast writes an @graph's
    author) replaced by the object of that @id the page declares."""
    if isinstance(value, list):
        return [_resolve(v, objects) for v in value]
    if isinstance(value, dict) and "name" not in value and value.get("@id"):
        return next((o for o in objects if o.get("@id") == value["@id"] and o.get("name")), value)
    return value


def _declared(article: dict | None, metas: dict, objects: list[dict] = ()) -> tuple[list[str], bool]:
    """(names, is_person): JSON-LD author/creator, else author meta tags. is_person is False
    when JSON-LD types every author an Organization (a publisher credited as author)."""
    if article:
        value = _resolve(article.get("author") or article.get("creator"), objects)
        names = ld_names(value)
        if names:
            credited = value if isinstance(value, list) else [value]
            typed = [o for o in credited if isinstance(o, dict) and o.get("@type")]
            organizations = [o for o in typed if ld_types(o) & {"organization", "newsmediaorganization", "corporation"}]
            return names, not (typed and len(organizations) == len(typed))
    names = [v for key in AUTHOR_META for v in metas.get(key, []) if not v.startswith("http")]
    # Highwire Press tags of scholarly pages: one person each, "Last, First"
    names += [" ".join(reversed(v.split(",", 1))).strip() if v.count(",") == 1 else v
              for v in metas.get("citation_author", [])]
    return names, True


_CARD_LABEL = re.compile(r"^\s*(?:written\s+by|authors?|by)\s*:?\s*$", re.IGNORECASE)


def _labelled_card_data(metas: dict) -> list[str]:
    """The name in a Twitter card's labelled data ("twitter:label1" = "Written by",
    "twitter:data1" = the name): how Yoast and other SEO plugins tell the author to link
    unfurlers when no author meta is written."""
    for i in range(1, 5):
        label = (metas.get(f"twitter:label{i}") or [""])[0]
        if _CARD_LABEL.match(label) and metas.get(f"twitter:data{i}"):
            return metas[f"twitter:data{i}"][:1]
    return []


# a company's legal form: the name of an organization, not of the person who wrote
_LEGAL_ENTITY = re.compile(r"\b(?:GmbH|Inc|LLC|Ltd|Limited|AG|plc|Corp|Corporation|LLP|Pty|S\.A|S\.L|B\.V|N\.V|S\.r\.l)"
                           r"(?:\.|\b)")


def find_authors(tree, article: dict | None, metas: dict, site_names: list[str] = (), url: str | None = None,
                 objects: list[dict] = ()) -> list[str]:
    """Authors as credited on the page, each once, in order (`url`: the page's, for a personal
    site's owner; `objects`: the page's JSON-LD objects, for references to a person)."""
    names, is_person = _declared(article, metas, objects)
    sites = {_norm(s) for s in site_names if s}
    holder = _norm(" ".join(metas.get("copyright", [])[:1]))
    # the site's name, the copyright holder's (<meta name="copyright">) or a company's: the
    # publisher filled in as author
    publisher = bool(names) and (not is_person or all(_norm(n) in sites or holder and _norm(n) == holder
                                                      or _LEGAL_ENTITY.search(n) for n in names))
    if names and not publisher:
        return clean_authors(names)
    printed = _byline_names(tree, sites) or (None if names else _copyright_person(tree, urlsplit(url or "").hostname or ""))
    if printed:
        return clean_authors(printed)
    # the publisher, as declared, when nothing else is printed: a company whole, not its
    # address ("Gazette GmbH, Munich, Germany" is one credit, not three)
    return clean_authors([n.split(",")[0] if _LEGAL_ENTITY.search(n) else n for n in names] or _labelled_card_data(metas))


# class/id substrings that mark an author block, and the ones that mark something else
_AUTHOR_HOOK = re.compile(r"author|byline|contributor|creator|writer|writter|posted-?by")
_NOT_AUTHOR = re.compile(r"authori[tz]|comment|avatar|image|img|photo|picture|thumb|social|share|follow|"
                         r"icon|related|widget|newsletter|reply|review")
_NAME_HOOK = re.compile(r"name|title|link")
_AUTHOR_LINK = re.compile(r"/(?:author|authors|contributor|contributors|writer|writers)/[^/?#]+", re.IGNORECASE)
# "/descendant::" rather than "//": the same elements, without libxml2's step through every node
# (descendant-or-self::node()/child::*): 1.1 instead of 1.4 ms a page
_HOOKED = XPath('//body/descendant::*[@class or @id or @rel or @itemprop or @href]')
_CLASS_HOOK = re.compile(r"uthor|yline|ontributor|reator|riter|osted")
_ID_HOOK = re.compile(r"uthor|yline")
_HREF_HOOK = re.compile(r"/author|/contributor|/writer")


def _candidates(tree) -> list:
    """Elements (document order) whose class, id, rel, itemprop or link may mark a byline.
    One XPath for the elements with any of those attributes, the substrings tested in
    Python: an XPath with a contains() per substring costs about twice as much."""
    out = []
    for el in _HOOKED(tree):
        cls, ident, href, itemprop = el.get("class"), el.get("id"), el.get("href"), el.get("itemprop") or ""
        if cls and _CLASS_HOOK.search(cls) or ident and _ID_HOOK.search(ident) or el.get("rel") == "author" \
                or "author" in itemprop or href and _HREF_HOOK.search(href) \
                or itemprop == "name" and any(a.get("itemprop") == "author" for a in el.iterancestors()):
            out.append(el)
    return out


# "By", "Written by:", "Author:", "Posted by" before the name
# ... and the labels other languages print there: "Autor:", "Автор:", "लेखक:" (a word of its own),
# "作者：", "文／", "记者" (Chinese and Japanese may print the name right after it)
_LABEL_WORDS = "authors?|autor(?:es|in|ka|zy)?|auteur|autore|автор|авторы|συντάκτης|लेखक|ผู้เขียน|الكاتب|כתב"
_CJK_LABELS = r"作者|撰文|文\s*[/／]|記者|记者"
_LABEL = re.compile(
    r"^(?:(?:written|posted|published|authored|words|story|text|article|articles|posts|stories)\s+)?by\s*:?\s*|"
    rf"^(?:{_LABEL_WORDS})(?![^\W\d_])\s*[:：]?\s*|^(?:{_CJK_LABELS})\s*[:：]?\s*|^(?:{_BY_OTHER_SCRIPTS})\s+|"
    r"^(?:written|posted)\s*:\s*", re.IGNORECASE)
_OTHER_ROLE = re.compile(r"^(?:reviewed|edited|fact[- ]checked|medically reviewed|photos?|illustrations?|"
                         r"updated|published)\b", re.IGNORECASE)
_MONTHS = ("jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|"
           "august|september|october|november|december")
# where the name ends: a date, a separator, "on <date>", a reading time, a role
_NAME_END = re.compile(
    r"\s+(?:on|at|in|for|from|updated|published|posted|last|\d)\b.*$|\s*[|•·—–]\s*.*$|\s+-\s+.*$|"
    rf"\s*,?\s+(?:{_MONTHS})\.?\s+\d.*$|\s+\d+\s*(?:min|minute).*$",
    re.IGNORECASE)
# "Dec. 19, 2025 · Niko Matsakis", "2025-12-17 | Ada Lindqvist": a byline printed after its date
_LEADING_DATE = re.compile(
    rf"^(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+(?:{_MONTHS})\.?,?\s+\d{{4}}|"
    r"\d{4}-\d\d-\d\d)\s*(?:[|•·—–-]\s*)?", re.IGNORECASE)
_ROLE_TAIL = re.compile(
    r"\s+(?:author|contributor|contributing writer|staff writer|writer|editor|reporter|correspondent|columnist|"
    r"co-?founder|founder|ceo|cto|director|manager|head of|senior|lead|chief|tech writer|guest author|"
    r"기자|특파원|記者|记者|特派員|特派员)\b.*$",     # Korean, Japanese, Chinese: "정덕현 기자", the role after the name
    re.IGNORECASE)
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ(][\w'’.()-]*|de|van|von|da|di|del|la|le|der|den|du|bin|al|y|e)$")
_CJK_NAME = 5       # characters of a name written in Chinese, Japanese or Korean, without spaces, at most


def _capital(word: str) -> bool:
    """`word` begins as a name does: a capital of any cased script (Latin, Cyrillic, Greek...),
    or a letter of a script without case (Arabic, Hebrew, Devanagari, Thai, CJK), where every
    word is written alike."""
    return word[:1].isalpha() and not word[:1].islower()


def _name_word(word: str) -> bool:
    return bool(_NAME_WORD.match(word)) or _capital(word) and not word[:1].isascii()


# link and label texts of author boxes that are not a name
_NOT_NAMES = frozenset({
    "by", "author", "authors", "admin", "written by", "posted by", "learn more", "read more", "more",
    "view profile", "profile", "see all", "view all", "all posts", "about the author", "about", "bio",
    "follow", "contact", "view all posts", "more articles", "editor", "staff"})


def _in_furniture(el) -> bool:
    """In the page's navigation, footer or sidebar (not the article's own <footer>)."""
    furniture = False
    for node in el.iterancestors():
        if node.tag in ("article", "main"):
            return False
        furniture = furniture or node.tag in FURNITURE_TAGS
    return furniture


def _name_from(text: str, strict: bool) -> str | None:
    """The name in a byline text: "By Ada Lindqvist on March 9, 2024 · 4 min read" -> "Ada
    Lindqvist". `strict`: the text must look like a personal name (capitalised words), as
    when it comes from a mixed block rather than an element holding only the name."""
    text = squash(text)
    if not text or len(text) > 200 or _OTHER_ROLE.match(text):
        return None
    text = _LEADING_DATE.sub("", text, count=1)
    text, labels = _LABEL.subn("", text, count=1)
    text = _NAME_END.sub("", text)
    text, roles = _ROLE_TAIL.subn("", text)
    text = text.strip(" ,.:;-")
    marked = bool(labels or roles)      # a label or a role told it is a name
    if not text or len(text) > 60 or not re.search(r"[^\W\d_]", text) or "@" in text and " " not in text:
        return None
    words = text.split()
    if len(words) > 6 or _norm(text) in _NOT_NAMES:
        return None
    # a Chinese, Japanese or Korean name is one word ("王伟", "정덕현"): taken when labelled so
    cjk_name = marked and len(words) == 1 and len(text) <= _CJK_NAME and len(WIDE_SCRIPT.findall(text)) == len(text)
    if strict and not (2 <= len(words) and all(map(_name_word, words)) or cjk_name):
        return None
    if len(words) > 1 and not any(map(_capital, words)):
        return None     # "see all", "view profile": a user name is one word ("jsteinhardt")
    return text


def _byline_names(tree, sites: set[str]) -> list[str]:
    """Names printed as the page's byline, by markup convention (see the module docstring)."""
    named: list[str] = []       # elements that hold only a name
    blocks: list[str] = []      # author/byline blocks and "By ..." lines: the name is cut out
    for el in _candidates(tree):
        if not isinstance(el.tag, str) or el.tag in ("img", "meta", "link", "script", "style"):
            continue
        tokens = class_tokens(el)
        joined = " ".join(tokens)
        if any(_NOT_AUTHOR.search(t) for t in tokens):
            continue
        rel, itemprop, href = el.get("rel") or "", (el.get("itemprop") or "").lower(), el.get("href") or ""
        text = element_text(el)
        if not text or len(text) > 200:
            continue
        # markup that names the author outright counts wherever it is (author boxes sit in
        # footers and asides); a block that merely mentions one must be in the article
        if "author" in rel.split() or (el.tag == "a" and _AUTHOR_LINK.search(href)) \
                or itemprop == "author" and len(el) == 0 or itemprop == "name" \
                or _AUTHOR_HOOK.search(joined) and _NAME_HOOK.search(joined) and not _in_furniture(el):
            name = _name_from(text, strict=False)
            if name and _norm(name) not in sites:
                named.append(name)
        elif (_AUTHOR_HOOK.search(joined) or "author" in itemprop) and not _in_furniture(el):
            name = _name_from(text, strict=True)
            if name and _norm(name) not in sites:
                blocks.append(name)
    if named:
        # a name written as one ("Ada Lindqvist") before a handle or a label-like link text
        named.sort(key=lambda n: _name_from(n, strict=True) is None)
        return named[:3]
    if blocks:
        return blocks[:1]
    return _by_lines(tree, sites) or _by_in_meta_block(tree) or _after_label(tree, sites)


_BY_LINE = re.compile(r"^(?:(?:written|posted)\s+)?by(?:\s*:\s*|\s+)\S", re.IGNORECASE)


def _by_lines(tree, sites: set[str]) -> list[str]:
    """A short "By Ada Lindqvist" / "Written by: Ada Lindqvist" line anywhere in the page body."""
    parents: dict = {}      # a parent's text read once: labels sharing one parent (an <article>
    # of many "Written by" lines whose names are elements of their own) read it once, not each
    for el in tree.iter("p", "span", "div", "li", "address", "em", "strong", "small", "h3", "h4", "h5", "h6"):
        head = (el.text or "").lstrip()
        if not head[:12].lower().startswith(("by", "written", "posted")) or _in_furniture(el):
            continue
        text = spaced_text(el)
        parent = el.getparent()
        if not _LABEL.sub("", text, count=1).strip(" :") and parent is not None:
            if parent not in parents:
                parents[parent] = spaced_text(parent)     # <span>Written by:</span> <a>Name</a>
            text = parents[parent]
        if len(text) > 100:     # "Written by Jack Shepherd Hi! I'm Jack, ...": the byline's own line
            text = re.split(r"[!?]\s|\.\s+(?=[A-Z][a-z])", text, maxsplit=1)[0]
        if len(text) > 100 or not _BY_LINE.match(text) and not _LABEL.match(text):
            continue
        name = _name_from(text, strict=True)
        if name and _norm(name) not in sites:
            return [name]
    return []


_META_TAGS = ("p", "span", "div", "font", "address")
_META_CLASS = re.compile(r"byline|meta|author|posted|credit")     # in the class, case as written
_META_BLOCKS = 8            # blocks read, in document order


def _meta_blocks(tree) -> list:
    """The first _META_BLOCKS elements of the body that are post-meta or credit blocks (by
    _META_TAGS and _META_CLASS). A walk that stops there: an XPath over the whole page
    for them all cost 2.5 times as much."""
    body = next(tree.iter("body"), None)     # the parser makes one <body>
    out: list = []
    if body is None:
        return out
    for el in body.iterdescendants(*_META_TAGS):
        cls = el.get("class")
        if cls is not None and _META_CLASS.search(cls):
            out.append(el)
            if len(out) == _META_BLOCKS:
                break
    return out


_BY_NAME = re.compile(
    r"(?:^|\b)(?:[Bb]y|BY|[Pp]osted by|[Ww]ritten by|[Vv]on|[Pp]ar|[Pp]or)\s+"
    r"((?:[A-Z][\w'’.-]+)(?:\s+(?:[A-Z][\w'’.-]+|de|van|von|da|di|del|la|le|der|den)){0,4})"
)


# an element that holds only a byline label: "Author", "Written by:", "Article written by"
_LABEL_ONLY = re.compile(r"^(?:(?:article|post|story)\s+)?(?:(?:written|posted|authored)\s+by|by|authors?)\s*:?$",
                         re.IGNORECASE)
_HANDLE = re.compile(r"^[\w.-]{3,30}$")
_LABEL_REACH_ELEMENTS = 6   # elements after the label searched for the name


def _after_label(tree, sites: set[str]) -> list[str]:
    """The name printed after a label element of its own ("<h3>Author</h3><p>Lisa D. Ellis</p>",
    "<span>Written by</span><div><svg/><span>Eliz</span></div>"): the next text in document
    order, a personal name or a user name."""
    for el in tree.iter("span", "div", "p", "h2", "h3", "h4", "h5", "h6", "strong", "b", "dt", "label", "small"):
        if len(el) > 1 or not _LABEL_ONLY.match((el.text or "").strip()) or len(el) == 1 and el[0].tail \
                or not _LABEL_ONLY.match(element_text(el)) or _in_furniture(el):
            continue
        seen = 0
        for nxt in following(el):
            if not isinstance(nxt.tag, str) or nxt.tag in ("svg", "img", "script", "style", "use", "path"):
                continue
            seen += 1
            if seen > _LABEL_REACH_ELEMENTS:
                break
            text = squash(nxt.text or "")
            if not text:
                continue
            # "Jane Roe, MD, FACP": the name before the credentials
            name = _name_from(text.split(",")[0], strict=True) or (text if _HANDLE.match(text) and not text.isdigit() else None)
            if name and _norm(name) not in sites and _norm(name) not in _NOT_NAMES:
                return [name]
            break
    return []


def _by_in_meta_block(tree) -> list[str]:
    """'Posted by Ada Lindqvist on March 9' / 'By WALT PEMBERTON' inside a post-meta or credit
    block (old templates put the byline in the middle of a line of metadata)."""
    for el in _meta_blocks(tree):
        text = spaced_text(el)
        if not text or len(text) > 200:
            continue
        match = _BY_NAME.search(text)
        if match:
            name = _NAME_END.sub("", match.group(1))
            return [name.title() if name.isupper() else name]
    return []


_COPYRIGHT = re.compile(r"(?:©|\(c\)|copyright)\s*(?:(?:19|20)\d\d\s*(?:[-–]\s*(?:19|20)\d\d)?\s*)?,?\s*"
                        r"([A-ZÀ-Þ][\w'’-]+(?:\s+[A-ZÀ-Þ][\w'’-]+){1,2})(?=\s*(?:[.,|]|$|all rights))",
                        re.IGNORECASE)


def _copyright_person(tree, host: str) -> list[str]:
    """"© 2025 Toby Hede. All rights reserved." in the footer of tobyhede.com: a personal site
    named after its owner, who wrote what it publishes when no byline says otherwise. Only
    when the host spells the whole name (a company's copyright line names the company, and
    "Scripps Health" on scripps.org is no person)."""
    compact = re.sub(r"[^a-z]", "", host.lower())
    if not compact:
        return []
    for el in tree.iter("footer"):
        match = _COPYRIGHT.search(element_text(el)[-600:])
        if not match:
            continue
        name = match.group(1)
        if re.sub(r"[^a-z]", "", name.lower()) in compact and all(_NAME_WORD.match(w) for w in name.split()):
            return [name]
        return []
    return []
