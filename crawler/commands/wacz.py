"""`scrapy wacz OUTPUT_DIR`: package a crawl's WARC files as one WACZ (archives.wacz does it)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.cli import FileCommand, check_output_file


class Command(FileCommand):
    usage = "[--run-id ID] [-o FILE.wacz] OUTPUT_DIR"
    summary = "Package the WARC files of a crawl directory as a WACZ"
    description = ("Finish any .open WARC left by a crashed crawl, then write a WACZ (index, page "
                   "list of HTML 200 captures, datapackage) that `wacz validate` accepts and "
                   "ReplayWeb.page opens. With --run-id, only that run's files (their warcinfo "
                   "run-id); default: every WARC file in the directory. The responses that its "
                   "revisit records stand for in earlier runs' files (beside it) are packed too. "
                   "Prints the WACZ path.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--run-id", help="package only the files of this run")
        parser.add_argument("-o", "--output", help="WACZ path (default OUTPUT_DIR/RUN_ID.wacz)")

    def main(self, args: list[str], opts: argparse.Namespace) -> None:
        from archives.reader import ArchiveError
        from archives.recovery import finalize_open_files
        from archives.wacz import package_run, run_warcs

        if len(args) != 1:
            raise UsageError("give one crawl output directory")
        directory = Path(args[0])
        if not directory.is_dir():
            raise UsageError(f"not a directory: {directory}")
        # The WACZ goes to -o, else into the directory: either must be writable before any work.
        if opts.output:
            check_output_file(opts.output, what="WACZ")
        elif not os.access(directory, os.W_OK | os.X_OK):
            raise UsageError(f"{directory} is not writable: name the WACZ elsewhere with -o FILE.wacz")
        finalize_open_files(directory)
        warcs = run_warcs(directory, opts.run_id)
        if not warcs:
            what = f" of run {opts.run_id}" if opts.run_id else ""
            raise UsageError(f"no WARC files (.warc.gz, .warc){what} in {directory}")
        try:
            print(package_run(directory, warcs, run_id=opts.run_id, output=opts.output))
        except OSError as exc:   # the disk filled or went away while writing: no WACZ, exit 1
            print(f"error: cannot write the WACZ: {exc.strerror or exc}"
                  f"{f': {exc.filename}' if exc.filename else ''}", file=sys.stderr, flush=True)
            self.exitcode = 1
        except (ArchiveError, RuntimeError) as exc:   # a WARC the packager cannot read: no WACZ
            print(f"error: cannot package {directory}: {exc}", file=sys.stderr, flush=True)
            self.exitcode = 1
