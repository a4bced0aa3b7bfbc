"""Modules that say they need no Scrapy load without it: worker processes, `scrapy jobs`,
bench/ and other tools import them, and an import of Scrapy costs ~600 modules and ~20 MB.

The modules are imported in one fresh interpreter, one after another, and the first one that
brings `scrapy` or `twisted` into sys.modules is named. The list is written out by hand (not
derived from the modules' docstrings) so a module cannot drop out of it by changing its text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCRAPY_FREE = (
    # WARC reading, writing, indexing and packaging
    "archives.appendfile", "archives.cdxj", "archives.check", "archives.digests", "archives.index",
    "archives.inputs", "archives.pywb", "archives.reader", "archives.records", "archives.recovery",
    "archives.replay", "archives.testing", "archives.wacz", "archives.writer",
    # extraction logic (run in worker processes)
    "crawler.extract", "crawler.extract.page", "crawler.extract.body", "crawler.extract.html",
    "crawler.extract.furniture", "crawler.extract.boilerplate", "crawler.extract.paragraphs",
    "crawler.urls", "crawler.discovery", "crawler.cssrefs", "crawler.plaindata",
    # the extraction pool: "no Scrapy or Twisted in it" (crawler/extraction/__init__.py)
    "crawler.extraction", "crawler.extraction.worker", "crawler.extraction.workerpool",
    "crawler.extraction.preload", "crawler.extraction.pool",
    # the dedupe library (the pipeline module beside it is the Scrapy side)
    "pipelines.dedupe", "pipelines.dedupe.fingerprint", "pipelines.dedupe.store",
    "pipelines.dedupe.deduplicator", "pipelines.held",
    # incremental crawls' store and resume, run ids, start URLs, reports
    "archives.inflate", "archives.names", "archives.sqlitedb",
    "crawler.incremental.store", "crawler.incremental.resume", "crawler.runid", "crawler.starturls",
    "crawler.report.figures", "crawler.report.text", "crawler.report.page", "crawler.merge",
    "crawler.output",
    "archives.atomicfile",
    # scheduled jobs: `scrapy jobs` reads jobs.toml and runs crawls as child processes
    "crawler.jobs.config", "crawler.jobs.cron", "crawler.jobs.lock", "crawler.jobs.manifest",
    "crawler.jobs.runner", "crawler.jobs.scheduler", "crawler.jobs.actions",
)

PROBE = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
    brought = [m for m in ("scrapy", "twisted") if m in sys.modules]
    if brought:
        print(json.dumps([name, brought]))
        break
else:
    print(json.dumps(None))
"""


def test_scrapy_free_modules_import_neither_scrapy_nor_twisted():
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(SCRAPY_FREE)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) is None, f"module and what it brought: {result.stdout.strip()}"


def test_the_probe_sees_a_module_that_imports_scrapy():
    """The check above can fail: the same probe names the Scrapy side of the dedupe package."""
    modules = ["pipelines.dedupe.store", "pipelines.dedupe.pipeline"]
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(modules)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["pipelines.dedupe.pipeline", ["scrapy", "twisted"]]


COMMANDS_PROBE = """
import importlib, json, pkgutil, sys
import crawler.commands
for info in pkgutil.iter_modules(crawler.commands.__path__):
    importlib.import_module("crawler.commands." + info.name)
print(json.dumps([m for m in ("numpy", "crawler.extraction", "crawler.reextract", "crawler.spiders.news",
                            "crawler.jobs.config", "crawler.jobs.scheduler", "croniter", "warcio")
                  if m in sys.modules]))
"""


def test_command_modules_leave_the_crawl_stack_unloaded():
    """Scrapy imports every command module for any `scrapy` command: `scrapy warc-check` must not
    pay for numpy and the extraction pool (~22 MB) because `scrapy crawl` and `scrapy reextract`
    need them, nor a crawl for the jobs machinery (croniter and time zones, ~0.25 s) or warcio."""
    result = subprocess.run([sys.executable, "-c", COMMANDS_PROBE], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_crawl_command_names_the_news_spider():
    from crawler.commands.crawl import NEWS_SPIDER
    from crawler.spiders.news import NewsSpider

    assert NEWS_SPIDER == NewsSpider.name
