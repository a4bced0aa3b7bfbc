"""The crawl's start URLs: `-a urls=URL[,URL...]` (and a job's `urls`) checked and split.

No Scrapy: `scrapy jobs` checks jobs.toml with it without loading the spider.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit


class StartURLError(ValueError):
    """The `urls` argument cannot be crawled; the message is shown to the user as is."""


def parse_start_urls(urls) -> list[str]:
    if not urls or not str(urls).strip():
        raise StartURLError("no start URL: pass -a urls=URL[,URL...]")
    result = []
    for url in re.split(r"[,\s]+", str(urls)):   # a pasted list: one URL a line, spaces
        url = url.strip()
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StartURLError(f"not an http(s) URL: {url!r}")
        try:
            _ = parts.port      # urlsplit parses the port only when asked: ValueError if bad
        except ValueError:
            raise StartURLError(f"bad port in URL: {url!r}") from None
        result.append(url)
    if not result:
        raise StartURLError("no start URL: pass -a urls=URL[,URL...]")
    return result
