"""Page furniture named by the page itself, removed from the parsed tree before trafilatura reads it.

Widgets whose class or id names a box, a control or a list of links; in-body pointers and rails
led by a label ("Read more:", "Popular stories"); the dek under the headline; menus. Each rule has
a size or link-share guard so that a story wrapped in a misnamed container survives. The
structural rules (what sits around the story's block, found without names) are in boilerplate.py;
body.trafilatura_body runs both before it reads the page.
"""

from __future__ import annotations

import re

from lxml.etree import XPath

from .boilerplate import prose_paragraphs
from .html import class_tokens, hooked_elements, is_inside

# Page furniture trafilatura does not always prune. html.hooked_elements preselects on class/id
# substrings, then whole class tokens are checked, and each kind has a size guard so a
# <body class="... cookies-not-set"> or an "entry-content-read-more" wrapper survives:
#   boxes (newsletter, cookie/consent, subscribe): pruned up to _BOX_MAX characters of text, the box
#     word followed by any suffix ("newsletter_header", "tnp-subscription-posts"): on WCXB's dev half
#     the wider match found 128 more elements on 46 domains, 2 of them (13 characters) story text;
#   controls (share, font size, print, rating): small (<= _CONTROL_MAX) or mostly links;
#   lists (related, recirculation): mostly links.
_SUFFIX = r"(?:[-_](?:wrapper|wrap|container|box|block|module|widget|area|section|links?|list|buttons?|tools?|bar|form|signup|banner|notice|promo|cta))*$"
_BOX_TOKEN = re.compile(
    r"^(?:.*[-_])?(?:newsletters?|cookies?|cookie-?(?:banner|notice|consent|bar)|consent|subscribe|subscription|"
    r"signup|sign-up)(?:[-_].*)?$"
)
_CONTROL_TOKEN = re.compile(
    r"^(?:.*[-_])?(?:font-?size|font-?(?:resize|resizer|control|controls|changer|tools?)|text-?(?:size|resize|resizer)|"
    r"share|shares|sharing|share-?(?:bar|buttons?|tools?|links?|icons?)|social(?:-?(?:share|links|media|icons|bar))?|"
    r"print|rating|ratings|(?:story|article|post|entry)-?tools)" + _SUFFIX
)
_LIST_TOKEN = re.compile(
    r"^(?:.*[-_])?(?:related|related-?(?:articles?|posts?|stories|content|links|news|reads?)|recirc|recirculation)" + _SUFFIX
)
_BOX_MAX, _CONTROL_MAX, _LIST_MAX = 1500, 300, 5000
# Tokens that name no widget though they hold a widget word: WordPress block style presets on
# content ("has-medium-font-size"), print visibility utilities ("hide-on-print": shown on screen),
# and heading anchors slugged from the heading's words ("h-4-pick-times-for-social-media").
_NOT_WIDGET_TOKEN = re.compile(r"^has-|(?:^|[-_])(?:no|hide|hidden|none)[-_](?:on[-_]|in[-_])?print$|"
                               r"^(?:[^-_]+[-_]){5,}")
_KEEP_TAGS = frozenset({"html", "body", "article", "main"})


def link_share(el, n: int) -> float:
    return sum(len(a.text_content()) for a in el.iter("a")) / n if n else 0.0


def prune_widgets(tree, hooked: list | None = None) -> int:
    """Remove widget blocks from `tree` in place; returns how many."""
    removed = 0
    for el in hooked if hooked is not None else hooked_elements(tree):
        if el.tag in _KEEP_TAGS or el.getparent() is None:
            continue
        tokens = [t for t in class_tokens(el) if not _NOT_WIDGET_TOKEN.search(t)]
        box = any(_BOX_TOKEN.match(t) for t in tokens)
        control = not box and any(_CONTROL_TOKEN.match(t) for t in tokens)
        listing = not (box or control) and any(_LIST_TOKEN.match(t) for t in tokens)
        if not (box or control or listing):
            continue
        n = len(el.text_content().strip())
        if box:
            drop = n <= _BOX_MAX
        elif control:
            drop = n <= _CONTROL_MAX or (n <= _LIST_MAX and link_share(el, n) >= 0.5)
        else:
            drop = n <= _LIST_MAX and link_share(el, n) >= 0.5
        if drop:
            el.drop_tree()
            removed += 1
    return removed


# In-body pointers to other stories: a short paragraph led by a label ("Read more:", "Related:",
# "See also") whose text is largely a link, set among
# the story's own paragraphs. Newsrooms drop them between paragraphs; readers skip them.
_POINTER_LABEL = re.compile(
    r"^\W*(?:read|see|watch|listen|also|more|related|recommended|further|don['’]?t miss|must read|"
    r"you (?:may|might) (?:also )?like|lesen sie (?:auch|mehr)|mehr zum thema|lire (?:aussi|plus)|"
    r"à lire|leer (?:más|tambi[eé]n)|lee también|leia (?:mais|também)|leggi anche)\b"
    r"[\w '’-]{0,30}?\s*[:|»>–—-]",
    re.IGNORECASE,
)
_POINTER_MAX = 300      # characters: a pointer is a line, not a paragraph of prose


def prune_story_pointers(tree) -> int:
    """Remove in-body "related story" pointer paragraphs (see _POINTER_LABEL) from `tree`."""
    removed = 0
    for p in list(tree.iter("p")):
        parent = p.getparent()
        if parent is None:
            continue
        text = p.text_content().strip()
        n = len(text)
        if not n or n > _POINTER_MAX:
            continue
        linked = sum(len(a.text_content().strip()) for a in p.iter("a"))
        if not linked:
            continue
        labelled = _POINTER_LABEL.match(text) is not None and linked >= 0.4 * (n - 12)
        if not labelled:
            continue
        # only among the story's own prose: at least two sibling paragraphs of unlinked text
        prose_siblings = 0
        for sibling in parent.iterchildren("p"):
            if sibling is p:
                continue
            t = sibling.text_content()
            if len(t) >= 80 and link_share(sibling, len(t)) < 0.3:
                prose_siblings += 1
                if prose_siblings >= 2:
                    break
        if prose_siblings >= 2:
            p.drop_tree()
            removed += 1
    return removed


# Rails: a block of teasers under a label ("Read this next", "Popular stories", "Upcoming events",
# "Sponsored content", "More from ...") set after or inside the story. The label is a heading
# or a short line of its own; what follows it in the same block is links to other pages.
_RAIL_LABEL = re.compile(
    r"^\W*(?:read (?:this )?next|related(?: (?:stories|articles|posts|content|news|reading|coverage)(?: (?:from|on|in) .{1,40})?)?|"
    r"more (?:from|stories|news|on|in|like this|to read|articles|posts)\b.*|(?:most )?popular(?: (?:stories|posts|articles|now))?|"
    r"most (?:read|viewed|shared|commented)|trending(?: (?:now|stories|articles))?|sponsored(?: content| stories)?|"
    r"sponsor content|partner content|upcoming events|latest (?:news|stories|posts|articles)|"
    r"(?:if you (?:liked|enjoyed) this (?:post|article|story),? )?you(?: may| might|['’]ll| will) (?:also )?(?:like|enjoy|love)|"
    r"recommended(?: for you| reading| stories)?|editor['’]?s picks|"
    r"don['’]?t miss|also on .{1,40}|around the web|from the web|further reading|see also|keep reading|"
    r"top stories|recent (?:posts|stories|articles|news))\W*$",
    re.IGNORECASE,
)
_LABEL_MAX = 60
_RAIL_HEADS = ("h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "header")


def _teaser_block(elements: list) -> bool:
    """Teasers: at least two links, mostly link text or a short text per link, and no paragraph
    of unlinked prose (a story's own text after a misread label)."""
    text = links = linked = 0
    for el in elements:
        text += len(el.text_content().strip())
        for a in el.iter("a"):
            if a.get("href"):
                links += 1
                linked += len(a.text_content().strip())
        for p in el.iter("p"):
            n = len(p.text_content().strip())
            if n >= 200 and link_share(p, n) < 0.2:
                return False
    return links >= 2 and (linked >= 0.4 * text or text <= 150 * links)


def prune_rails(tree) -> int:
    """Remove labelled rails (see _RAIL_LABEL): the label and the teasers after it in its block."""
    removed = 0
    for el in list(tree.iter(*_RAIL_HEADS)):
        if el.getparent() is None or len(el) > 3:
            continue
        label = el.text_content().strip()
        if not label or len(label) > _LABEL_MAX or not _RAIL_LABEL.match(label):
            continue
        node = el
        for _ in range(3):      # a label wrapped in its own title block: look from the wrapper
            parent = node.getparent()
            if (next(node.itersiblings(), None) is not None or parent is None
                    or parent.tag in ("body", "article", "main") or parent.text_content().strip() != label):
                break
            node = parent
        followers = list(node.itersiblings())
        if not followers or not _teaser_block(followers):
            continue
        if sum(len(f.text_content()) for f in followers) > 6000:
            continue            # a label over half a page: not a rail we can bound
        for follower in followers:
            follower.drop_tree()
        node.drop_tree()
        removed += 1
    return removed


# A dek/standfirst is the article's summary line under the headline, not body text: a sub-heading
# inside the header that holds the <h1>, or a heading with a dek-like class.
_DEK_TOKEN = re.compile(
    r"^(?:.*[-_])?(?:dek|deck|standfirst|strapline|subline|sub-?headline|sub-head|subtitle|sub-?title)(?:[-_].*)?$"
)


def prune_deks(tree) -> int:
    removed = 0
    for heading in tree.iter("h2", "h3", "h4", "p"):
        tokens = class_tokens(heading)
        is_dek = any(_DEK_TOKEN.match(t) for t in tokens)
        if not is_dek and heading.tag != "p":
            node = heading.getparent()
            for _ in range(3):
                if node is None or node.tag in ("article", "main", "body"):
                    break
                if node.tag == "header" or any(t in ("article-header", "post-header", "entry-header", "article-head",
                                                       "article__header", "headline-wrap")
                                               for t in f"{node.get('class', '')}".lower().split()):
                    is_dek = next(node.iter("h1"), None) is not None
                    break
                node = node.getparent()
        if is_dek and heading.getparent() is not None:
            heading.drop_tree()
            removed += 1
    return removed



# A <nav> is menus and breadcrumbs, but a page with an unclosed <nav> (or a theme that wraps the
# whole page in one) holds its story inside it: only navs that are small or mostly links go.
_NAV_MAX = 1500


def prune_navs(tree) -> int:
    removed = 0
    for nav in list(tree.iter("nav")):
        if nav.getparent() is None:
            continue
        n = len(nav.text_content().strip())
        if n <= _NAV_MAX or link_share(nav, n) >= 0.5:
            nav.drop_tree()
            removed += 1
    return removed


# A modal dialog (<dialog>, role="dialog"/"alertdialog", aria-modal="true": the ARIA markup of an
# overlay) is a box the page opens over the story: a search form, a "republish this article"
# notice, a newsletter or cookie prompt, an off-canvas menu. Usually hidden too, but trafilatura
# prunes nothing by its hidden/class rules when that would remove over 6/7 of a container's text,
# and a long hidden notice can tip a page past that guard. On WCXB's dev half 202 such elements
# on 99 domains hold 48,700 characters of text, 138 of them in the annotated main text. Kept:
# a dialog holding a headline (<h1>) and _DIALOG_STORY of the page's prose (a site that opens
# its articles in a modal over a listing).
_DIALOG = XPath("//dialog|//*[@role='dialog' or @role='alertdialog' or @aria-modal='true']")
_DIALOG_STORY = 0.5


def prune_dialogs(tree) -> int:
    """Remove modal dialogs (see _DIALOG) from `tree` in place; returns how many."""
    removed = 0
    for dialog in _DIALOG(tree):
        if dialog.getparent() is None or dialog.tag in _KEEP_TAGS or not is_inside(dialog, tree):
            continue            # the page itself, or inside a dialog already gone
        if next(dialog.iter("h1"), None) is not None:
            prose = sum(n for _, n in prose_paragraphs(dialog))
            if prose and prose >= _DIALOG_STORY * sum(n for _, n in prose_paragraphs(tree)):
                continue
        dialog.drop_tree()
        removed += 1
    return removed
