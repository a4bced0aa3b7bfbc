"""What the second parse of a sitemap costs: the spider's and the incremental middleware's.

    python -m bench.sitemap_bench [--urls 50000] [--repeat 5]

A job's crawl (INCREMENTAL_REVISIT_WINDOW > 0) reads every sitemap twice: the incremental
middleware reads each <lastmod> (crawler/incremental/middleware.py, `_read_sitemap`) before
the spider reads the <loc>s to follow (crawler/spiders/news.py, `discovery.parse_sitemap`).
Both run on the reactor thread. This times each on one generated sitemap of --urls entries
(absolute URLs, each with a <lastmod>, the sitemaps.org maximum by default), CPU time,
medians of --repeat runs taken in turns; prints them and writes bench/results/sitemap.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "sitemap.json"


def sitemap(n: int) -> bytes:
    rows = "".join(f"<url><loc>https://news.example/2025/01/{i % 28 + 1:02d}/story-{i}-a-longish-slug-of-words.html"
                   f"</loc><lastmod>2025-01-{i % 28 + 1:02d}T10:00:00+00:00</lastmod></url>\n" for i in range(n))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + rows + "</urlset>\n").encode()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from scrapy.http import XmlResponse

    from crawler.discovery import parse_sitemap
    from crawler.incremental.middleware import IncrementalMiddleware

    url = "https://news.example/sitemap.xml"
    body = sitemap(args.urls)
    response = XmlResponse(url, body=body, headers={"Content-Type": "application/xml"})

    class NoStore:
        def close(self):
            pass

    middleware = IncrementalMiddleware(NoStore(), window=86400, run_id="bench")
    spider_s, middleware_s = [], []
    for _ in range(args.repeat):
        start = time.process_time()
        _is_index, entries = parse_sitemap(body, 0, skipped=Counter(), base_url=url)   # as the spider
        spider_s.append(time.process_time() - start)
        middleware.hints.clear()
        start = time.process_time()
        middleware._read_sitemap(response)
        middleware_s.append(time.process_time() - start)
    spider, again = statistics.median(spider_s), statistics.median(middleware_s)
    print(f"sitemap of {len(entries):,} URLs, {len(body) / 1e6:.1f} MB; CPU s, median of {args.repeat}:")
    print(f"  spider's parse (discovery.parse_sitemap)      {spider:.3f}")
    print(f"  middleware's read (parse + <lastmod> hints)   {again:.3f}  ({again / spider:.2f}x the spider's; "
          f"{len(middleware.hints):,} hints)")
    print(f"  of which beyond a parse (canonical keys, dates) {max(0.0, again - spider):.3f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"urls": len(entries), "bytes": len(body), "repeat": args.repeat,
                                   "spider_cpu_s": spider, "middleware_cpu_s": again}, indent=2) + "\n")


if __name__ == "__main__":
    main()
