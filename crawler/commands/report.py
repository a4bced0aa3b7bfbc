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
import json
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.cli import one_line_errors

KINDS = ("articles", "duplicates", "errors")


def folder_sources(folders: list[Path]) -> dict[str, list[tuple[Path, int]]]:
    return {kind: [(p, 0) for folder in folders for p in sorted(folder.glob(f"{kind}*.jsonl"))]
            for kind in KINDS}


def summed_stats(reports: list[Path]) -> tuple[dict, list[str]]:
    """Numbers added up over the reports' stats; the worst finish reason kept."""
    from crawler.report import result_of

    totals: dict = {}
    used, reasons = [], []
    for path in reports:
        try:
            stats = json.loads(path.read_text(encoding="utf-8")).get("stats") or {}
        except (OSError, ValueError, AttributeError):
            continue
        used.append(str(path))
        reasons.append(stats.get("finish_reason"))
        for key, value in stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                # processes run side by side: their longest run and largest memory, not a sum
                combine = max if key in ("elapsed_time_seconds", "memusage/max", "memusage/startup") else sum
                totals[key] = combine((totals.get(key, 0), value))
    if reasons:
        order = {"ok": 0, "interrupted": 1, "failed": 2}
        totals["finish_reason"] = max(reasons, key=lambda r: order[result_of(r)])
    return totals, used


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[-o OUT_DIR] [--run-id ID] DIR [DIR ...]"

    def short_desc(self) -> str:
        return "Write report.json and report.html over whole folders of crawl output"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="DIR", help="folder for the report (default: the first DIR)")
        parser.add_argument("--run-id", help="the id the report names (default: the run id the WARCs carry)")

    @one_line_errors
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from archives.wacz import run_warcs, warcinfo_fields
        from crawler import report as rp

        if not args:
            raise UsageError("give the crawl output folder(s) to report on")
        folders = [Path(a) for a in args]
        for folder in folders:
            if not folder.is_dir():
                raise UsageError(f"not a directory: {folder}")
        out = Path(opts.output) if opts.output else folders[0]
        if not out.is_dir():
            raise UsageError(f"not a directory: {out}")
        sources = folder_sources(folders)
        warcs = [w for folder in folders for w in run_warcs(folder)]
        if not warcs and not any(sources.values()):
            raise UsageError(f"no crawl output in {', '.join(args)} (no WARC or articles/duplicates/errors file)")
        mine = {out.resolve() / "report.json"}
        reports = [p for folder in folders for p in sorted(folder.glob("report*.json"))
                   if p.resolve() not in mine or len(folders) == 1]
        stats, used = summed_stats(reports)
        run_ids = sorted({warcinfo_fields(w).get("run-id") for w in warcs} - {None})
        run_id = opts.run_id or (run_ids[0] if len(run_ids) == 1 else ",".join(run_ids) or out.resolve().name)
        report = rp.build_report(stats=stats, output_dir=out, run_id=run_id, sources=sources, warcs=warcs,
                                 stats_from=used)
        report["run_ids"] = run_ids
        rp.write_atomic(out / "report.json", rp.to_json(report))
        rp.write_atomic(out / "report.html", rp.render_html(report))
        print("\n".join(rp.summary_lines(report)))
