"""`scrapy reextract WARC_OR_DIR... -o OUT.jsonl [--all-pages]`: articles from archives, offline.

The command line over crawler.reextract (arguments, output file, summary line); the work,
with the crawl's extraction pool and settings, is the library's.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.cli import check_output_file, one_line_errors


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "WARC_OR_DIR [...] -o OUT.jsonl [--all-pages]"

    def short_desc(self) -> str:
        return "Extract articles from archived WARCs again, without the network"

    def long_desc(self) -> str:
        return ("Read WARC files (gzip or plain, any crawler; directories are searched; a .wacz "
                "stands for the WARCs it packs) and write "
                "the article JSON the crawl writes, one line per story (the crawl's dedupe and its "
                "rule for which page is kept), each with a `warc` pointer to its record. Only pages recognised as articles unless "
                "--all-pages. -o appends to OUT, -O overwrites it.")

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="FILE", help="append items to FILE (JSON Lines)")
        parser.add_argument("-O", "--overwrite-output", metavar="FILE",
                            help="write items to FILE, replacing it")
        parser.add_argument("--all-pages", action="store_true",
                            help="extract every HTML response, not only article pages")

    @one_line_errors
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # Imported here: Scrapy imports every command module for every command, crawls included.
        from archives.inputs import not_an_archive, warc_inputs
        from archives.reader import ArchiveError
        from crawler.reextract import Reextractor
        from pipelines.jsonl import JsonLinesFile

        if not args:
            raise UsageError("give at least one WARC file or directory")
        if bool(opts.output) == bool(opts.overwrite_output):
            raise UsageError("give the output file with -o (append) or -O (overwrite)")
        path = check_output_file(opts.output or opts.overwrite_output)
        for arg in args:     # a file named by mistake (README.md) is a bad invocation, as for REPLAY_WARC
            problem = os.path.isfile(arg) and not_an_archive(arg)
            if problem:
                raise UsageError(problem, print_help=False)
        try:
            paths = warc_inputs(args)
        except ArchiveError as exc:
            raise UsageError(str(exc), print_help=False) from None
        if not paths:
            raise UsageError(f"no WARC files in {' '.join(args)}", print_help=False)
        try:
            if opts.overwrite_output and path.exists():
                path.unlink()
            path.touch()  # the output exists even when no page is an article
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}", print_help=False) from None
        output = JsonLinesFile(path)
        show = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
        worker = Reextractor.from_settings(args, output, self.settings, all_pages=opts.all_pages, progress=show)
        try:
            stats = worker.run()
        finally:
            output.close()
        for problem in worker.problems:
            show(str(problem))
        duplicates = f", {stats['duplicates']} duplicate(s) skipped" if stats["duplicates"] else ""
        if stats["empty_articles"]:
            duplicates += f", {stats['empty_articles']} article page(s) without body text skipped"
        show(f"reextract: {'interrupted: ' if stats['interrupted'] else ''}{stats['files']} file(s), "
             f"{stats['records']} records, {stats['html']} HTML page(s), {stats['items']} item(s) written to {path}"
             f"{duplicates}; {len(worker.problems)} problem(s)")
        if stats["interrupted"]:
            self.exitcode = 130     # as a shell reports Ctrl-C: the output is not the whole archive's
