"""Boilerplate around the story, found by the page's structure rather than by class names.

trafilatura picks the one container it scores best and keeps what is in it. On many templates
that container is wider than the story: the column that holds the article also holds the
newsletter box, the call to action, the "more from us" teasers and the site's blurb placed
after it, and the "Back to blog" link or section label printed over the headline. These rules
run on the parsed tree before trafilatura reads it (body.trafilatura_body) and use only structure
and text statistics: where the page's prose is, and what sits around it.

About 0.4 ms a page (its measured effect on WCXB is in the commit that brought it, 06563e0).
"""

from __future__ import annotations

import re

from trafilatura.settings import MANUALLY_CLEANED

# A paragraph of prose: a <p> of 80+ characters, less than half of it link text; a Chinese,
# Japanese or Korean character counts as two (one holds about what a Latin word of 5-6 letters
# does: two already understate it), or a page written in those scripts has no prose at all.
PROSE_MIN = 80
WIDE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# The story's block: the deepest element holding this share of the page's prose characters.
# On WCXB's dev half 0.8 cut real text on 2 pages (story split over sibling blocks), 0.9 and
# 0.95 left more boilerplate in on both halves.
STORY_SHARE = 0.85
_STORY_MIN = 500            # characters of prose: a page with less has no story block to bound
# What follows the story's block is dropped unless it holds more than this many prose
# paragraphs: a trailing FAQ or acknowledgements section is written as prose, a newsletter box,
# an author's blurb or a call to action has one paragraph at most.
_TRAILING_PROSE_MAX = 1
_NOT_CONTENT = frozenset({"script", "style", "template", "noscript", "link", "meta"})
# Elements trafilatura deletes whole by their tag (buttons, menus, navs, asides, footers...) or
# reads as a list: a header that leaves one open (an unclosed <button> or menu item) or a theme
# that wraps the page in its <nav> puts the story inside it, and trafilatura then loses the story,
# falling back to the <article>'s text as one block or to nothing. An element holding the story's
# block is not that furniture (the story's siblings in it are pruned as what surrounds the story).
_SWALLOWING = frozenset(MANUALLY_CLEANED) | {"ul", "ol", "li", "dl", "dd", "dt", "menu"}
_NAMES = ("class", "id", "role")


def prose_paragraphs(root) -> list[tuple]:
    """(p, characters) for each paragraph of prose under `root`: the one definition shared by
    the story's block here, body.rescue_prose_containers and classify's prose layout."""
    found = []
    for p in root.iter("p"):
        text = p.text_content().strip()
        n = prose_length(text)
        if n >= PROSE_MIN and sum(len(a.text_content()) for a in p.iter("a")) < len(text) / 2:
            found.append((p, n))
    return found


def prose_length(text: str) -> int:
    """`text`'s length in Latin characters' worth: each CJK character counts twice (see PROSE_MIN)."""
    return len(text) if text.isascii() else len(text) + len(WIDE_SCRIPT.findall(text))


def story_block(tree, paragraphs: list[tuple] | None = None, share: float = STORY_SHARE):
    """The deepest element that holds `share` of the page's prose, or None (too little
    prose, or prose spread so that only <body> holds that much)."""
    paragraphs = prose_paragraphs(tree) if paragraphs is None else paragraphs
    total = sum(n for _, n in paragraphs)
    if total < _STORY_MIN:
        return None
    held: dict = {}
    for p, n in paragraphs:
        node = p.getparent()
        while node is not None:
            held[node] = held.get(node, 0) + n
            node = node.getparent()
    need = share * total
    best, best_depth = None, -1
    for node, chars in held.items():
        if chars >= need:
            depth = sum(1 for _ in node.iterancestors())
            if depth > best_depth:
                best, best_depth = node, depth
    if best is None or best.tag in ("html", "body"):
        return None
    return best


def prune_around_story(tree) -> int:
    """Remove what surrounds the story's block (story_block); returns how many elements went.

    After it: the following siblings of the block and of each of its ancestors up to <body>,
    unless a sibling holds prose of its own (more than _TRAILING_PROSE_MAX paragraphs). On the
    WCXB dev half this is where most leaked boilerplate sat: newsletter and call-to-action boxes,
    author blurbs, teaser lists, site notices inside the column trafilatura keeps.

    Before the headline: the preceding siblings of the last <h1> above the story's first prose
    paragraph, and of each of its ancestors, unless they hold a prose paragraph: a "Back to blog"
    link, the section's label, a disclosure or the site's name printed over the headline.

    Scripts and styles stay (trafilatura reads JSON-LD)."""
    paragraphs = prose_paragraphs(tree)
    story = story_block(tree, paragraphs)
    if story is None:
        return 0
    prose_at = {p for p, _ in paragraphs}
    removed = 0
    node = story
    while node is not None and node.tag not in ("body", "html"):
        for sibling in list(node.itersiblings()):
            if _content(sibling) and sum(1 for p in sibling.iter("p") if p in prose_at) <= _TRAILING_PROSE_MAX:
                sibling.drop_tree()
                removed += 1
        node = node.getparent()
    headline = _headline(tree, story, prose_at)
    node = headline
    while node is not None and node.tag not in ("body", "html"):
        for sibling in list(node.itersiblings(preceding=True)):
            if _content(sibling) and not any(p in prose_at for p in sibling.iter("p")):
                sibling.drop_tree()
                removed += 1
        node = node.getparent()
    return removed


def lift_story(story) -> list[tuple]:
    """Turn the ancestors of the story's block that trafilatura would delete or read as a list
    (_SWALLOWING) into plain, unnamed <div>s; returns what `unlift` needs to undo it."""
    saved = []
    for ancestor in story.iterancestors():
        if ancestor.tag in ("body", "html"):
            break
        if ancestor.tag in _SWALLOWING:
            saved.append((ancestor, ancestor.tag, {k: ancestor.attrib.pop(k) for k in _NAMES if k in ancestor.attrib}))
            ancestor.tag = "div"
    return saved


def unlift(saved: list[tuple]) -> None:
    """Undo lift_story."""
    for element, tag, names in saved:
        element.tag = tag
        element.attrib.update(names)


def _content(el) -> bool:
    return isinstance(el.tag, str) and el.tag not in _NOT_CONTENT


def _headline(tree, story, prose_at: set):
    """The last <h1> before the story's first prose paragraph, or None."""
    first = next((p for p in story.iter("p") if p in prose_at), None)
    headline = None
    for el in tree.iter("h1", "p"):
        if el is first:
            return headline
        if el.tag == "h1":
            headline = el
    return None
