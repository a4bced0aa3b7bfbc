"""Image captions from the page structure.

trafilatura drops <figcaption> text, so captions are read from the markup itself:
<figcaption>, WordPress `wp-caption-text`, MediaWiki `thumbcaption`, caption/cutline/legend classes
(AMP, lightbox and table-layout pages), `itemprop=caption`. Each caption is reported once per article, its credit
split off (an explicit credit element, a "Photo: X" label, or a trailing "(AFP)"), and captions
inside related-article teasers, navigation or links are left out.
"""

from __future__ import annotations

import re

from crawler.urls import join_url

from .html import class_tokens, element_text, hooked_elements, is_inside, squash

# class/id tokens of a caption element (matched per token, so "captioned-list" does not count)
_CAPTION_TOKEN = re.compile(
    r"^(?:.*[-_])?(?:(?:thumb|image|img|photo|pic|picture|media|figure|gallery|slide)?caption|captions|cutline|"
    r"figcaption|legend|bildunterschrift|legende|leyenda|didascalia)"
    r"(?:[-_](?:text|txt|content|inner|body|wrapper|wrap|container|box|desc|description|title))?$"
)
_CREDIT_TOKEN = re.compile(
    r"credit|copyright|photographer|byline|attribution|rights|source|author|urheber|quelle|fotograf|"
    r"courtesy|photo-by|agency|licen[cs]e|provider"
)
_CREDIT_ITEMPROP = {"copyrightholder", "author", "creator", "credittext", "copyrightnotice", "creditText".lower()}
# ancestors that hold other articles' teasers, navigation or page furniture, not this article
# (matched at the start of a class token or after - / _, so "withSidebar" or "sidebar-grid" layouts pass)
_FOREIGN_TOKEN = re.compile(
    r"(?:^|[-_])(?:related|teaser|recommend|promo|outbrain|taboola|popular|trending|newsletter|more-?stories|"
    r"read-?more|also-?read|next-?article|most-?read|further-?reading|footer|navigation|cookie|consent|"
    r"advert|sponsor|ads?(?:$|[-_])|banner|comment)|^sidebar(?:$|[-_](?:left|right|widget|module|box|content)$)"
)
_FOREIGN_TAGS = {"nav", "footer", "a", "form", "select", "template", "noscript"}
# typography utility classes that merely style text like a caption ("text-caption", "font-caption")
_STYLE_PREFIX = ("text-", "font-", "typo-", "type-", "fs-", "t-", "u-")
_AD_LABEL = re.compile(
    r"^(?:advertisement|advertising|anzeige|werbung|publicit[ée]|publicidad|pubblicit[àa]|annonse|"
    r"annons|reklame|reklama|sponsored|ad|ads|partner content)$",
    re.IGNORECASE,
)
_CREDIT_LABEL = re.compile(
    r"^(?:photo(?:graph)?s?|(?:photo|image|picture) credits?|foto(?:s|grafie)?|image|images|picture|pic|bild|credit|credits|"
    r"crédit(?:s)?|crédito|copyright|quelle|source|illustration|video|vídeo)\s*:\s*|^(?:©|\(c\)|copyright)\s*",
    re.IGNORECASE,
)
# "... text. Photo: Jane Doe/Reuters" - a credit label after the caption
_TRAILING_LABEL = re.compile(
    r"(?:^|(?<=[.!?”\"')\]])\s*|\s+[|–—-]\s+|\s{2,})"
    r"((?:(?:photo(?:graph)?s?|fotos?|images?|picture|bild|credits?|image credits?|photo credits?|crédits?|crédito|"
    r"copyright)\s*:|©|photo by|foto von)\s*[^.!?]{2,100})$",
    re.IGNORECASE,
)
# "... in Beijing. (AFP)" / "(Russian Foreign Ministry Press Service via AP, File)"
_TRAILING_PAREN = re.compile(r"\s*\(([^()]{2,120})\)\s*$")
_NOT_A_CREDIT = re.compile(
    r"^(?:left|right|center|centre|top|bottom|front|back|l|r|c|pictured|above|below|middle|inset|"
    r"l to r|l-r|from left|from right|clockwise.*|\d{1,4}|file)$",
    re.IGNORECASE,
)
_IMG_ATTRS = ("src", "data-src", "data-lazy-src", "data-original", "data-url", "data-srcset", "srcset")


def _is_caption_el(el) -> bool:
    if el.tag == "figcaption":
        return True
    if el.tag in ("a", "button", "time", "figure", "img", "picture"):
        return False  # a figure is the caption's container, never the caption
    if (el.get("itemprop") or "").lower() == "caption":
        return True
    return any(_CAPTION_TOKEN.match(t) and not t.startswith(_STYLE_PREFIX) and t not in _CONTAINER_TOKENS
               for t in class_tokens(el))


_CONTAINER_TOKENS = frozenset({"wp-caption", "with-caption", "has-caption", "captioned"})


def _is_credit_el(el) -> bool:
    if (el.get("itemprop") or "").lower() in _CREDIT_ITEMPROP:
        return True
    return any(_CREDIT_TOKEN.search(t) for t in class_tokens(el))


def _is_foreign(el) -> bool:
    """Inside a teaser/related block, navigation, a link or other page furniture."""
    node = el.getparent()
    while node is not None and node.tag not in ("body", "html"):
        if node.tag in _FOREIGN_TAGS:
            return True
        if node.tag in ("article", "main"):
            # the article's own container: nothing above it can make this foreign
            return False
        if any(_FOREIGN_TOKEN.search(t) for t in class_tokens(node)):
            return True
        node = node.getparent()
    return False


def _img_url(img, base_url: str) -> str | None:
    for attr in _IMG_ATTRS:
        value = (img.get(attr) or "").strip()
        if not value or value.startswith("data:"):
            continue
        if "srcset" in attr:
            value = value.split(",")[0].strip().split(" ")[0]
        if value:
            return join_url(base_url, value)
    return None


def _find_image(caption, container, base_url: str) -> str | None:
    scopes = [container] if container is not None else []
    parent = caption.getparent()
    if parent is not None and parent is not container:
        scopes.append(parent)
    for scope in scopes:
        for img in scope.iter("img", "amp-img", "source"):
            url = _img_url(img, base_url)
            if url:
                return url
    # table layouts: the image sits in the row above the cutline's cell, in the same column
    # when the row holds several (a gallery of two pictures and their two captions)
    cell = caption if caption.tag == "td" else caption.getparent()
    row = cell.getparent() if cell is not None and cell.tag == "td" else None
    if row is not None and row.tag == "tr":
        prev = row.getprevious()
        if prev is not None:
            column = row.index(cell)
            cells = [c for c in prev if c.tag == "td"]
            scopes = ([cells[column]] if column < len(cells) and len(cells) == len(row) else []) + [prev]
            for scope in scopes:
                for img in scope.iter("img"):
                    url = _img_url(img, base_url)
                    if url:
                        return url
    return None


def _footnote_marks(el) -> set:
    """Footnote markers in a caption ("[30]": <sup><a href="#cite_note-30">): not its text."""
    return {sup for sup in el.iter("sup") if any((a.get("href") or "").startswith("#") for a in sup.iter("a"))}


_VIDEO_TOKEN = re.compile(r"(?:^|[-_])player(?:$|[-_])|^video(?:$|[-_](?:player|card|embed|container|wrapper|item))")


def _is_video(caption, container) -> bool:
    """A video's description (player markup beside it) is not an image caption."""
    scope = container if container is not None else caption.getparent()
    if scope is None:
        return False
    for node in scope.iter("video", "iframe", "div", "span"):
        if node.tag in ("video", "iframe"):
            return True
        if any(_VIDEO_TOKEN.search(t) for t in class_tokens(node)):
            return True
    return False


def _container(caption):
    """The figure the caption belongs to (a few levels up at most)."""
    node = caption.getparent()
    for _ in range(4):
        if node is None:
            return None
        if node.tag == "figure" or any(
            t in ("wp-caption", "image", "photo", "media", "figure", "picture", "img") or t.startswith(
                ("wp-caption", "image-", "photo-", "media-", "figure-", "picture-", "img-"))
            for t in class_tokens(node)
        ):
            return node
        node = node.getparent()
    return None


def clean_credit(text: str) -> str:
    """Credit as printed, without a label ("Photo:") or the brackets around it."""
    text = squash(text)
    if len(text) > 2 and text[0] in "([" and text[-1] in ")]" and text.count("(") + text.count("[") == 1:
        text = text[1:-1]
    text = _CREDIT_LABEL.sub("", text).strip(" |·•–—-:")
    return squash(text)


_PIPE_CREDIT = re.compile(r"\s+\|\s+([^|]{2,80})$")


def is_credit_only(text: str) -> bool:
    """'Image Credits: Strava', '© AFP': a credit line with no caption."""
    return bool(_CREDIT_LABEL.match(text)) and len(text.split()) <= 12


def split_credit(text: str) -> tuple[str, str | None]:
    """'Caption text. (AFP)' -> ('Caption text.', 'AFP'); 'Text. Photo: Jane Doe' and
    'Text. | Jane Doe/Getty' likewise."""
    match = _TRAILING_PAREN.search(text)
    if match and match.start() > 0:
        inner = squash(match.group(1))
        if not _NOT_A_CREDIT.match(inner) and (inner[:1].isupper() or "/" in inner or " via " in inner):
            return text[: match.start()].rstrip(), clean_credit(inner)
    match = _TRAILING_LABEL.search(text)
    if match and match.start() > 0:
        head = text[: match.start()].rstrip(" |–—-")
        if head:
            return head, clean_credit(match.group(1))
    match = _PIPE_CREDIT.search(text)
    if match and match.start() > 2 * len(match.group(1)):
        return text[: match.start()].rstrip(), clean_credit(match.group(1))
    return text, None


def _leading_credit(el) -> tuple[object, str] | None:
    """<figcaption><span>The Yomiuri Shimbun</span><br>Caption...: a short name line above the caption."""
    first = el[0] if len(el) else None
    if first is None or (el.text or "").strip() or not isinstance(first.tag, str) or first.tag == "br":
        return None
    nxt = first.getnext()
    if nxt is None or nxt.tag != "br" or (first.tail or "").strip():
        return None
    line = element_text(first)
    if not line or len(line.split()) > 6 or line[-1:] in ".!?:" or len(line) > 60:
        return None
    return first, line


_UNMARKED_TAGS = frozenset({"p", "div", "span", "small", "em", "i", "cite"})


def _unmarked_figure_captions(tree, hooked: list) -> set:
    """Captions printed in a <figure> without caption markup: the figure's own text block after
    its image (HTML: whatever a figure holds besides its image captions it). A block of at
    least four words with no link ("View 3 images" buttons and linked teasers are not);
    figures holding a marked caption are left to it."""
    marked = {el for el in hooked if _is_caption_el(el)}
    found = set()
    for figure in tree.iter("figure"):
        if not any(True for _ in figure.iter("img", "picture", "amp-img")) \
                or any(el is figure or is_inside(el, figure) for el in marked):
            continue
        seen_image = False
        for child in figure:
            if not isinstance(child.tag, str):
                continue
            if not seen_image:
                seen_image = child.tag in ("img", "picture", "amp-img") or any(True for _ in child.iter("img", "picture"))
                continue
            text = element_text(child)
            if child.tag in _UNMARKED_TAGS and 4 <= len(text.split()) and len(text) <= 300 \
                    and not any(True for _ in child.iter("a", "img", "button")):
                found.add(child)
                break
    return found


def find_captions(tree, base_url: str, hooked: list | None = None, used: list | None = None) -> list[dict]:
    """[{text, image_url, credit}] in document order, each caption once.

    `hooked`: html.hooked_elements(tree) when the caller already has it. `used` (a list) receives
    the caption and credit elements read, so the body can leave them out."""
    used = [] if used is None else used
    found: list[dict] = []
    index: dict[str, dict] = {}
    accepted: set = set()  # caption elements taken; a set: a gallery page has thousands
    videos: dict = {}      # scope element -> holds a video player
    candidates = hooked if hooked is not None else hooked_elements(tree)
    unmarked = _unmarked_figure_captions(tree, candidates)
    if unmarked:
        order = {el: i for i, el in enumerate(tree.iter())}
        candidates = sorted(set(candidates) | unmarked, key=order.__getitem__)
    for el in candidates:
        if el not in unmarked and not _is_caption_el(el):
            continue
        if any(a in accepted for a in el.iterancestors()):
            continue
        if _is_foreign(el):
            continue
        credit_els = [c for c in el.iterdescendants() if isinstance(c.tag, str) and _is_credit_el(c)]
        # nested credit elements: keep the outermost only
        credit_els = [c for c in credit_els if not any(is_inside(c, o) for o in credit_els if o is not c)]
        skip = set(credit_els) | _footnote_marks(el)
        lead = _leading_credit(el) if not credit_els else None
        if lead is not None:
            skip.add(lead[0])
        text = element_text(el, skip=skip)
        if len(text) > 1000:
            continue  # a whole block that merely has "caption" in its class: look inside it instead
        accepted.add(el)
        credit = "; ".join(dict.fromkeys(c for c in (clean_credit(element_text(c)) for c in credit_els) if c)) or None
        if lead is not None:
            if len(text) < 3 * len(lead[1]):
                text, lead = element_text(el, skip=set(credit_els)), None  # not a credit line after all
            else:
                credit = clean_credit(lead[1])
        container = _container(el)
        credit_from = None
        if container is not None and credit is None:
            for c in container.iter():
                if c is not el and isinstance(c.tag, str) and _is_credit_el(c) and not is_inside(c, el) \
                        and not is_inside(el, c) and not _is_caption_el(c):
                    value = clean_credit(element_text(c))
                    if value and len(value) < 120:
                        credit, credit_from = value, c
                        break
        if not text or _AD_LABEL.match(text.strip(" .:")):
            continue
        if is_credit_only(text):
            # a credit line of its own: it credits the figure's caption, if that has none yet
            used.append(el)
            if found and found[-1]["credit"] is None and container is not None and found[-1].get("_container") is container:
                found[-1]["credit"] = clean_credit(text)
            continue
        text, trailing = split_credit(text)
        if credit is None:
            credit = trailing
        if not text:
            continue
        if credit and text.endswith(credit):
            text = text[: -len(credit)].rstrip(" |·•–—-:/(")
        scope = container if container is not None else el.getparent()
        if scope not in videos:  # sibling captions share a scope: scan it once, not once each
            videos[scope] = _is_video(el, scope)
        if videos[scope]:
            continue
        image_url = _find_image(el, container, base_url)
        used.append(el)
        if credit_from is not None:
            used.append(credit_from)
        key = _key(text)
        if key in index:
            prior = index[key]
            prior["image_url"] = prior["image_url"] or image_url
            prior["credit"] = prior["credit"] or credit
            continue
        caption = {"text": text, "image_url": image_url, "credit": credit, "_container": container}
        index[key] = caption
        found.append(caption)
    for caption in found:
        del caption["_container"]
    return found


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


