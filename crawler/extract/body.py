"""Article body: trafilatura on the already-parsed tree, then caption/headline/widget removal."""

from __future__ import annotations

import re

from lxml.etree import XPath
from trafilatura import bare_extraction
from trafilatura.xml import xmltotxt

# Page furniture trafilatura does not always prune: text-size and share widgets, newsletter and
# cookie boxes, related-article lists. A C-level XPath preselects on class/id substrings, then
# whole class tokens are checked; a match is pruned only when small or mostly links, so a
# <body class="... cookies-not-set"> or an "entry-content-read-more" wrapper survives.
_WIDGET_PRESELECT = XPath(
    "//*[" + " or ".join(
        f'contains(@class,"{w}") or contains(@id,"{w}")'
        for w in ("font", "text-size", "textsize", "share", "sharing", "social", "newsletter", "cookie",
                  "consent", "related", "recirc", "subscribe", "signup", "sign-up", "print", "rating")
    ) + "]"
)
_WIDGET_TOKEN = re.compile(
    r"^(?:.*[-_])?(?:font-?size|font-?(?:resize|control|changer|tools?)|text-?(?:size|resize|resizer)|"
    r"share|shares|sharing|share-?(?:bar|buttons?|tools?|links?|icons?)|social(?:-?(?:share|links|media|icons|bar))?|"
    r"newsletter|newsletter-?signup|cookie|cookies|cookie-?(?:banner|notice|consent)|consent|"
    r"related|related-?(?:articles?|posts?|stories|content|links|news)|recirc|recirculation|"
    r"subscribe|subscription-?box|signup|sign-up|print|rating|ratings)(?:[-_](?:wrapper|wrap|container|box|block|module|widget|area|section|links?|list|buttons?|tools?|bar))?$"
)
_KEEP_TAGS = frozenset({"html", "body", "article", "main"})


def prune_widgets(tree) -> int:
    """Remove widget blocks from `tree` in place; returns how many."""
    removed = 0
    for el in _WIDGET_PRESELECT(tree):
        if el.tag in _KEEP_TAGS or el.getparent() is None:
            continue
        tokens = f"{el.get('class', '')} {el.get('id', '')}".lower().split()
        if not any(_WIDGET_TOKEN.match(t) for t in tokens):
            continue
        text = el.text_content()
        n = len(text.strip())
        if n > 300:
            linked = sum(len(a.text_content()) for a in el.iter("a"))
            if n > 3000 or linked < 0.5 * n:
                continue
        el.drop_tree()
        removed += 1
    return removed


_PRUNE = ["//figcaption", "//nav"]

# a "paragraph" of one or two characters, or bare digits, is widget debris ("TT", "20", "A+")
_DEBRIS = re.compile(r"^\W*(?:\w{1,2}|\d+)\W*$")
_KEY = re.compile(r"\W+")


def key(text: str) -> str:
    """Comparison key: lowercase word characters only."""
    return _KEY.sub("", text.lower())


def trafilatura_body(tree, url: str | None) -> list[str]:
    """Paragraphs (one per block element) as trafilatura extracts them, comments off.

    Prunes widgets from `tree` in place first: call it after everything else read the tree."""
    prune_widgets(tree)
    document = bare_extraction(
        tree,
        url=url,
        include_comments=False,
        with_metadata=False,
        prune_xpath=_PRUNE,
    )
    if document is None or document.body is None:
        return []
    paragraphs = []
    for child in document.body:
        text = xmltotxt(child, False).strip()
        if text:
            paragraphs.append(text)
    return paragraphs


def clean_paragraphs(paragraphs: list[str], *, title: str | None, captions: list[dict]) -> list[str]:
    """Drop headline repeats, caption lines and widget debris from the body."""
    drop = set()
    if title:
        drop.add(key(title))
    caption_keys = []
    for caption in captions:
        k = key(caption["text"])
        drop.add(k)
        if caption.get("credit"):
            drop.add(key(f"{caption['text']} {caption['credit']}"))
            drop.add(key(caption["credit"]))
        if len(k) >= 40:
            caption_keys.append(k)
    out = []
    for para in paragraphs:
        k = key(para)
        if not k or k in drop or _DEBRIS.match(para.strip()):
            continue
        # a caption line with its credit glued on in some other way
        if caption_keys and len(k) < 600 and any(k.startswith(c) and len(k) - len(c) < 80 for c in caption_keys):
            continue
        out.append(para)
    return out
