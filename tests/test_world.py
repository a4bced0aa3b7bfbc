"""Sites in other languages, scripts and charsets, as a stranger crawls them: crawl -> WARC ->
articles.jsonl -> `scrapy reextract`, on a raw local server (tests/rawserver.py), with real article
text (tests/data/world/texts.json and its PROVENANCE.md).

Each page's expected title and paragraphs are the fixture's own text, never the extractor's output.
"""

from __future__ import annotations

import html
import json
import subprocess
from pathlib import Path

import pytest

from crawler.extract.html import decoded_html
from tests.conftest import ROOT, scrapy_command, scrapy_env
from tests.rawserver import RawServer, Route, _head, scrapy_crawl_cmd
from tests.test_robustness import warc_records
from tests.tools import read_jsonl, warcio_check

TEXTS = json.loads((Path(__file__).parent / "data" / "world" / "texts.json").read_text(encoding="utf-8"))


def page(key: str, *, charset: str | None = "utf-8", xml_declaration: str | None = None, extra: str = "") -> str:
    """A news article page of the fixture text `key`: site header, headline, byline and printed
    date, a captioned photo, the story's paragraphs, a footer; `charset` in <meta> (None: none)."""
    t = TEXTS[key]
    e = html.escape
    direction = f' dir="{t["dir"]}"' if t.get("dir") else ""
    meta = f'<meta charset="{charset}">' if charset else ""
    doctype = "<!doctype html>"
    if xml_declaration:
        doctype = (f'<?xml version="1.0" encoding="{xml_declaration}"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD '
                   'XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">')
    paragraphs = "".join(f"<p>{e(p)}</p>" for p in t["paras"])
    return f"""{doctype}<html lang="{t['lang']}"{direction}><head>{meta}
<title>{e(t['title'])} | {e(t['site'])}</title><meta property="og:site_name" content="{e(t['site'])}">
<meta property="og:type" content="article"></head><body>
<header><a href="/">{e(t['site'])}</a><nav><a href="/">{e(t['site'])}</a></nav></header>
<main><article><h1>{e(t['title'])}</h1>
<div class="meta"><span class="author">{e(t['byline'])}</span> <span class="date">{e(t['date_text'])}</span></div>
<figure><img src="/photo.jpg" alt=""><figcaption>{e(t['caption'])}</figcaption></figure>
{paragraphs}{extra}</article></main><footer><p>&copy; {e(t["site"])}</p></footer></body></html>"""


def response(body: bytes, content_type: str) -> Route:
    return Route([_head("HTTP/1.1 200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]),
                  body])


def reads_whole(text: str, key: str) -> bool:
    t = TEXTS[key]
    return t["title"] in text and all(p in text for p in t["paras"])


# --- charsets: what is declared, where, and whether it is true -----------------------------

# path: (text, Content-Type, <meta> charset, bytes of the page as served)
CHARSET_PAGES = {
    # the server's "charset=utf-8" over a windows-1251 page: every Cyrillic letter became U+FFFD
    "/2024/ru-header-says-utf8.html": ("ru", "text/html; charset=utf-8", "windows-1251", "cp1251"),
    # the <meta> says UTF-8, the page is Shift_JIS
    "/2024/ja-meta-says-utf8.html": ("ja", "text/html", "utf-8", "shift_jis"),
    # Apache's old default "charset=ISO-8859-1" over a UTF-8 page: "Ã¼" for "ü"
    "/2024/de-header-says-latin1.html": ("de", "text/html; charset=ISO-8859-1", "utf-8", "utf-8"),
    # nothing declared: Scrapy's guess (charset-normalizer) read ISO-8859-2 Czech as windows-1250
    "/2024/cs-undeclared.html": ("cs", "text/html", None, "iso-8859-2"),
    "/2024/zh-undeclared.html": ("zh", "text/html", None, "gb18030"),
    "/2024/ko-undeclared.html": ("ko", "text/html", None, "euc-kr"),
    # declared right: in the header only / in an XML declaration only / a UTF-16 BOM over a wrong header
    "/2024/el-header.html": ("el", "text/html; charset=iso-8859-7", None, "iso-8859-7"),
    "/2024/fr-xhtml.xhtml": ("fr", "application/xhtml+xml", "xml:windows-1252", "cp1252"),
    "/2024/ar-utf16.html": ("ar", "text/html; charset=iso-8859-1", None, "utf-16"),
}


def charset_page_bytes(key: str, meta: str | None, codec: str) -> bytes:
    if meta and meta.startswith("xml:"):
        return page(key, charset=None, xml_declaration=meta[4:]).encode(codec)
    return page(key, charset=meta).encode(codec)     # "utf-16" writes its BOM


@pytest.mark.parametrize("path", sorted(CHARSET_PAGES))
def test_a_page_reads_as_written_whatever_its_declarations_say(path):
    key, content_type, meta, codec = CHARSET_PAGES[path]
    declared = content_type.partition("charset=")[2] or None
    text, _ = decoded_html(charset_page_bytes(key, meta, codec), declared)
    assert reads_whole(text, key), text[:600]


def test_a_utf8_page_with_a_stray_byte_stays_utf8():
    """One Latin-1 byte in a UTF-8 page (an ad's snippet) is not a page in another charset."""
    body = page("de").replace("</footer>", "</footer><p>caf\xe9</p>").encode("utf-8").replace(b"caf\xc3\xa9", b"caf\xe9")
    text, charset = decoded_html(body, "utf-8")
    assert charset == "utf-8" and reads_whole(text, "de")


def test_a_true_declaration_is_kept():
    body = page("ru", charset="windows-1251").encode("cp1251")
    assert decoded_html(body, None) == (page("ru", charset="windows-1251"), "cp1251")
    assert decoded_html(body, "windows-1251")[1] == "cp1251"


def test_an_undeclared_legacy_page_is_guessed_as_a_browser_would():
    """chardet also knows charsets no browser guesses: this undeclared windows-1252 page (Italian,
    written for this test) was read as HP Roman-8, 'giovedì' garbled. A guess is one of the web's."""
    text = ("<p>Il governo ha approvato giovedì la legge di bilancio. «È una manovra equa», ha detto "
            "il presidente del Consiglio.</p>")
    assert decoded_html(text.encode("cp1252"), None) == (text, "cp1252")


# --- URLs: non-ASCII paths and queries -------------------------------------------------------

# article pages at non-ASCII paths: (text, the path as the server sees it, the hrefs that name it)
URL_PAGES = {
    "/artikel/straße-über.html": ("es", "/artikel/stra%C3%9Fe-%C3%BCber.html",
                                  ["/artikel/straße-über.html", "/artikel/stra%c3%9fe-%c3%bcber.html",
                                   "/artikel/stra%C3%9Fe-%C3%BCber.html"]),
    "/新闻/人人生而自由.html": ("hi", "/%E6%96%B0%E9%97%BB/%E4%BA%BA%E4%BA%BA%E7%94%9F%E8%80%8C%E8%87%AA%E7%94%B1.html",
                          ["/新闻/人人生而自由.html"]),
}
# a windows-1251 section page linking with a Cyrillic query and path: a browser writes the query
# in the page's charset (WHATWG URL), the path in UTF-8
LEGACY_SECTION = "/ru/"
LEGACY_QUERY = "/ru/search?q=%CC%EE%F1%EA%E2%E0"                             # q=Москва in windows-1251
LEGACY_QUERY_AS_UTF8 = "/ru/search?q=%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0"  # what Scrapy alone would ask
LEGACY_PATH = "/ru/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0/"                   # /ru/Москва/


# --- the crawl, its WARC and reextract ------------------------------------------------------

def site_routes(*more_links: str) -> dict[str, Route]:
    routes = {path: response(charset_page_bytes(key, meta, codec), content_type)
              for path, (key, content_type, meta, codec) in CHARSET_PAGES.items()}
    hrefs = list(routes) + [LEGACY_SECTION, *more_links]
    for key, served, names in URL_PAGES.values():
        routes[served] = response(page(key).encode(), "text/html; charset=utf-8")
        hrefs += names
    links = "".join(f'<li><a href="{href}">{html.escape(href)}</a></li>' for href in hrefs)
    home = f"<!doctype html><html><head><meta charset=utf-8><title>World</title></head><body><ul>{links}</ul></body></html>"
    routes["/"] = response(home.encode(), "text/html; charset=utf-8")
    section = ('<html><head><meta charset="windows-1251"><title>Москва</title></head><body>'
               '<a href="/ru/search?q=Москва">Москва</a> <a href="/ru/Москва/">Москва</a></body></html>')
    routes[LEGACY_SECTION] = response(section.encode("cp1251"), "text/html")
    for path in (LEGACY_QUERY, LEGACY_PATH):
        routes[path] = response(section.encode("cp1251"), "text/html")
    return routes


# The site is served under an internationalized host name: the crawl starts from
# http://bücher.example:PORT/ (tests/loopback_names.py resolves it to 127.0.0.1) and its home page
# also links an article with the host in Unicode; the crawl asks for the host in IDNA.
IDN_HOST, IDNA_HOST = "bücher.example", "xn--bcher-kva.example"
UNICODE_HOST_LINK = "/2024/el-header.html"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    server = RawServer(routes={}).start()
    server.routes.update(site_routes(f"http://{IDN_HOST}:{server.port}{UNICODE_HOST_LINK}"))
    try:
        proc = subprocess.run(scrapy_crawl_cmd(f"http://{IDN_HOST}:{server.port}", out / "crawl", REQUISITES="none",
                                               DNS_RESOLVER="tests.loopback_names.LoopbackExampleResolver"),
                              cwd=ROOT, env=scrapy_env(), capture_output=True, text=True, timeout=180)
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = subprocess.run(scrapy_command("reextract", str(out / "crawl"), "-o", str(out / "again.jsonl")),
                           cwd=ROOT, env=scrapy_env(), capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stderr[-3000:]
    base = f"http://{IDNA_HOST}:{server.port}"
    return {
        "out": out / "crawl", "routes": server.routes, "base": base,
        "items": {i["url"].removeprefix(base): i for i in read_jsonl(out / "crawl" / "articles.jsonl")},
        "again": {i["url"].removeprefix(base): i for i in read_jsonl(out / "again.jsonl")},
        "requested": [path for path, _ in server.requests],
        "raw_requests": list(server.requests), "port": server.port,
    }


def test_every_charset_page_is_an_article_read_as_written(crawled):
    for path, (key, *_rest) in CHARSET_PAGES.items():
        item = crawled["items"].get(path)
        assert item is not None, (path, sorted(crawled["items"]))
        assert item["title"] == TEXTS[key]["title"], path
        assert all(p in item["text"] for p in TEXTS[key]["paras"]), (path, item["text"][:400])
        assert "\ufffd" not in item["text"], path


def test_a_non_ascii_path_is_fetched_once_under_its_percent_encoded_uri(crawled):
    """However the page spells the link (raw UTF-8, %-escapes in either case), one request, and
    the WARC-Target-URI and the JSON url are the URI (RFC 3986) warcio and pywb index."""
    _records, bodies = warc_records(crawled["out"])
    for key, served, _names in URL_PAGES.values():
        assert crawled["requested"].count(served) == 1, (served, crawled["requested"])
        assert crawled["base"] + served in bodies
        item = crawled["items"][served]
        assert item["title"] == TEXTS[key]["title"] and all(p in item["text"] for p in TEXTS[key]["paras"])


def test_an_idn_host_is_crawled_once_under_its_idna_name(crawled):
    """The WARC-Target-URI, the CDXJ key and the JSON url carry the host as asked (IDNA), the
    link written with the host in Unicode is the same page, fetched once."""
    assert crawled["requested"].count(UNICODE_HOST_LINK) == 1
    hosts = {raw.split(b"\r\nHost: ", 1)[1].split(b"\r\n", 1)[0] for _path, raw in crawled["raw_requests"]}
    assert hosts == {f"{IDNA_HOST}:{crawled['port']}".encode()}
    records, _bodies = warc_records(crawled["out"])
    assert all(uri.startswith(crawled["base"] + "/") for kind, uri, _h in records if kind != "warcinfo")
    index = "".join(path.read_text() for path in crawled["out"].glob("*.cdxj"))
    assert f"example,xn--bcher-kva:{crawled['port']})/2024/el-header.html " in index


def test_the_report_sets_a_right_to_left_title_apart(crawled):
    """report.html's table isolates each title (<bdi>), so an Arabic or Hebrew one reads right to
    left whatever the page around it."""
    report = (crawled["out"] / "report.html").read_text(encoding="utf-8")
    assert f"<bdi>{html.escape(TEXTS['ar']['title'])}</bdi>" in report


def test_a_legacy_page_links_with_its_query_in_its_own_charset(crawled):
    assert LEGACY_QUERY in crawled["requested"]
    assert LEGACY_QUERY_AS_UTF8 not in crawled["requested"]
    assert LEGACY_PATH in crawled["requested"]


def test_a_utf16_page_links_with_its_query_in_utf8():
    """WHATWG URL: a UTF-16 page's query is written in UTF-8; in UTF-16 it was 'q%00=%00%1C%04...'."""
    from crawler.extract.page import parse_page, tree_links

    body = '<html><body><p>x</p><a href="/search?q=Москва">s</a></body></html>'.encode("utf-16")
    tree, charset = parse_page(body, None)
    assert tree_links(tree, "http://news.example/a.html", charset)[0] == [
        "http://news.example/search?q=%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0"]


def test_the_warc_holds_the_bytes_as_served_and_reextract_reads_them_the_same(crawled):
    _records, bodies = warc_records(crawled["out"])
    for path in CHARSET_PAGES:
        assert bodies[crawled["base"] + path] == crawled["routes"][path].segments[1], path     # the body as sent
    assert warcio_check(*crawled["out"].glob("*.warc.gz")).returncode == 0
    for path, item in crawled["items"].items():
        again = crawled["again"][path]
        assert {k: v for k, v in again.items() if k != "warc"} == {k: v for k, v in item.items() if k != "warc"}, path


# --- scripts: recognition, body, title, byline, date ----------------------------------------

def extracted(key: str, **changes) -> tuple[str, dict | None]:
    from crawler.extract import classify_and_extract
    saved = dict(TEXTS[key])
    TEXTS[key].update(changes)
    try:
        return classify_and_extract(page(key).encode(), f"https://news.example/{key}/story-{len(key)}.html")
    finally:
        TEXTS[key].clear()
        TEXTS[key].update(saved)


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_a_short_story_in_any_script_is_an_article_with_its_body_title_and_caption(key):
    kind, article = extracted(key)
    t = TEXTS[key]
    assert kind == "article"
    assert article["title"] == t["title"]                   # without " | " and the site's name
    assert all(p in article["text"] for p in t["paras"]), article["text"]
    assert t["caption"] not in article["text"]              # the caption once, as a caption
    assert [c["text"] for c in article["captions"]] and t["caption"].startswith(article["captions"][0]["text"])
    assert t["byline"] not in article["text"] and t["date_text"] not in article["text"]


# the name in each fixture byline, as the byline prints it (Greek prints it in the genitive)
BYLINE_NAMES = {"de": "Johannes Knuth", "fr": "Bertrand Bissuel", "es": "María R. Sahuquillo",
                "ru": "Анна Иванова", "ko": "정덕현", "el": "Γιώργου Παπαδόπουλου", "ar": "أحمد محمود",
                "he": "יוסי כהן", "hi": "राम शर्मा", "th": "สมชาย ใจดี", "zh": "王伟", "pl": "Jan Kowalski",
                "cs": "Jan Novák"}


@pytest.mark.parametrize("key", sorted(BYLINE_NAMES))
def test_a_byline_in_another_language_or_script_is_read_as_the_author(key):
    """"Von", "Par", "Por", "Автор:", "作者：", "بقلم", "מאת", "โดย", "लेखक:", "Του", a Korean
    name before 기자 (reporter): the name, in a script with or without capitals."""
    assert extracted(key)[1]["authors"] == [BYLINE_NAMES[key]]


def test_text_that_only_looks_labelled_is_no_author():
    for byline in ("Авторский блог", "更多文章", "Authorship"):
        assert extracted("ru", byline=byline)[1]["authors"] != [byline[5:]]
        assert extracted("zh", byline=byline)[1]["authors"] in ([], [byline])


@pytest.mark.parametrize("key, printed, day", [
    ("de", "5. Dezember 2026", "2026-12-05"), ("fr", "le 05/12/2026 à 14h30", "2026-12-05"),
    ("ru", "5 декабря 2026", "2026-12-05"), ("el", "5 Δεκεμβρίου 2026", "2026-12-05"),
    ("zh", "2026年12月05日", "2026-12-05"), ("zh", "2025年4月3日", "2025-04-03"), ("ko", "2026년 12월 5일", "2026-12-05"),
    ("ja", "2026/12/05 14:30", "2026-12-05"),
    ("ar", "٥ ديسمبر ٢٠٢٦", "2026-12-05"), ("ar", "٠٥/١٢/٢٠٢٦", "2026-12-05"), ("hi", "०५ दिसंबर २०२६", "2026-12-05"),
    ("fr", "12/05/2026", "2026-05-12"),
    # era years: no date rather than a wrong one
    ("ja", "令和8年12月5日", None), ("th", "5 ธันวาคม 2569", None),
])
def test_a_date_printed_in_another_language_is_read_right_or_left_empty(key, printed, day):
    published = extracted(key, date_text=printed)[1]["published"]
    assert (published or "")[:10] == (day or ""), published


@pytest.mark.parametrize("key, title", [
    ("zh", "{t}_{s}"), ("zh", "{t}：{s}"), ("zh", "{s}：{t}"), ("zh", "{t}--{s}"), ("zh", "【{s}】{t}"),
    ("ja", "{t}｜{s}"), ("ja", "{t}：{s}"), ("ko", "{t} :: {s}"), ("ar", "{s} | {t}"), ("he", "{t} - {s}"),
    ("ru", "{t} — {s}"), ("de", "{t} - {s}"), ("fr", "{t} – {s}"), ("fr", "{t} : {s}"),
])
def test_a_title_without_a_headline_element_loses_the_site_name_in_any_script(key, title):
    """A page without <h1>: the headline is the <title> less the site's name, whatever separator
    the script uses (CJK titles print theirs without spaces); a footer's "© Site" is never
    taken for the headline, nor a French title's « quotes » for separators."""
    t = TEXTS[key]
    heading = f"<h1>{html.escape(t['title'])}</h1>"
    declared = f"<title>{html.escape(t['title'])} | {html.escape(t['site'])}</title>"
    body = page(key).replace(heading, f"<div>{html.escape(t['title'])}</div>").replace(
        declared, f"<title>{html.escape(title.format(t=t['title'], s=t['site']))}</title>")
    assert heading not in body and "<title>" in body
    from crawler.extract import classify_and_extract
    assert classify_and_extract(body.encode(), f"https://news.example/{key}/story.html")[1]["title"] == t["title"]


@pytest.mark.parametrize("body, declared, key", [
    # "charset=utf-16" over a page without a BOM: WHATWG's "utf-16" is little-endian (w3lib read it big-endian)
    (lambda: page("ar", charset=None).encode("utf-16-le"), "utf-16", "ar"),
    # a <meta> naming UTF-16 in a page readable as ASCII is not true: UTF-8, else the guess
    (lambda: page("ru", charset="utf-16").encode("utf-8"), None, "ru"),
    (lambda: page("ru", charset="utf-16").encode("cp1251"), None, "ru"),
])
def test_a_utf16_declaration_is_read_as_the_encoding_standard_reads_it(body, declared, key):
    text, _ = decoded_html(body(), declared)
    assert reads_whole(text, key), text[:300]


def test_zero_width_joiners_are_kept_as_part_of_the_words():
    """Persian writes the zero-width non-joiner inside words ("می‌آیند": UDHR art. 1 and 3 in
    Persian); trafilatura's text output dropped it with every unprintable character, joining
    letters the writer kept apart. A soft hyphen (a line-break hint) is still dropped."""
    paras = ["تمام افراد بشر آزاد به دنیا می\u200cآیند و از لحاظ حیثیت و حقوق با هم برابرند. همه دارای عقل و وجدان "
             "هستند و باید نسبت به یکدیگر با روح برادری رفتار کنند.",
             "هر کس حق زندگی، آزادی و امنیت شخصی دارد.",
             "هیچ\u200cکس را نباید در بردگی نگاه داشت و داد و ستد بردگان به هر شکلی که باشد ممنوع است.\u00ad"]
    text = extracted("ar", lang="fa", paras=paras)[1]["text"]
    assert "می\u200cآیند" in text and "هیچ\u200cکس" in text
    assert "\u00ad" not in text and paras[2].rstrip("\u00ad") in text
