"""Unit tests for crawler.extract: fields, captions, dates, page kinds, decoding."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crawler.extract import EXTRACTED_FIELDS, ExtractionError, classify_and_extract, extract_article, page_kind
from crawler.extract.captions import split_credit
from crawler.extract.classify import url_kind
from crawler.extract.metadata import iso_date, iso_utc, strip_site_suffix

ROOT = Path(__file__).resolve().parent.parent

DATA = Path(__file__).parent / "data" / "extract"
SEED_URL = "http://127.0.0.1/world/2023/02/28/belarus-leader-lukashenko-arrives-in-beijing-for-talks"


@pytest.fixture(scope="module")
def seed():
    html = (DATA / "seed_layout_lukashenko.html").read_text(encoding="utf-8")
    expected = json.loads((DATA / "seed_layout_lukashenko.expected.json").read_text(encoding="utf-8"))
    return html, expected, extract_article(html, SEED_URL)


def test_seed_layout_fields_exact(seed):
    _, expected, got = seed
    assert set(got) == set(EXTRACTED_FIELDS)
    for name, value in expected.items():
        assert got[name] == value, name


def test_seed_layout_caption_once_with_credit_and_not_in_body(seed):
    _, _, got = seed
    assert got["captions"] == [{
        "text": "Belarus' President Alexander Lukashenko arrives in Beijing on February 28, 2023.",
        "image_url": "http://127.0.0.1/uploads/2023/02/lukashenko-beijing.jpg",
        "credit": "AFP",
    }]
    text = got["text"]
    assert "arrives in Beijing on February 28" not in text
    assert got["title"] not in text
    assert text.startswith("Belarusian President Alexander Lukashenko arrived in Beijing on Tuesday")
    assert text.endswith("said in a statement.")
    assert text.count("\n\n") == 16  # 17 paragraphs, blank-line separated


def test_seed_layout_no_widget_debris(seed):
    _, _, got = seed
    blob = json.dumps(got, ensure_ascii=False)
    for debris in ("TT", "Tweet", "Share", "newsletter", "Another story teaser", "EU extends sanctions"):
        assert debris not in blob, debris
    assert all(p not in ("TT", "20") for p in got["text"].split("\n\n"))


def test_deterministic_and_picklable(seed):
    html, _, got = seed
    again = extract_article(html.encode("utf-8"), SEED_URL)
    assert again == got
    assert pickle.loads(pickle.dumps(got)) == got


@pytest.mark.parametrize("text,caption,credit", [
    ("Belarus' President arrives in Beijing. (AFP)", "Belarus' President arrives in Beijing.", "AFP"),
    ("Lavrov, right, and Muttaqi pose in Moscow, Russia. (Russian Foreign Ministry Press Service via AP, File)",
     "Lavrov, right, and Muttaqi pose in Moscow, Russia.", "Russian Foreign Ministry Press Service via AP, File"),
    ("Protesters outside parliament. Photo: Jane Doe/Reuters", "Protesters outside parliament.", "Jane Doe/Reuters"),
    ("Joe Biden and Jill Biden (right)", "Joe Biden and Jill Biden (right)", None),
    ("The winning team (2019)", "The winning team (2019)", None),
    ("A plain caption", "A plain caption", None),
])
def test_split_credit(text, caption, credit):
    assert split_credit(text) == (caption, credit)


def _figure_page(figures: str) -> str:
    return f"""<html><head><title>T</title></head><body><article><h1>Headline here</h1>
    <p>{'Body text sentence. ' * 30}</p>{figures}<p>{'More body text. ' * 30}</p></article></body></html>"""


def test_explicit_credit_element_wins_and_is_not_caption_text():
    html = _figure_page("""<figure><img src="/a.jpg"><figcaption>Crowds at the rally
        <span class="credit">Photo: Jane Doe / AP</span></figcaption></figure>""")
    caps = extract_article(html, "https://example.com/2024/05/01/a-story-about-things")["captions"]
    assert caps == [{"text": "Crowds at the rally", "image_url": "https://example.com/a.jpg", "credit": "Jane Doe / AP"}]


def test_wordpress_amp_and_cutline_captions():
    html = _figure_page("""
        <div class="wp-caption"><img data-src="/wp.jpg" src="data:image/gif;base64,R0lG">
          <p class="wp-caption-text">The mayor speaks at City Hall</p></div>
        <figure><amp-img src="/amp.jpg"></amp-img><figcaption>An AMP figure caption</figcaption></figure>
        <table><tr><td><img src="/t.jpg"></td></tr><tr><td class="cutline">Old-school cutline text</td></tr></table>
        <div class="related"><figure><img src="/r.jpg"><figcaption>Teaser of another story</figcaption></figure></div>
        <figure><figcaption>Advertisement</figcaption></figure>""")
    caps = extract_article(html, "https://example.com/2024/05/01/a-story-about-things")["captions"]
    assert [(c["text"], c["image_url"]) for c in caps] == [
        ("The mayor speaks at City Hall", "https://example.com/wp.jpg"),
        ("An AMP figure caption", "https://example.com/amp.jpg"),
        ("Old-school cutline text", "https://example.com/t.jpg"),
    ]


@pytest.mark.parametrize("value,expected", [
    ("2023-02-28T11:15:00+02:00", "2023-02-28T11:15:00+02:00"),
    ("2023-02-28T09:15:00Z", "2023-02-28T09:15:00Z"),
    ("2023-02-28T23:15+00:00", "2023-02-28T23:15:00Z"),
    ("2023-02-28T09:15:00.123-0500", "2023-02-28T09:15:00-05:00"),
    ("2023-02-28T01:00:00+0530", "2023-02-28T01:00:00+05:30"),
    ("2023-02-28 23:30:00 UTC", "2023-02-28T23:30:00Z"),
    ("2023-02-28", "2023-02-28"),
    ("March 27, 2025", "2025-03-27"),       # a <meta name="date"> written out
    ("Tue, 28 Feb", None),
    ("2023-13-40", None),
])
def test_iso_date_keeps_the_page_offset(value, expected):
    assert iso_date(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("2023-02-28T11:15:00+02:00", "2023-02-28T09:15:00Z"),
    ("2023-02-28T09:15:00Z", "2023-02-28T09:15:00Z"),
    ("2023-02-28T09:15:00.123-0500", "2023-02-28T14:15:00Z"),
    ("2023-02-28 23:30:00 UTC", "2023-02-28T23:30:00Z"),
    ("2023-02-28", "2023-02-28"),
    ("Tue, 28 Feb", None),
    ("2023-13-40", None),
])
def test_iso_utc(value, expected):
    assert iso_utc(value) == expected


def test_published_date_only_when_page_gives_no_time():
    html = """<html><head><meta property="article:published_time" content="2021-06-03"></head>
      <body><h1>Some headline</h1><p>x</p></body></html>"""
    assert extract_article(html, "https://example.com/a-b-c-d")["published"] == "2021-06-03"


@pytest.mark.parametrize("title,sites,expected", [
    ("Big storm hits coast | The Daily", ["The Daily"], "Big storm hits coast"),
    ("Big storm hits coast - The Daily", [], "Big storm hits coast"),
    ("The Daily: Big storm hits coast", ["The Daily"], "Big storm hits coast"),
    ("Q&A: what the storm means - and what it doesn't", [], "Q&A: what the storm means - and what it doesn't"),
])
def test_strip_site_suffix(title, sites, expected):
    assert strip_site_suffix(title, sites) == expected


def test_title_prefers_h1_matching_declared_title():
    html = """<html><head><title>Storm hits the coast: live updates | Gazette</title>
      <meta property="og:title" content="Storm hits the coast: live updates"></head>
      <body><h1>Storm hits the coast: live updates</h1><p>text</p></body></html>"""
    assert extract_article(html, "https://example.com/x")["title"] == "Storm hits the coast: live updates"


def _titled_page(ld=None, og=None, tw=None, title=None, h1=None) -> str:
    head = [f"<title>{title}</title>" if title else ""]
    if og:
        head.append(f'<meta property="og:title" content="{og}">')
    if tw:
        head.append(f'<meta name="twitter:title" content="{tw}">')
    if ld:
        head.append('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "%s"}</script>' % ld)
    return (f"<html><head>{''.join(head)}</head><body>{f'<h1>{h1}</h1>' if h1 else ''}"
            "<p>Storm text that is the article body.</p></body></html>")


@pytest.mark.parametrize("sources,expected", [
    # the wording most sources share wins, as the <h1> shows it
    (dict(ld="Old SEO line", title="Old SEO line | Gazette", og="Storm hits coast", tw="Storm hits coast",
          h1="Storm hits coast"), "Storm hits coast"),
    (dict(ld="Storm hits coast", title="Storm hits coast | Gazette", og="A dek, not a title",
          tw="A dek, not a title", h1="Storm hits coast"), "Storm hits coast"),
    # the <h1> agreeing with a declared title is the headline, however the others vote
    (dict(ld="Storm hits coast", h1="Storm hits coast", og="Analysis: Storm hits coast",
          tw="Analysis: Storm hits coast", title="Coast towns: Storm hits coast | Gazette"),
     "Storm hits coast"),
    (dict(og="Storm hits coast", h1="Storms hit the coast"), "Storms hit the coast"),
    # every declared title is the SEO wording; the reader sees the <h1>
    (dict(ld="Best Apps to Learn a Language in 2025 - Top 10 Picks", og="Best Apps to Learn a Language in 2025 - Top 10 Picks",
          title="Best Apps to Learn a Language in 2025 - Top 10 Picks",
          h1="Top 10: Best Language Learning App (tested by experts)"),
     "Top 10: Best Language Learning App (tested by experts)"),
    # an <h1> that shares nothing with them (a section name, a promo) is not the headline: they vote;
    # no wording wins (2 : 2 : 1): the document's <title>, site suffix stripped
    (dict(ld="Storm hits coast", og="Storm hits coast", h1="Weather", tw="Coast towns: Storm hits coast",
          title="Coast towns: Storm hits coast | Gazette"),
     "Coast towns: Storm hits coast"),
    # a tie without a <title>: JSON-LD, then og:title
    (dict(og="Storm hits coast", ld="Gales close the port", h1="Weather"), "Gales close the port"),
    # an <h1> in capitals gives way to a declared title with the same words
    (dict(title="Weekend Coding Agent | Labs", h1="WEEKEND CODING AGENT"), "Weekend Coding Agent"),
])
def test_title_vote(sources, expected):
    assert extract_article(_titled_page(**sources), "https://example.com/storm")["title"] == expected


def _page(head: str, body: str) -> str:
    return f"<html><head>{head}</head><body>{body}<p>Storm text that is the article body.</p></body></html>"


@pytest.mark.parametrize("url,head,body,expected", [
    # the site's logo in an <h1> before the headline's
    ("https://gazette.example/a", '<meta property="og:site_name" content="The Gazette">'
     '<meta property="og:title" content="Storm hits coast">', "<h1>The Gazette</h1><h1>Storm hits coast</h1>",
     "Storm hits coast"),
    # a date and a byline inside the <h1>
    ("https://blog.example/a", "<title>Preparing a transition | Notes</title>",
     '<h1><a href="/a"><time datetime="2025-12-18">Dec 18 2025</time> Preparing a transition</a></h1>',
     "Preparing a transition"),
    ("https://blog.example/b", '<meta property="og:title" content="Tuning the cache">',
     '<h1>Tuning the cache<span class="posted-on">Posted on July 1, 2024</span><span class="byline"> by ed</span></h1>',
     "Tuning the cache"),
    # the site's name glued to the headline by an inline link inside the <h1>
    ("https://news.example/a", '<title>Court rules on port | Local | Island Daily</title>'
     '<meta property="og:site_name" content="Island Daily">',
     '<h1><span>Court rules on port</span><a href="/">Island Daily</a></h1>', "Court rules on port"),
    # navigation headings are not the page's
    ("https://news.example/b", "<title>Storm hits coast | Island Daily</title>",
     "<nav><h1>Storm hits coast tonight: all our coverage</h1></nav><h1>Storm hits coast</h1>", "Storm hits coast"),
    # the site named by its host; no <h1>
    ("https://www.newegg.com/p/1", "<title>GAME CHANGER | Newegg.com</title>", "", "GAME CHANGER"),
    ("https://www.drainblasterbill.com/blog/1", "<title>Comparing 6 Types of Plumbing Pipes | Drain Blaster Bills</title>",
     "", "Comparing 6 Types of Plumbing Pipes"),
    # the site named by the <title> segments around the social title; the <h1> names the blog
    ("https://engora.example/2025/12/slm.html",
     '<title>Engora Data Blog: Small adventures with small language models</title>'
     '<meta property="og:title" content="Small adventures with small language models">',
     "<h1>Engora Data Blog</h1><h1>Small is the new large</h1>", "Small adventures with small language models"),
    # a headline beginning with the site's name keeps it
    ("https://www.docker.com/blog/x", '<meta property="og:site_name" content="Docker">'
     '<meta property="og:title" content="Docker Hardened Images: Validated by SRLabs | Docker">',
     "<h1>Docker Hardened Images: Validated by SRLabs</h1>", "Docker Hardened Images: Validated by SRLabs"),
    # the host name glued to the headline in a <title>, the <h1> naming the blog
    ("https://blog.example.org/2025/12/vibe.html", "<title>blog.example.org Vibe Coding</title>",
     '<h1><a href="/">blog.example.org</a></h1>', "Vibe Coding"),
    # UTF-8 read as Latin-1 by the CMS, everywhere on the page
    ("https://news.example/f", '<meta property="og:title" content="A DIY Investor\u00e2\u0080\u0099s Guide | WCI">',
     "<h1>A DIY Investor\u00e2\u0080\u0099s Guide</h1>", "A DIY Investor\u2019s Guide"),
    # an <h1> printed like a <title>: the declared titles, suffixes stripped, end the headline
    ("https://news.example/c", '<meta property="og:title" content="How sleep works | Opinion">'
     '<meta property="og:site_name" content="Island Daily">',
     "<h1>How sleep works | Opinion</h1>", "How sleep works"),
    ("https://health.example/d", "<title>How to help babies and toddlers sleep through the night | Patient Education | Children's Hospital</title>",
     "<h1>How to help babies and toddlers sleep through the night | Patient Education | Children's Hospital</h1>", "How to help babies and toddlers sleep through the night"),
    # ... but an <h1> subtitle the declared titles share stays
    ("https://news.example/e", '<meta property="og:title" content="Storm hits coast - What we know | Island Daily">',
     "<h1>Storm hits coast - What we know</h1>", "Storm hits coast - What we know"),
    # characters the <h1>'s encoding lost: the declared title that spells them
    ("https://news.example/g", "<meta property=\"og:title\" content=\"The Harbour's Guide: Caf\u00e9s by the Sea\">",
     "<h1>The Harbour? Guide: Caf\ufffds by the Sea</h1>", "The Harbour's Guide: Caf\u00e9s by the Sea"),
    # ... and a question mark of its own stays
    ("https://news.example/h", '<meta property="og:title" content="Is the storm over? | Island Daily">',
     "<h1>Is the storm over?</h1>", "Is the storm over?"),
    # a kicker set in the <h1> in an element of its own: the part every declared title spells
    ("https://stories.example/k", '<meta property="og:title" content="Harbour Bakery">'
     "<title>Harbour Bakery | Stories</title>",
     "<h1><div>How they ship bread</div><span>Harbour Bakery</span></h1>", "Harbour Bakery"),
    # ... not when the declared titles disagree on it
    ("https://stories.example/l", '<meta property="og:title" content="Harbour Bakery">'
     "<title>How they ship bread at Harbour Bakery</title>",
     "<h1><div>How they ship bread</div><span>Harbour Bakery</span></h1>", "How they ship bread Harbour Bakery"),
    # ... nor words set in bold inside the headline
    ("https://tools.example/seo", '<meta property="og:title" content="SEO Checker">',
     "<h1>Free <strong>SEO Checker</strong></h1>", "Free SEO Checker"),
])
def test_title_is_the_headline_shown(url, head, body, expected):
    assert extract_article(_page(head, body), url)["title"] == expected


@pytest.mark.parametrize("url,kind", [
    ("https://example.com/", "listing"),
    ("https://example.com/tag/belarus", "listing"),
    ("https://example.com/world/page/2", "listing"),
    ("https://example.com/author/jane-doe", "listing"),
    ("https://example.com/2023/02/28/belarus-leader-arrives", "article"),
    ("https://example.com/world/belarus-leader-lukashenko-arrives-in-beijing", "article"),
    ("https://example.com/news/story-4213347.html", "article"),
    ("https://example.com/world", None),
])
def test_url_kind(url, kind):
    assert url_kind(url) == kind


LISTING = """<html><head><title>World news | Gazette</title><meta property="og:type" content="website"></head>
<body><h1>World</h1><ul>""" + "".join(
    f'<li><article><a href="/world/2023/02/{i:02d}/story-number-{i}-about-world">Story number {i} about the world</a>'
    f"<p>Short teaser {i}.</p></article></li>" for i in range(1, 40)) + "</ul></body></html>"


def test_page_kind_article_listing_other(seed):
    html, _, _ = seed
    assert page_kind(html, SEED_URL) == "article"
    assert page_kind(LISTING, "https://example.com/world") == "listing"
    assert page_kind(LISTING, "https://example.com/tag/world") == "listing"
    about = "<html><head><title>About us</title></head><body><h1>About</h1><p>Contact us.</p></body></html>"
    assert page_kind(about, "https://example.com/about") == "other"


def test_classify_and_extract_extracts_articles_only(seed):
    html, expected, _ = seed
    kind, fields = classify_and_extract(html, SEED_URL)
    assert kind == "article" and fields["title"] == expected["title"]
    assert classify_and_extract(LISTING, "https://example.com/world") == ("listing", None)


def test_bytes_decoding_from_meta_charset_and_argument():
    html = ("<html><head><meta charset='iso-8859-1'><title>Café crème</title></head>"
            "<body><h1>Café crème</h1><p>" + "Déjà vu à Zürich. " * 20 + "</p></body></html>")
    raw = html.encode("latin-1")
    assert extract_article(raw, "https://example.com/cafe")["title"] == "Café crème"
    no_decl = raw.replace(b"<meta charset='iso-8859-1'>", b"")
    assert extract_article(no_decl, "https://example.com/cafe", encoding="latin-1")["title"] == "Café crème"


@pytest.mark.parametrize("text", ["plain ascii", "tab\tLF\nCR\r kept", "NUL\x00 VT\x0b FF\x0c US\x1f",
                                  "non-characters \ufffe \uffff", "halfwidth \uffe8 and \uffc0", "é ü 中文",
                                  "lone \ud800 surrogate", ""])
def test_invalid_xml_characters_removed_as_trafilatura_does(text):
    """html.py checks the bytes before running trafilatura's regex: same result as the regex."""
    import trafilatura.utils

    from crawler.extract.html import _without_invalid_chars

    assert _without_invalid_chars(text) == trafilatura.utils.INVALID_XML_CHARS.sub("", text)


def test_importing_and_running_the_extractor_leaves_trafilatura_as_shipped():
    """A bare trafilatura run beside ours (the benchmark's baseline) must be bare: no module
    global of trafilatura is replaced by importing crawler.extract or by extracting a page.
    A fresh interpreter, so no other test's imports decide it."""
    script = textwrap.dedent("""
        import sys, trafilatura, trafilatura.utils
        def snapshot():
            return {(name, key): id(value) for name, module in sorted(sys.modules.items())
                    if name == "trafilatura" or name.startswith("trafilatura.")
                    for key, value in vars(module).items()}
        before = snapshot()
        parser = trafilatura.utils.HTML_PARSER
        from crawler.extract import extract_article
        page = "<html><body><article><h1>Storm</h1>" + "<p>Rain fell on the valley all night.</p>" * 9 + "</article></body></html>"
        assert "Rain fell" in extract_article(page, "https://example.com/storm")["text"]
        after = snapshot()
        changed = sorted(k for k in before if k in after and after[k] != before[k])
        assert not changed, changed
        assert trafilatura.utils.HTML_PARSER is parser
        # its parser still makes lxml.html's own element classes (no lookup of ours set on it)
        form = trafilatura.utils.load_html("<html><body><form><input name=q></form></body></html>").find(".//form")
        assert type(form).__name__ == "FormElement", type(form)
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_story_nested_past_depth_256_is_read_whole():
    """Old pages pile up unclosed <div>/<font> tags; libxml2 without huge_tree drops everything
    past depth 256, so the story's end would vanish (our own parser sets huge_tree)."""
    opening = "<div>" * 300
    story = "".join(f"<p>Paragraph {i} of the story tells what the council decided about the bridge.</p>"
                    for i in range(12))
    html = f"<html><body>{opening}<h1>Bridge</h1>{story}<p>The final paragraph names the builder.</p></body></html>"
    text = extract_article(html, "https://example.com/bridge")["text"]
    assert "Paragraph 0 of the story" in text and "The final paragraph names the builder." in text


def test_control_characters_do_not_reach_the_text():
    html = ("<html><head><title>Storm\x0b warning</title></head><body><article><h1>Storm\x0b warning</h1>"
            + "<p>Rain\x00 fell all night over the valley and the river rose.\ufffe</p>" * 12
            + "</article></body></html>")
    fields = extract_article(html.encode("utf-8"), "https://example.com/storm")
    assert fields["title"] == "Storm warning"
    assert "Rain fell all night" in fields["text"] and "\x00" not in fields["text"] and "\ufffe" not in fields["text"]


@pytest.mark.parametrize("bad", [b"", "   ", None, 42])
def test_bad_input_is_one_clear_error(bad):
    with pytest.raises(ExtractionError):
        extract_article(bad, "https://example.com/")


def test_declared_metadata_cleanup():
    html = """<html lang="en-GB"><head><title>Storm | Gazette</title>
      <meta property="article:tag" content="Spain,Europe, World news">
      <meta property="article:tag" content="3f2b8c1e-1d2a-4b5c-9e8f-0a1b2c3d4e5f">
      <meta property="article:section" content="Politics &amp;amp; Government">
      <meta property="og:site_name" content="Gazette"></head>
      <body><h1>Storm</h1><p>Text.</p></body></html>"""
    got = extract_article(html, "https://example.com/a-b-c-d")
    assert got["tags"] == ["Spain", "Europe", "World news"]
    assert got["section"] == "Politics & Government"
    assert got["language"] == "en" and got["site_name"] == "Gazette" and got["title"] == "Storm"


def test_language_detected_when_undeclared():
    html = ("<html><head><title>Radwege</title></head><body><h1>Radwege</h1><p>"
            + "Der Stadtrat hat am Dienstag beschlossen, das Radwegenetz bis 2028 deutlich auszubauen. " * 3
            + "</p></body></html>")
    assert extract_article(html, "https://example.com/radwege-ausbau-beschlossen")["language"] == "de"


_STORY = "<p>Storm text that is the article body, long enough to be one.</p>"


@pytest.mark.parametrize("head,body,expected", [
    # the publisher credited as author in JSON-LD: the printed byline names the person
    ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Storm",'
     ' "author": {"@type": "Organization", "name": "Gazette"}}</script>',
     '<article><h1>Storm</h1><div class="entry-meta">By <a href="/author/ada-lindqvist/">Ada Lindqvist</a></div>'
     f'{_STORY}</article>', ["Ada Lindqvist"]),
    # ... and stays when no byline is printed
    ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Storm",'
     ' "author": {"@type": "Organization", "name": "Gazette"}}</script>',
     f"<article><h1>Storm</h1>{_STORY}</article>", ["Gazette"]),
    # a label element, the name in the next one
    ("", f'<article><h1>Storm</h1><div class="info"><span>Written by:</span><a href="/u/9">Elise Nass</a></div>{_STORY}</article>',
     ["Elise Nass"]),
    # an author box after the story (in the article's footer), its name element by class
    ("", f'<article><h1>Storm</h1>{_STORY}<footer><div class="post-author"><a href="/u/1">see all</a>'
     '<div class="post-author__name">Liz Kenny</div><p class="post-author__bio">Liz writes about weather.</p></div>'
     "</footer></article>", ["Liz Kenny"]),
    # date, reading time and role cut off the name
    ("", f'<article><h1>Storm</h1><p class="byline">By Preetam Jinka on March 9, 2024 · 4 min read</p>{_STORY}</article>',
     ["Preetam Jinka"]),
    # nothing credited: no author (a "Follow us" box is not one)
    ("", f'<article><h1>Storm</h1>{_STORY}</article><div class="author-follow">Follow us</div>', []),
    # the byline printed after its date, in a block named for both
    ("", f'<article><h1>Storm</h1><div class="publish-date-author">Dec. 19, 2025 &middot; Ada Lindqvist on behalf'
         f' of the harbour team</div>{_STORY}</article>', ["Ada Lindqvist"]),
    ("", f'<article><h1>Storm</h1><div class="dateAndAuthorContainer"><span>Dec 17, 2025</span>'
         f'<span>Julian K. Arni</span></div>{_STORY}</article>', ["Julian K. Arni"]),
    # an author-page link labelled "Articles by <first name>"
    ("", f'<article><h1>Storm</h1><p><a href="/author/juliette-c">Articles by Juliette</a></p>{_STORY}</article>',
     ["Juliette"]),
    # a label element of its own, the name in the next text: a personal name (credentials cut) or a user name
    ("", f'<article><h1>Storm</h1>{_STORY}<section><h3>Author</h3><p>Lisa D. Ellis</p></section></article>',
     ["Lisa D. Ellis"]),
    ("", f'<article><h1>Storm</h1>{_STORY}<h2>Article written by:</h2><div><img src="/a.jpg"><div>'
         '<h3>Jane Roe, MD, FACP</h3><p>Jane is a physician.</p></div></div></article>', ["Jane Roe"]),
    ("", f'<article><h1>Storm</h1><div><span>Written by</span><div><svg></svg><span>eliz_k</span></div></div>'
         f'{_STORY}</article>', ["eliz_k"]),
    # the author a Twitter card names ("Written by" / name), when the page prints no byline ...
    ('<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Nawaz Dhandala">'
     '<meta name="twitter:label2" content="Est. reading time"><meta name="twitter:data2" content="4 minutes">',
     f"<article><h1>Storm</h1>{_STORY}</article>", ["Nawaz Dhandala"]),
    # ... and not over the printed byline
    ('<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Colin Madison">',
     f'<article><h1>Storm</h1><p class="byline">By Ada Lindqvist</p>{_STORY}</article>', ["Ada Lindqvist"]),
    # scholarly pages' Highwire Press tags, "Last, First"
    ('<meta name="citation_author" content="Roy, Aniruddha"><meta name="citation_author" content="Patel, Jyoti">',
     f"<article><h1>Storm</h1>{_STORY}</article>", ["Aniruddha Roy", "Jyoti Patel"]),
    # a CMS's placeholder accounts credit nobody
    ('<meta name="author" content="admin">', f"<article><h1>Storm</h1>{_STORY}</article>", []),
    ('<script type="application/ld+json">{"@type": "Article", "headline": "Storm",'
     ' "author": {"@type": "Person", "name": "mdelatorre7q6vk2ma0ci"}}</script>',
     f"<article><h1>Storm</h1>{_STORY}</article>", []),
    # ... but a user name that reads as one stays
    ('<meta name="author" content="q_admin">', f"<article><h1>Storm</h1>{_STORY}</article>", ["q_admin"]),
    # an @graph's author given by reference to a Person declared beside the article
    ('<script type="application/ld+json">{"@graph": [{"@type": "Article", "headline": "Storm",'
     ' "author": {"@id": "https://gazette.example/#/person/1"}},'
     ' {"@type": "Person", "@id": "https://gazette.example/#/person/1", "name": "Christian Dupuis"}]}</script>',
     f'<article><h1>Storm</h1>{_STORY}</article>', ["Christian Dupuis"]),
    # the name's own element ends it, though the markup prints the next one against it
    ("", f'<article><h1>Storm</h1><p class="post-meta">By <a href="/people/ada">Ada Lindqvist</a>'
         f'<span class="cat">In Politics</span></p>{_STORY}</article>', ["Ada Lindqvist"]),
    ("", f'<article><h1>Storm</h1><div class="meta">Posted on March 9, 2024 by <a href="/people/ada">Ada Lindqvist</a>'
         f'<span class="cat">In Politics</span></div>{_STORY}</article>', ["Ada Lindqvist"]),
    # the copyright holder or a company named as author is the publisher: the printed byline first
    ('<meta name="author" content="Gazette Verlag GmbH, Munich, Germany">'
     '<meta name="copyright" content="Gazette Verlag GmbH, Munich, Germany">',
     f'<article><h1>Storm</h1>{_STORY}<p class="credit">Von Ada Lindqvist, Berlin</p></article>', ["Ada Lindqvist"]),
    ('<meta name="author" content="Harbour Press Group"><meta name="copyright" content="Harbour Press Group">',
     f'<article><h1>Storm</h1><p>By Ada Lindqvist</p>{_STORY}</article>', ["Ada Lindqvist"]),
    ('<meta name="author" content="Gazette Media Inc.">',
     f'<article><h1>Storm</h1><p>By Ada Lindqvist</p>{_STORY}</article>', ["Ada Lindqvist"]),
    # ... and stays, whole, when no byline is printed
    ('<meta name="author" content="Gazette Verlag GmbH, Munich, Germany">', f"<article><h1>Storm</h1>{_STORY}</article>",
     ["Gazette Verlag GmbH"]),
])
def test_authors_from_bylines(head, body, expected):
    html = f"<html><head><title>Storm | Gazette</title>{head}</head><body>{body}</body></html>"
    assert extract_article(html, "https://gazette.example/2024/03/storm")["authors"] == expected


@pytest.mark.parametrize("shown,expected", [
    # the page prints its modified date as its date: the date the reader is given
    ('<time datetime="2021-09-08T18:02:10+00:00">September 8, 2021</time>', "2021-09-08T18:02:10Z"),
    # printed as an update: the first publication stays
    ('<span class="updated">Updated <time datetime="2021-09-08T18:02:10+00:00">September 8, 2021</time></span>',
     "2012-09-12T16:45:28Z"),
    # no date printed
    ("", "2012-09-12T16:45:28Z"),
    # WordPress's "entry-date published updated" classes inside a wrapper named for the update
    ('<span class="updated-on"><time class="entry-date published updated" datetime="2021-09-08T18:02:10+00:00">'
     "September 8, 2021</time></span>", "2012-09-12T16:45:28Z"),
])
def test_published_is_the_date_shown(shown, expected):
    html = ('<html><head><script type="application/ld+json">{"@type": "BlogPosting", "headline": "Storm",'
            ' "datePublished": "2012-09-12T16:45:28+00:00", "dateModified": "2021-09-08T18:02:10+00:00"}'
            f"</script></head><body><article><h1>Storm</h1><p>{shown}</p>{_STORY}</article></body></html>")
    got = extract_article(html, "https://gazette.example/storm")
    assert got["published"] == expected and got["modified"] == "2021-09-08T18:02:10Z"


def test_dates_of_the_webpage_object_when_no_article_is_declared():
    """SEO plugins declare a WebPage (not an Article) in an @graph: its dates are the post's."""
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Gazette"},
        {"@type": "WebPage", "name": "Storm", "datePublished": "2021-01-27T06:00:00+00:00",
         "dateModified": "2021-04-15T00:07:20+00:00"}]}
    html = (f'<html><head><script type="application/ld+json">{json.dumps(graph)}</script></head>'
            f"<body><article><h1>Storm</h1>{_STORY}</article></body></html>")
    got = extract_article(html, "https://gazette.example/storm")
    assert (got["published"], got["modified"]) == ("2021-01-27T06:00:00Z", "2021-04-15T00:07:20Z")


def _captions_of(body: str) -> list[dict]:
    html = f"<html><head><title>Storm</title></head><body><article><h1>Storm</h1>{body}{_STORY}</article></body></html>"
    return extract_article(html, "https://gazette.example/storm")["captions"]


def test_caption_printed_in_a_figure_without_caption_markup():
    got = _captions_of('<figure><img src="/a.jpg"><p>Waves break over the harbour wall at dawn.</p></figure>'
                       '<figure><img src="/b.jpg"><div><button>View 3 images</button></div></figure>'
                       '<figure><a href="/c"><img src="/c.jpg"></a><span><a href="/c">Read the story</a></span></figure>')
    assert got == [{"text": "Waves break over the harbour wall at dawn.", "image_url": "https://gazette.example/a.jpg",
                    "credit": None}]


def test_table_gallery_captions_take_the_picture_of_their_column():
    got = _captions_of('<table><tr><td><img src="/left.jpg"></td><td><img src="/right.jpg"></td></tr>'
                       '<tr><td><div class="thumbcaption">Left: the harbour in 1900</div></td>'
                       '<td><div class="thumbcaption">Right: the harbour today<sup><a href="#cite-1">[1]</a></sup></div></td></tr></table>')
    assert [(c["text"], c["image_url"]) for c in got] == [
        ("Left: the harbour in 1900", "https://gazette.example/left.jpg"),
        ("Right: the harbour today", "https://gazette.example/right.jpg")]


@pytest.mark.parametrize("declared,byline,expected", [
    # a template's datePublished contradicted by the date printed under the headline
    ('"datePublished": "2014-01-01"', "<p class='meta'>gerbw · 20 December 2025</p>", "2025-12-20"),
    # the printed local day of a declared late-evening timestamp: the moment stays, with the
    # page's own offset (its calendar day is the printed one)
    ('"datePublished": "2023-01-21T16:43:28-08:00"', "<p>By Alyssa Maio on January 21, 2023</p>", "2023-01-21T16:43:28-08:00"),
    # a printed day a day from a timestamp declared in UTC: the same moment, the timestamp stays
    ('"datePublished": "2023-01-22T00:43:28Z"', "<p>By Alyssa Maio on January 21, 2023</p>", "2023-01-22T00:43:28Z"),
    # ... but a printed day the timestamp is in no time zone (UTC-12 to UTC+14): the printed day
    ('"datePublished": "2023-01-22T22:43:28Z"', "<p>By Alyssa Maio on January 21, 2023</p>", "2023-01-21"),
    # a list of dated changes under the headline is not the byline
    ('"datePublished": "2021-01-18T19:55:00+01:00"', "<ul><li>2021-08-09 Emphasized the non-requirements of"
     " tool choice in the analysis section, with examples from three projects and their outcomes.</li></ul>",
     "2021-01-18T19:55:00+01:00"),
    # the modification date printed as the page's date, the first publication not shown
    ('"datePublished": "2019-05-02", "dateModified": "2024-11-14T06:49:57+00:00"',
     "<p>Ada Lindqvist <span>November 14, 2024</span></p>", "2024-11-14T06:49:57Z"),
    # ... labelled "Last updated:" in an element of its own: the first publication stays
    ('"datePublished": "2019-05-02", "dateModified": "2024-11-14T06:49:57+00:00"',
     "<p><span>Last updated:</span> <span>November 14, 2024</span></p>", "2019-05-02"),
    # nothing declared: the printed date, a publication date preferred to an update's
    ("", "<div><span>Updated: Jan 5, 2025</span> <span>Published: Dec. 3rd, 2024</span></div>", "2024-12-03"),
    ("", "<p>Posted on 2024-03-09 by ed</p>", "2024-03-09"),
    # a date in the story, past its first paragraphs, is not the byline's
    ('"datePublished": "2024-05-02T10:00:00Z"', "<p>" + "Long story text. " * 20 + "</p><p>On March 9, 2021 it began.</p>",
     "2024-05-02T10:00:00Z"),
    # bylines in other languages: French, German's dotted day-first form, Spanish
    ("", "<p>Publié le 30 août 2023 à 14h52, modifié le 31 août 2023 à 15h54</p>", "2023-08-30"),
    ("", "<p>28.04.2024, 17:19 Uhr</p>", "2024-04-28"),
    ("", "<p>Madrid - 15 de octubre de 2024</p>", "2024-10-15"),
    ('"datePublished": "2014-01-01"', "<p>9. März 2024</p>", "2024-03-09"),
    # ... but a dotted date either order reads ("09.10.2024": September 10 on an American page) says nothing
    ('"datePublished": "2024-09-10T16:07:00Z"', "<p>09.10.2024</p>", "2024-09-10T16:07:00Z"),
])
def test_published_date_printed_in_the_byline(declared, byline, expected):
    ld = f'<script type="application/ld+json">{{"@type": "BlogPosting", "headline": "Storm", {declared}}}</script>' \
        if declared else ""
    html = f"<html><head>{ld}</head><body><article><h1>Storm</h1>{byline}{_STORY}</article></body></html>"
    assert extract_article(html, "https://gazette.example/storm")["published"] == expected


@pytest.mark.parametrize("head,page,expected", [
    # HTML5's <time pubdate> (printed after the story here) against a stale declared date
    ('<script type="application/ld+json">{"@type": "Article", "headline": "Storm", "datePublished": "2025-11-29T12:28:31-05:00"}'
     "</script>", '<div class="meta">Published <time pubdate datetime="2025-08-13">August 13, 2025</time></div>', "2025-08-13"),
    # microformats2's h-entry date against a template's placeholder
    ('<meta property="article:published_time" content="2014-01-01">', '<p><time class="dt-published" datetime="2021-04-21T09:00:00+02:00">21 avril 2021</time></p>',
     "2021-04-21T09:00:00+02:00"),
    # the same markup naming an update is not the publication
    ('<script type="application/ld+json">{"@type": "Article", "headline": "Storm", "datePublished": "2019-05-02"}</script>',
     '<p><time class="post-date updated" pubdate datetime="2026-01-24">Jan 24, 2026</time></p>', "2019-05-02"),
    # a marked date in a sidebar dates another post
    ('<script type="application/ld+json">{"@type": "Article", "headline": "Storm", "datePublished": "2019-05-02"}</script>',
     '<aside><time pubdate datetime="2026-01-24">Jan 24, 2026</time></aside>', "2019-05-02"),
    # a <meta name="published"> with the date written out
    ('<meta name="published" content="July 17, 2025">', "", "2025-07-17"),
])
def test_published_date_marked_by_markup_conventions(head, page, expected):
    story = "<p>" + "Storm text that is the article body, long enough to end the byline. " * 5 + "</p>"
    html = f"<html><head>{head}</head><body><article><h1>Storm</h1>{story}{page}</article></body></html>"
    assert extract_article(html, "https://gazette.example/storm")["published"] == expected


def test_placeholder_year_is_no_date_and_does_not_break_the_page():
    html = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "Storm",'
            ' "datePublished": "0001-01-01T00:00:00Z"}</script></head><body><article><h1>Storm</h1>'
            f"<p>Posted March 9, 2024</p>{_STORY}</article></body></html>")
    assert iso_utc("0001-01-01T00:00:00Z") is None
    assert extract_article(html, "https://gazette.example/storm")["published"] == "2024-03-09"



_UNDATED = "<p>" + "Soil holds water and the roots of what grows in it. " * 6 + "</p>"


@pytest.mark.parametrize("tail,htmldate_says,expected", [
    # a date-shaped string anywhere in the page (here a copyright year) is what htmldate's last
    # resort, its regex sweep over the whole page, returns: no publication date
    ("<footer><p>Copyright 2019 Garden Club</p></footer>", "2019-01-01", None),
    # htmldate's markup stages before that sweep still answer
    ('<div class="entry-date">March 5, 2021</div><footer><p>Copyright 2019 Garden Club</p></footer>',
     "2021-03-05", "2021-03-05"),
])
def test_htmldate_fallback_without_its_whole_page_sweep(tail, htmldate_says, expected):
    from htmldate import find_date
    from htmldate.core import find_date as core_find_date

    html = f"<html><head><title>Notes on soil</title></head><body><h1>Notes on soil</h1>{_UNDATED}{tail}</body></html>"
    assert find_date(html, extensive_search=True, original_date=True) == htmldate_says
    # the clone in crawler.extract.dates replaces this global of htmldate's find_date: an
    # htmldate that stops calling it would silently bring the sweep (and its CPU) back
    assert "search_page" in core_find_date.__code__.co_names
    assert extract_article(html, "https://garden.example/notes")["published"] == expected
    assert find_date(html, extensive_search=True, original_date=True) == htmldate_says  # htmldate left as shipped


@pytest.mark.parametrize("lang,expected", [
    # told the page is English, dateparser reads an event's "Mar 30 - Apr 17" as English: no date
    ("en", None),
    # told nothing, it asks every language it has and Italian answers (as htmldate does)
    (None, "2017-04-30"),
])
def test_htmldate_parser_is_told_the_declared_language(lang, expected):
    from htmldate import find_date

    declared = f' lang="{lang}"' if lang else ""
    html = (f"<html{declared}><head><title>Notes on soil</title></head><body><h1>Notes on soil</h1>{_UNDATED}"
            "<div>Mar 30 - Apr 17</div></body></html>")
    assert extract_article(html, "https://garden.example/notes")["published"] == expected
    assert find_date(html, extensive_search=True, original_date=True) == "2017-04-30"  # htmldate left as shipped

@pytest.mark.parametrize("body,expected", [
    # MediaWiki's classic thumbnail: the magnifier link inside the caption is no text of it
    ('<div class="thumb tright"><div class="thumbinner"><a href="/wiki/File:Harbour.jpg" class="image">'
     '<img src="//upload.example.org/Harbour.jpg" class="thumbimage"></a><div class="thumbcaption">'
     '<div class="magnify"><a href="/wiki/File:Harbour.jpg" title="Enlarge"></a></div>The harbour wall after the storm, 1911'
     '</div></div></div>',
     [("The harbour wall after the storm, 1911", "https://upload.example.org/Harbour.jpg", None)]),
    # MediaWiki's current figure markup
    ('<figure typeof="mw:File/Thumb"><a href="/wiki/File:Quay.jpg" class="mw-file-description">'
     '<img src="//upload.example.org/Quay.jpg" class="mw-file-element"></a>'
     "<figcaption>The quay in 1900, before the new breakwater</figcaption></figure>",
     [("The quay in 1900, before the new breakwater", "https://upload.example.org/Quay.jpg", None)]),
    # figcaption before its image, and one holding paragraphs with a labelled credit
    ('<figure><figcaption>Fishermen haul their boats above the tide line.</figcaption><img src="/b.jpg"></figure>',
     [("Fishermen haul their boats above the tide line.", "https://gazette.example/b.jpg", None)]),
    ('<figure><div><img src="/a.jpg"></div><figcaption><p>Rescue boats in the flooded square.</p>'
     '<p class="credit"><span>Photo:</span> Jane Roe</p></figcaption></figure>',
     [("Rescue boats in the flooded square.", "https://gazette.example/a.jpg", "Jane Roe")]),
    # caption elements next to the image, no <figure>
    ('<div class="story-image"><img src="/c.jpg"><div class="image-caption">A lifeboat crew returns at dawn. (Reuters)</div></div>',
     [("A lifeboat crew returns at dawn.", "https://gazette.example/c.jpg", "Reuters")]),
    ('<p><img src="/g.jpg"><br><span class="photo-caption">Cars stranded on the coast road.</span></p>',
     [("Cars stranded on the coast road.", "https://gazette.example/g.jpg", None)]),
    # a gallery of figures, each caption with its own picture
    ('<figure class="wp-block-gallery"><figure class="wp-block-image"><img src="/h1.jpg">'
     '<figcaption class="wp-element-caption">The first wave</figcaption></figure><figure class="wp-block-image">'
     '<img src="/h2.jpg"><figcaption class="wp-element-caption">The second wave</figcaption></figure></figure>',
     [("The first wave", "https://gazette.example/h1.jpg", None), ("The second wave", "https://gazette.example/h2.jpg", None)]),
    # the same caption again in a lightbox copy: once
    ('<figure><img src="/f.jpg"><figcaption>Waves over the pier at high tide.</figcaption></figure>'
     '<div class="lightbox" hidden><img src="/f.jpg"><div class="caption">Waves over the pier at high tide.</div></div>',
     [("Waves over the pier at high tide.", "https://gazette.example/f.jpg", None)]),
])
def test_captions_on_common_markups_once_each_and_not_in_body(body, expected):
    html = f"<html><head><title>Storm</title></head><body><article><h1>Storm</h1>{body}{_STORY}</article></body></html>"
    got = extract_article(html, "https://gazette.example/storm")
    assert [(c["text"], c["image_url"], c["credit"]) for c in got["captions"]] == expected
    assert not any(text in got["text"] for text, _, _ in expected)


@pytest.mark.parametrize("url,footer,expected", [
    # a personal site named after its owner, no byline: the owner
    ("https://tobyhede.example/blog/habits", "&copy; 2025 Toby Hede. All rights reserved.", ["Toby Hede"]),
    # a company's copyright line is no author, nor a name the host does not spell
    ("https://scripps.example/news/myths", "&copy; 2025 Scripps Health. All rights reserved.", []),
    ("https://cassidoo.example/post/x", "&copy; 2025 Cassidy Williams", []),
])
def test_personal_site_owner_from_the_copyright_line(url, footer, expected):
    html = f"<html><head><title>Habits</title></head><body><article><h1>Habits</h1>{_STORY}</article>" \
           f"<footer><p>{footer}</p></footer></body></html>"
    assert extract_article(html, url)["authors"] == expected


@pytest.mark.parametrize("declared,page,expected", [
    # printed above the headline, in its header, against a template's stale declared date
    ('"datePublished": "2014-01-01"', '<div class="post-header"><div><span>Published</span> <span>October 14, 2025</span> in Training</div>'
         "<h1>Storm</h1></div>", "2025-10-14"),
    # labelled as an update above the headline, nothing else: still the page's only date
    ('"datePublished": "2014-01-01"', "<header><div>Last updated:</div><div>Dec 12, 2025</div><h1>Storm</h1></header>", "2025-12-12"),
    # dated lines of a changelog under the headline are no byline: the declared date stays
    ('"datePublished": "2021-01-18T19:55:00+01:00"',
     "<h1>Storm</h1><p>Updates:</p><ul><li>2021-08-09 New section</li><li>2022-04-12 Link</li>"
     "<li>2023-06-12 More arguments</li></ul>", "2021-01-18T19:55:00+01:00"),
])
def test_published_date_printed_around_the_headline(declared, page, expected):
    ld = f'<script type="application/ld+json">{{"@type": "BlogPosting", "headline": "Storm", {declared}}}</script>' \
        if declared else ""
    html = f"<html><head>{ld}</head><body><article>{page}{_STORY}</article></body></html>"
    assert extract_article(html, "https://gazette.example/storm")["published"] == expected


@pytest.mark.parametrize("url,declared,expected", [
    # declared in UTC, filed under the publisher's local day in its permalink: that day
    ("https://blog.example/2025/12/18/storm", "2025-12-19T02:41:41Z", "2025-12-18"),
    # the same day, or an offset declared: the timestamp stays
    ("https://blog.example/2025/12/19/storm", "2025-12-19T02:41:41Z", "2025-12-19T02:41:41Z"),
    ("https://blog.example/2025/12/18/storm", "2025-12-18T21:41:41-05:00", "2025-12-18T21:41:41-05:00"),
    # a permalink day far from the declared date (a story filed under its event) changes nothing
    ("https://blog.example/2025/11/02/storm", "2025-12-19T02:41:41Z", "2025-12-19T02:41:41Z"),
])
def test_published_day_of_a_utc_timestamp_from_the_permalink(url, declared, expected):
    html = ('<html><head><script type="application/ld+json">{"@type": "BlogPosting", "headline": "Storm",'
            f' "datePublished": "{declared}"}}</script></head><body><article><h1>Storm</h1>{_STORY}</article></body></html>')
    assert extract_article(html, url)["published"] == expected


def test_inside_match_answers_for_an_element_or_its_ancestors_judging_each_once():
    from crawler.extract.html import InsideMatch, parse_html

    tree = parse_html("<html><body><div class='x'><section><p>a</p><p>b</p></section></div>"
                      "<div><p>c</p></div></body></html>")
    judged = []

    def test(el):
        judged.append(el.tag)
        return el.get("class") == "x"

    inside = InsideMatch(test, above=tree.find("body"))
    assert [inside(p) for p in tree.iter("p")] == [True, True, False]
    # from the top down: the first div answers for all below it, the second p's section is known;
    # body (above) and html are never judged
    assert judged == ["div", "div", "p"]
