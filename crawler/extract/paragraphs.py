"""Cleaning of the paragraphs trafilatura read: headline repeats, caption lines, furniture lines
(dates, labels, bylines) and widget debris that sit inside the story's container and so survive
the tree's pruning (furniture.py, boilerplate.py)."""

from __future__ import annotations

import re

# a "paragraph" of one or two characters, or bare digits, is widget debris ("TT", "20", "A+")
_DEBRIS = re.compile(r"^\W*(?:\w{1,2}|\d+)\W*$")
_KEY = re.compile(r"\W+")
# A second copy of the story: pages that print it twice (a hidden mobile layout, a "print" copy,
# a tab) and trafilatura reads both. A copy repeats the paragraphs in their order: a run of
# paragraphs each equal to the one a fixed distance before it, holding at least _COPY_LONG
# paragraphs of _COPY_MIN+ key characters. Repeats that are the story's own (a meal plan's same
# breakfast on several days, a credit under each webcam image, a "Best case:" label) are not in
# such a run: dropping every repeat of 100+ characters lost text on 5 of the 15 WCXB dev pages it
# changed and on the ScrapingHub meal plan, which repeats 19% of its text in runs of 2-4 meals.
_COPY_MIN = 100
_COPY_LONG = 5


def key(text: str) -> str:
    """Comparison key: lowercase word characters only."""
    return _KEY.sub("", text.lower())

# Lines of page furniture that trafilatura keeps as paragraphs when they sit inside the story's
# container: a date alone or under a "Posted on"/"Updated" label, the label alone, reading time,
# the label of an ad slot, of a table of contents or of share buttons, a link's bare "Read more" or
# "Back to top". Whole-line matches only.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (rf"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|"
         rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}})")
_DATE_LABEL = r"(?:posted|published|updated|last updated|modified|date)(?:\s+on)?"
_FURNITURE_LINE = re.compile(
    rf"^\W*(?:(?:{_DATE_LABEL}\W*)?{_DATE}|{_DATE_LABEL}|"
    r"\d+\s*(?:min(?:ute)?s?)\s*read|reading time\W*\d+\s*min[a-z]*|"
    r"advertisement|advertising|sponsored|(?:read|learn|see|view|show) more|continue reading|back to top|(?:story|article) continues (?:below|after)(?: this)?(?: advertisement| ad)?|"
    r"table of contents|contents|in this article|on this page|"
    r"share(?: (?:the |this |our )?(?:blog|article|post|story|page|recipe|guide)?(?: on| via)?)?|pin (?:it|this)(?: for later)?|"
    r"pin for later|"
    # a pager's position; a posting line naming its writer (and when), whoever the page declares
    r"page \d+ (?:of|/) \d+|(?:posted|written|published) by\s+[^,.!?]{2,40}?(?:\s+(?:at|on)\s+.{4,40})?|"
    # the label of a byline whose name is an element of its own (a line of its own when read)
    r"(?:posted|written|published|reviewed|edited) by)\W*$",
    re.IGNORECASE,
)
# "By <name>" / "Written by <name>" naming an author the page declares elsewhere: the byline, kept
# apart from the body (authors are a field of their own)
_BYLINE = re.compile(r"^\W*(?:(?:written|posted|reviewed|words)\s+)?by\s+(.{2,60}?)\W*$", re.IGNORECASE)


# An image's credit printed as a line of its own (its caption's credit is taken with the caption):
# "Image credit: ...", "Credit: <a name>", "Photo: © ...", "Image used under license from ...".
_CREDIT_LINE = re.compile(
    r"^\W*(?:(?:featured |header |cover |hero |top |lead )?(?:image|photo|picture|photograph|illustration)s? "
    r"credits?\s*:\s*\S|credits?\s*:\s*[^.!?]{1,50}$|(?:image|photo|picture)s?(?: used)? (?:under license|courtesy of) |"
    r"(?:image|photo|picture)s?\s*:\s*©)",
    re.IGNORECASE,
)
_CREDIT_MAX = 150


def furniture_line(para: str, authors: list[str] = ()) -> bool:
    """A paragraph that is one line of page furniture (see _FURNITURE_LINE, _BYLINE, _CREDIT_LINE)."""
    if len(para) > 80:
        return len(para) <= _CREDIT_MAX and _CREDIT_LINE.match(para) is not None
    text = " ".join(para.split())
    if _FURNITURE_LINE.match(text) or _CREDIT_LINE.match(text):
        return True
    byline = _BYLINE.match(text)
    if byline and authors:
        named = key(byline.group(1))
        return any(key(a) and key(a) in named for a in authors)
    return False


# An affiliate disclosure (a publisher's notice that it earns from the links in the story) printed
# as a line at the top or the bottom of the body: the first or last _DISCLOSURE_EDGE paragraphs, at
# most _DISCLOSURE_MAX characters, saying "affiliate link(s)", "qualifying purchases", "advertiser
# disclosure" or that someone earns/receives/makes a commission or kickback. On WCXB's dev half it
# fires on 14 domains: 12 lines the annotators left out, 3 they kept.
_DISCLOSURE = re.compile(
    r"\baffiliate links?\b|\bqualifying purchases\b|\badvertiser disclosure\b|"
    r"\b(?:earn|receive|make|get)s?\b[^.]{0,40}\b(?:commissions?|kick ?backs?)\b",
    re.IGNORECASE,
)
# A newsletter call to action: a short paragraph (at most _PITCH_MAX characters) asking the reader
# to sign up / subscribe to / join "our" newsletter, inbox delivery or mailing list, wherever it
# sits in the body. English only: no other language's pitches were seen often enough on WCXB's dev
# half to list. There it fires on ~11 domains, ~1 line in 7 one the annotators kept (a story's own
# "sign up to read the follow-up" note); a story about newsletters has no "our" pitch.
_PITCH = re.compile(r"\b(?:sign(?:ing)? up|subscribe (?:to|for) (?:our|my|the|this|us)\b|subscribe (?:now|today)|"
                    r"join (?:our|my|the)\b)", re.IGNORECASE)
_PITCH_OBJECT = re.compile(r"\bnewsletters?\b|\binbox\b|\bmailing list\b", re.IGNORECASE)
_PITCH_MAX = 300
_DISCLOSURE_EDGE = 3
_DISCLOSURE_MAX = 400


def disclosures(paragraphs: list[str]) -> set[int]:
    """Indexes of the affiliate disclosure lines at the edges of the body (see _DISCLOSURE)."""
    n = len(paragraphs)
    edges = set(range(min(_DISCLOSURE_EDGE, n))) | set(range(max(0, n - _DISCLOSURE_EDGE), n))
    return {i for i in edges if len(paragraphs[i]) <= _DISCLOSURE_MAX and _DISCLOSURE.search(paragraphs[i])}


def pitches(paragraphs: list[str]) -> set[int]:
    """Indexes of the newsletter calls to action in the body (see _PITCH)."""
    return {i for i, para in enumerate(paragraphs)
            if len(para) <= _PITCH_MAX and _PITCH.search(para) and _PITCH_OBJECT.search(para)}


def second_copies(paragraphs: list[str]) -> set[int]:
    """Indexes of the paragraphs of a second copy (see _COPY_LONG) of earlier ones."""
    seen: dict[str, list[int]] = {}
    out: set[int] = set()
    runs: dict[int, tuple[int, int]] = {}   # distance -> (first index, long paragraphs) of runs ending here
    for i, para in enumerate([*paragraphs, ""]):      # "" closes the last runs
        k = key(para)
        grown = {}
        for j in seen.get(k, ()) if k else ():
            start, long = runs.get(i - j, (i, 0))
            grown[i - j] = (start, long + (len(k) >= _COPY_MIN))
        for distance, (start, long) in runs.items():
            if distance not in grown and long >= _COPY_LONG:
                out.update(range(start, i))
        runs = grown
        if k:
            seen.setdefault(k, []).append(i)
    return out


def clean_paragraphs(paragraphs: list[str], *, title: str | None, captions: list[dict],
                     authors: list[str] = ()) -> list[str]:
    """Drop headline repeats, caption lines, furniture lines and widget debris from the body, then
    a second copy of the story, affiliate disclosures at its edges and newsletter pitches."""
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
        if not k or k in drop or _DEBRIS.match(para.strip()) or furniture_line(para, authors):
            continue
        # a caption line with its credit glued on in some other way
        if caption_keys and len(k) < 600 and any(k.startswith(c) and len(k) - len(c) < 80 for c in caption_keys):
            continue
        out.append(para)
    # then what is told by its place among the paragraphs left (the body's first and last lines)
    gone = second_copies(out) | disclosures(out) | pitches(out)
    return edge_lines([para for i, para in enumerate(out) if i not in gone], authors, title)


def edge_lines(paragraphs: list[str], authors: list[str] = (), title: str | None = None) -> list[str]:
    """`paragraphs` less a furniture line (furniture_line) that opens the first paragraph or closes
    the last one, set in it by a line break: a "Posted by <name> at <date>" line under the story's
    last paragraph in the same block (one <div> of text and <br>s), read as part of it; and the
    headline (`title`) set the same way as the first paragraph's first line."""
    out = list(paragraphs)
    if not out:
        return out
    headline = key(title) if title else None
    for i, first in ((0, True), (len(out) - 1, False)):
        if "\n" not in out[i]:
            continue
        lines = out[i].split("\n")
        edge = lines[0] if first else lines[-1]
        if edge.strip() and (furniture_line(edge.strip(), authors) or first and key(edge) == headline):
            out[i] = "\n".join(lines[1:] if first else lines[:-1]).strip()
    return [para for para in out if para]
