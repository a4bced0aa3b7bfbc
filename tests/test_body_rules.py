"""Body rules of crawler.extract.body on small hand-written pages (general structures)."""

from __future__ import annotations

from crawler.extract import extract_article

SENTENCE = ("The council voted on Tuesday to rebuild the old harbour wall, after two winters of storms "
            "had opened gaps along its length. ")


def paragraphs(n: int) -> str:
    return "".join(f"<p>{SENTENCE * 2}Paragraph {i}.</p>" for i in range(n))


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
