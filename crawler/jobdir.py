"""`-s JOBDIR`: a crawl stopped any way at all (Ctrl-C, a second Ctrl-C, kill -9, power cut)
resumes with the same command and loses nothing.

Scrapy keeps a JOBDIR's pending requests in memory-backed disk queues whose state
(`requests.queue/active.json`) is written only when the spider closes cleanly, while
`requests.seen` is appended as requests are scheduled. After an unclean stop the seen set
survives and the queue does not, so a plain resume finds every link "seen" and ends in a
second, having dropped the rest of the crawl.

`JobdirGuard` (an extension) therefore keeps its own marker, `JOBDIR/newsarchive.json`:
"running" from the start of a crawl, "closed" only once Scrapy has written its queue at a
clean close. A crawl that finds "running" (and no live process holding the JOBDIR's lock)
knows the last one died: it discards Scrapy's frontier (seen set, queue) and starts again
from the start URLs, and `ResumeFromArchive` (a downloader middleware) answers every page
the interrupted crawl already archived from its own WARCs in OUTPUT_DIR (found by the
run id every attempt of one JOBDIR shares), so the spider rediscovers the same links
without a request going out, and skips the articles that already have their JSON line.
Pages without a final archived answer (none, a 5xx, a truncated body) are fetched.
Rebuilding is chosen over repairing Scrapy's queue files: those hold no record of what
was popped and lost in flight, and their format is Scrapy's private business.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.output import output_dir
from crawler.runid import new_run_id, run_id_from_settings

logger = logging.getLogger(__name__)

STATE_FILE = "newsarchive.json"
LOCK_FILE = "newsarchive.lock"
RUNNING, CLOSED = "running", "closed"
# What Scrapy keeps in a JOBDIR that an unclean stop leaves inconsistent.
SCRAPY_FRONTIER = ("requests.seen", "requests.queue", "spider.state")
# Close reasons after which Scrapy's saved queue is whole and nothing was lost on the way out.
_CLEAN_REASONS = ("finished", "shutdown")


class JobdirBusy(OSError):
    """Another live crawl holds this JOBDIR."""


class JobdirState:
    """The marker and lock of one JOBDIR (no Scrapy: tests and tools read it too)."""

    def __init__(self, jobdir: str | os.PathLike):
        self.dir = Path(jobdir)
        self.path = self.dir / STATE_FILE
        self._lock_fh = None

    def lock(self) -> None:
        """Hold the JOBDIR for this process's life (released by the kernel when it dies)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fh = open(self.dir / LOCK_FILE, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            fh.close()
            raise JobdirBusy(f"JOBDIR {str(self.dir)!r} is in use by another crawl (pid {holder})") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._lock_fh = fh

    def unlock(self) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def read(self) -> dict:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {"state": RUNNING}   # a damaged marker: assume the worst, recover
        return state if isinstance(state, dict) else {"state": RUNNING}

    def write(self, state: dict) -> None:
        """Atomically (temp file, fsync, rename): a failing disk leaves the old marker."""
        tmp = self.path.with_name(f"{STATE_FILE}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(state, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise

    def interrupted(self, state: dict) -> bool:
        """Did the last crawl with this JOBDIR stop without saving Scrapy's queue?"""
        if state:
            return state.get("state") != CLOSED
        # No marker: a JOBDIR a crawl without this guard left. Scrapy writes active.json
        # at every clean close; a seen set without it is a killed crawl's.
        return (self.dir / "requests.seen").exists() and not (
            self.dir / "requests.queue" / "active.json").exists()

    def queue_saved(self) -> bool:
        """Did Scrapy manage to write its queue state (a full disk may have stopped it)?"""
        try:
            json.loads((self.dir / "requests.queue" / "active.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return True

    def discard_frontier(self) -> None:
        for name in SCRAPY_FRONTIER:
            path = self.dir / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def _articles_written(path: Path, warc_names: set[str]) -> set[str]:
    """URLs of the article lines in `path` that point into `warc_names`."""
    urls = set()
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return urls
    with fh:
        for line in fh:
            try:
                record = json.loads(line)
                if (record.get("warc") or {}).get("filename") in warc_names:
                    urls.add(record["url"])
            except (ValueError, AttributeError, KeyError, TypeError):
                continue     # a partial last line (cut off when the file is next opened)
    return urls


class JobdirGuard:
    """Locks the JOBDIR, gives all attempts of it one run id, and notices a crash.

    Runs in from_crawler, i.e. while Scrapy builds its extensions: before the settings
    are frozen (so RUN_ID can default to the JOBDIR's run id) and
    before the scheduler reads the JOBDIR (so an inconsistent frontier is gone by then).
    Both orders are Scrapy 2.19's (pinned).
    """

    def __init__(self, crawler, state: JobdirState):
        self.crawler = crawler
        self.state = state
        self.recovered = False           # the last crawl died: frontier rebuilt from the seeds
        self.resume_warcs: list[Path] = []
        self.written_urls: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.get("JOBDIR"):
            raise NotConfigured   # no message: Scrapy would log a WARNING for every crawl
        guard = cls(crawler, JobdirState(settings.get("JOBDIR")))
        guard.state.lock()
        previous = guard.state.read()
        run_id = run_id_from_settings(settings) or previous.get("run_id") or new_run_id()
        if not run_id_from_settings(settings):   # every attempt of the JOBDIR is one run
            settings.set("RUN_ID", run_id, priority="cmdline")
        earlier_run_id = previous.get("run_id") or run_id   # what the earlier attempts' WARCs say
        if guard.state.interrupted(previous):
            guard._recover(previous, earlier_run_id)
        elif previous.get("recovered"):
            # A run that was rebuilt once keeps answering from its WARCs and skipping its
            # written articles: Scrapy's queue, saved by a later clean stop, still holds
            # requests the rebuilt frontier scheduled for them.
            guard._resume_sources(earlier_run_id)
            guard.recovered = True
        guard.state.write({"state": RUNNING, "run_id": run_id, "pid": os.getpid(),
                           "started": time.time(), "attempt": int(previous.get("attempt", 0)) + 1,
                           "recovered": guard.recovered})
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def _recover(self, previous: dict, run_id: str) -> None:
        out = output_dir(self.crawler.settings)
        self.recovered = True
        self.crawler.stats.set_value("jobdir/recovered", 1)
        self.state.discard_frontier()
        if previous.get("run_id"):
            self._resume_sources(run_id)
        logger.warning(
            "JOBDIR %s: the last crawl did not stop cleanly (killed, or a second Ctrl-C), so "
            "Scrapy's saved queue is incomplete; starting again from the start URLs, answering "
            "what it archived from its %d WARC file(s) in %s and skipping its %d written articles",
            self.state.dir, len(self.resume_warcs), out, len(self.written_urls))

    def _resume_sources(self, run_id: str) -> None:
        """This JOBDIR's WARC files in OUTPUT_DIR (a killed crawl's `.open` one finalized
        first) and the articles written from them."""
        from archives.recovery import finalize_open_files
        from archives.wacz import run_warcs

        settings = self.crawler.settings
        out = output_dir(settings)
        if not out.is_dir():
            return
        finalize_open_files(out, cdxj=settings.getbool("WARC_CDXJ"))
        self.resume_warcs = run_warcs(out, run_id)
        names = {path.name for path in self.resume_warcs}
        self.written_urls = _articles_written(out / settings.get("ARTICLES_FILE"), names)

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats
        lost = stats.get_value("warc/write_errors", 0) or stats.get_value("output/write_errors", 0)
        if reason in _CLEAN_REASONS or reason.startswith("closespider_"):
            # Requests waiting for an unreachable robots.txt (crawler.robots) are in neither
            # Scrapy's queue nor its seen set's future: only a rebuild finds them again.
            waiting = stats.get_value("robotstxt/waiting", 0)
            if lost or not self.state.queue_saved():
                logger.warning("JOBDIR %s: writes failed during this crawl; the next run with it "
                               "rebuilds the frontier and re-extracts what is missing", self.state.dir)
            elif waiting:
                logger.warning("JOBDIR %s: %d request(s) waiting for a robots.txt retry are not in the "
                               "saved queue; the next run with it rebuilds the frontier", self.state.dir, waiting)
            else:
                state = self.state.read()
                state.update(state=CLOSED, reason=reason, closed=time.time())
                try:
                    self.state.write(state)
                except OSError as exc:
                    logger.error("JOBDIR %s: could not record the clean stop (%s); the next run "
                                 "rebuilds the frontier", self.state.dir, exc)
        self.state.unlock()


class JobdirUnusable(OSError):
    """The JOBDIR cannot be made or written (a file there, a read-only disk): a bad invocation."""


def check_jobdir(settings) -> None:
    """A JOBDIR another crawl is using (JobdirBusy), or one that cannot hold the job's state
    (JobdirUnusable), as one error before this one starts."""
    if settings.get("JOBDIR"):
        probe = JobdirState(settings.get("JOBDIR"))
        if probe.dir.exists() and not probe.dir.is_dir():
            raise JobdirUnusable(f"JOBDIR {str(probe.dir)!r} is not a folder")
        try:
            probe.lock()
        except JobdirBusy:
            raise
        except OSError as exc:
            raise JobdirUnusable(f"JOBDIR {str(probe.dir)!r} cannot be used: {exc.strerror or exc}") from None
        probe.unlock()


class ResumeFromArchive:
    """After a crash: archived pages come from the interrupted crawl's WARCs, and articles
    that already have their JSON line are not fetched again (see the module docstring)."""

    def __init__(self, guard: JobdirGuard, canonicalize=None, stats=None):
        from crawler.incremental.resume import ResumeReplay
        from crawler.urls import UrlCanonicalizer

        self.guard = guard
        self.stats = stats
        self.key = canonicalize or UrlCanonicalizer()   # the crawl's (crawler.urls.url_canonicalizer)
        self.skip = {self.key(url) for url in guard.written_urls}
        self.replay = ResumeReplay(guard.resume_warcs[0].parent, own=guard.resume_warcs)

    @classmethod
    def from_crawler(cls, crawler):
        guard = next((ext for ext in crawler.extensions.middlewares if isinstance(ext, JobdirGuard)), None)
        if guard is None or not guard.resume_warcs:
            raise NotConfigured   # no interrupted crawl to resume from (and no WARNING about it)
        from crawler.urls import url_canonicalizer

        mw = cls(guard, url_canonicalizer(crawler), crawler.stats)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def process_request(self, request, spider=None):
        if request.method != "GET":
            return None
        if not request.meta.get("news_start") and self.key(request.url) in self.skip:
            self.stats.inc_value("jobdir/skipped_written")
            raise IgnoreRequest(f"already written before the crash: {request.url}")
        response = self.replay.response_for(request)
        if response is not None:
            self.stats.inc_value("jobdir/replayed")
        return response

    def spider_closed(self, spider):
        self.replay.close()
