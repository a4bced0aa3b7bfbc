"""Page requisites: found in the markup, fetched from the site and its CDN, archived, linked.

The crawls run `scrapy crawl news` against tests/requisite_site.py (the site and a CDN on
two 127.0.0.1 ports); what each page loads is listed by hand there (EXPECTED).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from crawler.cssrefs import FONT, IMAGE, MEDIA, SCRIPT, STYLESHEET, css_references
from tests.conftest import crawl
from tests.requisite_site import EXPECTED, EXPECTED_FROM_CSS, REDIRECTS, RequisiteSite
from tests.tools import read_records, warcio_check

# --- finding them (no network) ------------------------------------------------------------


def test_css_references_imports_urls_and_what_is_not_fetched():
    css = b"""@import "a.css"; @import url(b.css) screen; @import url('c.css');
    /* url(commented.png) @import "no.css"; */
    .x { background: url( "with space.png" ) } .y { background: url(data:image/png;base64,AAAA) }
    @font-face { src: url(f.woff2?v=3) format("woff2"), url('g.ttf') }
    .z { filter: url(#blur) } .w { background: URL(h.jpg) } .v { background: url(h.jpg) }"""
    assert css_references(css) == [
        ("a.css", STYLESHEET), ("b.css", STYLESHEET), ("c.css", STYLESHEET), ("with space.png", IMAGE),
        ("f.woff2?v=3", FONT), ("g.ttf", FONT), ("h.jpg", IMAGE)]
    assert css_references(b"body { color: red }") == []
    assert css_references("/* unterminated url(x.png)") == []


def test_srcset_keeps_commas_inside_urls():
    from crawler.extract.requisites import srcset_candidates

    assert srcset_candidates("a.jpg 1x,b.jpg 2x, https://cdn/w_600,h_400/c.jpg 600w , d.jpg") == [
        ("a.jpg", "1x"), ("b.jpg", "2x"), ("https://cdn/w_600,h_400/c.jpg", "600w"), ("d.jpg", "")]
    assert srcset_candidates("  ,, ") == []


def test_page_requisites_every_markup():
    from crawler.extract.html import parse_html
    from crawler.extract.requisites import page_requisites

    html = b"""<html><head><base href="http://h.example/news/">
    <link rel="stylesheet" href="/s.css"><link rel="alternate stylesheet" href="/alt.css">
    <link rel="shortcut icon" href="/fav.ico"><link rel="preload" as="font" href="/f.woff2">
    <link rel="alternate" type="application/rss+xml" href="/feed.xml">
    <script src="//cdn.example/app.js"></script><script>var notFetched = "x.js";</script>
    <style>body { background: url(bg.png) }</style></head>
    <body><a href="/other-page">a link is not a requisite</a>
    <img src="a.jpg" srcset="a-300.jpg 300w, https://img.example/w_600,h_400/a.jpg 600w">
    <img src="data:image/gif;base64,R0lGOD" data-src="lazy.jpg" data-srcset="l1.jpg 1x, l2.jpg 2x">
    <img data-lazy-src="dl.jpg">
    <picture><source srcset="p.webp 1x, p2.webp 2x"><img src="p.jpg"></picture>
    <noscript><img src="ns.jpg"></noscript>
    <video poster="poster.jpg"><source src="movie.mp4"></video><audio src="data:audio/mp3;base64,AA"></audio>
    <div style="background-image: url('div.png')"></div>
    <iframe src="/embedded-page"></iframe></body></html>"""
    got = page_requisites(parse_html(html, "utf-8"), "http://h.example/ignored/by/base.html")
    assert got == [
        ("http://h.example/s.css", STYLESHEET), ("http://h.example/fav.ico", IMAGE),
        ("http://h.example/f.woff2", FONT), ("http://cdn.example/app.js", SCRIPT),
        ("http://h.example/news/bg.png", IMAGE), ("http://h.example/news/a.jpg", IMAGE),
        ("http://h.example/news/a-300.jpg", IMAGE), ("https://img.example/w_600,h_400/a.jpg", IMAGE),
        ("http://h.example/news/lazy.jpg", IMAGE), ("http://h.example/news/l1.jpg", IMAGE),
        ("http://h.example/news/l2.jpg", IMAGE), ("http://h.example/news/dl.jpg", IMAGE),
        ("http://h.example/news/p.webp", IMAGE), ("http://h.example/news/p2.webp", IMAGE),
        ("http://h.example/news/p.jpg", IMAGE), ("http://h.example/news/ns.jpg", IMAGE),
        ("http://h.example/news/poster.jpg", IMAGE), ("http://h.example/news/movie.mp4", MEDIA),
        ("http://h.example/news/div.png", IMAGE)]


def test_noscript_left_as_text_is_read():
    from lxml import html as lxml_html

    from crawler.extract.requisites import page_requisites

    tree = lxml_html.fromstring("<html><head></head><body><div></div></body></html>")
    noscript = lxml_html.Element("noscript")
    noscript.text = '<img src="/fallback.png">'
    tree.find("body").append(noscript)
    assert page_requisites(tree, "http://h.example/p") == [("http://h.example/fallback.png", IMAGE)]


# --- crawling them ------------------------------------------------------------------------

SETTINGS = {"DEPTH_LIMIT": "1"}   # the articles are at depth 1: their requisites must not be cut


@pytest.fixture(scope="module")
def site():
    with RequisiteSite() as served:
        yield served


def run_crawl(site, out, **settings):
    result = crawl(site.url("/"), out, settings={**SETTINGS, **settings})
    assert result.returncode == 0, result.stderr[-3000:]
    records = [r for warc in sorted(out.glob("*.warc.gz")) for r in read_records(warc)]
    articles = out / "articles.jsonl"
    items = [json.loads(line) for line in articles.read_text().splitlines()] if articles.exists() else []
    report = json.loads((out / "report.json").read_text())      # the crawl's stats are there
    return {"out": out, "records": records, "items": items, "stderr": result.stderr, "report": report,
            "stats": report["stats"]}


def payload(record) -> bytes:
    return record.block.split(b"\r\n\r\n", 1)[1]


def fields(record) -> list[tuple[str, str]]:
    lines = record.block.decode("utf-8").splitlines()
    return [tuple(line.split(": ", 1)) for line in lines if ": " in line]


@pytest.fixture(scope="module")
def run(site, tmp_path_factory):
    before_site, before_cdn = len(site.site.requests), len(site.cdn.requests)
    crawled = run_crawl(site, tmp_path_factory.mktemp("requisites"))
    crawled["site_requests"] = site.site.requests[before_site:]
    crawled["cdn_requests"] = site.cdn.requests[before_cdn:]
    return crawled


def all_expected(site):
    wanted = {(where, path) for page in EXPECTED.values() for where, path in page}
    wanted |= {ref for refs in EXPECTED_FROM_CSS.values() for ref in refs}
    wanted.discard(("cdn", "/private/lighthouse.png"))      # the CDN's robots.txt forbids it
    return {(where, path) for where, path in wanted if path not in NOT_200}


NOT_200 = {"/static/missing.png", *REDIRECTS}


def test_every_requisite_archived_with_its_bytes(site, run):
    responses = {r["WARC-Target-URI"]: r for r in run["records"] if r.type == "response"}
    for where, path in sorted(all_expected(site)):
        url = site.absolute(where, path)
        assert url in responses, f"{url} not archived"
        assert payload(responses[url]) == site.body(where, path), url
    assert {r["WARC-Target-URI"] for r in run["records"] if r.type == "request"} >= set(responses)


def status_of(record) -> int:
    return int(record.block.split(b" ", 2)[1])


def test_error_pages_and_redirects_archived_whatever_their_type(site, run):
    # text/html is not in the default REQUISITES_MEDIA_TYPES: that applies to 2xx answers only.
    responses = {r["WARC-Target-URI"]: r for r in run["records"] if r.type == "response"}
    assert status_of(responses[site.url("/static/missing.png")]) == 404
    assert status_of(responses[site.url("/static/moved.png")]) == 301
    target = responses[site.url(REDIRECTS["/static/moved.png"])]
    assert status_of(target) == 200 and payload(target) == site.body("site", REDIRECTS["/static/moved.png"])


def test_each_requisite_fetched_once_and_robots_obeyed_on_the_cdn(site, run):
    for requests in (run["site_requests"], run["cdn_requests"]):
        repeated = [path for path, n in Counter(requests).items() if n > 1]
        assert not repeated, repeated
    assert "/robots.txt" in run["cdn_requests"]
    assert "/private/lighthouse.png" not in run["cdn_requests"]
    uris = {r.get("WARC-Target-URI") for r in run["records"]}
    assert site.absolute("cdn", "/robots.txt") in uris


def test_requisites_never_become_articles(site, run):
    got = sorted(item["url"] for item in run["items"])
    assert got == sorted(site.url(path) for path in EXPECTED if path != "/")


def test_pages_and_stylesheets_list_their_requisites(site, run):
    by_id = {r["WARC-Record-ID"]: r for r in run["records"]}
    listed = {}
    for record in run["records"]:
        if record.type == "metadata" and any(name == "requisite" for name, _ in fields(record)):
            target = by_id[record["WARC-Concurrent-To"]]
            assert target.type == "response" and target["WARC-Target-URI"] == record["WARC-Target-URI"]
            listed[record["WARC-Target-URI"]] = {value for name, value in fields(record) if name == "requisite"}
    expected = {site.url(path): {site.absolute(*ref) for ref in refs} for path, refs in EXPECTED.items()}
    expected.update({site.absolute(*css): {site.absolute(*ref) for ref in refs}
                     for css, refs in EXPECTED_FROM_CSS.items()})
    assert listed == expected


def test_warc_passes_warcio_check(run):
    for warc in run["out"].glob("*.warc.gz"):
        result = warcio_check(warc)
        assert result.returncode == 0, result.stdout + result.stderr


def test_images_only(site, tmp_path):
    before = len(site.site.requests), len(site.cdn.requests)
    crawled = run_crawl(site, tmp_path, REQUISITES="images")
    fetched = set(site.site.requests[before[0]:]) | set(site.cdn.requests[before[1]:])
    assert {"/static/logo.png", "/img/pier-2x.png", "/img/poster.png", "/img/lazy-shop.png"} <= fetched
    assert not fetched & {"/static/site.css", "/js/lazy.js", "/css/fonts.css", "/fonts/harbour.woff2",
                          "/static/img/paper.png"}
    assert len(crawled["items"]) == 3


def test_none_archives_pages_only(site, tmp_path):
    before = len(site.site.requests), len(site.cdn.requests)
    crawled = run_crawl(site, tmp_path, REQUISITES="none")
    assert site.cdn.requests[before[1]:] == []
    assert not any(path.startswith("/static/") for path in site.site.requests[before[0]:])
    assert not any(r.type == "metadata" and ("requisite", site.absolute("site", "/static/logo.png")) in fields(r)
                   for r in crawled["records"])
    assert len(crawled["items"]) == 3


def test_media_types_and_size_cap(site, tmp_path):
    # image/png only, at most 120 bytes: stylesheets and scripts are refused at their head and
    # leave no record; the larger images are cut: their head only, marked WARC-Truncated;
    # the small ones are archived whole.
    crawled = run_crawl(site, tmp_path, REQUISITES_MEDIA_TYPES="image/png", REQUISITES_MAX_SIZE="120")
    records = [r for r in crawled["records"] if r.type in ("response", "revisit")]
    archived = {r["WARC-Target-URI"] for r in records if not r.get("WARC-Truncated")}
    cut = {r["WARC-Target-URI"] for r in records if r.get("WARC-Truncated") == "length"}
    in_pages = {ref for refs in EXPECTED.values() for ref in refs} & all_expected(site)
    small = [(w, p) for w, p in in_pages if p.endswith(".png") and len(site.body(w, p)) <= 120]
    large = [(w, p) for w, p in in_pages if p.endswith(".png") and len(site.body(w, p)) > 120]
    assert small and large
    assert {site.absolute(*ref) for ref in small} <= archived
    assert not {site.absolute(*ref) for ref in large} & archived
    assert {site.absolute(*ref) for ref in large} <= cut
    assert all(payload(r) == b"" for r in records if r.get("WARC-Truncated"))
    assert site.absolute("site", "/static/site.css") not in archived | cut
    assert site.absolute("site", "/static/img/paper.png") not in archived     # its stylesheet was not read
    assert site.absolute("cdn", "/js/lazy.js") not in archived | cut
    assert crawled["stats"]["requisites/refused_type"] == 2          # site.css, lazy.js
    assert crawled["stats"]["requisites/too_large"] >= len(large)     # and the redirect target of moved.png
    for warc in tmp_path.glob("*.warc.gz"):
        assert warcio_check(warc).returncode == 0


def test_second_run_archives_unchanged_requisites_as_revisits(site, tmp_path):
    run_crawl(site, tmp_path, WARC_DIGEST_INDEX="sqlite")
    first = {w.name for w in tmp_path.glob("*.warc.gz")}
    run_crawl(site, tmp_path, WARC_DIGEST_INDEX="sqlite")
    second = [r for w in sorted(tmp_path.glob("*.warc.gz")) if w.name not in first for r in read_records(w)]
    logo = site.absolute("site", "/static/logo.png")
    kinds = {r.type for r in second if r.get("WARC-Target-URI") == logo and r.type in ("response", "revisit")}
    assert kinds == {"revisit"}


def test_page_limit_counts_pages_not_requisites(site, tmp_path):
    # 30 responses in all, 6 of them pages (robots.txt twice, home, three articles).
    crawled = run_crawl(site, tmp_path, CLOSESPIDER_PAGECOUNT="8")
    assert len(crawled["items"]) == 3
    assert crawled["stats"]["finish_reason"] == "finished"
    assert crawled["report"]["counts"]["pages_by_kind"]["requisite"] == crawled["stats"]["requisites/fetched"] > 20


def test_bad_mode_is_one_error_line(site, tmp_path):
    result = crawl(site.url("/"), tmp_path, settings={"REQUISITES": "some"})
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: REQUISITES must be one of all, images, none, not 'some'"]
    assert "Traceback" not in result.stderr


def test_jobdir_keeps_requisites_fetched_once_across_runs(site, tmp_path):
    # With JOBDIR every request goes through Scrapy's disk queue (so it must serialize), and
    # the seen-requests file outlives the process: a second run fetches the start page again
    # (start URLs are never filtered) but none of the requisites the first run archived.
    jobdir = tmp_path / "job"
    run_crawl(site, tmp_path / "one", JOBDIR=str(jobdir))
    before = len(site.site.requests), len(site.cdn.requests)
    run_crawl(site, tmp_path / "two", JOBDIR=str(jobdir))
    again = site.site.requests[before[0]:] + site.cdn.requests[before[1]:]
    assert "/" in again
    assert not [path for path in again if path.startswith(("/static/", "/img/", "/css/", "/js/", "/fonts/"))]


def test_requisite_requests_are_plain_data():
    """A distributed crawl sends requests through Redis as JSON: a requisite request, from a
    page and from a stylesheet, comes back as it was, callbacks included."""
    from scrapy.http import HtmlResponse, Request, TextResponse
    from scrapy.utils.request import request_from_dict
    from scrapy.utils.test import get_crawler

    from crawler import plaindata
    from crawler.spiders.news import NewsSpider

    crawler = get_crawler(NewsSpider, {"DISTRIBUTED": True, "REQUISITES_MAX_SIZE": 1000, "EXTRACT_WORKERS": 1})
    spider = NewsSpider.from_crawler(crawler, urls="http://news.example/")
    crawler.spider = spider
    page = HtmlResponse("http://news.example/story", body=b"<p>x</p>", request=Request("http://news.example/story"))
    made = spider.requisites.page_requests(page, [("http://cdn.example/a.png", IMAGE),
                                                  ("http://news.example/s.css", STYLESHEET)],
                                           spider.parse_requisite, spider.requisite_failed)
    css = TextResponse("http://news.example/s.css", body=b"@import 'more.css'; b { background: url(b.png) }",
                       headers={"Content-Type": "text/css"}, request=made[1])
    made += list(spider.parse_requisite(css))
    assert [r.url for r in made] == ["http://cdn.example/a.png", "http://news.example/s.css",
                                     "http://news.example/more.css", "http://news.example/b.png"]
    for request in made:
        assert request.meta["depth_reset"] is True and request.meta["download_maxsize"] == 1000
        as_dict = request.to_dict(spider=spider)
        back = request_from_dict(plaindata.loads(plaindata.dumps(as_dict)), spider=spider)
        assert back.to_dict(spider=spider) == as_dict
        assert back.callback == spider.parse_requisite and back.errback == spider.requisite_failed


def test_requisites_of_listed_pages_are_fetched_with_them_not_after_the_last_page(tmp_path):
    # Sitemap and feed entries are queued at priority 5 (links at 0). Requisites ranked 1 waited
    # until every listed page was fetched: a 20,000-story sitemap crawl held its 20,000 photo
    # requests in the queue to the end, and fetched each photo minutes after its page.
    from tests.rawserver import ARTICLE_PREFIX, RawServer, Route, article_html, ok

    stories = [f"{ARTICLE_PREFIX}listed-story-{i}" for i in range(12)]
    server = RawServer(routes={}).start()
    try:
        base = server.base_url
        entries = "".join(f"<url><loc>{base}{path}</loc></url>" for path in stories)
        server.routes.update({
            "/robots.txt": Route(ok(b"User-agent: *\nAllow: /\nSitemap: /sitemap.xml\n", "text/plain")),
            "/sitemap.xml": Route(ok(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
                                     "</urlset>".encode(), "application/xml")),
            "/": Route(ok(b"<html><head><title>Home</title></head><body><p>Front page</p></body></html>"))})
        for i, path in enumerate(stories):
            server.routes[path] = Route(ok(article_html(f"Listed story {i}", i, extra=f'<img src="/photo-{i}.png">')))
            server.routes[f"/photo-{i}.png"] = Route(ok(b"\x89PNG photo %d" % i, "image/png"))
        # One download at a time, spaced: the order of the WARC's records is the order of the queue.
        result = crawl(base + "/", tmp_path, settings={"CONCURRENT_REQUESTS": "1", "DOWNLOAD_DELAY": "0.1",
                                                        "AUTOTHROTTLE_ENABLED": "False"})
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr[-2000:]
    fetched = [r.headers["WARC-Target-URI"][len(base):] for warc in sorted(tmp_path.glob("*.warc.gz"))
               for r in read_records(warc) if r.type == "response"]
    assert set(stories) | {f"/photo-{i}.png" for i in range(12)} <= set(fetched)
    first_photo = min(fetched.index(f"/photo-{i}.png") for i in range(12))
    last_story = max(fetched.index(path) for path in stories)
    assert first_photo < last_story, fetched
