"""JSON Lines output: whole lines only, even across a crash.

`JsonLinesFile` is the one writer of every *.jsonl the crawl leaves (articles,
duplicates, errors): one `write()` per line, flushed, and on open a partial
last line left by a killed process is cut off, so readers never see half a line.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured

from archives.appendfile import append_whole
from crawler.items import to_record
from crawler.output import prepare_output_dir
from crawler.signals import page_failed, write_failed
from pipelines.held import is_held

logger = logging.getLogger(__name__)


class JsonLinesFile:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._file = None
        self.lines = 0

    def repair(self) -> None:
        """Cut a partial last line left by a killed writer."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) == b"\n":
                return
            data_end = f.seek(0, os.SEEK_END)
            chunk = 65536
            pos = data_end
            while pos > 0:
                start = max(0, pos - chunk)
                f.seek(start)
                block = f.read(pos - start)
                cut = block.rfind(b"\n")
                if cut != -1:
                    keep = start + cut + 1
                    break
                pos = start
            else:
                keep = 0
            f.truncate(keep)
        logger.warning("%s: dropped a partial last line (%d bytes) left by an interrupted run",
                       self.path, data_end - keep)

    def write(self, obj) -> None:
        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.repair()
            self._file = open(self.path, "ab", buffering=0)
        try:
            append_whole(self._file, [line.encode("utf-8")])  # the whole line or, after an error, nothing
        except BaseException:
            if self._file.tell() == 0:   # disk full at its first line: no empty file left behind
                self._file.close()
                self._file = None
                self.path.unlink(missing_ok=True)
            raise
        self.lines += 1

    def sync(self) -> None:
        """What was written is on disk (a crash or power cut after this keeps it)."""
        if self._file is not None:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self.sync()
            self._file.close()
            self._file = None


class NotWritten(DropItem):
    """The article's line could not be written (disk full): it is not done, whatever
    signal handlers of dropped items think (crawler.incremental marks dropped ones done)."""


class JsonLinesPipeline:
    """Writes each article as one normalized line of OUTPUT_DIR/ARTICLES_FILE, unless the dedupe
    pipeline holds it until the run's end (`pipelines.held`)."""

    def __init__(self, directory: Path, articles_file: str, errors_file: str, stats=None,
                 signals=None):
        if not articles_file.startswith("articles") or not articles_file.endswith(".jsonl"):
            raise NotConfigured(f"ARTICLES_FILE must look like articles*.jsonl, got {articles_file!r}")
        self.articles = JsonLinesFile(directory / articles_file)
        self.errors = JsonLinesFile(directory / errors_file)
        self.stats = stats
        self.signals = signals
        self._written: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pipeline = cls(prepare_output_dir(settings), settings.get("ARTICLES_FILE"),
                       settings.get("ERRORS_FILE"), crawler.stats, crawler.signals)
        crawler.signals.connect(pipeline.page_failed, signal=page_failed)
        return pipeline

    def _written_records(self) -> set[str]:
        """WARC record ids of the articles already in the file (a resumed or repeated run
        appends to it): an article from the same record is never written twice."""
        if self._written is None:
            self._written = set()
            if self.articles.path.exists():
                with open(self.articles.path, "rb") as f:
                    for line in f:
                        try:
                            pointer = json.loads(line).get("warc") or {}
                        except (ValueError, AttributeError):
                            continue  # a partial last line: JsonLinesFile cuts it on open
                        if pointer.get("record_id"):
                            self._written.add(pointer["record_id"])
        return self._written

    def process_item(self, item):
        if is_held(item):
            return item  # the dedupe pipeline writes it at the run's end, once its group is decided
        record = to_record(ItemAdapter(item))  # asdict() would walk every outlink
        record_id = (record.get("warc") or {}).get("record_id")
        if record_id and record_id in self._written_records():
            if self.stats:
                self.stats.inc_value("output/already_written")
            return item
        try:
            self.articles.write(record)
        except OSError as exc:
            self._failed(exc, f"the JSON line of {record.get('url')}")
            raise NotWritten(f"not written: {exc}", log_level="DEBUG") from None
        if record_id:
            self._written.add(record_id)
        if self.stats:
            self.stats.inc_value("output/articles")
        return item

    def page_failed(self, url, error):
        try:
            self.errors.write({"url": url, "error": error})
        except OSError as exc:
            self._failed(exc, f"the {self.errors.path.name} line of {url}")

    def _failed(self, exc: OSError, what: str) -> None:
        if self.stats:
            self.stats.inc_value("output/write_errors")
        if self.signals is not None:
            self.signals.send_catch_log(write_failed, error=exc, what=what)
        else:
            logger.error("Could not write %s: %s", what, exc)

    def close_spider(self):
        self.articles.close()
        self.errors.close()
        if self.stats and self.articles.lines:
            self.stats.set_value("output/articles_file", str(self.articles.path))
