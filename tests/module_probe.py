"""Test helper extension: which top-level packages the crawl process imported, written to
MODULE_PROBE_FILE when the spider closes (one name per line)."""

from __future__ import annotations

import sys

from scrapy import signals


class ModuleProbe:
    def __init__(self, path: str):
        self.path = path

    @classmethod
    def from_crawler(cls, crawler):
        probe = cls(crawler.settings.get("MODULE_PROBE_FILE"))
        crawler.signals.connect(probe.closed, signal=signals.spider_closed)
        return probe

    def closed(self, spider):
        with open(self.path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(sorted({name.split(".")[0] for name in sys.modules})) + "\n")
