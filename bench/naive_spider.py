"""The peer a user would write by hand: Scrapy + trafilatura in the callback + warcio.

    python bench/naive_spider.py URL OUTPUT_DIR [--urls-file FILE] [--fetch-only] [-s NAME=VALUE ...]

Writes each HTML response to a WARC with warcio and calls `trafilatura.extract` (defaults:
body text, no metadata) in the callback on every HTML page; pages with a body become JSON
lines. It follows every same-site link (pagination capped at 20 pages, like the product), or
with `--urls-file` fetches exactly the URLs listed there (one a line) and follows nothing:
the benchmark gives it the pages the product crawl fetched, so both do the same fetches.
`--fetch-only` skips extraction and WARC: a bare Scrapy fetch of the same pages, whose CPU
per page is the "fetch" part of the benchmark's CPU bound. Runs without the project's
settings (its own CrawlerProcess), so none of the product's components take part.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess

_PAGE = re.compile(r"(?:[?&]page=|/page/)(\d+)")


class NaiveSpider(scrapy.Spider):
    name = "naive"

    def __init__(self, url, output_dir, fetch_only=False, urls=None, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = urls or [url]
        self.follow_links = not urls
        self.host = urlsplit(url).netloc
        self.fetch_only = fetch_only
        self.warc_file = None
        if not fetch_only:
            from warcio.warcwriter import WARCWriter

            self.warc_file = open(Path(output_dir) / "naive.warc.gz", "wb")
            self.warc = WARCWriter(self.warc_file, gzip=True)

    def closed(self, reason):
        if self.warc_file is not None:
            self.warc_file.close()

    def parse(self, response):
        if not isinstance(response, scrapy.http.HtmlResponse):
            return
        if not self.fetch_only:
            self.archive(response)
            import trafilatura

            text = trafilatura.extract(response.text, url=response.url)
            if text:
                yield {"url": response.url, "title": response.css("title::text").get(), "text": text}
        if not self.follow_links:
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            parts = urlsplit(url)
            if parts.netloc != self.host or parts.scheme not in ("http", "https"):
                continue
            page = _PAGE.search(url)
            if page and int(page.group(1)) > 20:
                continue
            yield scrapy.Request(url, callback=self.parse)

    def archive(self, response):
        from io import BytesIO

        from warcio.statusandheaders import StatusAndHeaders

        headers = [(k.decode("latin-1"), b", ".join(v).decode("latin-1")) for k, v in response.headers.items()]
        http_headers = StatusAndHeaders(f"{response.status} OK", headers, protocol="HTTP/1.1")
        record = self.warc.create_warc_record(response.url, "response", payload=BytesIO(response.body),
                                              http_headers=http_headers)
        self.warc.write_record(record)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("output_dir")
    parser.add_argument("--fetch-only", action="store_true")
    parser.add_argument("--urls-file", help="fetch these URLs (one a line) and follow no links")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = {
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "FEEDS": {} if args.fetch_only else {str(out / "naive.jsonl"): {"format": "jsonlines"}},
    }
    for pair in args.settings:
        name, _, value = pair.partition("=")
        settings[name] = value
    process = CrawlerProcess(settings)
    urls = Path(args.urls_file).read_text().split() if args.urls_file else None
    process.crawl(NaiveSpider, url=args.url, output_dir=str(out), fetch_only=args.fetch_only, urls=urls)
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
