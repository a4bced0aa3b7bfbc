"""Body recall and text fidelity (crawler.extract.body) on small hand-written pages: the story's
text as a browser shows it, read whole, and nothing else added."""

from __future__ import annotations

from lxml.html import fromstring

from crawler.extract import extract_article
from crawler.extract.body import wrap_loose_text

SENTENCE = ("The council voted on Tuesday to rebuild the old harbour wall, after two winters of storms "
            "had opened gaps along its length.")
URL = "https://people.example/~ada/harbour-wall.html"


def story(n: int) -> str:
    return "".join(f"<P>{SENTENCE} Paragraph {i}." for i in range(n))


def test_prose_set_straight_into_the_page_between_its_paragraphs_is_read_each_run_a_paragraph():
    # a hand-written page: text in <body> between a heading, a list and unclosed <P> tags
    html = ("<html><body><h1>The Harbour Wall</h1><h2>The question</h2>"
            "What can the council do about the <b>harbour wall</b> before the next storm comes?"
            "<ol><li>Rebuild it.</li><li>Raise it.</li></ol>"
            f"Are all plans possible? Engineers were asked <i>last spring</i> to cost each one. {story(4)}"
            "</body></html>")
    text = extract_article(html, URL)["text"] or ""
    blocks = text.split("\n\n")
    assert "What can the council do about the harbour wall before the next storm comes?" in blocks
    assert "Are all plans possible? Engineers were asked last spring to cost each one." in blocks
    assert all(f"{SENTENCE} Paragraph {i}." in blocks for i in range(4))


def test_a_story_block_opening_with_text_before_its_first_paragraph_keeps_it():
    lede = ("Storm season starts early this year, and the harbour wall is still open in three places "
            "where the waves broke through last winter.")
    html = (f"<html><body><header><a href='/'>Home</a></header><article><h1>Harbour wall</h1>"
            f"{lede}{story(5)}</article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert text.startswith(lede)


def test_labels_link_rows_and_text_beside_no_prose_or_outside_the_story_are_not_made_paragraphs():
    closed = "".join(f"<p>{SENTENCE} Paragraph {i}.</p>" for i in range(6))
    html = ("<html><body><div id='story'><h1>The Harbour Wall</h1>Filed under <a href='/t/harbour'>Harbour</a>"
            f"<h2>Plans</h2>{closed}<ul><li>One</li></ul>"
            "<a href='/a'>Storm damage bill tops the estimates</a> | <a href='/b'>Ferry timetable changes "
            "again for winter</a> | <a href='/c'>New lifeboat station opens in the spring</a>"
            "<div id='box'><h3>Newsletter</h3>Our newsletter brings you the week's harbour news every Friday "
            "morning, free of charge, straight to your inbox.<ul><li>Weekly</li></ul></div></div>"
            "<div id='foot'><p>Harbour Weekly is printed and published by the Harbour Press Company, a "
            "cooperative owned by its readers.</p>Registered office: 4 Quay Street, Old Harbour, "
            "registered in the county as a friendly society.</div></body></html>")
    tree = fromstring(html)
    before = tree.text_content()
    assert wrap_loose_text(tree) == 0           # a label, a row of links, a box without prose, the page's foot
    assert tree.text_content() == before and len(tree.get_element_by_id("foot")) == 1
    # the same loose sentence beside the story's paragraphs is one
    tree = fromstring(html.replace("<h2>Plans</h2>", "<h2>Plans</h2>Engineers were asked last spring to cost "
                                   "each of the plans."))
    assert wrap_loose_text(tree) == 1
    assert tree.get_element_by_id("story").xpath("string(./p[1])").startswith("Engineers were asked")


def test_wrapping_moves_the_runs_into_paragraphs_and_changes_no_character_of_the_page():
    html = ("<html><body><div id='s'>Lead text of the story that opens the page before any paragraph, "
            "a sentence long enough.<p>" + SENTENCE + "</p>Between <em>two</em> paragraphs, a run that "
            "carries on<br>over a line break to the end, as prose does.<p>" + SENTENCE + "</p>Short tail."
            "</div></body></html>")
    tree = fromstring(html)
    before = tree.text_content()
    assert wrap_loose_text(tree) == 2
    assert tree.text_content() == before
    block = tree.get_element_by_id("s")
    assert [child.tag for child in block] == ["p", "p", "p", "p"]
    assert block.text is None and block[1].tail is None
    assert block[2].text_content().startswith("Between two paragraphs") and block[2].find("br") is not None
    assert block[3].tail == "Short tail."       # not a sentence of 40+ characters: left as it was
    assert wrap_loose_text(tree) == 0           # nothing loose is left


def test_a_table_prints_a_line_per_row_with_its_cells_tab_separated_as_a_browser_copies_it():
    rows = [("Pier", "Length", "Built"), ("North | East pier", "120 m", "1887"), ("South pier", "", "1902")]
    table = "<tr>" + "".join(f"<th>{c}</th>" for c in rows[0]) + "</tr>" + "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows[1:])
    bars = "<p>The council's own notice reads | Harbour works | Phase one | and is pinned to the pier gate.</p>"
    html = (f"<html><body><article><h1>Harbour wall</h1>{story(3)}<table>{table}</table>{bars}{story(3)}"
            "</article></body></html>")
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert "Pier\tLength\tBuilt\nNorth | East pier\t120 m\t1887\nSouth pier\t\t1902" in text
    assert "---" not in text and "\\" not in text
    # bars the page itself prints, outside a table, stay as printed
    assert "The council's own notice reads | Harbour works | Phase one | and is pinned to the pier gate." in text


def _latin1_read(text: str) -> str:
    """`text` as a CMS that read its UTF-8 bytes as Latin-1 stores it."""
    return text.encode("utf-8").decode("latin-1")


def test_text_a_cms_read_as_latin1_is_read_back_and_text_without_c1_controls_is_left_alone():
    sentence = "The harbour master said the wall won’t last another winter – “not a chance”, he added."
    html = (f"<html><head><title>{_latin1_read('Harbour wall – café talk')}</title></head><body><article>"
            f"<h1>{_latin1_read('Harbour wall – café talk')}</h1><p>{_latin1_read(sentence)}</p>{story(4)}"
            "</article></body></html>")
    assert "\u0080" <= _latin1_read("’")[1] <= "\u009f"      # the page holds C1 controls
    article = extract_article(html.encode("utf-8"), "https://paper.example/news/harbour-wall-rebuilt", encoding="utf-8")
    assert sentence in article["text"]
    assert article["title"] == "Harbour wall – café talk"
    # without a C1 control nothing says the page was misread: "CafÃ©" may be what it prints
    plain = html.replace(_latin1_read(sentence), "A sign over the door of the CafÃ© reads the same in every season.")
    plain = plain.replace(_latin1_read("Harbour wall – café talk"), "Harbour wall")
    article = extract_article(plain.encode("utf-8"), "https://paper.example/news/harbour-wall-rebuilt", encoding="utf-8")
    assert "A sign over the door of the CafÃ© reads the same in every season." in article["text"]


def test_only_whole_utf8_sequences_are_read_back():
    from crawler.extract.html import repair_mojibake

    assert repair_mojibake(_latin1_read("won’t, été, 中文") + " \u00e2\u0080 cut short") == "won’t, été, 中文 \u00e2\u0080 cut short"


def test_a_story_split_in_chunks_is_joined_and_a_heading_between_two_chunks_stays_over_the_second():
    def chunk(i: int) -> str:
        return (f"<div class='answer-content'><p>{SENTENCE} Answer {i} goes on to explain what the engineers "
                f"found there.</p></div>")
    faq = "".join(f"<div class='accordion'><div class='accordion-title'><h3>Question {i}: what of the pier?</h3>"
                  f"</div>{chunk(i)}</div>" for i in range(4))
    html = f"<html><body><article><h1>Harbour wall</h1>{faq}</article></body></html>"
    text = extract_article(html, "https://paper.example/news/harbour-wall-faq")["text"] or ""
    blocks = text.split("\n\n")
    for i in range(1, 4):
        question = blocks.index(f"Question {i}: what of the pier?")
        assert blocks[question + 1].startswith(f"{SENTENCE} Answer {i} ")
    # chunks cut by ad slots alone are joined in order
    ads = "<div class='ad-slot'><span>Advertisement</span></div>".join(chunk(i) for i in range(4))
    html = f"<html><body><article><h1>Harbour wall</h1>{ads}</article></body></html>"
    text = extract_article(html, "https://paper.example/news/harbour-wall-rebuilt")["text"] or ""
    assert [text.index(f"Answer {i} ") for i in range(4)] == sorted(text.index(f"Answer {i} ") for i in range(4))


def test_no_heading_moves_for_a_chunk_nested_in_another():
    from crawler.extract.body import merge_body_chunks

    long = f"<p>{SENTENCE} And more.</p>"
    html = (f"<html><body><div id='a'><div class='post-content'>{long}<div class='post-content'>{long}</div></div>"
            f"</div><h2 id='later'>Comments</h2><p>First!</p></body></html>")
    tree = fromstring(html)
    merge_body_chunks(tree)
    assert tree.get_element_by_id("later").getparent().tag == "body"
