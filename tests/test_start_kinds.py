"""A start URL may be a sitemap (index) or a feed: the spider tells which by the response."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.conftest import crawl


def _paths(out):
    lines = (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    return {urlsplit(json.loads(line)["canonical_url"]).path for line in lines}


def _expected(site, via):
    dup_members = {m for g in site.expected["duplicate_groups"] if g["kind"] in ("exact", "near")
                   for m in g["members"]}
    return {urlsplit(site.url(p)).path          # the site's article paths are canonical already
            for p, a in site.expected["articles"].items() if via in a["reachable_via"] and p not in dup_members}


@pytest.mark.parametrize("start, via", [("/sitemap_index.xml", "sitemap"), ("/feeds/rss.xml", "feed"),
                                        ("/feeds/atom.xml", "feed")])
def test_start_from(demo_site, tmp_path, start, via):
    result = crawl(demo_site.url(start), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    got = _paths(tmp_path)
    want = _expected(demo_site, via)
    assert want <= got, want - got
    listings = {urlsplit(demo_site.url(p)).path for p in demo_site.expected["listings"]}
    assert not got & listings
    if via == "feed":  # a feed start fetches the feed's stories, it does not wander the site
        assert not got & (_expected(demo_site, "links") - want)


def test_a_pasted_list_of_start_urls(demo_site, tmp_path):
    """`-a urls="$(cat sites.txt)"`: one URL a line, blank lines, spaces, a trailing comma. The
    newline used to vanish inside one URL ("/feeds/rss.xmlhttp://..."): one 404, nothing crawled,
    exit 0. Whitespace separates URLs like the comma (a URL never holds a raw space)."""
    from crawler.starturls import StartURLError, parse_start_urls

    listed = f"\n {demo_site.url('/feeds/rss.xml')}\n\n\t{demo_site.url('/feeds/atom.xml')} ,\n"
    assert parse_start_urls(listed) == [demo_site.url("/feeds/rss.xml"), demo_site.url("/feeds/atom.xml")]
    with pytest.raises(StartURLError, match="'b.html'"):
        parse_start_urls("http://h.test/a b.html")       # a raw space in one URL: named, not guessed
    result = crawl(listed, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    want = _expected(demo_site, "feed")
    assert want and want <= _paths(tmp_path), want - _paths(tmp_path)
