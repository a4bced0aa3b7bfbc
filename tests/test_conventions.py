"""bench/conventions.py and bench/fit_conventions.py: the tokens a page gives (by
hand-counted examples), the vocabulary rule (registered domains, not pages) and the fit the
bench's figures rest on."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from bench.conventions import FAMILIES, class_tokens, convention_tokens, family, identifier_words, url_tokens
from bench.fit_conventions import fit_boosted, fit_hand, fit_penalised, oof_shift, vocabulary
from bench.fit_recognition import fit_logistic
from crawler.extract.html import parse_html
from crawler.extract.metadata import json_ld_objects, meta_tags


def page(body: str, head: str = "") -> str:
    return f"<html><head><title>T</title>{head}</head><body>{body}</body></html>"


def tokens_of(html: str, url: str) -> dict[str, float]:
    tree = parse_html(html)
    return convention_tokens(tree, url, json_ld_objects(tree), meta_tags(tree))


def test_identifier_words_split_on_separators_and_camel_case_and_drop_digits():
    assert identifier_words("post-body__text2 js-Share") == {"post", "body", "text", "js", "share"}
    assert identifier_words("productPrice") == {"product", "price"}
    assert identifier_words("HTMLWidget col-md-6 x") == {"html", "widget", "col", "md"}


def test_url_words_and_shapes():
    story = url_tokens("https://paper.example/news/2024/03/05/council-votes-to-close-old-bridge.html")
    assert {"u:news", "u:council", "u:bridge", "u#date", "u#ext-html", "u#slug-6", "u#depth-5"} <= story
    assert "u#id" not in story
    product = url_tokens("https://shop.example/p/1234567?color=red&utm_source=x")
    assert {"u#id", "u#slug-0", "u#depth-2", "q:color", "q:utm", "q:source"} <= product
    assert "u#date" not in product


def test_page_tokens_name_its_conventions():
    html = page("<div class='product-price' id='addToCart'><span itemprop='price'>9</span>"
                "<form><input type='number'><button type='submit'>Buy</button></form></div>"
                + "<p>a</p>" * 3 + "<a rel='nofollow next' href='/2'>2</a>",
                '<meta property="og:type" content="product"><meta name="twitter:card" content="x">'
                '<script type="application/ld+json">{"@type": "Product", "name": "Pack"}</script>')
    tokens = tokens_of(html, "https://shop.example/packs/trail")
    assert {"c:product", "c:price", "c:add", "c:to", "c:cart", "s:product", "og:product", "m:og:type",
            "m:twitter:card", "r:nofollow", "r:next", "i:number", "i:submit", "u:packs",
            "u:trail"} <= set(tokens)
    assert tokens["c:price"] == 1.0
    assert tokens["#class-words"] == pytest.approx(0.05)  # product, price, add, to, cart
    assert tokens["e:p"] == pytest.approx(math.log1p(3) / math.log1p(500))


def test_class_words_of_all_values_at_once_are_each_values_words():
    # class_tokens scans the distinct values joined by spaces: the same words as identifier_words
    # of each value alone, case folded after the camelCase split
    values = ["post-body__text2 js-Share", "productPrice", "HTMLWidget col-md-6 x", "Price"]
    html = page("".join(f"<div class='{v}' id='id{i}-navBar'></div>" for i, v in enumerate(values)))
    expected = set().union(*map(identifier_words, values), identifier_words("id-navBar"))
    tokens = class_tokens(parse_html(html))
    assert set(tokens) - {"#class-words"} == {f"c:{w}" for w in expected}
    assert tokens["#class-words"] == pytest.approx(len(expected) / 100)


def test_only_the_families_asked_for_are_computed():
    html = page("<div class='price'><p>a</p></div>", '<meta property="og:type" content="product">')
    tree = parse_html(html)
    url = "https://shop.example/p/1234567?color=red"
    every = convention_tokens(tree, url, json_ld_objects(tree), meta_tags(tree))
    assert {family(t) for t in every} == FAMILIES - {"s", "r", "i"}  # no JSON-LD, rel or input here
    some = convention_tokens(tree, url, json_ld_objects(tree), meta_tags(tree), frozenset({"c", "#", "q"}))
    assert some == {t: v for t, v in every.items() if family(t) in ("c", "#", "q")}
    assert family("u#date") == "u" and family("#class-words") == "#" and family("m:og:type") == "m"


def test_the_operating_point_is_read_from_the_articles_the_gates_let_through():
    @dataclass
    class P:
        id: str
        page_type: str

    pages = [P(str(i), "article") for i in range(100)] + [P("x", "forum")]
    margins = {str(i): float(i) for i in range(100)} | {"0": float("-inf"), "x": 5.0}
    # 99 articles with a margin: 99% of them means losing int(0.01 * 99) = 0 of them, so the
    # lowest finite margin (1.0) must end just above 0; the gated page does not move it
    assert oof_shift(margins, pages, 0.99) == pytest.approx(0.005 - 1.0)
    assert oof_shift(margins, pages, 0.95) == pytest.approx(0.005 - 5.0)   # int(0.05 * 99) = 4 lost


def test_the_penalised_fit_solved_through_the_rows_is_the_direct_newton_fit():
    # fit_penalised solves each Newton step in the space of the rows (Woodbury); the direct
    # solve of fit_recognition.fit_logistic, on a problem small enough for both, must agree
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 6))
    y = (x[:, 0] - x[:, 1] + rng.normal(size=40) > 0).astype(float)
    offsets = rng.normal(size=40) * 0.1
    direct_w, direct_b = fit_logistic(x, y, l2=0.7, offsets=offsets)
    rows_w = fit_penalised(np.hstack([x, np.ones((40, 1))]), y, np.r_[np.full(6, 0.7), 1e-9], offsets)
    assert np.allclose(rows_w[:-1], direct_w, atol=1e-5) and abs(rows_w[-1] - direct_b) < 1e-4


@dataclass
class _Page:
    id: str
    domain: str


def test_the_vocabulary_counts_registered_domains_not_pages():
    pages = [_Page("1", "www.a.co.uk"), _Page("2", "news.a.co.uk"), _Page("3", "b.com"), _Page("4", "c.org")]
    tokens = {"1": {"c:price": 1.0, "c:site": 1.0}, "2": {"c:price": 1.0, "c:site": 1.0},
              "3": {"c:price": 1.0}, "4": {"c:price": 1.0, "c:reply": 1.0}}
    # c:site is on two pages of one site (a.co.uk): one domain, like c:reply
    assert vocabulary(pages, tokens, 2) == {"c:price": 3}
    assert vocabulary(pages, tokens, 1) == {"c:price": 3, "c:reply": 1, "c:site": 1}


def test_tokens_added_to_the_hand_model_leave_its_weights_and_a_page_without_tokens_alone():
    # fit_boosted fits the tokens on what the hand features leave unexplained: the hand weights
    # are exactly the hand model's, and a page whose markup gives no token scores as the hand
    # model scores it, moved only by the token fit's intercept
    rng = np.random.default_rng(3)

    @dataclass
    class P:
        id: str
        domain: str
        page_type: str

    pages, features, tokens = [], {}, {}
    for i in range(80):
        article = i % 2 == 0
        pages.append(P(str(i), f"site{i % 20}.example", "article" if article else "service"))
        features[str(i)] = {"prose": float(rng.normal(1.0 if article else 0.0)), "site-page": 0.0}
        tokens[str(i)] = {"c:byline": 1.0} if article and rng.random() < 0.7 else {"c:price": 1.0} if rng.random() < 0.5 else {}
    gates = {p.id: True for p in pages}
    hand = fit_hand(pages, features, gates, ["prose", "site-page"])
    boosted = fit_boosted(pages, features, tokens, gates, ["prose", "site-page"], 2, 1.0)
    assert boosted.features == pytest.approx(hand.features)
    assert boosted.tokens["c:byline"] > 0 > boosted.tokens["c:price"]
    bare = [p for p in pages if not tokens[p.id]]
    shift = boosted.scores(bare, features, tokens, gates) - hand.scores(bare, features, tokens, gates)
    assert np.allclose(shift, shift[0])
