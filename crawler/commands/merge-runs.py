"""`scrapy merge-runs DIR... [-o OUT] [--wacz]`: one index and manifest over a distributed run's
per-process outputs (crawler.merge does it)."""

from __future__ import annotations

import argparse
import sys

from scrapy.exceptions import UsageError

from crawler.cli import FileCommand


class Command(FileCommand):
    usage = "[-o OUT_DIR] [--wacz] DIR [DIR...]"
    summary = "Merge the per-process outputs of a distributed crawl: one CDXJ index, one manifest"
    description = ("Finish the .open WARC files killed processes left, then write OUT_DIR/index.cdxj "
                   "(every WARC of every DIR, filenames relative to OUT_DIR) and OUT_DIR/manifest.json "
                   "(run ids, each process's stats, summed counts, every file with its sha256); "
                   "--wacz also packages all WARC files as one WACZ. OUT_DIR defaults to the first DIR.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("-o", "--output", help="where index.cdxj and manifest.json go (default: first DIR)")
        parser.add_argument("--wacz", action="store_true", help="also write one WACZ of all the WARC files")

    def main(self, args: list[str], opts: argparse.Namespace) -> None:
        from archives.reader import ArchiveError
        from crawler.merge import MergeError, merge_runs

        if not args:
            raise UsageError("give the output directories of the run's processes")
        try:
            manifest = merge_runs(args, opts.output, wacz=opts.wacz)
        except (MergeError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        except OSError as exc:   # the disk filled or went away while writing: a failure, exit 1
            print(f"error: cannot write {exc.filename or 'the merged files'}: {exc.strerror or exc}",
                  file=sys.stderr, flush=True)
            self.exitcode = 1
            return
        except (ArchiveError, RuntimeError) as exc:   # a WARC the packager cannot read: no WACZ
            print(f"error: cannot package the run: {exc}", file=sys.stderr, flush=True)
            self.exitcode = 1
            return
        counts = manifest["counts"]
        print(f"{manifest['warcs']} WARC files, {manifest['index']['lines']} index lines, "
              f"{counts['pages']} pages, {manifest['articles']['lines']} articles from "
              f"{len(manifest['processes'])} processes (run {', '.join(manifest['run_ids']) or '?'})")
        incomplete = manifest["incomplete"]
        if incomplete:
            killed = incomplete["killed"]
            print(f"incomplete: {incomplete['unreported_pages']} of the pages counted from the WARCs alone "
                  "(in no process's stats)" + (f"; {len(killed)} process(es) killed before their end: "
                                               + ", ".join(killed) if killed else ""))
        if manifest["articles"]["recovered"]:
            print(f"{manifest['articles']['recovered']} of the articles were held by a killed process: "
                  "written to articles-recovered.jsonl in its directory")
