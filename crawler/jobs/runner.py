"""One run of a job: lock, pick or resume the run folder, crawl in a subprocess, write the manifest.

The crawl is `python -m scrapy crawl news ...` in its own process: it gets a
fresh Twisted reactor, and whatever happens to it the runner survives to
record the result. Its settings point every piece of cross-run state at the
job's state dir (Scrapy's JOBDIR, the dedupe store, the incremental store, the
WARC payload-digest index) and its output at the run's own dated folder.

An interrupted run (Ctrl-C, SIGTERM, SIGKILL, power cut) keeps its folder
and its manifest says so; the next start of the job continues it there.
After a graceful stop Scrapy's JOBDIR holds the pending requests; after a
hard kill it cannot be trusted (Scrapy writes its queue state only at close)
and is discarded, and the crawl starts again from the start URLs. Either way
the resumed crawl gets INCREMENTAL_RESUME_WARC: the incremental middleware
answers every page the run already archived from the run's own WARCs and skips
the articles it already wrote, so nothing is fetched or written twice.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from datetime import timezone
from pathlib import Path

from crawler.jobs import manifest as mf
from crawler.jobs.config import Job
from crawler.jobs.lock import JobLock
from crawler.jobs.relay import SignalRelay, start_child
from crawler.jobs.scheduler import Clock, SystemClock

logger = logging.getLogger(__name__)

RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"
STATS_FILE = "last-attempt-stats.json"
LOG_FILE = "crawl.log"
KILL_GRACE = 300  # seconds past max_duration before a crawl that ignores CLOSESPIDER_TIMEOUT is stopped


def _setting_value(value) -> str:
    """A TOML value as a `-s NAME=VALUE` string Scrapy's getters read back."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def crawl_settings(job: Job, run_dir: Path, run_id: str) -> dict[str, str]:
    """Every setting the runner passes to the crawl; the job's own [settings] last."""
    state = job.state_dir
    settings = {
        "OUTPUT_DIR": str(run_dir),
        "JOBDIR": str(job.jobdir),
        "DEDUPE_STATE_DIR": str(state),
        "INCREMENTAL_STATE_DIR": str(state),
        "RUN_ID": run_id,                  # the run folder's name: warcinfo, dedupe, report, WACZ
        "INCREMENTAL_RUN_ID": run_id,
        "INCREMENTAL_REVISIT_WINDOW": str(job.revisit_window),
        "JOB_STATS_FILE": str(state / STATS_FILE),
        "JOB_NAME": job.name,
        # identical-payload-digest revisits refer to records of earlier runs too
        "WARC_DIGEST_INDEX": "sqlite",
        "WARC_DIGEST_INDEX_PATH": str(state / "warc-digests.sqlite3"),
        "CLOSESPIDER_PAGECOUNT": str(job.max_pages),
        "CLOSESPIDER_TIMEOUT": str(job.max_duration),
    }
    if job.max_depth is not None:
        settings["DEPTH_LIMIT"] = str(job.max_depth)
    settings.update({name: _setting_value(value) for name, value in job.settings.items()})
    return settings


def crawl_command(job: Job, run_dir: Path, run_id: str, extra_settings: dict | None = None,
                  python: str = sys.executable) -> list[str]:
    settings = crawl_settings(job, run_dir, run_id)
    settings.update(extra_settings or {})
    command = [python, "-m", "scrapy", "crawl", "news", "-a", "urls=" + ",".join(job.urls)]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def _read_stats(path: Path) -> dict:
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def site_unreachable(stats: dict) -> str | None:
    """Why a crawl that ended normally archived nothing of the job's sites, else None.

    A night when the site is down (every request refused or timed out) or answers robots.txt
    with a 5xx (RFC 9309: complete disallow) ends the crawl normally, with no page: reported
    "ok", nobody would notice a night missing from the archive. No response but robots.txt
    answers, and requests that failed or that an unreachable robots.txt kept back, is a failed
    run. A site that answered anything else, even all 304s or a robots.txt forbidding it all,
    did not fail.
    """
    pages = int(stats.get("downloader/response_count", 0)) - int(stats.get("robotstxt/response_count", 0))
    if pages > 0:
        return None
    refused = int(stats.get("robotstxt/unreachable_forbidden", 0))
    failed = int(stats.get("downloader/exception_count", 0)) + int(stats.get("news/failed_requests", 0))
    if refused:
        return f"site unreachable: robots.txt never answered (RFC 9309: complete disallow), {refused} request(s) not sent"
    if failed:
        return f"site unreachable: no response, {failed} request(s) failed"
    return None


def _clean_stop(attempt: dict) -> bool:
    """Did Scrapy close normally (JOBDIR state written), even if asked to stop early?"""
    code = attempt.get("exit_code")
    return attempt.get("finish_reason") is not None and (code is None or code >= 0)


class JobRunner:
    def __init__(self, job: Job, *, clock: Clock | None = None, extra_settings: dict | None = None,
                 python: str = sys.executable, cwd: Path | None = None, fresh: bool = False,
                 echo=None):
        self.job = job
        self.clock = clock or SystemClock()
        self.extra_settings = dict(extra_settings or {})
        self.python = python
        self.cwd = cwd
        self.fresh = fresh
        self.echo = echo or (lambda line: None)
        self.lock = JobLock(job.lock_path)
        self.proc: subprocess.Popen | None = None
        self._stop_requested = False
        self._timed_out = False

    # --- choosing the run folder --------------------------------------------

    def _unfinished(self) -> tuple[Path, dict] | None:
        """The last run, if it was interrupted; its lost attempt (runner killed) filled in."""
        last = mf.last_run(self.job.output_dir)
        if last is None or last[1].get("result") not in mf.UNFINISHED:
            return None
        run_dir, manifest = last
        attempts = manifest.setdefault("attempts", [])
        if attempts and attempts[-1].get("finished") is None:
            # The runner died with (or before) its crawl: the crawl's last stats are all
            # there is of that attempt. It may even have run to its end on its own.
            stats = _read_stats(self.job.state_dir / STATS_FILE)
            attempts[-1].update(finished=mf.utc_iso(self.clock.now()), stats=stats,
                                finish_reason=stats.get("finish_reason"), runner_lost=True)
            if stats.get("finish_reason") not in (None, "shutdown"):
                self._finish(run_dir, manifest, result=mf.OK)
                return None
        return run_dir, manifest

    def _new_run(self) -> tuple[Path, dict]:
        now = self.clock.now()
        sequence = mf.next_sequence(self.job.output_dir)
        run_id = now.astimezone(timezone.utc).strftime(RUN_ID_FORMAT)
        run_dir = self.job.output_dir / run_id
        serial = 1
        while run_dir.exists():
            serial += 1
            run_dir = self.job.output_dir / f"{run_id}-{serial}"
        run_dir.mkdir(parents=True)
        manifest = {
            "format": mf.FORMAT, "job": self.job.name, "run": run_dir.name, "sequence": sequence,
            "started": mf.utc_iso(now), "finished": None, "result": mf.RUNNING,
            "urls": list(self.job.urls), "schedule": self.job.schedule, "timezone": self.job.timezone,
            "revisit_window": self.job.revisit_window, "resumed": 0, "attempts": [],
        }
        return run_dir, manifest

    # --- running ------------------------------------------------------------

    def run(self) -> dict:
        """Run (or resume) the job once; returns the final manifest. Raises JobLocked."""
        self.lock.acquire(job=self.job.name)
        try:
            return self._run_locked()
        finally:
            self.lock.release()

    def _run_locked(self) -> dict:
        unfinished = self._unfinished()
        if unfinished is not None and self.fresh:
            unfinished[1]["abandoned"] = True                   # --fresh: left as it is, not resumed
            self._finish(*unfinished, result=mf.INTERRUPTED)
            unfinished = None
        if unfinished is not None:
            run_dir, manifest = unfinished
            attempts = manifest["attempts"]
            if not attempts or not _clean_stop(attempts[-1]):
                self._discard_jobdir("the last attempt did not stop cleanly")
            manifest["resumed"] = int(manifest.get("resumed", 0)) + 1
            resume_settings = self._resume_settings(run_dir)
            self.echo(f"job {self.job.name}: resuming interrupted run {run_dir.name} in {run_dir}")
        else:
            self._discard_jobdir(None)
            run_dir, manifest = self._new_run()
            resume_settings = {}
            self.echo(f"job {self.job.name}: run {run_dir.name} started in {run_dir}")

        stats_path = self.job.state_dir / STATS_FILE
        stats_path.unlink(missing_ok=True)
        command = crawl_command(self.job, run_dir, run_dir.name,
                                {**resume_settings, **self.extra_settings}, self.python)
        attempt = {"started": mf.utc_iso(self.clock.now()), "finished": None, "exit_code": None,
                   "finish_reason": None, "command": command, "stats": {}}
        manifest["result"] = mf.RUNNING
        manifest["attempts"].append(attempt)
        mf.write_manifest(run_dir, manifest)

        exit_code = self._crawl(command, run_dir / LOG_FILE)
        stats = _read_stats(stats_path)
        attempt.update(finished=mf.utc_iso(self.clock.now()), exit_code=exit_code,
                       finish_reason=stats.get("finish_reason"), stats=stats)
        if self._timed_out:
            attempt["timed_out"] = True
            result = mf.FAILED                # a hung crawl is not resumed into the same hang
        elif exit_code == 0 and attempt["finish_reason"] not in (None, "shutdown") and not self._stop_requested:
            unreachable = site_unreachable(stats)
            if unreachable:
                attempt["failure"] = unreachable
                logger.error("job %s: %s", self.job.name, unreachable)
            result = mf.FAILED if unreachable else mf.OK
        elif exit_code < 0 or exit_code == 130 or self._stop_requested or attempt["finish_reason"] == "shutdown":
            result = mf.INTERRUPTED
        else:
            result = mf.FAILED
        return self._finish(run_dir, manifest, result=result)

    def _finish(self, run_dir: Path, manifest: dict, result: str) -> dict:
        manifest["result"] = result
        manifest["finished"] = mf.utc_iso(self.clock.now())
        mf.finalize(manifest, run_dir, [a.get("stats") or {} for a in manifest.get("attempts", [])])
        mf.write_manifest(run_dir, manifest)
        return manifest

    def _resume_settings(self, run_dir: Path) -> dict[str, str]:
        """Pages this run already archived are answered from its own WARCs, not fetched again.

        The killed attempt's open WARC is finalized first (its cut-off last record dropped),
        so it can be read. Pages it has no complete capture of are fetched live.
        """
        from archives.recovery import finalize_open_files

        for item in finalize_open_files(run_dir):
            logger.warning("job %s: finalized %s left open by the interrupted attempt", self.job.name, item)
        if not any(run_dir.glob("*.warc*")):
            return {}
        return {"INCREMENTAL_RESUME_WARC": str(run_dir)}

    def _discard_jobdir(self, why: str | None) -> None:
        if self.job.jobdir.exists():
            if why:
                logger.warning("job %s: discarding %s (%s)", self.job.name, self.job.jobdir, why)
            shutil.rmtree(self.job.jobdir)

    def _crawl(self, command: list[str], log_path: Path) -> int:
        """Run the crawl to its end; every stop signal this process gets is passed on to it once.

        The crawl has a process group of its own (crawler/jobs/relay.py): a signal sent to this
        process's group, or a Ctrl-C typed in its terminal, reaches this process alone, and the
        crawl gets it from here, once. Killed outright, this process takes the crawl with it.
        """
        deadline = (time.monotonic() + self.job.max_duration + KILL_GRACE) if self.job.max_duration else None
        with open(log_path, "ab") as log, SignalRelay() as relay:
            try:
                self.proc = start_child(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.cwd,
                                        pass_fds=(self.lock.fileno(),))
                relay.attach(self.proc)
                self.lock.update(crawl_pid=self.proc.pid)
                while True:
                    try:
                        return self.proc.wait(timeout=1.0)
                    except subprocess.TimeoutExpired:
                        pass
                    if deadline is not None and time.monotonic() > deadline:
                        self._timed_out = True
                        logger.error("job %s: crawl still running %ss past max_duration; stopping it",
                                     self.job.name, KILL_GRACE)
                        self.proc.terminate()
                        try:
                            return self.proc.wait(timeout=60)
                        except subprocess.TimeoutExpired:
                            self.proc.kill()
                            return self.proc.wait()
            finally:
                self._stop_requested = bool(relay.received)


def describe(manifest: dict) -> str:
    counts = manifest.get("counts") or {}
    parts = ", ".join(f"{counts.get(k, 0)} {k.replace('_', ' ')}" for k in
                      ("pages", "articles", "duplicates", "revisits", "skipped_recent", "errors"))
    return f"{manifest.get('result')}: {parts}"
