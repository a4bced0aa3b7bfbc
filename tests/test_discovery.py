import gzip
import json

from crawler import discovery

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>http://h.test/sitemap-news.xml</loc></sitemap>
  <sitemap><loc>http://h.test/sitemap-2019.xml.gz</loc><lastmod>2019-01-01</lastmod></sitemap>
</sitemapindex>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>http://h.test/a</loc><news:news><news:publication_date>2026-11-25T10:00:00Z</news:publication_date></news:news></url>
  <url><loc>http://h.test/old</loc><lastmod>2001-01-01</lastmod></url>
</urlset>"""

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>
<item><title>A</title><link>http://h.test/a?utm_source=rss</link></item>
<item><title>B</title><link>/b</link></item></channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<entry><link rel="self" href="http://h.test/self"/><link rel="alternate" href="http://h.test/c"/></entry>
<entry><link href="http://h.test/d"/></entry></feed>"""


def test_document_kind_by_content_not_url():
    assert discovery.document_kind(SITEMAP_INDEX) == discovery.SITEMAP
    assert discovery.document_kind(NEWS_SITEMAP, "text/xml") == discovery.SITEMAP
    assert discovery.document_kind(RSS, "text/html") == discovery.FEED  # mislabelled feeds still read
    assert discovery.document_kind(ATOM) == discovery.FEED
    assert discovery.document_kind(b"<!DOCTYPE html><html><body>rss</body></html>") == discovery.HTML
    assert discovery.document_kind(b"\x89PNG\r\n", "image/png") == discovery.OTHER


def test_gzipped_sitemap_is_read():
    import gzip
    is_index, entries = discovery.parse_sitemap(gzip.compress(NEWS_SITEMAP))
    assert not is_index
    assert [url for url, _ in entries] == ["http://h.test/a", "http://h.test/old"]


def test_sitemap_index_and_age_filter():
    is_index, entries = discovery.parse_sitemap(SITEMAP_INDEX)
    assert is_index and len(entries) == 2
    _, recent = discovery.parse_sitemap(NEWS_SITEMAP, max_age_days=30)
    assert [url for url, _ in recent] == ["http://h.test/a"]


def test_feed_links_rss_and_atom():
    assert discovery.parse_feed(RSS, "http://h.test/feed") == ["http://h.test/a?utm_source=rss", "http://h.test/b"]
    assert discovery.parse_feed(ATOM, "http://h.test/atom") == ["http://h.test/c", "http://h.test/d"]


def test_robots_sitemap_lines():
    body = b"User-agent: *\nDisallow: /private/\nSitemap: http://h.test/sitemap.xml\nsitemap: /s2.xml\n"
    assert discovery.robots_sitemaps(body, "http://h.test:8765/robots.txt") == [
        "http://h.test/sitemap.xml", "http://h.test:8765/s2.xml"]


def test_pagination_number():
    assert discovery.pagination_number("http://h.test/archive?page=12") == 12
    assert discovery.pagination_number("http://h.test/world/page/3/") == 3
    assert discovery.pagination_number("http://h.test/2024/01/page-turner") is None
    # ids and item offsets, not page numbers: WordPress's ?p=POST_ID, ?start=40 (page 3 of 20)
    assert discovery.pagination_number("http://h.test/?p=4711") is None
    assert discovery.pagination_number("http://h.test/list?start=40&offset=40") is None
    assert discovery.pagination_number("http://h.test/blog/?paged=4") == 4


def test_listing_of_a_page_is_the_listing_without_its_page_number():
    section = "http://h.test/world/"
    for url in ("http://h.test/world", "http://h.test/world/page/7/", "http://h.test/world/?page=7",
                "http://H.TEST/world/page/7#top"):
        assert discovery.listing_of(url) == section
    assert discovery.listing_of("http://h.test/search?q=a+b&page=3") == "http://h.test/search/?q=a+b"
    assert discovery.listing_of("http://h.test/tag/rain/page/2/") != section


def test_sitemap_entities_never_expand_and_never_change_a_url():
    from collections import Counter

    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    laughs = '<!ENTITY a "ha">' + "".join(f'<!ENTITY {c} "{f"&{p};" * 10}">'
                                          for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    doc = (f'<?xml version="1.0"?><!DOCTYPE urlset [{laughs}<!ENTITY x SYSTEM "file:///etc/passwd">'
           f'<!ENTITY e "evil.example">]><urlset xmlns="{ns}">'
           "<url><loc>http://h.test/1</loc></url><url><loc>http://h.test/&i;</loc></url>"
           "<url><loc>http://h.test/2</loc></url><url><loc>http://&e;/3</loc></url>"
           "<url><loc>http://h.test/&x;</loc></url><url><loc>http://h.test/&undefined;4</loc></url>"
           "<url><loc>http://h.test/5?a=1&amp;b=2&#233;</loc></url></urlset>")
    skipped = Counter()
    _, entries = discovery.parse_sitemap(doc.encode(), skipped=skipped)
    assert [url for url, _ in entries] == ["http://h.test/1", "http://h.test/2", "http://h.test/5?a=1&b=2\u00e9"]
    assert skipped == {"entity": 4}


def test_sitemap_reading_stops_at_fifty_thousand_entries():
    from collections import Counter

    body = gzip.compress(b"<urlset>" + b"".join(b"<url><loc>http://h.test/%d</loc></url>" % i
                                                for i in range(60_000)) + b"</urlset>")
    skipped = Counter()
    _, entries = discovery.parse_sitemap(body, skipped=skipped)
    assert len(entries) == 50_000 and entries[-1][0] == "http://h.test/49999"
    assert skipped == {"over_limit": 1}


def test_feed_links_are_relative_to_xml_base():
    """A real user's Atom feed at /atom.xml declaring xml:base="http://h.test/news/" and linking
    "2024/05/story.html": the story is /news/2024/05/story.html (RFC 4287 section 2, XML Base);
    it used to be fetched as /2024/05/story.html, a 404. Nested and relative bases resolve in turn."""
    feed = (b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            b'xml:base="http://h.test/news/"><title>T</title>'
            b'<entry><id>1</id><link href="2024/05/story.html"/></entry>'
            b'<entry xml:base="/world/"><id>2</id><link rel="alternate" href="other.html"/></entry>'
            b'<entry><id>3</id><link href="/top.html"/></entry></feed>')
    assert discovery.parse_feed(feed, "http://h.test/atom.xml") == [
        "http://h.test/news/2024/05/story.html", "http://h.test/world/other.html", "http://h.test/top.html"]
    relative = (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="blog/"><entry><id>1</id>'
                b'<link href="post.html"/></entry></feed>')
    assert discovery.parse_feed(relative, "http://h.test/feeds/atom.xml") == ["http://h.test/feeds/blog/post.html"]


def test_rss_item_without_link_uses_its_permalink_guid():
    """RSS 2.0: <guid> is a permalink unless isPermaLink="false"; an item with a guid and no
    <link> (as some CMS and podcast feeds write them) used to be dropped, its story never fetched."""
    feed = (b'<rss version="2.0"><channel><title>T</title>'
            b'<item><title>a</title><guid isPermaLink="true">http://h.test/a</guid></item>'
            b'<item><title>b</title><guid>https://h.test/b</guid></item>'
            b'<item><title>c</title><guid isPermaLink="false">http://h.test/c</guid></item>'
            b'<item><title>d</title><guid>tag:h.test,2024:d</guid></item>'
            b'<item><title>e</title><link>http://h.test/e</link><guid>http://h.test/e?guid</guid></item>'
            b'</channel></rss>')
    assert discovery.parse_feed(feed, "http://h.test/feed") == ["http://h.test/a", "https://h.test/b", "http://h.test/e"]


def test_sitemap_relative_locs_resolve_against_the_sitemap():
    """A <loc> written as a path (against sitemaps.org, met on real sites) used to come out as
    "/2024/05/a.html", which the crawl drops as not http(s), uncounted; absolute ones stay."""
    doc = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b'<url><loc>/2024/05/a.html</loc></url><url><loc> http://other.test/b </loc></url>'
           b'<url><loc>c.html</loc></url></urlset>')
    _, entries = discovery.parse_sitemap(doc, base_url="http://h.test/maps/sitemap.xml")
    assert [url for url, _ in entries] == ["http://h.test/2024/05/a.html", "http://other.test/b",
                                           "http://h.test/maps/c.html"]


def test_json_feed_items_are_its_links():
    feed = ("\ufeff" + json.dumps({"version": "https://jsonfeed.org/version/1", "title": "t", "items": [
        {"id": "1", "url": "/2024/05/a.html", "external_url": "https://other.test/"},
        {"id": "2", "url": "https://h.test/b"}, {"id": "3"}, "junk", {"url": 5}]})).encode()
    assert discovery.document_kind(feed, "application/json") == discovery.FEED
    assert discovery.parse_feed(feed, "http://h.test/feed.json") == ["http://h.test/2024/05/a.html", "https://h.test/b"]
    assert discovery.document_kind(b'{"items": [{"url": "/x"}]}', "application/json") == discovery.OTHER
    assert discovery.parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": 3', "http://h.test/") == []


def test_text_sitemap_is_one_absolute_url_a_line():
    body = b"\xef\xbb\xbfhttp://h.test/2024/05/a.html\r\nhttps://h.test/b\n\n"
    assert discovery.parse_text_sitemap(body) == ["http://h.test/2024/05/a.html", "https://h.test/b"]
    assert discovery.parse_text_sitemap(gzip.compress(body)) == ["http://h.test/2024/05/a.html", "https://h.test/b"]
    # a text that is not a list of URLs is no sitemap
    assert discovery.parse_text_sitemap(b"User-agent: *\nDisallow: /\n") is None
    assert discovery.parse_text_sitemap(b"http://h.test/a\nsee also http://h.test/b\n") is None
    assert discovery.parse_text_sitemap(b"") is None
