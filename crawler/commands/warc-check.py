"""`scrapy warc-check PATH...`: digests and truncation of WARC files, one line per problem.

Scrapy names a command after its module, so this module's file name carries the
dash users type. The checking itself is `archives.check`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, ClassVar

from scrapy.exceptions import UsageError

from crawler.cli import FileCommand


class Command(FileCommand):
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}
    usage = "[-v] WARC_OR_DIR [...]"
    summary = "Check WARC files: digests, truncation, unreadable records"
    description = ("Read every record of each WARC (directories are searched; a .wacz stands for "
                   "the WARCs it packs), verify block and "
                   "payload digests like `warcio check`, and also report records cut short "
                   "(fewer bytes than Content-Length, gzip stream ending early), which warcio "
                   "check accepts. Prints one line per problem and a summary; exits 1 if any "
                   "file has a problem.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("-v", "--verbose", action="store_true",
                            help="also print a line for every file without problems")

    def main(self, args: list[str], opts: argparse.Namespace) -> None:
        from archives.check import check_paths, summary

        if not args:
            raise UsageError("give at least one WARC file or directory")
        for arg in args:
            if not Path(arg).exists():
                raise UsageError(f"{arg}: no such file or directory")

        def show(report):
            for problem in report.problems:
                print(problem, flush=True)
            if report.ok and opts.verbose:
                print(f"{report.path}: ok ({report.records} records)", flush=True)

        reports = check_paths(args, on_report=show)
        print(summary(reports))
        self.exitcode = 0 if all(r.ok for r in reports) else 1
