"""What `scrapy jobs run|list|serve|cron` do, as plain functions returning the exit status.

The command (crawler/commands/jobs.py) parses arguments and imports this module only when it
runs: Scrapy imports every command module for every command, and the jobs machinery (croniter,
time zones) costs ~0.25 s at start-up that a crawl should not pay.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

from crawler.jobs import cron, manifest as mf
from crawler.jobs.config import JobsConfigError, JobsFile, load_jobs
from crawler.jobs.lock import JobLocked, lock_holder
from crawler.jobs.runner import JobRunner, describe
from crawler.jobs.scheduler import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, Scheduler,
                                    SubprocessLauncher, SystemClock, file_loader, next_fire)


def run_job(jobs_file: JobsFile, name: str, *, crawl_settings: dict, fresh: bool, cwd: Path) -> int:
    """`run NAME`: one run of the job now, resuming its interrupted run unless `fresh`."""
    job = jobs_file.get(name)
    for folder, key in ((job.output_dir, "output_dir"), (job.state_dir, "state_dir")):
        try:        # a path under a file, a folder not ours: the jobs file's mistake, nothing run
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JobsConfigError(f"job {job.name}: {key} {str(folder)!r} cannot be created: {exc.strerror}") from None
    log_to_stderr()
    runner = JobRunner(job, extra_settings=crawl_settings, fresh=fresh, cwd=cwd, echo=print)
    try:
        manifest = runner.run()
    except JobLocked as exc:
        print(f"job {job.name}: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    run_dir = job.output_dir / manifest["run"]
    _say(f"job {job.name}: run {manifest['run']} {describe(manifest)}\n"
         f"  manifest: {run_dir / mf.MANIFEST}\n"
         f"  log:      {run_dir / 'crawl.log'}")
    return {mf.OK: EXIT_OK, mf.INTERRUPTED: EXIT_INTERRUPTED}.get(manifest["result"], EXIT_FAILED)


def _say(text: str) -> None:
    """print(text), unless the terminal is gone: after a hang-up (SIGHUP, a stop passed on to the
    crawl) writing to it fails with EIO, and the run, recorded in its manifest, would end in a
    traceback and exit 1 instead of its own status."""
    try:
        print(text, flush=True)
    except OSError:
        sys.stdout = open(os.devnull, "w")     # what is still buffered is dropped, not flushed at exit


def list_jobs(jobs_file: JobsFile) -> int:
    """`list`: each job's schedule, last run, its result and the next run, as a table."""
    now = SystemClock().now()
    rows = [("JOB", "SCHEDULE", "LAST RUN", "RESULT", "NEXT RUN")]
    for name, job in sorted(jobs_file.jobs.items()):
        last = mf.last_run(job.output_dir)
        holder = lock_holder(job.lock_path)
        if last is None:
            last_run, result = "never", "-"
        else:
            manifest = last[1]
            last_run = manifest.get("started") or last[0].name
            result = manifest.get("result", "?")
            if result == mf.RUNNING and holder is None:
                result = "interrupted (resumes next run)"
            elif result == mf.INTERRUPTED:
                result = "interrupted (resumes next run)"
            elif result in (mf.OK, mf.FAILED) and manifest.get("counts"):
                c = manifest["counts"]
                result += f" ({c.get('pages', 0)} pages, {c.get('articles', 0)} articles)"
        if holder is not None:
            result = f"running (pid {holder.get('crawl_pid') or holder.get('pid', '?')})"
        upcoming = next_fire(job, now).astimezone(job.tz)
        rows.append((name, f"{job.schedule} ({job.timezone})", last_run, result,
                     upcoming.strftime("%Y-%m-%d %H:%M %Z")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return EXIT_OK


def serve(jobs_file: JobsFile, *, cwd: Path) -> int:
    """`serve`: start each job at its cron time until SIGTERM/SIGINT; running crawls stop and
    resume at their next run."""
    log_to_stderr()
    launcher = SubprocessLauncher(jobs_file.path, cwd=cwd)
    scheduler = Scheduler(jobs_file.jobs, launcher, loader=file_loader(jobs_file.path, load_jobs))

    stops: list[int] = []

    def stop(signum, frame):
        # Each run has a process group of its own (SubprocessLauncher.start): a stop signal
        # reaches this process alone, and the runs get one SIGTERM each from stop_all. A second
        # stop is passed on as it came: their crawls stop at once (Scrapy's unclean shutdown).
        # A hang-up (its terminal closed; the kernel and the shell both send it) is one stop.
        if stops and signum == signal.SIGHUP:
            return
        stops.append(signum)
        log = logging.getLogger(__name__)
        if len(stops) == 1:
            log.info("stopping (signal %s): no new runs; running ones stop and resume later", signum)
            scheduler.stop()
        else:
            log.warning("stopping now (signal %s again): running crawls stop without closing", signum)
            launcher.signal_all(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        if signal.getsignal(sig) is not signal.SIG_IGN:               # SIGHUP under nohup
            signal.signal(sig, stop)
    try:
        scheduler.serve()
    finally:
        launcher.stop_all()
    return EXIT_OK


def print_cron(jobs_file: JobsFile, *, cwd: Path, fmt: str) -> int:
    """`cron`: crontab lines and/or systemd units equivalent to the jobs file."""
    print(cron.render(jobs_file, cwd, fmt=fmt), end="")
    return EXIT_OK


def log_to_stderr() -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_jobs", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        handler._jobs = True
        root.addHandler(handler)
        root.setLevel(logging.INFO)
