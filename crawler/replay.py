"""Replay crawls: answer every request from archived WARCs instead of the network.

`scrapy crawl news -a urls=... -s REPLAY_WARC=PATH[,PATH]` (WARC files, directories,
WACZ packages). `ReplayMiddleware.process_request` returns the archived response
before any download handler runs, so nothing goes on the wire. It hands back the
body as archived (still content-encoded), so HttpCompressionMiddleware decodes it
and RedirectMiddleware follows archived 3xx exactly as in the live crawl;
robots.txt comes from the archive too. The n-th request for a URL gets its n-th
capture (a retried 503 then its 200), the last one after that.

Misses follow REPLAY_MISS: "404" (an empty 404), "error" (ReplayMissError, so the
request's errback runs) or "live" (fetched and archived like any live request).
Replayed responses carry no raw capture, so WarcCaptureMiddleware does not
archive them again.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archives.index import exact_key
from archives.reader import ArchiveError
from archives.replay import Archive, scrapy_response

logger = logging.getLogger(__name__)

MISS_POLICIES = ("404", "error", "live")
MISS_EXAMPLES = 100        # missed URLs kept for the run report (all of them go to the DEBUG log)
REPLAY_FLAG = "replay"
MISS_FLAG = "replay-miss"


class ReplayMissError(Exception):
    """The archive holds no capture of a requested URL (REPLAY_MISS=error)."""


def replay_paths(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in str(value or "").split(",") if p.strip()]


def check_replay_settings(settings) -> tuple[list[str], str]:
    """(paths, miss policy); ValueError/ArchiveError with a one-line message if unusable.

    A command can call this before starting a crawl to fail early and cleanly.
    """
    paths = replay_paths(settings.get("REPLAY_WARC"))
    miss = str(settings.get("REPLAY_MISS") or "404").strip().lower()
    if miss not in MISS_POLICIES:
        raise ValueError(f"REPLAY_MISS must be one of {', '.join(MISS_POLICIES)}, not {miss!r}")
    for path in paths:
        check_replay_path(path)
    return paths, miss


def check_replay_path(path: str) -> None:
    """ArchiveError naming what is wrong with one REPLAY_WARC entry: missing, a folder with
    no WARC or WACZ in it, or a file that is neither (README.md by mistake)."""
    from archives.inputs import not_an_archive
    from archives.names import is_wacz_path, is_warc_path

    if not os.path.exists(path):
        raise ArchiveError(f"REPLAY_WARC: {path}: no such file or directory")
    if os.path.isdir(path):
        for _root, _dirs, names in os.walk(path):
            if any(is_warc_path(name) or is_wacz_path(name) for name in names):
                return
        raise ArchiveError(f"REPLAY_WARC: {path}: no WARC or WACZ files in this folder")
    problem = not_an_archive(path)
    if problem:
        raise ArchiveError(f"REPLAY_WARC: {problem}")


def _is_robots_txt(request) -> bool:
    """robots.txt missing from an archive is no error for REPLAY_MISS=error: the answer a
    server without one gives (404, everything allowed) is what the archive tells. Raising
    there made Scrapy's RobotsTxtMiddleware log a traceback per site."""
    return urlsplit(request.url).path == "/robots.txt"


class ReplayMiddleware:
    def __init__(self, archive: Archive, miss: str, stats=None):
        self.archive = archive
        self.miss = miss
        self.stats = stats
        self.missed: list[str] = []
        self._missed_seen: set[str] = set()
        self._served: Counter = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        paths, miss = check_replay_settings(settings)
        if not paths:
            # No message: Scrapy would log a WARNING "Disabled ..." on every ordinary crawl.
            raise NotConfigured
        archive = Archive.open(paths, settings.getint("ARCHIVE_READ_MAX_SIZE"))  # ArchiveError names a missing path
        for problem in archive.problems:
            logger.warning("replay archive: %s", problem)
        logger.info("Replaying from %d WARC file(s) (%d indexed from CDXJ): %d captures; misses: %s",
                    archive.files, archive.indexed_from_cdxj, archive.index.size, miss)
        middleware = cls(archive, miss, crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        if crawler.stats:
            crawler.stats.set_value("replay/captures", archive.index.size)
            crawler.stats.set_value("replay/paths", paths)
        return middleware

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats:
            self.stats.inc_value(key, count)

    def process_request(self, request, spider=None):
        if request.method not in ("GET", "HEAD"):
            return self._on_miss(request, "method")
        entries = self.archive.captures(request.url)
        if not entries:
            return self._on_miss(request, "url")
        key = (request.method, exact_key(request.url))
        entry = entries[min(self._served[key], len(entries) - 1)]
        self._served[key] += 1
        try:
            replayed = self.archive.load(entry)
            response = scrapy_response(replayed, request, flags=[REPLAY_FLAG])
        except (ArchiveError, ValueError) as exc:
            logger.warning("replay: cannot serve %s: %s", request.url, exc)
            self._inc("replay/unreadable")
            return self._on_miss(request, "unreadable")
        if replayed.truncated:
            logger.warning("replay: %s is truncated in the archive", request.url)
            self._inc("replay/truncated")
        request.meta["warc"] = replayed.location
        request.meta["warc_date"] = replayed.date
        self._inc("replay/hit")
        if replayed.original is not None:
            self._inc("replay/revisit")
        self._inc(f"replay/status/{replayed.status}")
        return response

    def _on_miss(self, request, reason: str):
        self._inc("replay/miss")
        self._inc(f"replay/miss/{reason}")
        if request.url not in self._missed_seen:
            self._missed_seen.add(request.url)
            self.missed.append(request.url)
            if self.stats and len(self.missed) <= MISS_EXAMPLES:   # the first ones, for the report
                self.stats.set_value("replay/miss_examples", list(self.missed))
        if self.miss == "live":
            self._inc("replay/live")
            return None
        if self.miss == "error" and not _is_robots_txt(request):
            raise ReplayMissError(f"not in the archive: {request.method} {request.url}")
        self._inc("replay/miss_404")   # a 404 made up here, not a capture: the report tells them apart
        return Response(request.url, status=404, request=request, flags=[REPLAY_FLAG, MISS_FLAG])

    def spider_closed(self, spider, reason):
        # One line for the operator; the URLs at DEBUG and (the first ones) in the run report:
        # replaying a third-party WARC misses thousands of links it never captured.
        stats = self.stats.get_stats() if self.stats else {}
        non_200 = {key.rsplit("/", 1)[1]: n for key, n in stats.items()
                   if key.startswith("replay/status/") and key != "replay/status/200"}
        misses = (f"{len(self.missed)} URL(s) not in the archive (REPLAY_MISS={self.miss})" if self.missed
                  else "every request found in the archive")
        logger.info("replay: %d response(s) served from the archive, %s; non-200 captures served: %s",
                    stats.get("replay/hit", 0), misses,
                    ", ".join(f"{code} x{n}" for code, n in sorted(non_200.items())) or "none")
        if self.missed:
            logger.debug("replay: URLs not in the archive:\n  %s", "\n  ".join(self.missed))
        self.archive.close()
