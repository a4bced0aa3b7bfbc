"""Hands the crawl's stats to the job runner (another process) through a JSON file.

Written every JOB_STATS_INTERVAL seconds and at close, atomically, so even a
crawl killed with SIGKILL leaves counts at most one interval old.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class JobStatsFile:
    def __init__(self, crawler, path: Path, interval: float):
        self.crawler = crawler
        self.path = path
        self.interval = interval
        self._loop = None

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("JOB_STATS_FILE")
        if not path:
            raise NotConfigured
        ext = cls(crawler, Path(path), crawler.settings.getfloat("JOB_STATS_INTERVAL"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.write()
        if self.interval > 0:
            self._loop = task.LoopingCall(self.write)
            self._loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.write(finish_reason=reason)

    def write(self, **extra) -> None:
        stats = dict(self.crawler.stats.get_stats())
        stats.update(extra)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(stats, default=str, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
