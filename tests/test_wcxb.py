"""bench/wcxb.py: the WCXB metric, the domain split and the function API, on a tiny corpus
written here in the benchmark's layout (hand-made pages; the real corpus is never read)."""

from __future__ import annotations

import gzip
import json

import pytest

from bench import wcxb


def test_word_prf_is_token_multiset_overlap():
    # truth: a b b c (4 tokens); prediction: A b d (3 tokens): overlap {a, b} = 2
    p, r, f1 = wcxb.word_prf("a b, b c", "A b d")
    assert p == pytest.approx(2 / 3)
    assert r == pytest.approx(2 / 4)
    assert f1 == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))
    assert wcxb.word_prf("", None) == (1.0, 1.0, 1.0)
    assert wcxb.word_prf("some words", None) == (0.0, 0.0, 0.0)
    assert wcxb.word_prf(None, "stray words")[2] == 0.0


def test_title_author_and_date_folding():
    assert wcxb.title_equal("It’s  a “Test” — Really", "it's a \"test\" - really")
    assert not wcxb.title_equal("It's a test", "It's a test | Site")
    assert not wcxb.title_equal("", "")
    assert wcxb.author_found("Ann Lee, Bo Chan & Cy Doe", ["Bo Chan"])
    assert not wcxb.author_found("Ann Lee", ["Ann Leeds"])
    assert wcxb.author_found("Ann Lee", "By Ann Lee")
    assert wcxb.same_day("2025-09-04", "2025-09-04T10:00:00+00:00")
    assert wcxb.same_day("2025-09-05", "2025-09-04T23:30:00-04:00")  # UTC day of a local evening
    assert not wcxb.same_day("2025-09-04", "2025-09-05")
    assert not wcxb.same_day("2025-09-04", None)


def test_held_out_split_is_by_registered_domain_and_stable():
    # subdomains of one site fall on the same side, so one site never feeds both halves
    assert wcxb.registered_domain("news.bbc.co.uk") == "bbc.co.uk"
    hosts = [f"news.site{i}.com" for i in range(200)] + [f"www.paper{i}.org" for i in range(200)]
    sides = [wcxb.is_held_out(h) for h in hosts]
    assert len({wcxb.is_held_out(f"{sub}.paper7.org") for sub in ("a", "www", "x.y")}) == 1
    assert 0.15 < sum(sides) / len(sides) < 0.35


def _corpus(tmp_path):
    """Three pages: an article, a product page, an article without a prediction."""
    base = tmp_path / "wcxb-dev"
    (base / "html").mkdir(parents=True)
    (base / "ground-truth").mkdir()
    pages = {
        "0001": ("article", "news.one.example", {"title": "Big News", "author": "Ann Lee", "publish_date": "2024-01-02",
                                                 "main_content": "one two three four", "with": ["two three"],
                                                 "without": ["Subscribe now"]}),
        "0002": ("product", "shop.two.example", {"title": "A Lamp", "author": None, "publish_date": None,
                                                 "main_content": "lamp price", "with": [], "without": []}),
        "0003": ("article", "three.example", {"title": "Other", "author": None, "publish_date": "2024-02-03",
                                             "main_content": "five six", "with": ["five"], "without": ["menu"]}),
    }
    files = {}
    for page_id, (kind, domain, truth) in pages.items():
        files[page_id] = {"split": "dev", "page_type": kind, "domain": domain, "spa": False}
        (base / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(b"<html><body><p>x</p></body></html>"))
        (base / "ground-truth" / f"{page_id}.json").write_text(json.dumps(
            {"url": f"https://{domain}/{page_id}", "file_id": page_id, "ground_truth": truth}))
    (base / "metadata.json").write_text(json.dumps({"files": files}))
    return tmp_path


def test_score_function_api(tmp_path):
    pages = wcxb.load_pages(_corpus(tmp_path))
    assert [p.id for p in pages] == ["0001", "0002", "0003"]
    assert pages[0].body.startswith(b"<html>")
    predictions = {
        "0001": {"text": "One two three four. Subscribe now!", "title": "BIG NEWS", "authors": ["Ann Lee"],
                 "published": "2024-01-02T08:00:00+00:00", "emitted": True},
        "0002": {"text": "lamp", "title": "A Lamp", "emitted": True},
    }
    report = wcxb.score(pages, predictions)
    # article 0001: P = 4/6, R = 1; article 0003: nothing predicted, F1 0
    f1_first = 2 * (4 / 6) / (4 / 6 + 1)
    assert report["article_f1"] == pytest.approx(f1_first / 2)
    assert report["by_type"]["product"]["recall"] == pytest.approx(0.5)
    assert report["with_found"] == pytest.approx(1 / 2)
    assert report["with_found_typography_folded"] == pytest.approx(1 / 2)
    assert report["without_leaked"] == pytest.approx(1 / 2)
    assert report["non_articles_emitted"] == 1.0
    assert report["articles_emitted"] == 1.0     # 0003 has no `emitted`: not counted
    assert report["title_equal"] == pytest.approx(1 / 2)
    assert report["author_found"] == 1.0
    assert report["date_same_day"] == pytest.approx(1 / 2)
    assert wcxb.load_pages(tmp_path, "dev") + wcxb.load_pages(tmp_path, "heldout") != []
    assert len(wcxb.load_pages(tmp_path, "dev")) + len(wcxb.load_pages(tmp_path, "heldout")) == 3


def test_cli_missing_corpus_is_one_error_line(tmp_path, capsys):
    assert wcxb.main(["--corpus", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_snippets_with_typography_folded():
    """Snippets are written with straight quotes and hyphens; pages print curly ones and dashes."""
    text = "The mayor said it\u2019s \u201cdone\u201d \u2014 finally\u2026 Back to top"
    snippets = ["it's \"done\" - finally...", "The mayor said", "not there"]
    assert wcxb.snippet_hits(text, snippets) == 1
    assert wcxb.snippet_hits(text, snippets, typography=True) == 2


def _meta_corpus(tmp_path, pages: dict) -> list:
    """A WCXB-shaped folder of article pages: {id: (domain, body, head, truth)}, loaded."""
    base = tmp_path / "wcxb-dev"
    (base / "html").mkdir(parents=True)
    (base / "ground-truth").mkdir()
    files = {}
    for page_id, (domain, body, head, truth) in pages.items():
        files[page_id] = {"split": "dev", "page_type": "article", "domain": domain, "spa": False}
        html = f"<html><head>{head}</head><body>{body}<p>Text.</p></body></html>"
        (base / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode()))
        (base / "ground-truth" / f"{page_id}.json").write_text(json.dumps(
            {"url": f"https://{domain}/{page_id}", "file_id": page_id, "ground_truth": truth}))
    (base / "metadata.json").write_text(json.dumps({"files": files}))
    return wcxb.load_pages(tmp_path)


_LD_DATES = '<script type="application/ld+json">{{"@type": "Article", "datePublished": "{}", "dateModified": "{}"}}</script>'


def test_meta_sources_say_which_source_the_truth_is_where_the_page_disagrees(tmp_path):
    """bench.wcxb_meta --sources: counts computed here from the three pages' markup by hand."""
    from bench import wcxb_meta

    ld = _LD_DATES
    pages = _meta_corpus(tmp_path, {
        # the h1 and the declared titles differ, the truth is the declared one; modified days differ, truth: modified
        "0001": ("one.example", "<h1>Storm hits the coast</h1>", '<meta property="og:title" content="Storm hits coast tonight">'
                 "<title>Storm hits coast tonight | Gazette</title>" + ld.format("2020-01-01", "2024-05-05"),
                 {"title": "Storm hits coast tonight", "publish_date": "2024-05-05"}),
        # they differ, the truth is the h1; one day declared twice: not counted for dates
        "0002": ("two.example", "<h1>Rain falls</h1>", '<meta property="og:title" content="Rain falls on the town">'
                 + ld.format("2021-01-01", "2021-01-01"), {"title": "Rain falls", "publish_date": "2021-01-01"}),
        # they agree: not counted
        "0003": ("three.example", "<h1>Calm</h1>", "<title>Calm</title>", {"title": "Calm", "publish_date": None}),
    })
    ours = {"0001": {"title": "Storm hits the coast", "published": "2020-01-01"},
            "0002": {"title": "Rain falls", "published": "2021-01-01"}, "0003": {"title": "Calm", "published": None}}
    counts = wcxb_meta.source_counts(pages, ours)
    total = {k: counts[False].get(k, 0) + counts[True].get(k, 0) for k in set(counts[False]) | set(counts[True])}
    assert total == {"title h1": 1, "title declared": 1, "title ours": 1, "date modified": 1, "date ours": 0}


def test_meta_census_sorts_each_miss_by_kind(tmp_path):
    """bench.wcxb_meta --census: each page built to be one kind of miss, its kind named here."""
    from bench import wcxb_meta

    pages = _meta_corpus(tmp_path, {
        # the annotators took the declared title, ours the h1; the update date, ours the publication
        # (no author found, the name printed)
        "0001": ("one.example", "<h1>Storm hits the coast</h1><p>Ada Lindqvist</p>",
                 '<meta property="og:title" content="Storm hits coast tonight">'
                 + _LD_DATES.format("2020-01-01T10:00:00Z", "2024-05-05T10:00:00Z"),
                 {"title": "Storm hits coast tonight", "publish_date": "2024-05-05", "author": "Ada Lindqvist"}),
        # the site's name kept; a day the page holds in no form (the site's name given as author)
        "0002": ("gazette.example", "<h1>Rain falls | Gazette</h1>", '<meta property="og:site_name" content="Gazette">',
                 {"title": "Rain falls", "publish_date": "2019-03-04", "author": "Bo Berg"}),
        # case and punctuation only; a day off
        "0003": ("three.example", "<h1>Calm seas!</h1><p>June 7, 2022</p>", "",
                 {"title": "Calm Seas", "publish_date": "2022-06-07"}),
        # right both ways: not counted
        "0004": ("four.example", "<h1>Fog</h1>", "", {"title": "Fog", "publish_date": "2021-01-01"}),
    })
    ours = {"0001": {"title": "Storm hits the coast", "published": "2020-01-01T10:00:00Z", "authors": []},
            "0002": {"title": "Rain falls | Gazette", "published": None, "authors": ["Gazette"]},
            "0003": {"title": "Calm seas!", "published": "2022-06-06", "authors": []},
            "0004": {"title": "Fog", "published": "2021-01-01", "authors": []}}
    by_id = {p.id: p for p in pages}
    assert [wcxb_meta.title_miss_kind(by_id[i], ours[i]["title"]) for i in ("0001", "0002", "0003")] == [
        "h1 taken, truth a declared title", "site name kept", "case, punctuation or spacing"]
    assert [wcxb_meta.date_miss_kind(by_id[i], ours[i]["published"]) for i in ("0001", "0002", "0003")] == [
        "truth the declared modified day, ours the publication", "day nowhere in the HTML",
        "a day off (time zone, midnight)"]
    assert [wcxb_meta.author_miss_kind(by_id[i], ours[i]["authors"]) for i in ("0001", "0002")] == [
        "none found, the name printed in the page", "the site's or publisher's name given"]
    lines = wcxb_meta.census(pages, ours)
    dev = lines[lines.index("title misses, dev: 3") + 1:lines.index("title misses, held-out: 0")]
    assert sorted(line.split(None, 1)[1] for line in dev) == sorted(
        ["h1 taken, truth a declared title", "site name kept", "case, punctuation or spacing"])
    assert "date misses, dev: 3" in lines and "author misses, dev: 2" in lines


def test_leaks_names_the_body_paragraph_of_each_leaked_snippet(tmp_path, capsys):
    from bench import wcxb_leaks

    text = "Story one.\n\nSign up for our   NEWSLETTER today\n\nStory two ends."
    found = wcxb_leaks.leaks(text, ["sign up for our newsletter", "Story one. Sign up", "absent"])
    assert found == [("sign up for our newsletter", 1), ("Story one. Sign up", None)]
    assert wcxb_leaks.leaks(None, ["x"]) == []
    assert wcxb_leaks.main(["--corpus", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_leak_angles_raise_each_signal_on_its_line_only():
    from bench import wcxb_leak_angles as angles
    from crawler.extract import parse_html

    story = [f"Story paragraph {n} tells the reader what happened in the town on that long day, in order." for n in range(6)]
    page = f"""<html><body><header><p>Join the club today for free</p></header><article><h1>Headline</h1>
      <div class="story"><p>{story[0]}</p><p>{story[1]}</p>
      <div><h3>Key facts</h3><a href="/r">Register now</a></div>
      <p>{story[2]}</p><h4>Gone box title</h4><div><span>text the reading dropped</span></div>
      <p>{story[3]}</p><p>Join the club today for free</p><p>{story[4]}</p>
      <p>Buy the book at the store today please</p><p>{story[5]}</p>
      <p>Buy the book at the store today please</p><hr><p>The writer lives by the sea.</p></div>
      </article></body></html>"""
    body = [story[0], story[1], "Key facts", story[2], "Gone box title", story[3], "Join the club today for free",
            story[4], "Buy the book at the store today please", story[5], "Buy the book at the store today please",
            "The writer lives by the sea."]
    raised = angles.signals(parse_html(page), parse_html(page), body)
    expected = [set() for _ in body]
    expected[2] = {"boxed-outlier", "orphan-label"}     # its box's link is not in the body either
    expected[4] = {"orphan-label"}
    expected[6] = {"repeat-outside"}
    expected[8] = expected[10] = {"repeat-in-body"}
    expected[11] = {"after-rule"}
    assert raised == expected
    assert angles.label("Sign up for our newsletter", " story words ", "story words", ["sign up"]) == "leak"
    assert angles.label("Story words", " story words ", "story words", ["sign up"]) == "true"
    assert angles.label("A rail line", " story words ", "story words", ["sign up"]) == "other"
