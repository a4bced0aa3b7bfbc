"""`scrapy report DIR... [-o OUT]`: report.json and report.html over whole folders of crawl output.

A crawl reports on itself when it ends (crawler.runreport). This reports on what several
crawls left: the processes of a distributed crawl (their articles-*, duplicates-*, errors-*
files and report-*.json side by side, or in one folder each), or every run into one
OUTPUT_DIR. Articles, duplicates and errors come from every line of every such file, WARC
totals from every WARC; the crawl-time figures only stats know (pages by kind, HTTP errors,
robots.txt refusals) are the sum of the per-run reports found, listed in `stats_from`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.cli import FileCommand


class Command(FileCommand):
    requires_project = True
    usage = "[-o OUT_DIR] [--run-id ID] DIR [DIR ...]"
    summary = "Write report.json and report.html over whole folders of crawl output"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("-o", "--output", metavar="DIR", help="folder for the report (default: the first DIR)")
        parser.add_argument("--run-id", help="the id the report names (default: the run id the WARCs carry)")

    def main(self, args: list[str], opts: argparse.Namespace) -> None:
        from archives.atomicfile import write_atomic
        from crawler.report.figures import folders_report, to_json
        from crawler.report.page import render_html
        from crawler.report.text import summary_lines

        if not args:
            raise UsageError("give the crawl output folder(s) to report on")
        folders = [Path(a) for a in args]
        for folder in folders:
            if not folder.is_dir():
                raise UsageError(f"not a directory: {folder}")
        out = Path(opts.output) if opts.output else folders[0]
        if not out.is_dir():
            raise UsageError(f"not a directory: {out}")
        report = folders_report(folders, out, opts.run_id)
        if report is None:
            raise UsageError(f"no crawl output in {', '.join(args)} (no WARC or articles/duplicates/errors file)")
        write_atomic(out / "report.json", to_json(report))
        write_atomic(out / "report.html", render_html(report))
        print("\n".join(summary_lines(report)))
