"""`scrapy crawl news` from the root of a site shaped like the ones users point it at.

One crawl of a raw local site (tests/rawserver.py) whose stories are reachable only the
ways real news sites offer them: deep in a paginated section, by a WordPress post id, in a
JSON Feed, after a 429 asking to come back later, in a section whose link the site redirects to
add a slash, linked under session ids, listed in a text sitemap; and a second start URL that redirects to another host. Each test
checks one thing a user expects the crawl to find (or not to fetch), from the site's own
layout written out here, never from the crawler's code.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.rawserver import RawServer, Route, article_html, ok, scrapy_crawl_cmd
from tests.conftest import ROOT, scrapy_env

LAST_SECTION_PAGE = 22          # the section's pages go on past NEWS_MAX_LISTING_PAGES (20)
DEEP_PAGE = 12                  # past DEPTH_LIMIT (5) hops if each next page were one
DEEP_STORY = "/news/2024/05/01/found-on-page-twelve.html"
FIRST_STORY = "/news/2024/05/02/on-the-section-front.html"
JSON_FEED_STORY = "/news/2024/05/03/only-in-the-json-feed.html"
BUSY_STORY = "/news/2024/05/04/asked-again-later.html"   # 429 Retry-After: 1, then the page
SLASHED_STORY = "/news/2024/05/05/behind-a-slash-redirect.html"   # linked only from /opinion/
SESSION_STORY = "/news/2024/05/06/linked-with-session-ids.html"
SESSION_LINKS = (SESSION_STORY + ";jsessionid=0A1B2C3D", SESSION_STORY + "?PHPSESSID=9f8e7d6c", SESSION_STORY)
TEXT_SITEMAP_STORY = "/news/2024/05/07/only-in-the-text-sitemap.html"
OLD_HOME = "/old-edition/"          # a second start URL: the site moved to another host
MOVED_STORY = "/news/2024/05/08/on-the-new-site.html"
OFFSITE_SITEMAP = "http://sitemaps.elsewhere.invalid/news.xml"   # another site: never fetched
DECLARED_STORY = "/news/2024/05/09/only-on-page-eight.html"   # /politics/'s page 8, paged in <head> only
DECLARED_PAGE = 8
WP_POST = "/index.php?p=4711"   # WordPress's plain permalink: a post id, not a page number


def page(body: str, head: str = "") -> bytes:
    return f"<!doctype html><html><head><title>Section</title>{head}</head><body>{body}</body></html>".encode()


# JSON Feed 1.1 (jsonfeed.org): its items' `url` is the story, `external_url` what it comments on
JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "Latest", "home_page_url": "/",
    "items": [{"id": "1", "url": JSON_FEED_STORY, "external_url": "http://elsewhere.invalid/x",
               "title": "Only in the JSON feed", "content_text": "..."}]}).encode()


def section_page(n: int) -> bytes:
    stories = f'<a href="{FIRST_STORY}">Front story</a>' if n == 1 else ""
    if n == DEEP_PAGE:
        stories += f'<a href="{DEEP_STORY}">An older story</a>'
    older = f'<a rel="next" href="/world/page/{n + 1}/">Older</a>' if n < LAST_SECTION_PAGE else ""
    return page(f"<h1>World, page {n}</h1><ul><li>{stories}</li></ul>{older}")


def politics_page(n: int) -> bytes:
    """A section whose pagination is declared only in <head> (<link rel=next>, as CMSs print it),
    in a URL shape that names no page number (`/politics/older-N`): no "next" link in the page."""
    story = f'<a href="{DECLARED_STORY}">Found on page {n}</a>' if n == DECLARED_PAGE else ""
    nxt = f'<link rel="prev start" href="/politics/"><link rel="NEXT" href="/politics/older-{n + 1}">' \
        if n < LAST_SECTION_PAGE else ""
    return page(f"<h1>Politics, page {n}</h1><ul><li>{story}</li></ul>", nxt)


def moved_site_routes() -> dict[str, Route]:
    """Where a second start URL, an old home page, now redirects: another host."""
    return {"/robots.txt": Route(ok(b"User-agent: *\nDisallow:\n", "text/plain")),
            "/": Route(ok(page(f'<h1>The new site</h1><a href="{MOVED_STORY}">A story</a>'))),
            MOVED_STORY: Route(ok(article_html("On the site the old home moved to", 8)))}


def site_routes(moved_base_url: str) -> dict[str, Route]:
    routes = {
        OLD_HOME: [f"HTTP/1.1 301 Moved Permanently\r\nLocation: {moved_base_url}/\r\nContent-Length: 0\r\n\r\n".encode()],
        "/robots.txt": ok(f"User-agent: *\nDisallow:\n\nSitemap: /sitemap.txt\nSitemap: {OFFSITE_SITEMAP}\n".encode(),
                          "text/plain"),
        TEXT_SITEMAP_STORY: ok(article_html("Only in the text sitemap", 7)),
        "/": ok(page('<nav><a href="/world/">World</a><a href="/politics/">Politics</a></nav>'
                     '<a href="/index.php?p=4711">Latest post</a>'
                     f'<a href="{BUSY_STORY}">Busy</a><a href="/opinion">Opinion</a>'
                     + "".join(f'<a href="{link}">Session</a>' for link in SESSION_LINKS),
                     '<link rel="alternate" type="application/feed+json" title="Latest" href="/feed.json">')),
        "/feed.json": ok(JSON_FEED, "application/feed+json"),
        "/opinion": [b"HTTP/1.1 301 Moved Permanently\r\nLocation: /opinion/\r\nContent-Length: 0\r\n\r\n"],
        "/opinion/": ok(page(f'<h1>Opinion</h1><a href="{SLASHED_STORY}">A column</a>')),
        SESSION_STORY: ok(article_html("Linked with session ids", 6)),
        SLASHED_STORY: ok(article_html("Behind a slash redirect", 5)),
        BUSY_STORY: [b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"],
        JSON_FEED_STORY: ok(article_html("Only in the JSON feed", 3)),
        WP_POST: ok(article_html("A post only its id names", 4711)),
        "/world/": ok(section_page(1)),
        FIRST_STORY: ok(article_html("On the section front", 2)),
        DEEP_STORY: ok(article_html("Found on page twelve", 12)),
    }
    routes.update({f"/world/page/{n}/": ok(section_page(n)) for n in range(2, LAST_SECTION_PAGE + 1)})
    routes["/politics/"] = ok(politics_page(1))
    routes.update({f"/politics/older-{n}": ok(politics_page(n)) for n in range(2, LAST_SECTION_PAGE + 1)})
    routes[DECLARED_STORY] = ok(article_html("Only on page eight", 9))
    out = {path: Route(segments) for path, segments in routes.items()}
    out[BUSY_STORY].then = Route(ok(article_html("Asked again later", 4)))
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("shapes")
    with RawServer(routes=moved_site_routes(), host="127.0.0.2") as moved, \
            RawServer(routes=site_routes(moved.base_url)) as server:
        # sitemaps.org's text form: one absolute URL a line
        server.routes["/sitemap.txt"] = Route(ok(f"{server.base_url}{TEXT_SITEMAP_STORY}\n".encode(), "text/plain"))
        cmd = scrapy_crawl_cmd(server.base_url, out, extra_urls=[server.base_url + OLD_HOME], REQUISITES="none")
        proc = subprocess.run(cmd, cwd=ROOT, env=scrapy_env(), capture_output=True, text=True, timeout=180)
        requested = [path for path, _raw in server.requests]
        moved_requested = [path for path, _raw in moved.requests]
        arrivals = list(server.arrivals)
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = [json.loads(line) for line in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    stats = json.loads((out / "stats.json").read_text())
    return {"base": server.base_url, "moved_base": moved.base_url, "moved_requested": moved_requested,
            "requested": requested, "arrivals": arrivals, "items": items, "stats": stats,
            "log": proc.stderr, "stdout": proc.stdout, "report": json.loads((out / "report.json").read_text())}


TAG_FANOUT = 3          # each tag page links three more, five levels deep (363 pages)
HOME_STORIES = [f"/news/2024/05/1{i}/home-story-{i}.html" for i in range(6)]


def tag_cloud_routes() -> dict[str, Route]:
    """A home page linking six stories, then a tag cloud whose pages link ever more tag pages."""
    routes = {"/robots.txt": Route(ok(b"User-agent: *\nDisallow:\n", "text/plain")),
              "/": Route(ok(page("".join(f'<a href="{path}">Story</a>' for path in HOME_STORIES)
                                 + '<a href="/tag/t/">Tags</a>')))}
    routes.update({path: Route(ok(article_html(f"Home story {i}", 20 + i))) for i, path in enumerate(HOME_STORIES)})
    level = ["/tag/t/"]
    for _depth in range(5):
        children = []
        for tag in level:
            links = [f"{tag}{i}/" for i in range(TAG_FANOUT)]
            routes[tag] = Route(ok(page("".join(f'<a href="{link}">tag</a>' for link in links))))
            children += links
        level = children
    return routes


def emitted_paths(run) -> set[str]:
    base = run["base"]
    return {item["url"][len(base):] for item in run["items"]}


def test_a_story_deep_in_a_paginated_section_is_found(run):
    # DEPTH_LIMIT counted each next page as a hop: pages 2-5 were read, page 12's story never
    assert f"/world/page/{DEEP_PAGE}/" in run["requested"]
    assert DEEP_STORY in emitted_paths(run)
    assert FIRST_STORY in emitted_paths(run)


def test_pagination_stops_at_the_documented_page_count(run):
    pages = sorted(int(path.split("/")[3]) for path in run["requested"] if path.startswith("/world/page/"))
    assert pages == list(range(2, 21))       # NEWS_MAX_LISTING_PAGES = 20: /world/ is page 1
    declared = sorted(int(path.rsplit("-", 1)[1]) for path in run["requested"] if path.startswith("/politics/older-"))
    assert declared == list(range(2, 21))    # the same bound along a <link rel=next> chain
    assert run["stats"].get("news/pagination_capped") == 2


def test_a_sections_next_pages_declared_in_head_are_followed_without_a_hop(run):
    # <link rel=next> was not read: /politics/ showed its first page only, and a story on its
    # page 8 (8 hops, past DEPTH_LIMIT 5 if each next page were one) was never found
    assert f"/politics/older-{DECLARED_PAGE}" in run["requested"]
    assert DECLARED_STORY in emitted_paths(run)
    assert run["stats"].get("news/declared_next") == 19     # pages 2-20


def test_a_wordpress_post_id_is_no_page_number(run):
    # `?p=4711` was taken for page 4,711 of a listing and never fetched
    assert WP_POST in run["requested"]
    assert WP_POST in emitted_paths(run)


def test_a_json_feed_the_home_page_names_is_read(run):
    # it was fetched, counted "not HTML" and its stories never found
    assert "/feed.json" in run["requested"]
    assert JSON_FEED_STORY in emitted_paths(run)
    assert run["stats"].get("news/feeds") == 1
    assert "news/skipped_not_html" not in run["stats"]


def test_a_429_retry_after_is_waited_for_before_the_retry(run):
    # the retry went out at once (RetryMiddleware ignores Retry-After) and the site got no rest
    times = [when for path, when in run["arrivals"] if path == BUSY_STORY]
    assert len(times) == 2
    assert times[1] - times[0] >= 0.95      # Retry-After: 1 (a lower bound: load only adds to it)
    assert BUSY_STORY in emitted_paths(run)
    assert run["stats"].get("retry_after/paused") == 1


def test_a_redirect_that_adds_a_slash_is_followed(run):
    # /opinion -> /opinion/ has the same canonical URL, and the dupe filter dropped the redirect
    assert run["requested"].count("/opinion/") == 1
    assert SLASHED_STORY in emitted_paths(run)


def test_session_ids_in_links_make_no_second_fetch_or_article(run):
    # each id was fetched as a page of its own and the article kept one of them in its URL
    assert [path for path in run["requested"] if path.startswith(SESSION_STORY)] == [SESSION_STORY]
    assert [item["url"] for item in run["items"] if SESSION_STORY in item["url"]] == [run["base"] + SESSION_STORY]


def test_a_text_sitemap_named_by_robots_txt_is_read(run):
    # it was fetched, counted "not HTML", and its URLs never followed
    assert "/sitemap.txt" in run["requested"]
    assert TEXT_SITEMAP_STORY in emitted_paths(run)
    assert run["stats"].get("news/sitemaps") == 1


def test_a_sitemap_robots_txt_names_on_another_site_is_counted_not_read(run):
    # it was dropped without a word: a site listing its stories only there looked empty
    assert run["stats"].get("news/sitemap_offsite") == 1
    assert run["report"]["counts"]["sitemaps_offsite"] == 1
    assert OFFSITE_SITEMAP in run["log"]
    summary = run["stdout"] + run["log"]
    assert "1 on another site not read" in summary


def test_a_start_url_that_redirects_to_another_host_brings_that_site_into_scope(run):
    # the moved home page was archived and its links judged off-site: nothing of the new site
    assert run["moved_requested"].count("/") == 1
    assert MOVED_STORY in run["moved_requested"]
    assert run["moved_base"] + MOVED_STORY in {item["url"] for item in run["items"]}


def test_a_page_limit_is_spent_on_the_home_pages_stories_before_a_tag_cloud(tmp_path):
    # Scrapy's default order is depth first (LIFO): the tag cloud, linked last, was walked down
    # first and a 12-page limit (a job's max_pages) ended the crawl with half the home's stories
    with RawServer(routes=tag_cloud_routes()) as server:
        # one request at a time: the order is the scheduler's alone
        cmd = scrapy_crawl_cmd(server.base_url, tmp_path, REQUISITES="none", CLOSESPIDER_PAGECOUNT="12",
                               CONCURRENT_REQUESTS="1")
        proc = subprocess.run(cmd, cwd=ROOT, env=scrapy_env(), capture_output=True, text=True, timeout=180)
        requested = [path for path, _raw in server.requests]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(HOME_STORIES) <= set(requested), requested
    # and in the page's order, its top story first (last found first, a limit took the bottom links)
    assert [path for path in requested if path in HOME_STORIES or path == "/tag/t/"] == [*HOME_STORIES, "/tag/t/"]
    deep_tags = [path for path in requested if path.startswith("/tag/t/") and path.count("/") > 5]   # /tag/t/0/0/0/ on
    assert not deep_tags, requested


def test_robots_txt_crawl_delay_paces_the_site_even_under_autothrottle(tmp_path):
    # Crawl-delay was not read: AutoThrottle took the delay down to the site's few milliseconds
    stories = [f"/news/2024/05/2{i}/paced-{i}.html" for i in range(3)]
    routes = {"/robots.txt": Route(ok(b"User-agent: otherbot\nCrawl-delay: 9\n\n"
                                      b"User-agent: *\nCrawl-delay: 0.5\nDisallow:\n", "text/plain")),
              "/": Route(ok(page("".join(f'<a href="{path}">Story</a>' for path in stories))))}
    routes.update({path: Route(ok(article_html(f"Paced {i}", 30 + i))) for i, path in enumerate(stories)})
    with RawServer(routes=routes) as server:
        cmd = scrapy_crawl_cmd(server.base_url, tmp_path, REQUISITES="none", AUTOTHROTTLE_ENABLED="True",
                               AUTOTHROTTLE_START_DELAY="0", DOWNLOAD_DELAY="0")
        proc = subprocess.run(cmd, cwd=ROOT, env=scrapy_env(), capture_output=True, text=True, timeout=180)
        arrivals = [when for path, when in server.arrivals if path != "/robots.txt"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(arrivals) == 4
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= 0.45, gaps      # 0.5 s asked of `*` (a lower bound: load only adds to it)
    assert json.loads((tmp_path / "stats.json").read_text())["robotstxt/crawl_delay"] == 1


def test_retry_after_values():
    from email.utils import formatdate

    from crawler.retryafter import retry_after_seconds

    now = 1_700_000_000.0
    assert retry_after_seconds(b"120", now) == 120
    assert retry_after_seconds(formatdate(now + 30, usegmt=True), now) == 30
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now) == 0
    assert retry_after_seconds(b"soon", now) is None
    # a digit to str.isdigit() but not to float(): the ValueError failed the page, never retried
    assert retry_after_seconds(b"\xb2", now) is None
    assert retry_after_seconds(None, now) is None


def test_a_start_url_written_in_unicode_or_with_its_default_port_keeps_its_links_in_scope():
    # Scrapy fetches bücher.example as xn--bcher-kva.example: every link of the home page was
    # judged off-site and the crawl ended after one page
    from crawler.spiders.news import NewsSpider

    spider = NewsSpider(urls="http://bücher.example/,http://zeitung.example:80/")
    spider.follow_external = False
    assert spider.in_scope("http://xn--bcher-kva.example/2024/05/01/story.html")
    assert spider.in_scope("https://www.zeitung.example/2024/05/01/story.html")
    assert not spider.in_scope("http://other.example/2024/05/01/story.html")
