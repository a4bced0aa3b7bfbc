"""`scrapy merge-runs DIR... [-o OUT] [--wacz]`: one index and manifest over a distributed run's
per-process outputs (crawler.merge does it)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand


class Command(ScrapyCommand):
    requires_project = False
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[-o OUT_DIR] [--wacz] DIR [DIR...]"

    def short_desc(self) -> str:
        return "Merge the per-process outputs of a distributed crawl: one CDXJ index, one manifest"

    def long_desc(self) -> str:
        return ("Finish the .open WARC files killed processes left, then write OUT_DIR/index.cdxj "
                "(every WARC of every DIR, filenames relative to OUT_DIR) and OUT_DIR/manifest.json "
                "(run ids, each process's stats, summed counts, every file with its sha256); "
                "--wacz also packages all WARC files as one WACZ. OUT_DIR defaults to the first DIR.")

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", help="where index.cdxj and manifest.json go (default: first DIR)")
        parser.add_argument("--wacz", action="store_true", help="also write one WACZ of all the WARC files")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from crawler.merge import MergeError, merge_runs

        if not args:
            print("error: give the output directories of the run's processes", file=sys.stderr)
            self.exitcode = 2
            return
        try:
            manifest = merge_runs(args, opts.output, wacz=opts.wacz)
        except (MergeError, OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        counts = manifest["counts"]
        print(f"{manifest['warcs']} WARC files, {manifest['index']['lines']} index lines, "
              f"{counts['pages']} pages, {manifest['articles']['lines']} articles from "
              f"{len(manifest['processes'])} processes (run {', '.join(manifest['run_ids']) or '?'})")
