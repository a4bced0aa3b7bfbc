"""bench.wcxb_snippets: the census of missed must-have snippets sorts each miss by kind."""

from __future__ import annotations

from lxml.html import fromstring

from bench.wcxb_snippets import kind, rendered_text

PAGE = ("<html><head><title>T</title><style>p{}</style></head><body><h1>Harbour</h1>"
        "<p>The wall won\u2019t hold<br>another winter.</p><table><tr><td>Pier</td><td>120 m</td></tr></table>"
        "<p>Engi<b>neers</b> met&nbsp;on Tuesday.</p><script>var hidden = 1;</script></body></html>")


def test_rendered_text_breaks_lines_at_blocks_and_br_and_joins_inline_elements():
    text = " ".join(rendered_text(fromstring(PAGE)).split())
    assert text == "Harbour The wall won\u2019t hold another winter. Pier 120 m Engineers met on Tuesday."


def test_each_miss_gets_its_kind():
    page = rendered_text(fromstring(PAGE))
    ours = "The wall won\u2019t hold another winter.\n\n| Pier | 120 m |\n\nEngineers met on Tuesday."
    assert kind("The wall won't hold", ours, page) == "typography"
    assert kind("Pier 120 m", ours, page) == "printed"
    assert kind("Harbour The wall", ours, page) == "not read"
    assert kind("Engineers met on Tuesday !", ours, page) == "words printed"
    assert kind("The wall hold", "", page) == "not in page"
    assert kind("Harbour, the wall", "The wall", page) == "words not read"
