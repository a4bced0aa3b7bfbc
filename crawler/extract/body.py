"""Article body: trafilatura reads the pruned tree, and what it dropped of the story is read again.

The tree is pruned first (furniture.py, boilerplate.py) and the paragraphs are cleaned after
(paragraphs.py); this module is the reading: trafilatura's pass, its fallbacks and the recall
passes for story parts it left out (lists and subheads, prose in closed panels)."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import trafilatura.utils as _trafilatura_utils
import trafilatura.xml as _trafilatura_xml
from trafilatura.settings import use_config
from lxml.etree import XPath
from trafilatura.xpaths import OVERALL_DISCARD_XPATH

from .boilerplate import PROSE_MIN, lift_story, prose_length, prose_paragraphs, prune_around_story, story_block, unlift
from .classify import text_runs
from .furniture import (link_share, prune_deks, prune_dialogs, prune_navs, prune_rails, prune_story_pointers,
                        prune_widgets)
from .html import InsideMatch, following, is_inside
from .paragraphs import key
from .readings import SharedSteps, bare_extraction
from .rebind import rebound, rebound_module

_PRUNE = ["//figcaption"]

# trafilatura's second opinion (readability, then jusText; off in its fast mode) costs about a
# tenth of a page's extraction and changes the body of few pages (6 of the 181 ScrapingHub
# benchmark pages, half of them for the worse). It runs when the fast pass kept less than this
# share of the page's prose: there it rescues bodies the main extractor missed. Measured on the
# WCXB dev half's 526 article pages: 0.3 loses 3 pages (0.99->0.49 ...), 0.7 rescues 2 more than
# 0.5 (0.66->0.95, 0.82->1.00) at no CPU we could tell apart, 0.9 costs a page and ~10% CPU.
FALLBACK_BELOW = 0.7


# A layout table's cell holds a column of the page: paragraphs of prose or other tables. A
# data table's cells each hold a value or a short description, even when a CMS wraps each one
# in a <p> (WordPress's table block, many page builders): unwrapped, its figure wrapper (which
# trafilatura deletes unless it holds a <table>) went too, with the table.
LAYOUT_CELL = 400           # characters of paragraph text in one cell: a column, not a value
_LAYOUT_MIN = 200           # characters of paragraph text in a one- or two-cell table: a box


def unwrap_layout_tables(tree) -> int:
    """Turn layout tables (a cell holding LAYOUT_CELL of paragraph text or another table, or
    a one- or two-cell box around paragraphs) into plain blocks.

    trafilatura reads a <table> as data and flattens it into one "| cell | cell |" line, which
    for an old table-layout page is the whole page, navigation included. Data tables are left alone."""
    changed = 0
    for table in list(tree.iter("table")):
        nested = next(table.iterdescendants("table"), None) is not None
        if not nested:
            cells = [sum(len(p.text_content()) for p in cell.iter("p"))
                     for cell in table.xpath("./tr/td|./tr/th|./*/tr/td|./*/tr/th")]
            if not cells or max(cells) < LAYOUT_CELL and (len(cells) > 2 or sum(cells) < _LAYOUT_MIN):
                continue
        for row in table.xpath("./tr|./*/tr"):
            for cell in row.xpath("./td|./th"):
                cell.tag = "div"
            row.tag = "div"
        for section in table.xpath("./thead|./tbody|./tfoot|./caption"):
            section.tag = "div"
        table.tag = "div"
        changed += 1
    return changed


# trafilatura deletes every <figure> with what it holds (unless it holds a <table>): pictures,
# but also the quotes HTML marks up as figure > blockquote + figcaption (WordPress's pull quote
# and quote blocks, design systems' quote components), which are the story's text. A figure
# holding a quote is read as a block (a speaker's portrait beside it is fine; its figcaption
# still goes, _PRUNE); not a social post's embed, which brings the script or frame that
# renders it.
_EMBED = ("script", "iframe", "object", "embed", "video", "audio")


def unwrap_quote_figures(tree) -> int:
    """Turn each <figure> that holds a <blockquote> (not in its caption) and no script or frame
    into a <div>; returns how many."""
    changed = 0
    for figure in list(tree.iter("figure")):
        quote = next(figure.iterdescendants("blockquote"), None)
        if quote is None or next(quote.iterancestors("figcaption"), None) is not None or \
                next(figure.iterdescendants(*_EMBED), None) is not None:
            continue
        figure.tag = "div"
        changed += 1
    return changed


# Text set straight into a block beside the story's paragraphs, not inside one of them: old
# hand-written pages (text in <body> between <h2>, <ol> and <P> tags that the writer never
# wrapped or closed), a static site's first paragraph before its first <p>, the sentence a CMS
# leaves between two blocks. A browser shows each such run as a paragraph of its own (an
# anonymous block box); trafilatura reads <p> elements and the text of leaf blocks, not text
# between blocks, so it drops them. A run is a paragraph when it is prose: LOOSE_PROSE characters
# (boilerplate.PROSE_MIN), or _LOOSE_SENTENCE ending like a sentence, less than half link text,
# in a block that holds prose paragraphs of its own (a label or a link row beside a menu is not),
# inside the story's block when the page has one. On WCXB's dev half: 10 such runs the annotators
# kept that no reading had, 2 they left out.
LOOSE_PROSE = PROSE_MIN
_LOOSE_SENTENCE = 40
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)]?$")
# what a browser lays out inline, so inside a run; any other element ends it
_INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em",
                     "font", "i", "img", "ins", "kbd", "mark", "q", "s", "small", "span", "strike", "strong",
                     "sub", "sup", "time", "tt", "u", "var", "wbr"})


def _loose_runs(block) -> list[tuple]:
    """(after, inline children) for each run of text and inline elements of `block` between its
    other children: `after` is the child whose tail opens the run, None for block.text."""
    runs, after, inline = [], None, []
    for child in block:
        if isinstance(child.tag, str) and child.tag not in _INLINE:
            runs.append((after, inline))
            after, inline = child, []
        else:
            inline.append(child)    # with comments and PIs: their tails are the run's text
    runs.append((after, inline))
    return runs


def _run_text(block, after, inline) -> tuple[str, int]:
    """(text, link characters) of one run of _loose_runs."""
    parts = [block.text if after is None else after.tail]
    links = 0
    for child in inline:
        if isinstance(child.tag, str) and child.tag not in _HIDDEN:
            parts.append(child.text_content())
            links += sum(len(a.text_content()) for a in child.iter("a"))
        parts.append(child.tail)
    return " ".join("".join(p for p in parts if p).split()), links


def wrap_loose_text(tree, paragraphs: list[tuple] | None = None) -> int:
    """Wrap each run of prose set straight into a block beside prose paragraphs (see LOOSE_PROSE)
    in a <p> of its own, in place; returns how many. `paragraphs`: the tree's prose_paragraphs,
    if the caller has them."""
    paragraphs = prose_paragraphs(tree) if paragraphs is None else paragraphs
    story = story_block(tree, paragraphs)
    blocks = dict.fromkeys(p.getparent() for p, _ in paragraphs)
    wrapped = 0
    for block in blocks:
        if block is None or block.tag in _INLINE or \
                story is not None and block is not story and not is_inside(block, story):
            continue
        for after, inline in _loose_runs(block):
            text, links = _run_text(block, after, inline)
            if links >= len(text) / 2 or len(text) < LOOSE_PROSE and not (
                    len(text) >= _LOOSE_SENTENCE and _SENTENCE_END.search(text)):
                continue
            p = block.makeelement("p")
            if after is None:
                p.text, block.text = block.text, None
                block.insert(0, p)
            else:
                p.text, after.tail = after.tail, None
                after.addnext(p)
            p.extend(inline)        # each with its tail
            wrapped += 1
    return wrapped


_CHUNK_WORD = re.compile(r"body|content|text|article|story|entry|post")
_NOT_CHUNK = re.compile(r"comment|reply|respon|related|teaser|footer|sidebar|caption")


def merge_body_chunks(tree) -> int:
    """Join an article body split over sibling "chunk" containers (same tag and class, each
    holding long paragraphs, under one parent block) into the first chunk.

    trafilatura takes the best single container; a CMS that cuts the body into chunks around
    ad slots would otherwise lose everything after the first chunk."""
    groups: dict[tuple, list] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is None or parent.tag not in ("div", "section"):
            continue
        cls = parent.get("class")
        if not cls or not _CHUNK_WORD.search(cls.lower()) or _NOT_CHUNK.search(cls.lower()):
            continue
        if len(p.text_content()) < 80:
            continue
        group = groups.setdefault((parent.tag, cls), [])
        if not group or group[-1] is not parent:
            if parent not in group:
                group.append(parent)
    merged = 0
    for chunks in groups.values():
        if len(chunks) < 2:
            continue
        # headings between two chunks (an FAQ's questions over its answers, a forum's post titles)
        # come along, each before the chunk that follows it: moved alone, every answer would
        # leave its question behind
        headings = [_headings_between(before, after) for before, after in zip(chunks, chunks[1:])]
        first = chunks[0]
        anchor = _ancestor(first, 3)
        for chunk, heads in zip(chunks[1:], headings):
            if anchor is None or not is_inside(chunk, anchor):
                continue
            for head in heads:
                _move(head, first)
            for child in list(chunk):
                first.append(child)
            chunk.drop_tree()
            merged += 1
    return merged


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _headings_between(before, after) -> list:
    """The outermost headings after `before` and its content and ahead of `after` in document
    order; none when `after` is not after `before`'s content (a chunk nested in another)."""
    found = []
    for el in following(before):
        if el is after:
            return found
        if el.tag in _HEADINGS and not (found and is_inside(el, found[-1])):
            found.append(el)
    return []


def _move(el, parent) -> None:
    """Append `el` to `parent`, its tail left where it was."""
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            el.getparent().text = (el.getparent().text or "") + el.tail
        el.tail = None
    parent.append(el)


def _ancestor(el, levels: int):
    for _ in range(levels):
        el = el.getparent()
        if el is None:
            return None
    return el


def _kept(document) -> int:
    return len(getattr(document, "text", None) or "")


_WORDS = re.compile(r"\w+")
CONTAINS_SHARE = 0.6


def _contains(more, less, share: float = CONTAINS_SHARE) -> bool:
    """`more` keeps most (`share`) of the words of `less`: a longer reading that adds to
    the first one, not another block of text (a rail of post excerpts) taken in its place."""
    want = Counter(_WORDS.findall((getattr(less, "text", None) or "").lower()))
    total = sum(want.values())
    if not total:
        return True
    got = Counter(_WORDS.findall((getattr(more, "text", None) or "").lower()))
    return sum((want & got).values()) >= share * total


# trafilatura's last resort when its reading finds too little text (its "baseline"): the whole
# text of the page's <article> as one block, headline, byline, "Full bio" and all. A reading of
# one block of DUMP_MIN+ characters is such a dump. A reading of it that splits the text into
# paragraphs (one block per _DUMP_PARAGRAPH characters of the dump, _DUMP_SPLIT at least) and keeps
# DUMP_KEEP of its words is the story as paragraphs, without the header: the reading with the
# story lifted out of the element that swallowed it (_lifted_reading), else the recall-mode one.
# A story that is one run of text broken by <br> (its recall reading splits it in a few blocks
# and drops some) stays as read. On WCXB's dev half 6 of 526 article pages were dumps, one
# publisher family's template among them.
DUMP_MIN = 1000
_DUMP_SPLIT = 3
_DUMP_PARAGRAPH = 1000
DUMP_KEEP = 0.8


def _is_dump(document) -> bool:
    return _kept(document) >= DUMP_MIN and len(_blocks(document)) == 1


def _splits(reading, dump) -> bool:
    """`reading` is `dump` read as paragraphs (see DUMP_MIN)."""
    return len(_blocks(reading)) >= max(_DUMP_SPLIT, _kept(dump) / _DUMP_PARAGRAPH) and _contains(reading, dump, DUMP_KEEP)


def _lifted_reading(tree, paragraphs: list[tuple], document, options: dict):
    """trafilatura's reading of `tree` with the story's block (boilerplate.story_block) lifted
    out of an element that swallowed it (boilerplate.lift_story), in place of `document`, the
    reading without. Unless `document` is a dump (see DUMP_MIN) that the lifted reading does not
    split (_splits): then the tree is left as it was and `document` returned, as the dump may hold
    what the lifted reading leaves out (a story's closed panels). On WCXB's dev half 9 of 526
    article pages have their story in such an element (a <button>, <nav>, <fieldset>, <form>,
    list item): 6 read better, none worse; lifting the dumps too lost 0.136 on one page."""
    story = story_block(tree, paragraphs)
    saved = lift_story(story) if story is not None else []
    if not saved:
        return document
    options["shared"].changed()     # the readings so far were of the tree before the lift
    lifted = bare_extraction(tree, fast=True, **options)
    if _is_dump(document) and not _splits(lifted, document):
        unlift(saved)
        options["shared"].changed()
        return document
    return lifted


# A dump can also be the page's whole text, menus first: a story set as loose text with no <p>
# (text after an <img> in a layout <div>) gives trafilatura's fast reading nothing, and its last
# resort prints every menu entry on a line of its own. A story is sentences, not a column of
# labels: a dump with MENU_SHARE of its characters in lines under _MENU_WORDS words is read again
# the way bare trafilatura reads a page (its own reading compared with readability's and
# jusText's), unless that is such a column too. No dump on WCXB's dev or held-out half is one
# (their short-line share is at most 0.02).
_MENU_WORDS = 6
MENU_SHARE = 0.5


def _is_menu(document) -> bool:
    """Most of `document`'s text is short lines: a menu printed, not a story."""
    lines = [line for line in (getattr(document, "text", None) or "").split("\n") if line.strip()]
    total = sum(map(len, lines))
    return bool(total) and sum(len(line) for line in lines if len(line.split()) < _MENU_WORDS) >= MENU_SHARE * total


def _read_dump_again(tree, dump, wider, options: dict) -> tuple:
    """(document, wider): trafilatura's recall-mode reading (`wider`, run here if not run yet)
    in place of its `dump` if it splits it (_splits); else, for a dump that is a menu (_is_menu),
    trafilatura's full reading if that is not one; else the dump."""
    wider = wider if wider is not None else bare_extraction(tree, fast=True, favor_recall=True, **options)
    if _splits(wider, dump):
        return wider, wider
    if _is_menu(dump):
        full = bare_extraction(tree, **options)
        if _kept(full) and not _is_menu(full):
            return full, wider
    return dump, wider


# trafilatura's first pruning pass (OVERALL_DISCARD_XPATH, its first expression) drops every
# div/section/p/span whose class or id merely contains a furniture word: "embed", "meta", "bar",
# "menu", "slide", "author", "button", "widget"... A page builder's "w-embed" or "post-meta-wrap"
# wrapper around the story takes the story with it. An element so matched that holds a large
# share of the page's prose (long <p> of mostly unlinked text) is the story, not furniture.
RESCUE_SHARE = 0.3
_RESCUE_MIN = 400           # characters of prose: a box, not a story, below this
_CLASS_DISCARD = OVERALL_DISCARD_XPATH[0]
# its second one drops what is hidden (aria-hidden, `hidden` classes and styles): also the
# collapsed panels of an accordion or a "read more" expander, which the reader opens
_HIDDEN_DISCARD = OVERALL_DISCARD_XPATH[1]
_DISCARD_ATTRIBUTES = ("class", "id", "style", "hidden", "aria-hidden")
# the first test on one element: the expression is ".//*[...]" (EXSLT regexes, Python callbacks
# per element tested: ~5 ms over a whole page), asked here only of the few elements holding
# enough prose
def _on_self(discard) -> XPath:
    """trafilatura's ".//*[...]" discard expression asked of one element (self::*[...])."""
    return XPath(discard.path.strip().replace(".//*", "self::*", 1),
                 namespaces={"re": "http://exslt.org/regular-expressions"})


def _is_comments(el) -> bool:
    """A comment section: left alone by the rescues (trafilatura is right to leave it out)."""
    return "comment" in f"{el.get('class', '')} {el.get('id', '')}".lower()


_IS_CLASS_DISCARDED = _on_self(_CLASS_DISCARD)


def rescue_prose_containers(tree, page_prose: int, paragraphs: list[tuple] | None = None) -> list:
    """The elements trafilatura would discard by name that hold at least RESCUE_SHARE of the
    page's prose. Comment sections are left alone. `paragraphs`: the tree's prose_paragraphs,
    if the caller has them."""
    need = max(_RESCUE_MIN, RESCUE_SHARE * page_prose)
    held: dict = {}         # element -> prose(element)[1], for the elements holding any
    for p, n in prose_paragraphs(tree) if paragraphs is None else paragraphs:
        held[p] = held.get(p, 0) + n
        for ancestor in p.iterancestors():
            held[ancestor] = held.get(ancestor, 0) + n
    return [el for el, chars in held.items()
            if chars >= need and el is not tree and _IS_CLASS_DISCARDED(el) and not _is_comments(el)]


def _reread_without_names(tree, elements: list, document, options: dict):
    """trafilatura's reading of `tree` with `elements` stripped of what it discards them by
    (class, id, hidden), if that is a longer reading holding the first one (_contains); else
    `document`, and the elements are left as they were."""
    saved = [{k: el.attrib.pop(k) for k in _DISCARD_ATTRIBUTES if k in el.attrib} for el in elements]
    options["shared"].changed()
    second = bare_extraction(tree, fast=True, **options)
    if _kept(second) > _kept(document) and _contains(second, document):
        return second
    for el, attrib in zip(elements, saved, strict=True):
        el.attrib.update(attrib)
    options["shared"].changed()     # the attributes back, in another order (XPath's @id|@class reads it)
    return document


# trafilatura reads a page in one of two ways: from a container it recognises (an <article>, a
# known content class), keeping the subheads, lists and quotes inside it; or, when none matches,
# from the page's loose <p>, <blockquote>, <pre> and <table> elements, which drops every <h2>,
# <ul>/<ol> and <dl> of the story (its recall mode keeps the lists, neither keeps the subheads).
# A story in a plain <div> (page builders, static sites, design-system class names) loses its
# subheads and bullet lists that way. The evidence that it happened: subheads and list items of
# the story's own container (boilerplate.story_block at STORY_SHARE), not links, that the reading
# left out. Only then is the recall reading run (a second pass costs as much as the first), and
# only its blocks holding what was missed are taken: around the story, recall mode also keeps
# menus, skip links and footers. Subheads are put back from the page itself (restore_subheads).
STRUCTURE_MISSED = 0.05     # share of the first reading's characters: below it, nothing to recover
_STRUCTURE_MIN = 50         # characters: a stray subhead or two is not worth a second pass
_STRUCTURE_TAGS = ("h2", "h3", "h4", "h5", "h6", "li", "dt", "dd")
STORY_SHARE = 0.6           # the story's container (boilerplate.story_block) holds this share of its prose


def missed_structure(container, text: str) -> list[str]:
    """Keys (see `key`) of the subheads and list items of `container` (outermost ones, less than
    half link text) that `text` does not hold."""
    if next(container.iterancestors(*_STRUCTURE_TAGS), None) is not None:
        return []           # the container is inside a list item or a subhead: nothing is outermost
    have = key(text)
    missed = []
    inner: set = set()      # the structure elements inside an outer one met before (document order)
    for el in container.iter(*_STRUCTURE_TAGS):
        if el in inner:
            continue
        inner.update(el.iterdescendants(*_STRUCTURE_TAGS))
        content = el.text_content()
        n = len(content.strip())
        if n < 15 or link_share(el, n) > 0.5:
            continue
        k = key(content)
        if k[:60] not in have:
            missed.append(k)
    return missed


_SUBHEADS = ("h2", "h3", "h4", "h5", "h6")
_SUBHEAD_MAX = 200          # characters: a longer "heading" is a styled paragraph, read as one
_LEAD = 40                  # key characters of the text after a subhead that place it
_HIDDEN = frozenset({"script", "style", "template", "noscript"})


def _text_after(el, within, need: int = _LEAD, budget: int = 200) -> str:
    """Key of the first `need` word characters shown after `el` in document order (not inside
    it) and inside `within`, reading at most `budget` elements."""
    out = key(el.tail or "")
    node = el
    while len(out) < need and budget > 0:
        for sibling in node.itersiblings():
            for inner in sibling.iter():
                budget -= 1
                if isinstance(inner.tag, str) and inner.tag not in _HIDDEN:
                    out += key(inner.text or "")
                if inner is not sibling:
                    out += key(inner.tail or "")
                if len(out) >= need or budget <= 0:
                    return out[:need]
            out += key(sibling.tail or "")
        node = node.getparent()
        if node is None or node is within:
            break
        out += key(node.tail or "")
    return out[:need]


def restore_subheads(container, blocks: list[str]) -> list[str]:
    """Put back the subheads of the story container that the reading left out, each before the
    block that opens with the text shown right after it: a subhead introduces the text under it,
    so one whose next text is not in the body (a box's title, a heading over a form or the
    comments) stays out, and so does a last heading with nothing after it."""
    heads = [h for h in container.iter(*_SUBHEADS)
             if 0 < len(h.text_content().strip()) <= _SUBHEAD_MAX]
    if not heads:
        return blocks
    blocks = list(blocks)
    # "\n" + each block's opening: a key has word characters only, so "\n" + x found in it
    # is a block opening with x
    openings = "".join("\n" + key(b[:4 * _LEAD])[:_LEAD] for b in blocks)
    for head in reversed(heads):    # the later subhead first: the earlier one may open on it
        text = " ".join(head.text_content().split())
        hk = key(text)[:_LEAD]
        if not hk or link_share(head, len(text)) > 0.5 or "\n" + hk in openings:
            continue
        after = "\n" + _text_after(head, container)
        if len(after) < 11 or openings.count(after) != 1:   # two blocks opening alike: which one?
            continue
        cut = openings.index(after)
        blocks.insert(openings.count("\n", 0, cut), text)
        openings = f"{openings[:cut]}\n{hk}{openings[cut:]}"
    return blocks


def within_story(first: list[str], wider: list[str], missed: list[str]) -> list[str]:
    """`first` with the blocks of `wider` that hold what it missed (keys of `missed_structure`)
    put in at their place in `wider`'s order: the story's subheads and lists, not the furniture
    the wider reading adds around them, nor a block re-reading text `first` already has."""
    probes = [k[:60] for k in missed]
    have = [k[:60] for k in map(key, first) if len(k) >= 20]
    position = {block: i for i, block in enumerate(first)}
    added: dict[int, list[str]] = {}
    after = -1
    for block in wider:
        if block in position:
            after = position[block]
            continue
        k = key(block)
        if not any(p in k or (len(k) >= 10 and k in p) for p in probes) or any(h in k for h in have):
            continue
        added.setdefault(after, []).append(block)
    out = list(added.get(-1, ()))
    for i, block in enumerate(first):
        out.append(block)
        out.extend(added.get(i, ()))
    return out


def _prose_within(container, paragraphs: list[tuple] | None) -> list[tuple]:
    """The prose_paragraphs of `container`: those of `paragraphs` (the tree's, if the caller has
    them) inside it, rather than a second walk."""
    if paragraphs is None:
        return prose_paragraphs(container)
    if container.getparent() is None:       # the root: all of them
        return paragraphs
    inside = set(container.iter("p"))
    return [(p, n) for p, n in paragraphs if p in inside]


def missed_prose(container, text: str, paragraphs: list[tuple] | None = None) -> list[str]:
    """Keys (see `key`) of the paragraphs of prose of `container` (boilerplate.prose_paragraphs)
    that `text` does not hold. `paragraphs`: the tree's prose_paragraphs, if the caller has them."""
    have = key(text)
    return [k for k in (key(p.text_content()) for p, _ in _prose_within(container, paragraphs))
            if k[:60] not in have]


# trafilatura prints a table as Markdown: "| cell | cell |" rows, a "|---|---|" line under the
# head row, a "|" inside a cell escaped as "\|". A browser shows a table's cells side by side
# and copies its text (innerText) as one line per row, the cells separated by tabs; the reader's
# text has no bars and no backslashes. On WCXB's dev half the annotators' texts hold 17 pages of
# tab-separated tables against 6 of "|" ones.
_TABLE_RULE = re.compile(r"\|(?:\s*:?-+:?\s*\|)+")
_CELL_BAR = re.compile(r"(?<!\\)\|")


def table_text(text: str) -> str:
    """trafilatura's text of a block holding a table (see _TABLE_RULE) with each row as a line
    of tab-separated cells, the head rule dropped and the cells' bars unescaped."""
    lines = []
    for line in text.split("\n"):
        row = line.strip()
        if _TABLE_RULE.fullmatch(row):
            continue
        if len(row) >= 2 and row[0] == "|" and row[-1] == "|" and row[-2] != "\\":
            line = "\t".join(cell.strip().replace("\\|", "|") for cell in _CELL_BAR.split(row[1:-1])).rstrip()
        lines.append(line)
    return "\n".join(lines)


# trafilatura's text output (xmltotxt -> sanitize) drops every character Python does not call
# printable, the zero-width non-joiner and joiner with them: they are part of a word's spelling in
# Persian ("می‌خواهم"), Hindi, Malayalam or Sinhala, and of emoji sequences. Its xmltotxt, rebound
# (rebind.py) to a sanitize that keeps those two, writes the blocks' text; the library as imported
# elsewhere is left as shipped.
_JOINERS = frozenset("\u200c\u200d")


def _printable_or_joiner(char: str) -> str:
    return char if char.isprintable() or char.isspace() or char in _JOINERS else ""


def _xmltotxt_keeping_joiners():
    scope = rebound_module(_trafilatura_utils, {"return_printables_and_spaces": _printable_or_joiner})
    cached = _trafilatura_utils.line_processing
    scope["line_processing"] = lru_cache(maxsize=cached.cache_info().maxsize)(rebound(cached.__wrapped__, scope))
    return rebound(_trafilatura_xml.xmltotxt, {**vars(_trafilatura_xml), "sanitize": scope["sanitize"]})


xmltotxt = _xmltotxt_keeping_joiners()


def _block_text(child) -> str:
    text = xmltotxt(child, False).strip()
    if child.tag == "table" or next(child.iterdescendants("table"), None) is not None:
        text = table_text(text)
    return text


def _blocks(document) -> list[str]:
    if document is None or document.body is None:
        return []
    return [text for text in map(_block_text, document.body) if text]


_BURIED_MIN = 200           # characters of prose the reading lacks: a box, not a story part, below this


def buried_prose(container, text: str, paragraphs: list[tuple] | None = None) -> list:
    """Elements of the story container that trafilatura discards by name (see
    rescue_prose_containers) holding at least _BURIED_MIN characters of prose that `text` lacks,
    set between paragraphs `text` has: parts of the story in a wrapper named like furniture
    ("embed", "meta", "slide"...). A box before or after the story's text (a bio, a newsletter,
    a carousel of teasers) is not between its paragraphs. Comment sections are left alone.
    `paragraphs`: the prose_paragraphs of the container (or of a tree holding it), if the caller
    has them."""
    have = key(text)
    index: dict = {}
    kept = []
    for p, n in _prose_within(container, paragraphs):
        found = key(p.text_content())[:60] in have
        index[p] = (len(index), n, found)
        if found:
            kept.append(len(index) - 1)
    if len(kept) < 2:
        return []
    # per element of the container: the prose it holds that `text` lacks, and the first and last
    # of the paragraphs it holds; only an element lacking enough can be buried, and only those
    # (and their ancestors) are asked whether trafilatura discards them: the two expressions over
    # the whole container cost ~5 ms a page (EXSLT regexes, a Python callback per element)
    held: dict = {}
    for p, (i, n, found) in index.items():
        for el in (p, *p.iterancestors()):
            if el is container:
                break
            lacking, first, last = held.get(el, (0, i, i))
            held[el] = (lacking + (0 if found else n), min(first, i), max(last, i))
    buried = []
    for el, (lacking, first, last) in held.items():
        if lacking < _BURIED_MIN or not (kept[0] < first and last < kept[-1]) or not _is_discarded(el) \
                or _is_comments(el):
            continue
        if _discarded_above(el, container):
            continue
        # with what inside it is discarded too (a closed panel in an "embed" wrapper)
        buried += [el, *dict.fromkeys(_CLASS_DISCARD(el) + _HIDDEN_DISCARD(el))]
    return buried


_IS_HIDDEN_DISCARDED = _on_self(_HIDDEN_DISCARD)


def _is_discarded(el) -> bool:
    return bool(_IS_CLASS_DISCARDED(el) or _IS_HIDDEN_DISCARDED(el))


def _discarded_above(el, container) -> bool:
    """An element between `el` and `container` (both excluded) is discarded by trafilatura."""
    for ancestor in el.iterancestors():
        if ancestor is container:
            return False
        if _is_discarded(ancestor):
            return True
    return False


def _shown_prose(tree, paragraphs: list[tuple]) -> int:
    """The page's prose (its `paragraphs` and long text runs) outside the elements trafilatura
    discards as hidden (display:none, hidden classes, aria-hidden): a notice carousel, a dialog's
    text or a second layout the reader does not see is no story the first reading missed.

    trafilatura's expression is asked of the prose's ancestors only, each once (its ".//*"
    over the whole page, EXSLT regexes calling back into Python per element, cost ~8 ms)."""
    hidden = InsideMatch(_IS_HIDDEN_DISCARDED, above=tree)     # ".//*": the root is not asked
    shown = sum(n for p, n in paragraphs if not hidden(p))
    return max(shown, text_runs(tree, hidden))


# trafilatura falls back to its last resort (the whole <article> as one block, headline, byline and
# date in it) when its reading holds under MIN_EXTRACTED_SIZE (250) characters. A short story in
# Chinese, Japanese or Korean (a 130-character brief: four paragraphs) is that short in characters
# and not in what it says: each of its characters counts twice in prose (boilerplate.prose_length).
# Such a one-block reading, short in characters but not in prose, is read again with the threshold
# halved, as CJK text counts it.
_TRAFILATURA_CONFIG = use_config()
_MIN_EXTRACTED = _TRAFILATURA_CONFIG.getint("DEFAULT", "MIN_EXTRACTED_SIZE")
WIDE_TEXT_CONFIG = use_config()
WIDE_TEXT_CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(_MIN_EXTRACTED // 2))


def _short_wide_dump(document) -> bool:
    text = getattr(document, "text", None) or ""
    return len(_blocks(document)) == 1 and len(text) < _MIN_EXTRACTED <= prose_length(text)


def trafilatura_body(tree, url: str | None, hooked: list | None = None, drop: list | None = None) -> list[str]:
    """Paragraphs (one per block element) as trafilatura extracts them, comments off.

    Prunes widgets from `tree` in place first: call it after everything else read the tree."""
    for el in drop or ():
        if el.getparent() is not None:
            el.drop_tree()  # caption/credit elements the caption extractor took
    prune_widgets(tree, hooked)
    prune_dialogs(tree)
    prune_navs(tree)
    prune_story_pointers(tree)
    prune_rails(tree)
    prune_deks(tree)
    prune_around_story(tree)
    unwrap_layout_tables(tree)
    unwrap_quote_figures(tree)
    merge_body_chunks(tree)
    # the page's prose paragraphs, once: from here on the tree changes only in attributes
    # (_reread_without_names), so the rescue, the story's block and buried_prose share them
    paragraphs = prose_paragraphs(tree)
    if wrap_loose_text(tree, paragraphs):
        paragraphs = prose_paragraphs(tree)
    # the readings below share the steps they repeat on the same tree (readings.py)
    options = {"url": url, "include_comments": False, "with_metadata": False, "prune_xpath": _PRUNE,
               "shared": SharedSteps()}
    document = bare_extraction(tree, fast=True, **options)  # copies the tree: it stays as it was
    if _short_wide_dump(document):
        options["config"] = WIDE_TEXT_CONFIG       # the readings below count as CJK text does too
        document = bare_extraction(tree, fast=True, **options)
    wider = None                # trafilatura's recall-mode reading, when one is run
    document = _lifted_reading(tree, paragraphs, document, options)
    page_prose = max(sum(n for _, n in paragraphs), text_runs(tree))
    if _kept(document) < FALLBACK_BELOW * page_prose:
        page_prose = _shown_prose(tree, paragraphs)
    if _kept(document) < FALLBACK_BELOW * page_prose:
        rescued = rescue_prose_containers(tree, page_prose, paragraphs)
        if rescued:
            document = _reread_without_names(tree, rescued, document, options)
        if _kept(document) < FALLBACK_BELOW * page_prose:
            document = bare_extraction(tree, **options)
        # still short (trafilatura read one field of a story laid out in several blocks, or
        # nothing): its recall-mode reading, of which only the blocks holding the story's own
        # missed paragraphs are taken below (it also reads headers, footers, dialogs)
        if _kept(document) < FALLBACK_BELOW * page_prose:
            wider = bare_extraction(tree, fast=True, favor_recall=True, **options)
    if _is_dump(document):
        document, wider = _read_dump_again(tree, document, wider, options)
    if not _kept(document) and not _kept(wider):
        return []
    container = story_block(tree, paragraphs, share=STORY_SHARE)
    if container is None:       # prose spread over the whole page
        container = tree.find("body")
    if container is None:
        return _blocks(document)
    text = getattr(document, "text", None) or ""
    if text:
        buried = buried_prose(container, text, paragraphs)
        if buried:
            document = _reread_without_names(tree, buried, document, options)
            text = document.text
    blocks = _blocks(document)
    if wider is not None:
        blocks = within_story(blocks, _blocks(wider), missed_prose(container, text, paragraphs))
    missed = missed_structure(container, text)
    size = sum(map(len, missed))
    if size >= _STRUCTURE_MIN and size > STRUCTURE_MISSED * _kept(document):
        if wider is None:
            wider = bare_extraction(tree, fast=True, favor_recall=True, **options)
        blocks = within_story(blocks, _blocks(wider), missed)
    return restore_subheads(container, blocks)
