"""`scrapy jobs serve`: start each job at its cron time, never twice at once, whatever fails.

croniter computes the fire times (in each job's time zone); the loop sleeps
until the earliest one. Each run is a separate `scrapy jobs run NAME`
process, so a crash, a hang or a memory leak in one crawl cannot take the
scheduler or another job down. A fire time that comes while the job is still
running (here or from cron, or by hand: the job's lock says so) is skipped and
logged, not queued. Missed fire times (the machine slept, or was off and the job's last
run started before its last fire time) are coalesced into one run. The clock going back
replans; daylight saving time is handled as cron does (see next_fire).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

from croniter import croniter

from crawler.jobs import manifest as mf
from crawler.jobs.relay import start_child
from crawler.jobs.config import Job, JobsConfigError
from crawler.jobs.lock import lock_holder

logger = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float, stop: threading.Event) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(seconds)


def fixed_time(schedule: str) -> bool:
    """Does the schedule name its hours ("30 2 * * *", "0 6-23 * * *") rather than run every
    hour or every N hours ("0 * * * *", "0 */2 * * *")? Cron's own distinction for DST."""
    return not schedule.split()[1].startswith("*")


def next_fire(job: Job, after: datetime) -> datetime:
    """The first fire time strictly after `after`, as an aware UTC datetime.

    Daylight saving time as cron (Vixie, cronie) handles it: a time the clocks skip in spring
    (02:30 when 02:00 becomes 03:00) fires once, at the first minute after the jump (croniter
    gives that); a time the clocks repeat in autumn fires once for a fixed-time job (a nightly
    archive must not run twice that night), while an hourly one runs every real hour.
    """
    local = after.astimezone(job.tz)
    fires = croniter(job.schedule, local)
    while True:
        candidate = fires.get_next(datetime)
        if fixed_time(job.schedule) and candidate.replace(tzinfo=None) <= local.replace(tzinfo=None):
            continue            # the same wall-clock time again, in the repeated hour
        return candidate.astimezone(timezone.utc)


def last_started(job: Job) -> datetime | None:
    """When the job's last run started (its manifest), wherever it was started from."""
    last = mf.last_run(job.output_dir)
    started = last[1].get("started") if last else None
    try:
        return datetime.fromisoformat(started) if isinstance(started, str) else None
    except ValueError:
        return None


class Launcher(Protocol):
    def start(self, job: Job) -> None: ...

    def running(self, job: Job) -> bool: ...

    def reap(self) -> list[tuple[str, int]]: ...

    def stop_all(self) -> None: ...


class SubprocessLauncher:
    """Runs `python -m scrapy jobs run NAME --file FILE` per fire time."""

    def __init__(self, jobs_file: Path, cwd: Path | None = None, python: str = sys.executable):
        self.jobs_file = Path(jobs_file).resolve()
        self.cwd = cwd
        self.python = python
        self.children: dict[str, subprocess.Popen] = {}

    def command(self, job: Job) -> list[str]:
        return [self.python, "-m", "scrapy", "jobs", "run", job.name, "--file", str(self.jobs_file)]

    def start(self, job: Job) -> None:
        # In a process group of its own: a Ctrl-C (or a group signal) meant for `jobs serve` does
        # not reach the run as well as the SIGTERM stop_all sends it (two signals: an unclean stop).
        self.children[job.name] = start_child(self.command(job), cwd=self.cwd)

    def running(self, job: Job) -> bool:
        child = self.children.get(job.name)
        return (child is not None and child.poll() is None) or lock_holder(job.lock_path) is not None

    def reap(self) -> list[tuple[str, int]]:
        done = [(name, child.returncode) for name, child in self.children.items() if child.poll() is not None]
        for name, _ in done:
            del self.children[name]
        return done

    def signal_all(self, signum: int) -> None:
        for proc in self.children.values():
            proc.send_signal(signum)          # a no-op for one that has exited

    def stop_all(self, timeout: float = 300.0) -> None:
        """SIGTERM every running job (each stops gracefully and resumes next time), then wait."""
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, child in self.children.items():
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.error("job %s did not stop within %.0fs; killing it", name, timeout)
                child.kill()
                child.wait()


# `scrapy jobs run` exit statuses (see crawler/commands/jobs.py).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 75, 130
_EXIT_NAMES = {EXIT_OK: "ok", EXIT_FAILED: "failed", EXIT_USAGE: "configuration error",
               EXIT_LOCKED: "skipped: already running", EXIT_INTERRUPTED: "interrupted"}


class Scheduler:
    def __init__(self, jobs: dict[str, Job], launcher: Launcher, clock: Clock | None = None, *,
                 loader: Callable[[], dict[str, Job]] | None = None, max_sleep: float = 60.0,
                 last_run: Callable[[Job], datetime | None] = last_started):
        self.jobs = dict(jobs)
        self.launcher = launcher
        self.clock = clock or SystemClock()
        self.loader = loader
        self.max_sleep = max_sleep
        self.last_run = last_run
        self.next_fire: dict[str, datetime] = {}
        self.started: list[tuple[str, datetime]] = []    # (job, fire time) of every start
        self.skipped: list[tuple[str, datetime]] = []    # fire times that found the job running
        self._fired: dict[str, deque] = {}               # each job's recent fire times, started or skipped
        self._last_now: datetime | None = None
        self._stop = threading.Event()

    def plan(self, now: datetime | None = None) -> None:
        now = now or self.clock.now()
        for name, job in self.jobs.items():
            if name not in self.next_fire:
                self.next_fire[name] = self._next_unfired(name, job, now)
        for name in list(self.next_fire):
            if name not in self.jobs:
                del self.next_fire[name]

    def reload(self) -> None:
        """Pick up an edited jobs file; a broken edit is logged and the old jobs kept."""
        if self.loader is None:
            return
        try:
            jobs = self.loader()
        except JobsConfigError as exc:
            logger.error("jobs file not reloaded, keeping the previous jobs: %s", exc)
            return
        if jobs is None:
            return
        for name, job in jobs.items():
            old = self.jobs.get(name)
            if old is None or (old.schedule, old.timezone) != (job.schedule, job.timezone):
                self.next_fire.pop(name, None)
        added = sorted(set(jobs) - set(self.jobs))
        removed = sorted(set(self.jobs) - set(jobs))
        self.jobs = dict(jobs)
        if added or removed:
            logger.info("jobs file reloaded: added %s, removed %s", added or "none", removed or "none")
        self.plan()

    def tick(self) -> list[str]:
        """Start every job whose fire time has come; returns the names started."""
        for name, code in self.launcher.reap():
            level = logging.INFO if code in (EXIT_OK, EXIT_LOCKED, EXIT_INTERRUPTED) else logging.ERROR
            logger.log(level, "job %s finished: %s (exit %s)", name, _EXIT_NAMES.get(code, "failed"), code)
        now = self.clock.now()
        if self._last_now is not None and now < self._last_now:
            # Fire times were planned on the later clock: a clock set a year ahead and then
            # corrected would wait that year. Planned again from the new time, never running
            # a fire time twice (a clock stepped back an hour does not rerun the night's job).
            logger.warning("the clock went back from %s to %s: fire times planned again",
                           self._last_now.isoformat(), now.isoformat())
            self.next_fire.clear()
        self._last_now = now
        self.plan(now)
        started = []
        for name, when in sorted(self.next_fire.items(), key=lambda kv: kv[1]):
            if when > now:
                continue
            job = self.jobs[name]
            self._fired.setdefault(name, deque(maxlen=64)).append(when)
            self.next_fire[name] = self._next_unfired(name, job, now)
            if self.launcher.running(job):
                self.skipped.append((name, when))
                logger.warning("job %s: fire time %s skipped, the previous run is still going",
                               name, when.isoformat())
                continue
            try:
                self.launcher.start(job)
            except Exception:  # one job's failure never stops the others
                logger.exception("job %s could not be started", name)
                continue
            self.started.append((name, when))
            started.append(name)
            logger.info("job %s started (fire time %s); next %s", name, when.isoformat(),
                        self.next_fire[name].isoformat())
        return started

    def _next_unfired(self, name: str, job: Job, now: datetime) -> datetime:
        when = next_fire(job, now)
        while when in self._fired.get(name, ()):
            when = next_fire(job, when)
        return when

    def catch_up(self, now: datetime | None = None) -> None:
        """A job whose last fire time passed while no scheduler ran (the machine was off, serve
        stopped) and whose last run started before it runs once now, as a systemd timer with
        Persistent=true (what `scrapy jobs cron` prints) does; several missed times make one run.
        A job never run before waits for its first fire time."""
        now = now or self.clock.now()
        self.plan(now)
        for name, job in self.jobs.items():
            last = self.last_run(job)
            if last is None:
                continue
            missed = next_fire(job, last)     # the first fire time after that start (DST rule included)
            if missed <= now:
                logger.warning("job %s: fire time %s (and any after it) was missed (last run started %s); "
                               "running it now", name, missed.isoformat(), last.isoformat())
                self.next_fire[name] = missed

    def seconds_to_next(self) -> float:
        if not self.next_fire:
            return self.max_sleep
        delay = (min(self.next_fire.values()) - self.clock.now()).total_seconds()
        return min(max(delay, 0.0), self.max_sleep)

    def serve(self, *, iterations: int | None = None) -> None:
        """Loop until stop() (or `iterations` wake-ups, for tests)."""
        self.catch_up()
        for name in sorted(self.jobs):
            logger.info("job %s: %s (%s), next run %s", name, self.jobs[name].schedule,
                        self.jobs[name].timezone, self.next_fire[name].isoformat())
        count = 0
        while not self._stop.is_set():
            self.reload()
            self.tick()
            count += 1
            if iterations is not None and count >= iterations:
                break
            self.clock.sleep(self.seconds_to_next(), self._stop)

    def stop(self) -> None:
        self._stop.set()


def file_loader(path: Path, load: Callable[[Path], object]) -> Callable[[], dict[str, Job] | None]:
    """A loader for Scheduler.reload that re-reads the jobs file only when it changed."""
    state = {"mtime": None}

    def loader():
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError as exc:
            raise JobsConfigError(f"{path}: cannot read: {exc.strerror}") from None
        if mtime == state["mtime"]:
            return None
        jobs = load(path).jobs
        state["mtime"] = mtime
        return jobs

    return loader
