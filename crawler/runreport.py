"""RunReport extension: at the end of a crawl, `report.json`, `report.html` and (outside job
runs, whose runner writes its own) `manifest.json` in OUTPUT_DIR; Scrapy's stats go there
and to the log at DEBUG instead of a 90-line INFO dump.

It remembers how large the output files were when the spider opened, so the report covers
this run's lines only, and collects a few example URLs per error reason as they happen
(HTTP error responses, fetch failures). The work is done at `engine_stopped`, after the
pipelines closed their files, the stats got `finish_reason` and the WARC writer closed its
last file. The crawl command prints `crawler.run_report` as the end-of-run table.
"""

from __future__ import annotations

import logging
import pprint
import sys
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archives.records import warc_date as utc_iso
from archives.atomicfile import write_atomic
from crawler.report import figures as rp
from crawler.report.page import render_html
from crawler.replay import MISS_FLAG
from crawler.output import output_dir
from crawler.runid import run_id as run_id_of
from crawler.signals import fetch_failed

logger = logging.getLogger(__name__)


class RunReport:
    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.output_dir = output_dir(settings)
        self.files = {"articles": self.output_dir / settings.get("ARTICLES_FILE"),
                      "duplicates": self.output_dir / settings.get("DUPLICATES_FILE"),
                      "errors": self.output_dir / settings.get("ERRORS_FILE")}
        self.name = settings.get("REPORT_NAME") or rp.REPORT_NAME
        # A job's runner and `merge-runs` (distributed crawls) write the manifest of their run.
        self.write_manifest = not settings.get("JOB_NAME") and not settings.getbool("DISTRIBUTED")
        self.offsets: dict[str, int] = {}
        self.errors = rp.ErrorExamples()
        self.started: str | None = None
        self.start_urls: list[str] = []
        self.done = False

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("REPORT_ENABLED"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.fetch_failed, signal=fetch_failed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider):
        self.started = utc_iso()
        self.start_urls = list(getattr(spider, "start_urls", []) or [])
        self.offsets = {name: rp.file_size(path) for name, path in self.files.items()}
        logger.info("Run id %s: output in %s/", run_id_of(self.crawler), self.output_dir.resolve())

    def response_received(self, response, request, spider=None):
        if response.status >= 400 and MISS_FLAG not in (response.flags or ()):   # not a replay's made-up 404
            self.errors.add(f"HTTP {response.status}", response.url)

    def fetch_failed(self, url, reason):
        if not reason.startswith("HTTP "):   # error responses are counted as they arrive
            self.errors.add(reason, url)

    def engine_stopped(self):
        if self.done or self.started is None:
            return
        self.done = True
        stats = self.crawler.stats.get_stats()
        logger.debug("Scrapy stats:\n%s", pprint.pformat(stats))
        try:
            self.crawler.run_report = self.write(stats)
        except OSError as exc:   # disk full: one line, the crawl's own result still stands
            logger.error("Could not write the run report in %s: %s", self.output_dir, exc)
            self.crawler.stats.inc_value("report/errors")
        except Exception:  # a report that cannot be written must not hide the crawl's own result
            logger.exception("Could not write the run report in %s", self.output_dir)
            self.crawler.stats.inc_value("report/errors")

    def write(self, stats: dict) -> dict:
        from archives.wacz import run_warcs

        run_id = run_id_of(self.crawler)
        warcs = run_warcs(self.output_dir, run_id) if self.output_dir.is_dir() else []
        sources = {name: [(path, self.offsets.get(name, 0))] for name, path in self.files.items()}
        report = rp.build_report(stats=stats, output_dir=self.output_dir, run_id=run_id,
                                 sources=sources, warcs=warcs, errors=self.errors,
                                 start_urls=self.start_urls, started=self.started, finished=utc_iso(),
                                 report_name=self.name)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.output_dir / f"{self.name}.json", rp.to_json(report))
        write_atomic(self.output_dir / f"{self.name}.html", render_html(report))
        if self.write_manifest:
            self._manifest(report, warcs)
        return report

    def _manifest(self, report: dict, warcs: list[Path]) -> None:
        """The same manifest a job run leaves, over the files of this run only: its WARCs and
        their indexes, and the side files it wrote to."""
        from archives.names import cdxj_path_for
        from crawler.jobs import manifest as mf

        stats = report["stats"]
        paths = list(warcs) + [cdxj_path_for(p) for p in warcs]
        paths += [p for p in self.files.values()]
        paths += [self.output_dir / f"{self.name}.json", self.output_dir / f"{self.name}.html"]
        files = []
        for path in sorted({p for p in paths if p.is_file()}):
            files.append({"path": path.name, "bytes": path.stat().st_size, "sha256": mf.sha256_file(path)})
        manifest = {
            "format": mf.FORMAT,
            "run_id": report["run_id"],
            "started": report["started"],
            "finished": report["finished"],
            "result": report["result"],
            "finish_reason": report["finish_reason"],
            "argv": sys.argv,
            "counts": mf.counts_from_stats(stats),
            "bytes": {"fetched": int(stats.get(mf.BYTES_FETCHED, 0)),
                      "written": sum(f["bytes"] for f in files)},
            "files": files,
        }
        mf.write_manifest(self.output_dir, manifest)
