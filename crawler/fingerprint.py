"""Request fingerprints on canonical URLs, so URL variants are fetched once.

`?utm_source=…`, `#comments` and `/story/` vs `/story` name one page; Scrapy's
default fingerprint keeps them apart. AMP twins are not folded here: they are
different documents and are archived; dedupe folds them into one article.
"""

from __future__ import annotations

from scrapy.utils.request import RequestFingerprinter

from crawler.urls import UrlCanonicalizer, url_canonicalizer


class CanonicalURLRequestFingerprinter:
    def __init__(self, crawler=None):
        self._default = RequestFingerprinter(crawler)
        self._canonicalize = url_canonicalizer(crawler) if crawler else UrlCanonicalizer()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def fingerprint(self, request) -> bytes:
        canonical = self._canonicalize(request.url, fold_amp_urls=False)
        if canonical != request.url:
            request = request.replace(url=canonical)
        return self._default.fingerprint(request)
