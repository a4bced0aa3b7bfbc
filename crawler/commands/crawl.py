"""`scrapy crawl`, with the news spider's arguments checked before anything starts.

A bad invocation (no urls, a malformed URL, an unwritable OUTPUT_DIR, an unusable
dedupe state) gets one line naming the problem and exit status 2, never a
traceback. After a crawl of the news spider the run report's summary table says
what was archived and where everything is.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

# Scrapy imports every command module to find the one asked for: what only a crawl needs
# (the spider, the extraction pool, numpy, lxml) is imported in the methods that run it.
NEWS_SPIDER = "news"    # crawler.spiders.news.NewsSpider.name (tests/test_scrapy_free.py checks)


# Exit statuses of `scrapy crawl news` (README, "Exit status").
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_INTERRUPTED = 0, 1, 2, 75, 130


def exit_status(stats: dict) -> int:
    """What the crawl's end means for a script: only a crawl that ran to its end (or to a
    CLOSESPIDER_* limit it was given) with every write done is 0."""
    reason = stats.get("finish_reason")
    if reason is None or reason == "shutdown":
        return EXIT_INTERRUPTED          # Ctrl-C / SIGTERM (None: killed before it could close)
    if reason != "finished" and not reason.startswith("closespider_"):
        return EXIT_FAILED               # disk_full, or an engine failure
    if stats.get("warc/write_errors") or stats.get("output/write_errors") or stats.get("warc/wacz_errors"):
        return EXIT_FAILED               # something asked for did not reach the disk
    return EXIT_OK


class Command(ScrapyCrawlCommand):
    def process_options(self, args, opts):
        # Checked here, before Scrapy sets up logging and the crawler process: a bad
        # invocation prints its one line and nothing else.
        super().process_options(args, opts)
        message = self.invocation_error(args, opts)
        if message:
            print(f"error: {message}", file=sys.stderr, flush=True)
            sys.exit(EXIT_USAGE)
        if args == [NEWS_SPIDER]:
            from crawler.jobdir import JobdirBusy, JobdirUnusable, check_jobdir

            try:
                check_jobdir(self.settings)
            except JobdirBusy as exc:
                print(f"error: {exc}", file=sys.stderr, flush=True)
                sys.exit(EXIT_BUSY)
            except JobdirUnusable as exc:
                print(f"error: {exc}", file=sys.stderr, flush=True)
                sys.exit(EXIT_USAGE)

    def invocation_error(self, args, opts) -> str | None:
        if len(args) != 1:
            return None           # Scrapy's own usage message
        from scrapy.spiderloader import get_spider_loader

        known = get_spider_loader(self.settings).list()
        if args[0] not in known:
            return f"no spider named {args[0]!r} (spiders: {', '.join(sorted(known))})"
        if args[0] != NEWS_SPIDER:
            return None
        from archives.reader import ArchiveError
        from crawler.archiving import check_warc_settings
        from crawler.distributed import check_distributed_settings, distributed_view
        from crawler.output import check_output_files
        from crawler.replay import check_replay_settings
        from crawler.requisites import check_requisite_settings
        from crawler.robots import check_robots_settings
        from crawler.starturls import StartURLError, parse_start_urls
        from pipelines.dedupe.pipeline import check_dedupe_state
        from pipelines.dedupe.store import StoreError

        try:
            check_distributed_settings(self.settings)
            if not (self.settings.getbool("DISTRIBUTED") and "urls" not in opts.spargs):
                parse_start_urls(opts.spargs.get("urls"))   # a distributed process may start seedless
            check_output_files(self.settings)
            check_warc_settings(self.settings)
            check_replay_settings(self.settings)
            check_robots_settings(self.settings)
            check_requisite_settings(self.settings)
            check_dedupe_state(distributed_view(self.settings))
        except (StartURLError, OSError, ValueError, ArchiveError, StoreError) as exc:
            return str(exc)
        return None

    def run(self, args, opts):
        super().run(args, opts)
        crawler = getattr(self, "_news_crawler", None)
        if crawler is not None and not self.exitcode:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            self._summary(crawler)
            self._status_lines(stats)
            self.exitcode = exit_status(stats)

    def _create_crawler(self, spname):
        crawler = super()._create_crawler(spname)
        if spname == NEWS_SPIDER:
            self._news_crawler = crawler
        return crawler

    def _summary(self, crawler):
        """The run report's table (crawler.runreport), or a plain line if it has none."""
        from crawler.output import output_dir
        from crawler.report.text import summary_lines

        report = getattr(crawler, "run_report", None)
        if report is not None:
            print("\n".join(summary_lines(report)), flush=True)
            return
        stats = crawler.stats.get_stats() if crawler.stats else {}
        out = output_dir(self.settings).resolve()
        print(f"\nCrawl finished ({stats.get('finish_reason', 'unknown')}): "
              f"{stats.get('downloader/response_count', 0)} responses, "
              f"{stats.get('output/articles', 0)} articles written; output in {out}/", flush=True)

    def _status_lines(self, stats: dict) -> None:
        """Why the exit status is not 0, on stderr, after the summary."""
        reason = stats.get("finish_reason")
        archived = (stats.get("warc/response_records") or 0) + (stats.get("warc/revisit_records") or 0)
        if reason is None and not archived:
            # Scrapy stops only a running engine: a Ctrl-C while the spider is still opening ends
            # the process before the engine starts, so nothing closes, but nothing was archived
            print("Crawl interrupted while it was starting, before anything was archived: "
                  "run the same command again to crawl", file=sys.stderr)
        elif reason is None:
            print("error: crawl interrupted before it could close (second Ctrl-C?); "
                  "run the same command again to finish it", file=sys.stderr)
        elif reason == "shutdown":
            print("Crawl interrupted: run the same command again to finish it"
                  + ("" if self.settings.get("JOBDIR") else " (with -s JOBDIR=DIR it resumes where it stopped)"),
                  file=sys.stderr)
        elif reason == "disk_full":
            print(f"error: disk full: the crawl stopped; {archived} responses and "
                  f"{stats.get('output/articles', 0)} articles reached the disk whole. "
                  "Free space and run the same command again.", file=sys.stderr)
        lost = (stats.get("warc/write_errors") or 0) + (stats.get("output/write_errors") or 0)
        if lost:
            print(f"error: {lost} WARC records or JSON lines could not be written (see the log)",
                  file=sys.stderr)
        if stats.get("warc/wacz_errors"):
            print("error: the WACZ asked for (WARC_WACZ) could not be made (see the log); "
                  "`scrapy wacz OUTPUT_DIR` makes it from the WARC files", file=sys.stderr)
