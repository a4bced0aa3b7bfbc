import pytest

from crawler.urls import (
    canonicalize_url,
    fold_amp,
    same_site,
    strip_tracking,
)

STORY = "https://www.example.com/news/story"


@pytest.mark.parametrize("variant", [
    "https://www.example.com/news/story",
    "https://WWW.Example.COM/news/story/",
    "https://www.example.com:443/news/story",
    "https://www.example.com/news/story#comments",
    "https://www.example.com/news/story?utm_source=twitter&utm_medium=social&utm_campaign=x",
    "https://www.example.com/news/story?UTM_Source=Newsletter",
    "https://www.example.com/news/story?fbclid=IwAR0abc&gclid=Cj0KCQ&mc_cid=1a2b&mc_eid=3c4d",
    "https://www.example.com/news/story?msclkid=1&yclid=2&_ga=2.1&_gl=1*abc",
    "https://www.example.com/news/story?pk_campaign=x&mtm_source=y&WT.mc_id=z&_hsenc=p2&mkt_tok=q",
    "https://www.example.com/news/story?CMP=twt_gu&ftag=abc&ocid=msn",
    "https://www.example.com/news/story?amp=1",
    "https://www.example.com/news/story?outputType=amp",
    "https://www.example.com/news/story/amp",
    "https://www.example.com/news/story/amp/",
    "https://www.example.com/amp/news/story",
    "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/story",
    "https://www.google.com/amp/s/www.example.com/news/story/amp",
    "  https://www.example.com/news/story?utm_term=a#top  ",
    "https://www.example.com/news/story;jsessionid=0A1B2C3D4E5F.node1?PHPSESSID=9f8e7d",
    "https://www.example.com/news/story;JSESSIONID=x/?ASPSESSIONIDQQGGGNCB=LKJH&CFID=12&CFTOKEN=34",
])
def test_variants_of_one_story_share_a_canonical_url(variant):
    assert canonicalize_url(variant) == STORY


def test_amp_html_suffix_and_amp_host_fold():
    assert canonicalize_url("https://example.com/2024/story.amp.html") == "https://example.com/2024/story.html"
    assert canonicalize_url("https://amp.example.com/2024/story") == "https://example.com/2024/story"
    assert fold_amp("http://www-x-org.cdn.ampproject.org/c/www.x.org/a?b=1") == "http://www.x.org/a?b=1"


def test_amp_inside_a_path_is_left_alone():
    # only a leading /amp/ segment, a trailing /amp and .amp suffixes mark AMP twins
    assert canonicalize_url("https://example.com/topics/amp/batteries") == "https://example.com/topics/amp/batteries"
    assert canonicalize_url("https://example.com/news/amp-stories/x") == "https://example.com/news/amp-stories/x"


def test_different_pages_stay_different():
    urls = [
        "https://www.example.com/news/story",
        "https://www.example.com/news/story-2",
        "https://www.example.com/news/Story",
        "https://www.example.com/news/story?id=2",
        "https://www.example.com/news/story?page=2",
        "http://www.example.com/news/story",
        "https://example.com/news/story",
        "https://www.example.com:8443/news/story",
    ]
    assert len({canonicalize_url(u) for u in urls}) == len(urls)


def test_query_is_sorted_and_meaningful_parameters_kept():
    assert canonicalize_url("https://e.com/a?b=2&utm_source=x&a=1") == "https://e.com/a?a=1&b=2"


def test_non_utf8_query_values_are_not_merged():
    # decoding %E9 as UTF-8 would turn both into U+FFFD and merge two different pages
    a = canonicalize_url("https://e.com/search?q=caf%E9&utm_source=x")
    b = canonicalize_url("https://e.com/search?q=caf%E8")
    assert a == "https://e.com/search?q=caf%E9"
    assert a != b


@pytest.mark.parametrize("url", [
    "https://WWW.Example.com/a/b/?z=1&y=&x#f",
    "https://e.com/s?q=a+b&q=c%2Bd",
    "http://e.com:80/caf\u00e9/%7Euser/",
    "https://e.com/",
    "https://e.com",
    "https://e.com/?",
    "https://www-e-com.cdn.ampproject.org/c/s/www.e.com/x/amp?utm_source=y",
])
def test_canonicalize_is_idempotent(url):
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_custom_tracking_params_replace_the_defaults():
    url = "https://e.com/a?utm_source=x&session=1&id=3"
    assert canonicalize_url(url, ["session"]) == "https://e.com/a?id=3&utm_source=x"
    assert canonicalize_url(url, ["session", "utm_*"]) == "https://e.com/a?id=3"
    assert canonicalize_url(url) == "https://e.com/a?id=3&session=1"


def test_strip_tracking_keeps_raw_bytes_and_drops_fragment():
    assert strip_tracking("https://e.com/a?q=%E9%20x&fbclid=1#frag") == "https://e.com/a?q=%E9%20x"


def test_same_site():
    assert same_site("https://www.example.com/a", "https://example.com/b")
    assert same_site("https://amp.example.com/a", "https://m.example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")
    assert not same_site("https://example.com/a", "https://evil-example.com/a")
    assert not same_site("http://127.0.0.1:8001/a", "http://127.0.0.1:8002/a")
    # a host written in Unicode is the punycode one Scrapy fetches; a scheme's default port is none
    assert same_site("http://bücher.example/", "http://xn--bcher-kva.example/a")
    assert same_site("https://www.BÜCHER.example/", "https://xn--bcher-kva.example/a")
    assert same_site("http://example.com:80/", "https://Example.com/a")
    assert same_site("https://example.com:443/", "http://example.com/a")
    assert not same_site("http://example.com:8080/", "http://example.com/a")
