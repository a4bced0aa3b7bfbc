"""LenientMetaRefreshMiddleware: Scrapy's meta refresh, minus decoding pages that have none."""

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import LenientMetaRefreshMiddleware

REFRESH = b'<meta http-equiv="Refresh" content="0; url=/moved">'


def _middleware():
    return LenientMetaRefreshMiddleware.from_crawler(get_crawler())


def _page(head: bytes, encoding="utf-8", filler=2000):
    html = "<html><head>{}</head><body>{}</body></html>"
    body = html.format(head.decode("ascii"), "<p>caf\u00e9 text</p>" * filler).encode(encoding)
    return HtmlResponse("http://example.org/a", body=body, encoding=encoding)


def test_a_refresh_still_redirects():
    out = _middleware().process_response(Request("http://example.org/a"), _page(REFRESH))
    assert isinstance(out, Request) and out.url == "http://example.org/moved"


@pytest.mark.parametrize("head", [b"<title>t</title>",
                                  b'<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'])
def test_a_page_without_refresh_is_not_decoded(head):
    response = _page(head)
    assert _middleware().process_response(Request("http://example.org/a"), response) is response
    assert response._cached_ubody is None       # response.text was never built


def test_refresh_spelled_in_other_case_or_order_still_redirects():
    head = b"<META CONTENT='0;URL=/moved' HTTP-EQUIV='REFRESH'>"
    out = _middleware().process_response(Request("http://example.org/a"), _page(head))
    assert isinstance(out, Request) and out.url == "http://example.org/moved"


def test_utf16_pages_are_read_the_slow_way():
    out = _middleware().process_response(Request("http://example.org/a"), _page(REFRESH, "utf-16"))
    # (w3lib re-encodes the URL in UTF-16, BOM included: Scrapy's own result, kept as is)
    assert isinstance(out, Request) and out.url.startswith("http://example.org/moved")
