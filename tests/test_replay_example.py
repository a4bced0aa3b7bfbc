"""The README's spider-test example (docs/replay.md), run as written against a bundled WARC."""

import scrapy

pytest_plugins = ["archives.testing"]  # its warc_responses fixture

WARC = "tests/data/warc/ukwa-data.gov.uk-crawl1.warc.gz"


class BlogSpider(scrapy.Spider):
    name = "blog"

    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            if "/blog/" in href:
                yield response.follow(href, callback=self.parse_post)

    def parse_post(self, response):
        yield {
            "url": response.url,
            "title": response.css("title::text").get().split(" | ")[0],
            "words": len(" ".join(response.css("p::text").getall()).split()),
            "warc": response.meta["warc"],
        }


def test_front_page_links_to_posts(warc_responses):
    pages = warc_responses(WARC)
    requests = list(BlogSpider().parse(pages["http://data.gov.uk/"]))
    urls = [r.url for r in requests]
    assert "http://data.gov.uk/blog/open-data-vision-leeds" in urls
    assert all(r.callback.__name__ == "parse_post" for r in requests)


def test_post_is_parsed(warc_responses):
    pages = warc_responses(WARC)
    response = pages.response("http://data.gov.uk/blog/open-data-vision-leeds")
    (item,) = BlogSpider().parse_post(response)
    assert item["title"] == "Blogs"
    assert item["words"] > 100
    assert item["warc"]["filename"] == "ukwa-data.gov.uk-crawl1.warc.gz"
