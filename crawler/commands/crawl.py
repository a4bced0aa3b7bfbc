"""`scrapy crawl`, with the news spider's arguments checked before anything starts.

A bad invocation (no urls, a malformed URL, an unwritable OUTPUT_DIR, an unusable
dedupe state) gets one line naming the problem and exit status 2, never a
traceback. After a crawl of the news spider a summary says where the WARC and
JSON files are.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from archives.reader import ArchiveError
from crawler.capture import check_warc_settings
from crawler.distributed import check_distributed_settings, distributed_view
from crawler.replay import check_replay_settings
from crawler.spiders.news import NewsSpider, StartURLError, parse_start_urls
from pipelines.dedupe import check_dedupe_state
from pipelines.dedupe_store import StoreError
from pipelines.jsonl import check_output_files


class Command(ScrapyCrawlCommand):
    def run(self, args, opts):
        if len(args) == 1 and args[0] == NewsSpider.name:
            try:
                check_distributed_settings(self.settings)
                if not (self.settings.getbool("DISTRIBUTED") and "urls" not in opts.spargs):
                    parse_start_urls(opts.spargs.get("urls"))   # a distributed process may start seedless
                check_output_files(self.settings)
                check_warc_settings(self.settings)
                check_replay_settings(self.settings)
                check_dedupe_state(distributed_view(self.settings))
            except (StartURLError, OSError, ValueError, ArchiveError, StoreError) as exc:
                print(f"error: {exc}", file=sys.stderr)
                self.exitcode = 2
                return
        super().run(args, opts)
        crawler = getattr(self, "_news_crawler", None)
        if crawler is not None and not self.exitcode:
            self._summary(crawler)

    def _create_crawler(self, spname):
        crawler = super()._create_crawler(spname)
        if spname == NewsSpider.name:
            self._news_crawler = crawler
        return crawler

    def _summary(self, crawler):
        stats = crawler.stats.get_stats() if crawler.stats else {}
        out = Path(self.settings.get("OUTPUT_DIR") or "output").resolve()
        warcs = sorted(p.name for p in out.glob("*.warc.gz"))
        print(f"\nCrawl finished ({stats.get('finish_reason', 'unknown')}): "
              f"{stats.get('downloader/response_count', 0)} responses archived, "
              f"{stats.get('output/articles', 0)} articles, "
              f"{stats.get('news/failed_requests', 0)} failed requests")
        print(f"  WARC:     {out}/ ({len(warcs)} file{'s' if len(warcs) != 1 else ''}: {', '.join(warcs[:3])}{' ...' if len(warcs) > 3 else ''})")
        print(f"  Articles: {out / crawler.settings.get('ARTICLES_FILE')}")
