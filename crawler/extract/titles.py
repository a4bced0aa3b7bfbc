"""The headline the reader sees, reconciled from <h1>, JSON-LD, og:/twitter: titles and <title>."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from .html import FURNITURE_TAGS, class_tokens, element_text, is_inside, squash
from .jsonld import ld_names, ld_str, ld_types
from .metatags import first

# " | ", " - ", "Site: Headline"; Chinese and Japanese titles print theirs without spaces: the
# full-width "｜", "：" and "丨", or "_", "-", "--", "|" next to a CJK character ("标题_人民网")
_WIDE = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"     # boilerplate.WIDE_SCRIPT's range
_CJK_SEPARATORS = rf"\s*[｜丨：]\s*|(?<=[{_WIDE}])(?:--|__|[_|\-])(?=\S)|(?<=\S)(?:--|__|[_|\-])(?=[{_WIDE}])"
_TITLE_SEPARATORS = re.compile(rf"\s+(?:[|\-–—:·•»«/]|::)\s+|(?<=\w):\s+|{_CJK_SEPARATORS}")
# French quotes are set with spaces inside (« Je me suis adressée »): in a title that holds a pair,
# « and » are quotation marks, not separators
_QUOTED = re.compile(r"«[^«»]+»")
_SEPARATORS_BUT_GUILLEMETS = re.compile(rf"\s+(?:[|\-–—:·•/]|::)\s+|(?<=\w):\s+|{_CJK_SEPARATORS}")
# a site name printed in lenticular brackets before or after a CJK headline: "【人民网】标题"
_BRACKETED = re.compile(r"^【([^】]{1,30})】\s*|\s*【([^】]{1,30})】$")


def _separators(title: str) -> re.Pattern:
    return _SEPARATORS_BUT_GUILLEMETS if _QUOTED.search(title) else _TITLE_SEPARATORS


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _names_site(segment: str, known: set[str], loose: bool = True) -> bool:
    """`segment` is a known site name; `loose`: or starts/ends with one ("Gazette Opinion")."""
    n = _norm(segment)
    if not n:
        return False
    if n in known:
        return True
    compact = n.replace(" ", "")       # "Drain Blaster Bills" on drainblasterbill.com
    if len(compact) >= 6 and any(compact[:len(k)] == k and len(compact) - len(k) <= 1 for k in known):
        return True
    return loose and any(len(k) >= 3 and (n.startswith(k + " ") or n.endswith(" " + k) or k.startswith(n + " "))
               for k in known)


_STRONG_SEPARATORS = ("|", "-", "–", "—", "·", "•", "»", "::", "/")


def strip_site_suffix(title: str, site_names: list[str], guess: bool = True) -> str:
    """'Headline | Site' / 'Headline - Section - Site' / 'Site: Headline' -> 'Headline'.

    Segments naming the site go from either end; then (`guess`) up to three short capitalised
    trailing segments after a strong separator (section names, an unknown site name). A visible
    <h1> is stripped without guessing: only a <title> is written for a browser tab."""
    title = squash(title)
    for name in site_names:
        # a host name glued to the headline without a separator ("example.com Headline")
        if name and "." in name and " " not in name and len(title) > len(name) + 1:
            if title.lower().startswith(name.lower() + " "):
                title = title[len(name) + 1:].lstrip(" |-–—:·•»«/")
            elif title.lower().endswith(" " + name.lower()):
                title = title[:-len(name) - 1].rstrip(" |-–—:·•»«/")
    known = {_norm(s) for s in site_names if s and _norm(s)}
    title = _BRACKETED.sub(lambda m: "" if _names_site(m[1] or m[2], known, False) else m[0], title)
    separators = _separators(title)
    parts = separators.split(title)
    if len(parts) < 2:
        return title
    seps = separators.findall(title)
    start, end = 0, len(parts)
    while end - start > 1 and _names_site(parts[end - 1], known, guess):
        end -= 1
    while end - start > 1 and _names_site(parts[start], known, guess):
        start += 1
    for _ in range(3 if guess else 0):
        if end - start < 2:
            break
        last = parts[end - 1].strip()
        head = " ".join(parts[start:end - 1])
        if len(last) <= 30 and len(last.split()) <= 4 and (last[:1].isupper() or last[:1].isdigit()) \
                and seps[end - 2].strip() in _STRONG_SEPARATORS and seps[end - 2][:1].isspace() \
                and len(last) * 2 < len(head):      # a spaced separator: "-" glued to CJK text may be a hyphen
            end -= 1
        else:
            break
    out = parts[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + parts[i]
    return out.strip()


def _segment_in_body(tree, title: str, known: set[str] = frozenset()) -> str | None:
    """The segment of a <title> printed in the body as an element of its own; not one naming
    the site (`known`): a footer's "© Süddeutsche Zeitung" is no headline."""
    segments = sorted((p.strip() for p in _separators(title).split(title)
                       if len(p.strip()) >= 10 and not _names_site(p, known, loose=False)), key=len, reverse=True)
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


def _declared_titles(tree, article: dict | None, metas: dict) -> tuple[list[tuple[str, str]], object]:
    """[(source, raw title)] the page declares: JSON-LD headline, og:title, twitter:title,
    <title> (else a headline/title/dc.title meta); and the <title> element."""
    sources: list[tuple[str, str]] = []
    if article:
        headline = ld_str(article.get("headline")) or ld_str(article.get("name"))
        if headline:
            sources.append(("ld", headline))
    for name, key in (("og", "og:title"), ("tw", "twitter:title")):
        value = first(metas, key)
        if value:
            sources.append((name, value))
    title_el = tree.find(".//head/title")
    if title_el is None:
        title_el = tree.find(".//title")
    if title_el is not None:
        value = squash(title_el.text_content())
        if value:
            sources.append(("title", value))
    if not sources:
        value = first(metas, "headline", "title", "dc.title")
        if value:
            sources.append(("meta", value))
    return sources, title_el


def _names_in_title(sources: list[tuple[str, str]]) -> list[str]:
    """Segments of the <title> around the wording a social/JSON-LD title gives: "Engora Data
    Blog: Small adventures" with og:title "Small adventures" names the site "Engora Data Blog"."""
    title = next((v for n, v in sources if n == "title"), None)
    if not title:
        return []
    parts = [p.strip() for p in _separators(title).split(title)]
    names: list[str] = []
    for name, value in sources:
        wanted = _norm(value)
        if name == "title" or not wanted:
            continue
        for k in range(1, len(parts)):
            if _norm(" ".join(parts[:k])) == wanted:
                names.extend(parts[k:])
            elif _norm(" ".join(parts[k:])) == wanted:
                names.extend(parts[:k])
    return names


def host_names(url: str | None) -> list[str]:
    """'https://www.newegg.com/x' -> ['newegg.com', 'newegg']: sites name themselves by host."""
    host = (urlsplit(url).hostname or "") if url else ""
    host = host[4:] if host.startswith("www.") else host
    labels = host.split(".")
    if len(labels) < 2:
        return []
    # the label before the public suffix (one or two labels: example.com, example.co.uk)
    main = labels[-3] if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else labels[-2]
    return [host, main] if len(main) >= 4 else [host]


_STOPWORDS = frozenset(
    "a an and are as at be by for from how in into is it its of on or our the this to vs what when where "
    "which who why will with you your".split())
_WORDS = re.compile(r"\w+")


def _content_words(text: str) -> set[str]:
    """Lower-cased words but stop words, plural -s dropped: "Top 10 SEO Strategies" ~ "SEO strategy"."""
    out = set()
    for word in _WORDS.findall(text.lower()):
        if word not in _STOPWORDS:
            out.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return out


def _agreement(a: set[str], b: set[str]) -> float:
    """Dice coefficient of two word sets."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


# ancestors that make a heading page furniture rather than the page's own headline
_FURNITURE = FURNITURE_TAGS | {"template", "noscript", "button"}
# An <h1> sharing at least this Dice share of words with a declared title is the same headline
# worded for the page rather than for search results and social cards.
_AGREES = 0.4


_BYLINE_TOKEN = re.compile(r"(?:^|[-_])(?:date|time|dateline|byline|author|posted|published|posted-on)(?:$|[-_])")
_NESTED = frozenset({"time", "h2", "h3", "h4", "h5", "h6"})


def _byline_parts(h1, known: set[str]) -> set:
    """A date, a byline, a nested heading or the site's name inside an <h1> ("Dec 18 2025
    Headline", "Headline Posted on July 1 by X", "<span>Headline</span><a>Site</a>"): printed
    with it, not part of the headline."""
    return {el for el in h1.iterdescendants() if isinstance(el.tag, str) and (
        el.tag in _NESTED or any(_BYLINE_TOKEN.search(t) for t in class_tokens(el))
        or len(el) == 0 and _norm(el.text or "") in known)}


def _headings(tree, known: set[str], site_names: list[str]) -> list[str]:
    """Texts of the page's <h1>s a reader sees as a headline: not in navigation or footers,
    not a template placeholder, not the site's name (a logo in an <h1>)."""
    out = []
    for h1 in tree.iter("h1"):
        if any(a.tag in _FURNITURE for a in h1.iterancestors()):
            continue
        text = element_text(h1, skip=_byline_parts(h1, known)) or element_text(h1)
        if "&" in text and ";" in text:      # double-escaped CMS output: "&#x26;"
            text = squash(html.unescape(text))
        if not text or "{{" in text or len(text) > 300:
            continue
        text = strip_site_suffix(text, site_names, guess=False)
        if _norm(text) and _norm(text) not in known:
            out.append(text)
    return out


_HEADLINE_TOKEN = re.compile(r"(?:^|[-_])(?:title|headline|heading)(?:$|[-_])")


def _story_heading(tree, known: set[str], site_names: list[str]):
    """(article element, its headline) for a page whose story sits in an <article> with its
    own headline: an <h1>/<h2> marked itemprop=headline, or with a title/headline class in
    the article's <header>. Drupal and WordPress themes print the section ("Blogs") as the
    page's <h1> and the post's title as such a heading."""
    articles = [a for a in tree.iter("article") if not any(p.tag in _FURNITURE for p in a.iterancestors())]
    if not articles:
        return None
    story = max(articles, key=lambda a: len(a.text_content()))
    for heading in story.iter("h1", "h2"):
        marked = (heading.get("itemprop") or "").lower() == "headline"
        in_header = any(p.tag == "header" for p in heading.iterancestors() if p is not story and is_inside(p, story))
        if not (marked or in_header and any(_HEADLINE_TOKEN.search(t) for t in class_tokens(heading))):
            return None     # the story's first heading is a section of it, not its headline
        if not marked and sum(h.get("class") == heading.get("class") for h in story.iter(heading.tag)) > 1:
            return None     # a class repeated on the story's headings: section titles
        text = strip_site_suffix(element_text(heading, skip=_byline_parts(heading, known)), site_names, guess=False)
        if text and "{{" not in text and _norm(text) not in known:
            return story, text
        return None
    return None


_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]")


def unmangle(text: str | None) -> str | None:
    """UTF-8 read as Latin-1 by the CMS ("Investorâ\x80\x99s" -> "Investor’s"): the bytes
    decoded again, when they are valid UTF-8 (text that merely holds "Ã©" as written stays)."""
    if not text or not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def find_title(tree, article: dict | None, metas: dict, site_names: list[str], url: str | None = None) -> str | None:
    """The headline the reader sees, without site name or tagline (`_find_title`), its
    mis-decoded characters repaired (`unmangle`)."""
    return unmangle(_find_title(tree, article, metas, site_names, url))


def _find_title(tree, article: dict | None, metas: dict, site_names: list[str], url: str | None = None) -> str | None:
    """The headline the reader sees, without site name or tagline.

    The <h1> is what the reader sees; the declared titles (JSON-LD headline, og:title,
    twitter:title, <title>) are written for search results, social cards and browser tabs, and
    often carry the site's name, a tagline or an SEO rewording. So the <h1> that agrees with a
    declared title (shares most of its words) is the headline, as printed; an <h1> in capitals
    gives way to a declared title spelling the same words (CSS shows the case the page chose).
    Site names are known from og:site_name / JSON-LD publisher, the host name, and the <title>
    segments around a social title's wording. Without an agreeing <h1> (no <h1>, a logo in it,
    a section name), the declared titles vote (`_voted_title`)."""
    raw, title_el = _declared_titles(tree, article, metas)
    names = list(site_names) + host_names(url) + _names_in_title(raw)
    known = {_norm(s) for s in names if s and _norm(s)}
    sources = [(name, strip_site_suffix(value, names)) for name, value in raw]
    headings = _headings(tree, known, names)
    if headings and not sources:
        return headings[0]
    best, best_score = None, _AGREES
    for heading in headings:
        words = _content_words(heading)
        score = max(_agreement(words, _content_words(value)) for _, value in sources)
        if score > best_score or score == 1.0 and best_score < 1.0:
            best, best_score = heading, score
    story = _story_heading(tree, known, names)
    if story is not None and not any(_norm(h) == _norm(story[1]) for h in headings) \
            and not _in_story(tree, story[0], best) \
            and (best is None or _agreement(_content_words(best), _content_words(story[1])) < _AGREES):
        # the page's <h1> names the section or the site, outside the story; the story's own
        # headline is the article's
        return story[1]
    if best is not None:
        bare = strip_site_suffix(best, names)
        if bare != best and best.startswith(bare) and any(_norm(bare) == _norm(v) for _, v in sources):
            # an <h1> printed like a <title> ("Headline | Opinion", "Headline | Section | Site"):
            # the declared titles, their suffixes stripped, say where the headline ends
            best = bare
        if best.isupper():
            same = next((v for _, v in sources if _norm(v) == _norm(best)), None)
            if same:
                return same
        part = _declared_part(tree, best, sources)
        if part:
            return part
        return _repaired(best, [v for _, v in sources])
    return _voted_title(tree, sources, headings, title_el, known)


def _declared_part(tree, heading: str, sources: list[tuple[str, str]]) -> str | None:
    """The part of an <h1> that every declared title spells, when the <h1> prints more in
    elements of its own ("<div>Get that tech stack</div><span>Klatch Coffee</span>": a kicker
    set in the heading): the declared titles agree on the words the headline element holds."""
    declared = {_norm(v) for _, v in sources}
    if len(declared) != 1 or _norm(heading) in declared:
        return None
    wanted = _norm(heading)
    for h1 in tree.iter("h1"):
        if _norm(element_text(h1)) != wanted:
            continue
        for el in h1.iterdescendants():
            if isinstance(el.tag, str) and el.tag not in _EMPHASIS and _norm(element_text(el)) in declared:
                return element_text(el)
    return None


# words set in bold or italics inside a headline are part of it ("Free <strong>SEO Checker</strong>")
_EMPHASIS = frozenset({"strong", "b", "em", "i", "mark", "u"})


_LOST = frozenset("?\ufffd")


def _repaired(heading: str, declared: list[str]) -> str:
    """An <h1> whose characters the page's encoding lost ("Beginner? Guide", "Caf\ufffd"):
    the declared title written with those characters, when it matches everywhere else."""
    if not _LOST & set(heading):
        return heading
    for value in declared:
        if value != heading and len(value) >= len(heading) and _fills(heading, value):
            return value
    return heading


def _fills(heading: str, value: str) -> bool:
    """`value` is `heading` with each lost character ("?", U+FFFD) written as one or two
    characters (an apostrophe and the "s" after it turned into one "?")."""
    pattern = "".join(".{1,2}" if c in _LOST else re.escape(c) for c in heading)
    return re.fullmatch(pattern, value, re.DOTALL) is not None


def _in_story(tree, story, heading_text: str | None) -> bool:
    """An <h1> with this text inside the story's <article>."""
    if heading_text is None:
        return False
    wanted = _norm(heading_text)
    return any(_norm(element_text(h)) == wanted for h in story.iter("h1"))


def _voted_title(tree, sources: list[tuple[str, str]], h1s: list[str], title_el,
                 known: set[str] = frozenset()) -> str | None:
    """Each source votes: JSON-LD headline, og:title, twitter:title, <title> (suffix stripped) and
    the <h1> that agrees with one of them (else the first <h1>). The wording most sources share
    wins and is returned as the <h1> shows it when the <h1> is among them. One source alone is
    not trusted over several that agree: SEO <title>s, social titles and stale JSON-LD each
    differ from the page now and then. When no wording has more votes than every other (the
    <h1> and JSON-LD say one thing, the social titles another), the document's own <title>
    decides, site suffix stripped; without a <title>, JSON-LD then og:title break the tie."""
    sources = list(sources)
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
        shown = _segment_in_body(tree, squash(title_el.text_content()), known)
        if shown:
            return shown
    for name in ("h1", "ld", "og", "title", "tw", "meta"):
        if name in by_name:
            return by_name[name]
    return None



def find_site_names(article: dict | None, objects: list[dict], metas: dict) -> list[str]:
    names = []
    for key in ("og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:site"):
        names.extend(metas.get(key, []))
    if article:
        names.extend(ld_names(article.get("publisher")))
    for obj in objects:
        if ld_types(obj) & {"newsmediaorganization", "organization", "website"}:
            names.extend(ld_names(obj))
    return [n.lstrip("@") for n in names if n]

