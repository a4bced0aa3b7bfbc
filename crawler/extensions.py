"""Small crawl-wide guards, enabled through EXTENSIONS in crawler/settings.py."""

from __future__ import annotations


class OfflineSuffixList:
    """Keeps tldextract on the public suffix list bundled with it.

    Scrapy's cookie middleware builds a `TLDExtract()` that downloads the list from
    the web on first use; an archiving crawl must not make requests it did not
    archive or ask for. (Reaches a private name of Scrapy 2.19, pinned.)
    """

    def __init__(self):
        from scrapy.downloadermiddlewares import cookies
        from tldextract import TLDExtract

        cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)

    @classmethod
    def from_crawler(cls, crawler):
        return cls()
