"""Offline spider tests: Scrapy responses straight from a WARC, by URL.

    pytest_plugins = ["archives.testing"]        # the warc_responses fixture
    from archives.testing import WarcResponses    # or the plain class

    def test_parse_article(warc_responses):     # in a module with pytest_plugins above
        pages = warc_responses("tests/data/site.warc.gz")
        response = pages.response("https://example.com/news/1")
        item = next(NewsSpider(urls="https://example.com/").parse_article(response))

A response is what a callback receives in the live crawl: the HtmlResponse (or
TextResponse, ...) class Scrapy would pick, body decoded (Content-Encoding undone),
redirects followed through the archive, `response.request` attached, and
`response.meta["warc"]` / `["warc_date"]` set as the capture middleware sets them.
"""

from __future__ import annotations

from urllib.parse import urljoin

from archives.reader import DEFAULT_MAX_BYTES
from archives.replay import Archive, Replayed, scrapy_response

MAX_REDIRECTS = 20


class WarcResponses:
    """Responses by URL from WARC files, directories or WACZ packages."""

    def __init__(self, *paths, max_bytes: int = DEFAULT_MAX_BYTES):
        # max_bytes: a record payload or decoded body past it raises instead of being read
        self.archive = Archive.open([str(p) for p in paths], max_bytes)

    def urls(self) -> list[str]:
        """Every archived URL with an HTTP response."""
        return self.archive.index.urls()

    def __contains__(self, url: str) -> bool:
        return bool(self.archive.captures(url))

    def _request(self, url: str, replayed: Replayed, request_kwargs: dict):
        from scrapy import Request

        meta = dict(request_kwargs.pop("meta", None) or {})
        meta.update({"warc": replayed.location, "warc_date": replayed.date})
        return Request(url, meta=meta, **request_kwargs)

    def response(self, url: str, *, capture: int = -1, follow_redirects: bool = True, **request_kwargs):
        """The response a callback would get for `url` (capture -1: the latest; 0: the first).

        `request_kwargs` (callback, cb_kwargs, meta, ...) go to the attached Request.
        Raises KeyError if `url` is not archived.
        """
        redirects: list[str] = []
        while True:
            entries = self.archive.captures(url)
            if not entries:
                raise KeyError(f"not in the archive: {url}")
            replayed = self.archive.load(entries[capture])
            location = replayed.header("Location")
            if not (follow_redirects and 300 <= replayed.status < 400 and location):
                break
            target = urljoin(url, location[0])
            if target not in self or len(redirects) >= MAX_REDIRECTS:
                break
            redirects.append(url)
            url, capture = target, -1
        request_kwargs = dict(request_kwargs)
        if redirects:
            meta = dict(request_kwargs.get("meta") or {})
            meta.update({"redirect_urls": redirects, "redirect_times": len(redirects)})
            request_kwargs["meta"] = meta
        request = self._request(url, replayed, request_kwargs)
        return scrapy_response(replayed, request, decode=True)

    __getitem__ = response

    def responses(self, url: str, **request_kwargs) -> list:
        """Every capture of `url`, oldest first (redirects not followed)."""
        return [self.response(url, capture=i, follow_redirects=False, **request_kwargs)
                for i in range(len(self.archive.captures(url)))]

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> "WarcResponses":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def warc_response(path, url: str, **kwargs):
    """One response from one WARC, for a quick test or a REPL."""
    with WarcResponses(path) as pages:
        return pages.response(url, **kwargs)


try:
    import pytest
except ImportError:  # pragma: no cover - the helper class works without pytest
    pytest = None

if pytest is not None:
    @pytest.fixture
    def warc_responses():
        """Factory fixture: `warc_responses(path, ...)` -> WarcResponses, closed after the test."""
        opened: list[WarcResponses] = []

        def load(*paths) -> WarcResponses:
            pages = WarcResponses(*paths)
            opened.append(pages)
            return pages

        yield load
        for pages in opened:
            pages.close()
