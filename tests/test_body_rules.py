"""Body rules (crawler.extract: furniture, boilerplate, body, paragraphs) on small hand-written pages (general structures)."""

from __future__ import annotations

import itertools

import pytest

from crawler.extract import extract_article
from crawler.extract.paragraphs import clean_paragraphs

SENTENCE = ("The council voted on Tuesday to rebuild the old harbour wall, after two winters of storms "
            "had opened gaps along its length. ")


_DRAFT = itertools.count()


def paragraphs(n: int, start: int = 0) -> str:
    """n paragraphs of prose, numbered from `start`; each call's text differs (draft number), as
    a story's paragraphs do: a long paragraph read twice is dropped as a second copy."""
    draft = next(_DRAFT)
    return "".join(f"<p>{SENTENCE}(draft {draft}) {SENTENCE}Paragraph {i}.</p>" for i in range(start, start + n))


def test_story_inside_a_large_nav_is_kept_and_menus_go():
    # a theme that wraps the page in one <nav> (or never closes its menu's <nav>)
    html = (f"<html><body><nav><ul><li><a href='/a'>Home</a></li><li><a href='/b'>World</a></li></ul>"
            f"<article><h1>Harbour wall</h1>{paragraphs(8)}</article></nav></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert "Paragraph 0." in text and "Paragraph 7." in text
    html = (f"<html><body><nav><a href='/a'>Home</a> <a href='/b'>World news and more</a></nav>"
            f"<article><h1>Harbour wall</h1>{paragraphs(8)}</article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert "Paragraph 7." in text and "World news and more" not in text


def test_labelled_story_pointer_paragraphs_go_and_prose_with_links_stays():
    html = (f"<html><body><article><h1>Harbour wall</h1>{paragraphs(3)}"
            "<p>Read more: <a href='/news/other-story'>Storm damage bill tops estimates</a></p>"
            f"{paragraphs(2, 3)}<p>RELATED — <a href='/x'>Ferry timetable changes</a></p>"
            "<p>More than a hundred people came: <a href='/y'>the mayor</a> spoke first, then the engineer, "
            "then anyone who had lost a boat or a shed in the storms of the last two winters.</p>"
            f"{paragraphs(2, 5)}</article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert "Storm damage bill" not in text and "Ferry timetable" not in text
    assert "the mayor spoke first" in text
    assert text.count("Paragraph") == 7


@pytest.mark.parametrize("label", ["Popular Stories", "You’ll Also Love...", "Related Articles from the Harbour blog:",
                                   "If you liked this post you might also like:"])
def test_labelled_rail_after_the_story_goes(label):
    rail = "".join(f"<li><a href='/news/story-{i}'>Another headline number {i}</a> <span>Dec {i}, 2025</span></li>"
                   for i in range(5))
    html = (f"<html><body><article><h1>Harbour wall</h1>{paragraphs(6)}"
            f"<div class='x'><h3>{label}</h3><ul>{rail}</ul></div>"
            f"<div class='y'><div><h4>Read This Next</h4></div><div><a href='/a'>A teaser</a></div>"
            f"<div><a href='/b'>B teaser</a></div></div></article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 6
    for gone in (label, "Another headline", "Read This Next", "teaser"):
        assert gone not in text, gone


def test_a_label_followed_by_the_story_itself_is_not_a_rail():
    # "Related" as the first line of an otherwise ordinary body: what follows is prose, kept
    html = (f"<html><body><article><h1>Harbour wall</h1><div><h3>Related</h3>{paragraphs(6)}"
            f"<p><a href='/a'>one</a> <a href='/b'>two</a></p></div></article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 6


def test_a_story_in_a_wrapper_named_like_furniture_is_read():
    # trafilatura drops any block whose class merely contains "embed", "meta", "slide", "bar"...;
    # a page builder's wrapper of that name around most of the story must not take the story along
    teaser = "<div class='sidebar-box'><h4>Newsletter</h4><p>Short notice text for everyone.</p></div>"
    html = (f"<html><body><main><h1>Harbour wall</h1>{paragraphs(2)}"
            f"<div class='w-embed'><div class='responsive-table'><table><tr><td>Wall</td><td>120 m</td></tr></table>"
            f"{paragraphs(8).replace('Paragraph', 'Section')}</div></div>{teaser}</main></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Section") == 8 and text.count("Paragraph") == 2
    assert "Short notice text" not in text


def test_a_furniture_block_with_little_prose_is_still_dropped():
    # the same class on a small box (under the rescue's share of the page's prose) goes as before
    html = (f"<html><body><main><h1>Harbour wall</h1>{paragraphs(8)}"
            f"<div class='post-meta-embed'><p>{SENTENCE}Shared 40 times.</p></div></main></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 8 and "Shared 40 times" not in text


def test_content_after_the_closing_html_tag_is_part_of_the_page():
    # a page whose template prints </body></html> before the story (or two documents glued):
    # browsers show what follows in the body, libxml2 leaves it outside the root element
    html = (f"<html><head><title>Harbour wall</title></head><body><div>Menu</div></body></html>"
            f"<html><head><meta charset='utf-8'></head><body><article><h1>Harbour wall</h1>{paragraphs(6)}"
            f"</article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 6


def test_furniture_lines_inside_the_story_container_go():
    # a date alone or under a "Posted on" label, reading time, an ad slot's label, a table of
    # contents' label, the byline of the declared author, a pager's position, a "Posted by" line,
    # an image's credit, a share or pin label, a byline's "Written by" label printed apart from the
    # name, a link's bare "Read more" or "Back to top": one-line paragraphs, not story text
    html = ("<html><head><script type='application/ld+json'>{\"@type\": \"NewsArticle\", "
            "\"author\": {\"@type\": \"Person\", \"name\": \"Ann Lee\"}}</script></head><body><article>"
            "<h1>Harbour wall</h1><p>Posted on</p><p>Nov 21, 2018</p><p>6 min read</p><p>By Ann Lee</p>"
            f"<p>Table of Contents</p>{paragraphs(3)}<p>Advertisement</p>{paragraphs(3)}"
            "<p>By the end of the week the wall stood again.</p><p>March 3, 2020 was the day the council met.</p>"
            "<p>Written by hand, the council's letter ran to four pages.</p><p>Page 2 of 3</p>"
            "<p>Posted by Bo Kim at December 16, 2025 11:15 AM</p><p>Photo credit: ©Stockphotos.example/kim</p>"
            "<p>Credit: the council paid for the wall and the county for the road.</p><p>Share the story on:</p>"
            "<p>PIN FOR LATER</p><p>Back to top of the wall went the last stone, lifted by the crane.</p>"
            "<p>Written by:</p><p>Reviewed by</p><p>Read more</p><p>Back to top</p></article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    for gone in ("Posted on", "Nov 21, 2018", "6 min read", "By Ann Lee", "Table of Contents", "Advertisement",
                 "Page 2 of 3", "Bo Kim", "Stockphotos", "Share the story", "PIN FOR LATER", "Written by:",
                 "Reviewed by", "Read more"):
        assert gone not in text, gone
    assert "Back to top" not in text.split("\n\n")
    assert text.count("Paragraph") == 6
    assert "By the end of the week the wall stood again." in text
    assert "March 3, 2020 was the day the council met." in text
    assert "Written by hand, the council's letter ran to four pages." in text
    assert "Credit: the council paid for the wall and the county for the road." in text
    assert "Back to top of the wall went the last stone, lifted by the crane." in text


@pytest.mark.parametrize("heading, paragraph, widget", [
    # WordPress's block editor marks text with style presets ("has-medium-font-size")
    ("<h2 class='wp-block-heading has-large-font-size'>", "<p class='has-medium-font-size'>",
     "<div class='font-size-tools'><a href='#'>A+</a> <a href='#'>A-</a> Text size</div>"),
    # an id slugged from the heading's words, a print utility (shown on screen)
    ("<h2 id='h-4-what-the-engineers-found-on-social-media'>", "<p class='lh-none-print'>",
     "<div class='share-bar'><a href='#'>Facebook</a> <a href='#'>Share on X</a> Text size</div>"),
])
def test_style_classes_and_anchors_are_not_widgets(heading, paragraph, widget):
    # they hold story text; the real control or share bar after them still goes
    html = (f"<html><body><article><h1>Harbour wall</h1>{paragraphs(4)}"
            f"{heading}What the engineers found</h2>{paragraph}{SENTENCE}The closing paragraph.</p>"
            f"{paragraphs(1)}{widget}</article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert "What the engineers found" in text and "The closing paragraph." in text
    assert "Text size" not in text and text.count("Paragraph") == 5


def test_boxes_after_the_story_block_go_and_trailing_prose_sections_stay():
    # the column trafilatura keeps also holds, after the story's own block, a call to action,
    # a one-paragraph site blurb and a teaser list; a trailing Q&A written as prose is the story's
    # (the story's block holds most (STORY_SHARE) of the page's prose: story_block)
    answers = "".join(f"<p>Yes: the old stones go back in, and new ones where the storms took them. Answer {i}.</p>"
                      for i in range(2))
    html = (f"<html><body><main><div class='c'><h1>Harbour wall</h1><div class='b'>{paragraphs(14)}</div>"
            "<div class='d'><h3>Stay in the loop</h3><p>Get our weekly letter.</p><a href='/s'>Sign me up</a></div>"
            "<div class='e'><p>The Harbour Gazette is an independent paper for the coast, published by "
            "volunteers since 1921 and read in every port.</p></div>"
            "<div class='f'><a href='/n/1'>Ferry timetable changes</a><a href='/n/2'>Lighthouse open day</a></div>"
            f"<section><h2>Questions readers asked</h2>{answers}</section></div></main></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 14 and "Answer 0." in text and "Answer 1." in text
    for gone in ("Stay in the loop", "weekly letter", "Sign me up", "Harbour Gazette", "Ferry timetable"):
        assert gone not in text, gone


def test_a_story_without_a_prose_block_keeps_what_follows_its_paragraphs():
    # too little prose to bound a story block: nothing is cut after it
    html = ("<html><body><article><h1>Harbour wall</h1><div><p>The wall is rebuilt at last.</p></div>"
            "<div><p>The mayor opened it on Sunday with a speech.</p></div></article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert "rebuilt at last" in text and "opened it on Sunday" in text


def test_lines_over_the_headline_go_and_prose_above_it_stays():
    # a link back to the blog, the section's label and a disclosure printed over the headline,
    # inside the column that holds the story
    html = ("<html><body><main><div class='c'><p><a href='/blog'>Back to blog</a></p>"
            "<div class='s'><p>Coastal affairs</p></div><p>Products are picked by our editors.</p>"
            f"<div class='h'><h1>Harbour wall</h1></div><div class='b'>{paragraphs(8)}</div></div></main></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 8
    for gone in ("Back to blog", "Coastal affairs", "picked by our editors"):
        assert gone not in text, gone
    # a standfirst written as prose above the headline is the story's
    html = (f"<html><body><main><div class='c'><p>{SENTENCE}The standfirst.</p><h1>Harbour wall</h1>"
            f"<div class='b'>{paragraphs(8)}</div></div></main></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 8 and "The standfirst." in text


WORDS = "harbour wall storm gap stone crane tide council engineer rubble pier quay slipway breach winter repair".split()


def distinct_paragraphs(n: int, tag: str) -> str:
    """Paragraphs that open differently (a subhead is placed by the text that follows it)."""
    return "".join(f"<p>{tag}{i} opens here: {' '.join(WORDS[(i * 3 + j) % len(WORDS)] for j in range(30))}.</p>"
                   for i in range(n))


def test_subheads_and_lists_of_a_story_in_a_plain_block_are_kept_in_place():
    # no <article>, no content class: trafilatura reads the loose <p> only and drops every
    # subhead and list; they come back in their place, and nothing from around the story does
    html = ("<html><body><div class='top'><ul><li>Free shipping on every order over fifty</li>"
            "<li>Open seven days a week, nine to five</li></ul></div>"
            f"<div class='x1'><h1>Harbour wall</h1>{distinct_paragraphs(3, 'A')}"
            f"<h2>What the engineers found</h2>{distinct_paragraphs(3, 'B')}"
            "<ul><li>Three breaches along the northern arm</li><li>Loose capstones over a third of its length</li>"
            "<li>Scour at the foot of the old slipway</li></ul>"
            f"<div><h3>What happens next</h3></div>{distinct_paragraphs(2, 'C')}"
            "<h3>Sign up for our newsletter</h3><form><input name='email'></form><h4>Comments</h4></div>"
            "<div class='y2'><ul><li>Copyright notice for the whole of the site</li>"
            "<li>Registered office in the town hall</li></ul></div></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    order = ["A0 opens", "A2 opens", "What the engineers found", "B0 opens", "B2 opens", "Three breaches",
             "Scour at the foot", "What happens next", "C0 opens", "C1 opens"]
    at = [text.find(s) for s in order]
    assert -1 not in at and at == sorted(at), list(zip(order, at, strict=True))
    for gone in ("Free shipping", "Copyright notice", "Sign up for our newsletter", "Comments"):
        assert gone not in text, gone


def test_a_wider_reading_adds_only_what_the_first_missed():
    from crawler.extract.body import within_story
    from crawler.extract.paragraphs import key

    first = ["First paragraph of the story.", "Second paragraph of the story."]
    wider = ["Skip to content", "First paragraph of the story.", "- Item one of the list\n- Item two of the list",
             "Second paragraph of the story.", "Footer: all rights reserved", "Another list outside"]
    missed = [key("Item one of the list"), key("Item two of the list")]
    assert within_story(first, wider, missed) == [first[0], wider[2], first[1]]
    # a block of the wider reading that re-reads the first one's text whole is not taken
    merged = ["First paragraph of the story. Second paragraph of the story. Item one of the list"]
    assert within_story(first, merged, missed) == first


def test_collapsed_panels_and_furniture_named_wrappers_between_story_paragraphs_are_read():
    # an accordion's closed panels (hidden, aria-hidden) and a wrapper named like furniture
    # ("embed") set between the story's paragraphs are the story; a hidden box and an "embed"
    # after its last paragraph are not (the story is long enough that trafilatura's own fallback,
    # for a reading that kept too little, does not run)
    def panel(title: str, tag: str) -> str:
        return (f"<div class='accordion-item'><h3><button aria-expanded='false'>{title}</button></h3>"
                f"<div hidden aria-hidden='true'>{distinct_paragraphs(2, tag)}</div></div>")
    html = (f"<html><body><article><h1>Harbour wall</h1>{distinct_paragraphs(12, 'A')}"
            f"<div class='accordion'>{panel('The stones', 'P')}{panel('The cost', 'Q')}</div>"
            f"{distinct_paragraphs(12, 'B')}<section class='embed'>{distinct_paragraphs(2, 'E')}</section>"
            f"{distinct_paragraphs(12, 'C')}"
            f"<div hidden aria-hidden='true'><p>{SENTENCE}A dialog nobody opened.</p><p>{SENTENCE}More of it.</p></div>"
            f"<section class='embed'><p>{SENTENCE}An embedded post after the story.</p><p>{SENTENCE}Its tail.</p>"
            "</section></article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    order = ["A11 opens", "P0 opens", "P1 opens", "Q1 opens", "B0 opens", "B11 opens", "E0 opens", "E1 opens",
             "C0 opens", "C11 opens"]
    at = [text.find(s) for s in order]
    assert -1 not in at and at == sorted(at), list(zip(order, at, strict=True))
    assert "A dialog nobody opened" not in text and "embedded post after the story" not in text


def test_a_data_table_with_paragraphs_in_its_cells_is_kept_and_a_layout_table_is_unwrapped():
    from lxml import html as lxml_html

    from crawler.extract.body import unwrap_layout_tables

    # a CMS's table block: each cell's value in a <p>, the table in a <figure> (which trafilatura
    # deletes unless it holds a <table>)
    rows = [("Section of the wall", "Length of the damage", "Estimated cost of repair"),
            ("Northern arm by the lighthouse", "120 metres", "1.2 million pounds"),
            ("Southern arm by the ferry slip", "45 metres", "400 thousand pounds"),
            ("Old slipway at the inner basin", "30 metres", "250 thousand pounds")]
    table = "".join("<tr>" + "".join(f"<td><p>{cell}</p></td>" for cell in row) + "</tr>" for row in rows)
    html = (f"<html><body><article><h1>Harbour wall</h1>{distinct_paragraphs(4, 'A')}"
            f"<figure class='wp-block-table'><table><tbody>{table}</tbody></table></figure>"
            f"{distinct_paragraphs(4, 'B')}</article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    for row in rows:
        for cell in row:
            assert cell in text, cell
    at = [text.find(s) for s in ("A3 opens", "Northern arm by the lighthouse", "B0 opens")]
    assert at == sorted(at), at
    # a page laid out in a table: a cell is a column of paragraphs, or a one-cell box
    layout = lxml_html.fromstring(f"<html><body><table><tr><td><a href='/'>Home</a></td><td>{paragraphs(3)}</td></tr>"
                                  f"</table><table><tr><td><p>{SENTENCE}{SENTENCE}</p></td></tr></table>"
                                  f"<table>{table}</table></body></html>")
    assert unwrap_layout_tables(layout) == 2
    assert [t.xpath("count(.//p)") for t in layout.iter("table")] == [12.0]


def test_a_quote_in_a_figure_is_read_and_a_social_embed_is_not():
    # figure > blockquote + figcaption is HTML's markup for a quote with its source (quote and
    # pull-quote blocks); trafilatura deletes <figure>s whole. A social post's embed brings the
    # script that renders it and stays out.
    quote = "We will not let the sea take the quay, whatever the rebuilding costs us in the end."
    tweet = "Waves over the harbour wall again this morning, stay off the pier everybody."
    html = (f"<html><body><article><h1>Harbour wall</h1>{distinct_paragraphs(4, 'A')}"
            f"<figure class='quote'><img src='/mayor.jpg' width='64'><blockquote><p>{quote}</p></blockquote>"
            "<figcaption>The mayor of the town</figcaption></figure>"
            f"{distinct_paragraphs(2, 'B')}"
            f"<figure><blockquote class='post'><p>{tweet}</p><a href='https://social.example/p/1'>March 3</a>"
            "</blockquote><script async src='https://social.example/embed.js'></script></figure>"
            f"{distinct_paragraphs(4, 'C')}</article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    at = [text.find(s) for s in ("A3 opens", quote, "B0 opens", "C3 opens")]
    assert -1 not in at and at == sorted(at), at
    assert tweet not in text and "The mayor of the town" not in text


def test_a_subscription_box_inside_the_story_goes():
    # named "subscription", not "subscribe": the box is still a box (furniture._BOX_TOKEN)
    box = ("<div class='subscription-block'><h3>Weekly briefing</h3><p>Get the harbour news in your inbox "
           "every Friday morning.</p><form><input name='email'><button>Go</button></form></div>")
    html = f"<html><body><article><h1>Harbour wall</h1>{paragraphs(3)}{box}{paragraphs(3)}</article></body></html>"
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 6
    assert "Weekly briefing" not in text and "inbox" not in text


def test_a_second_copy_of_the_story_goes_and_the_storys_own_repeats_stay():
    story = [f"{SENTENCE}Paragraph {i}." for i in range(6)]
    # a page printing its story twice (a hidden mobile layout): the later copy goes
    out = clean_paragraphs([*story, "From our harbour desk", *story], title=None, captions=[])
    assert out == [*story, "From our harbour desk"]
    # a plan repeating a few long items among others, in runs shorter than a copy, keeps them all
    meal = "Eggs and asparagus: one cup of asparagus, two poached eggs, half a cup of sweet potato, one spoon of olive oil for the potatoes, or a slice of toast."
    days = []
    for day in range(4):
        days += [f"Day {day}", "Breakfast:", meal, "Lunch:", f"{SENTENCE}Lunch number {day}.", "Dinner:", meal]
    assert clean_paragraphs(days, title=None, captions=[]) == days


def test_a_box_named_with_any_suffix_inside_the_story_goes():
    box = ("<div class='tnp-subscription-posts'><p><strong>Would you like new posts by email?</strong></p>"
           "<form><input name='email'><button>Yes</button></form></div>")
    html = f"<html><body><article><h1>Harbour wall</h1>{paragraphs(3)}{box}{paragraphs(3, 3)}</article></body></html>"
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 6 and "new posts by email" not in text


def test_affiliate_disclosures_at_the_edges_and_newsletter_pitches_go():
    story = [f"{SENTENCE}Paragraph {i}." for i in range(6)]
    disclosure = "Products are chosen by our editors. We may earn a commission from links on this page."
    pitch = "Want more harbour news? Sign up for our newsletter, delivered every Friday."
    # a story about affiliate links and newsletters keeps its sentences (long, or not a pitch)
    own = ("The harbour office sells maps through affiliate links on its site, and the clerk said she "
           "reads several newsletters that she subscribes to, though none about the wall. " * 3)
    body = [disclosure, *story[:3], pitch, own, *story[3:], "Note: we earn a commission on some links."]
    out = clean_paragraphs(body, title=None, captions=[])
    assert out == [*story[:3], own, *story[3:]]
    # the same words inside the story, away from its first and last lines, are the story's
    middle = [*story[:3], disclosure, *story[3:]]
    assert clean_paragraphs(middle, title=None, captions=[]) == middle


def test_story_parts_every_reading_but_the_recall_one_leaves_out_are_put_back_and_only_they():
    # trafilatura's fast reading and its fallbacks take the body field (two paragraphs) and leave
    # the rest of the story, a grid of topic cards beside it, out: less than FALLBACK_BELOW of the
    # page's prose; the recall-mode reading is run and only its blocks holding the story's
    # missed paragraphs are taken (not the page's header or footer it also reads)
    sentence = "Regular checkups with the dentist keep small problems in the teeth and gums from growing."
    cards = "".join(f"<div class='col'><article class='teaser'><div class='teaser__content'><article class='media'>"
                    f"<img src='/{i}.jpg'></article><h3 class='teaser__title'><a href='/oral/{i}'>Topic number {i}</a></h3>"
                    f"<p>Card {i} says: {sentence}</p><p><a href='/oral/{i}'>Read about topic {i}.</a></p></div></article></div>"
                    for i in range(6))
    html = ("<html><body><header><p>Call or text the helpline at any hour of the day or night, every day of the year, "
            "for free.</p></header><main><h1>Oral health</h1><article class='node'><div class='node__content'>"
            f"<div class='field field--name-body'><div class='field__item'><p>Intro: {sentence} {sentence}</p>"
            f"<p>More: {sentence}</p></div></div><div class='field field--name-field-row-content'><section><h2>Topics</h2>"
            f"<div class='view'><div class='grid-row'>{cards}</div></div></section></div></div></article></main>"
            "<footer><p>Contact us any weekday between nine and five, or write to the office at the address below.</p>"
            "</footer></body></html>")
    text = extract_article(html, "https://agency.example/oral-health")["text"] or ""
    at = [text.find(s) for s in ["Intro:", "More:"] + [f"Card {i} says" for i in range(6)]]
    assert -1 not in at and at == sorted(at), at
    assert "helpline" not in text and "Contact us" not in text


def test_a_modal_dialog_goes_and_a_story_opened_in_a_modal_stays():
    # a long hidden "republish this story" notice in the article's sidebar: more text than the
    # story, so trafilatura's guard against pruning most of a container keeps it unless it is gone
    notice = "".join(f"<p>Republishing rule {i}: credit the writer and link back to the original page, "
                     f"keep the text unchanged and do not sell it on to anyone else at all.</p>" for i in range(14))
    html = (f"<html><body><article><h1>Harbour wall</h1><div class='layout'><div class='story'>{paragraphs(6)}</div>"
            f"<div class='aside-col'><div role='dialog' aria-modal='true' style='display:none'>"
            f"<h2>Republish this article</h2>{notice}</div></div></div></article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 6
    assert "Republish" not in text
    # a site that shows its articles in a modal over a listing: the dialog holds the story
    html = (f"<html><body><ul><li><a href='/a'>Other story</a></li></ul><dialog open><article>"
            f"<h1>Harbour wall</h1>{paragraphs(6)}</article></dialog></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 6


def test_hidden_text_does_not_send_a_short_story_to_the_fallback_readings():
    # a promo carousel the page hides (display:none) holding more text than the story: counted as
    # prose the first reading missed, it sent the page to readability, which read the carousel
    slides = "".join(f"<p>Free shipping on orders over {i}0 in region {i}. For more information on "
                     f"shipping rates and delivery times, please visit our shipping page.</p>" for i in range(12))
    html = (f"<html><body><div class='promo' style='display:none'>{slides}</div>"
            f"<article><h1>Harbour wall</h1>{paragraphs(3)}</article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.count("Paragraph") == 3
    assert "shipping" not in text


def test_a_page_trafilatura_reads_as_one_dump_is_read_as_paragraphs():
    # a <button> left open in the header swallows the page: trafilatura's reading finds nothing in
    # it and falls back to the <article>'s whole text as one block, byline and bio included
    story = "".join(f"<h2>Part {k}</h2>{paragraphs(3, 3 * k)}" for k in range(3))
    html = ("<html><body><header><div class='menu'><button class='menu-button'>Menu"
            "<div class='menu-top'><a href='/'>Home</a></div>"
            "<main><article><h1>Harbour wall rebuilt</h1><div class='byline'>By Ann Smith Full Bio Ann has "
            f"covered the coast for a decade. Updated December 9, 2025</div><div class='article-body'>{story}</div>"
            "</article></main></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    blocks = text.split("\n\n")
    assert [b for b in blocks if b.startswith("Part ")] == ["Part 0", "Part 1", "Part 2"]
    assert sum(b.endswith(f"Paragraph {i}.") for b in blocks for i in range(9)) == 9
    assert "Full Bio" not in text


def test_a_short_story_set_loose_under_a_big_menu_is_read_not_the_menu():
    # an old CMS template: the story is text after two <img>s in a layout <div> (no <p>), under a
    # dropdown menu of 192 entries built of <div>/<ul> (no <nav>); trafilatura's fast reading finds
    # nothing and falls back to printing the whole page, one menu entry per line
    story = ("The home care team of the Amizade district found two of its five cars broken into this morning. "
             "Both had their batteries taken and their doors damaged. A police report was filed and officers "
             "came to inspect the cars. Patients booked for this morning are being rebooked.")
    groups = "".join(
        f"<li class='dropdown'><a href='/s{s}'>Group {s}</a><ul class='dropdown-menu'>"
        + "".join(f"<li><a href='/s{s}/p{i}.php'>Section {s} page {i}</a></li>" for i in range(15)) + "</ul></li>"
        for s in range(12))
    headline = "Cars broken into at the home care unit"
    html = (f"<html><head><title>{headline}</title></head><body><div class='navbar'><ul>{groups}</ul></div>"
            f"<div class='row'><div class='col'><p class='headline'>{headline}</p>"
            "<small><b>05/10/2018</b> - Posted by: Ann Lee</small><br><br>"
            f"<img src='/a.jpeg'><img src='/b.jpeg'>{story}<br><br><br></div></div></body></html>")
    item = extract_article(html, "https://city.example/news/cars-broken-into-at-home-care-unit")
    text = item["text"] or ""
    assert story in text
    assert "Section" not in text and "Group" not in text       # not one menu entry
    assert item["title"] == headline and headline not in text  # the headline once, as the title


def test_the_headline_opening_the_first_paragraph_on_a_line_of_its_own_goes():
    body = clean_paragraphs(["Storm wall rebuilt\nThe council voted on Tuesday.", "Second paragraph."],
                            title="Storm Wall Rebuilt", captions=[])
    assert body == ["The council voted on Tuesday.", "Second paragraph."]
    body = clean_paragraphs(["First paragraph.", "Storm wall rebuilt\nNot the first paragraph."],
                            title="Storm wall rebuilt", captions=[])
    assert body == ["First paragraph.", "Storm wall rebuilt\nNot the first paragraph."]


@pytest.mark.parametrize("wrapper", ["aside", "fieldset", "nav", "button", "label"])
def test_a_story_inside_an_element_trafilatura_deletes_keeps_its_subheads_lists_and_paragraphs(wrapper):
    # a theme (or a header left open) wraps the story in an element trafilatura deletes whole:
    # read as it is, the story comes out as one block or without its subhead and list
    teasers = "".join(f"<div class='teaser'><h3><a href='/n/{i}'>Other story {i}</a></h3><p>{SENTENCE}</p></div>"
                      for i in range(2))
    html = (f"<html><body><header><a href='/'>The Paper</a></header><div class='page'>"
            f"<{wrapper} class='wrap'><div class='story'><h1>Harbour wall rebuilt</h1>{paragraphs(4)}"
            f"<h2>What next</h2><ul><li>{SENTENCE}</li><li>Another item of the list, long enough to count.</li></ul>"
            f"{paragraphs(3, 4)}</div></{wrapper}><div class='more'>{teasers}</div></div>"
            "<footer><p>About us: the paper has covered the coast since 1901.</p></footer></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    blocks = text.split("\n\n")
    assert "What next" in blocks and "Other story" not in text and "About us" not in text
    assert sum(b.endswith(f"Paragraph {i}.") for b in blocks for i in range(7)) == 7
    assert any(b.startswith("- ") and "Another item of the list" in b for b in blocks)


def test_a_furniture_line_set_in_the_first_or_last_paragraph_by_a_line_break_goes():
    story = [f"Posted on December 16, 2025\n{SENTENCE}", SENTENCE + "Middle.",
             f"{SENTENCE}The end.\nPosted by David at December 16, 2025 11:15 AM"]
    assert clean_paragraphs(story, title=None, captions=[]) == [SENTENCE.strip(), SENTENCE + "Middle.",
                                                                  f"{SENTENCE}The end."]
    # a furniture line inside the story, or a line that only starts like one, stays
    kept = [f"{SENTENCE}\nPosted by David at December 16, 2025 11:15 AM\n{SENTENCE}",
            f"{SENTENCE}\nPosted by the council, the notice said the wall would reopen in May."]
    assert clean_paragraphs(kept, title=None, captions=[]) == kept
    assert clean_paragraphs([], title=None, captions=[]) == []
    html = (f"<html><body><article><h1>Harbour wall</h1>{paragraphs(4)}<p>{SENTENCE}The end.<br>"
            "Posted by David at December 16, 2025 11:15 AM</p></article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.endswith("The end.") and "Posted by" not in text
