"""`scrapy jobs serve`'s scheduler, on an injected clock: starts on time, never overlaps, survives failures."""

import json
import os
import signal
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path


from crawler.jobs.config import JobsConfigError, parse_jobs
from crawler.jobs.lock import JobLock, lock_holder
from crawler.jobs.scheduler import Scheduler, SubprocessLauncher, next_fire
from tests.tools import wait_for

ROOT = Path(__file__).resolve().parent.parent


class FakeClock:
    def __init__(self, start: datetime):
        self.current = start
        self.sleeps = []

    def now(self):
        return self.current

    def sleep(self, seconds, stop):
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)


class RecordingLauncher:
    """Starts nothing; remembers what it was asked to start and when."""

    def __init__(self, clock, fail=(), busy=()):
        self.clock = clock
        self.fail = set(fail)
        self.busy = set(busy)
        self.starts = []

    def start(self, job):
        if job.name in self.fail:
            raise RuntimeError(f"cannot start {job.name}")
        self.starts.append((job.name, self.clock.now()))

    def running(self, job):
        return job.name in self.busy

    def reap(self):
        return []

    def stop_all(self):
        pass


def jobs(tmp_path, **schedules):
    text = ""
    for name, (schedule, tz) in schedules.items():
        text += (f"[jobs.{name}]\nurls=['http://127.0.0.1:9/']\nschedule='{schedule}'\n"
                 f"timezone='{tz}'\noutput_dir='out/{name}'\n")
    return parse_jobs(__import__("tomllib").loads(text), tmp_path / "jobs.toml").jobs


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_next_fire_uses_the_jobs_time_zone(tmp_path):
    job = jobs(tmp_path, paris=("0 3 * * *", "Europe/Paris"))["paris"]
    assert next_fire(job, utc(2025, 1, 15, 12, 0)) == utc(2025, 1, 16, 2, 0)    # CET = UTC+1
    assert next_fire(job, utc(2025, 7, 15, 12, 0)) == utc(2025, 7, 16, 1, 0)    # CEST = UTC+2
    # The night clocks go forward (2025-03-30, 02:00 -> 03:00): 03:00 local is 01:00 UTC.
    assert next_fire(job, utc(2025, 3, 29, 12, 0)) == utc(2025, 3, 30, 1, 0)


def test_starts_a_job_when_its_cron_time_comes_up(tmp_path):
    clock = FakeClock(utc(2025, 1, 1, 2, 58, 30))
    launcher = RecordingLauncher(clock)
    scheduler = Scheduler(jobs(tmp_path, nightly=("0 3 * * *", "UTC"), hourly=("30 * * * *", "UTC")),
                          launcher, clock, max_sleep=3600)
    scheduler.serve(iterations=5)
    assert launcher.starts == [("nightly", utc(2025, 1, 1, 3, 0)),
                               ("hourly", utc(2025, 1, 1, 3, 30)),
                               ("hourly", utc(2025, 1, 1, 4, 30)),
                               ("hourly", utc(2025, 1, 1, 5, 30))]
    # It slept until fire times (capped), never busy-waited.
    assert all(0 < s <= scheduler.max_sleep for s in clock.sleeps)
    assert scheduler.next_fire["nightly"] == utc(2025, 1, 2, 3, 0)


def test_refuses_to_overlap_a_running_job(tmp_path):
    clock = FakeClock(utc(2025, 1, 1, 0, 59))
    launcher = RecordingLauncher(clock, busy={"hourly"})
    scheduler = Scheduler(jobs(tmp_path, hourly=("0 * * * *", "UTC")), launcher, clock, max_sleep=3600)
    scheduler.serve(iterations=3)                # 00:59, 01:00, 02:00
    assert launcher.starts == []
    assert [name for name, _ in scheduler.skipped] == ["hourly", "hourly"]
    launcher.busy.clear()
    scheduler.serve(iterations=2)
    assert [name for name, _ in launcher.starts] == ["hourly"]


def test_one_failing_job_does_not_stop_the_others(tmp_path):
    clock = FakeClock(utc(2025, 1, 1, 2, 59))
    launcher = RecordingLauncher(clock, fail={"broken"})
    scheduler = Scheduler(jobs(tmp_path, broken=("0 3 * * *", "UTC"), fine=("0 3 * * *", "UTC")),
                          launcher, clock)
    scheduler.serve(iterations=3)
    assert launcher.starts == [("fine", utc(2025, 1, 1, 3, 0))]
    assert scheduler.next_fire["broken"] == utc(2025, 1, 2, 3, 0)


def test_missed_fire_times_are_coalesced(tmp_path):
    clock = FakeClock(utc(2025, 1, 1, 0, 0, 30))
    launcher = RecordingLauncher(clock)
    scheduler = Scheduler(jobs(tmp_path, often=("* * * * *", "UTC")), launcher, clock)
    scheduler.plan()
    clock.current = utc(2025, 1, 1, 5, 0, 30)          # the machine slept for five hours
    scheduler.tick()
    assert len(launcher.starts) == 1
    assert scheduler.next_fire["often"] == utc(2025, 1, 1, 5, 1)


def test_reload_picks_up_edits_and_survives_a_broken_file(tmp_path):
    clock = FakeClock(utc(2025, 1, 1, 2, 0))
    state = {"jobs": jobs(tmp_path, a=("0 3 * * *", "UTC"))}

    def loader():
        if state["jobs"] is None:
            raise JobsConfigError("jobs.toml: broken")
        return state["jobs"]

    scheduler = Scheduler(state["jobs"], RecordingLauncher(clock), clock, loader=loader)
    scheduler.plan()
    state["jobs"] = jobs(tmp_path, a=("0 4 * * *", "UTC"), b=("0 5 * * *", "UTC"))
    scheduler.reload()
    assert scheduler.next_fire == {"a": utc(2025, 1, 1, 4, 0), "b": utc(2025, 1, 1, 5, 0)}
    state["jobs"] = None
    scheduler.reload()
    assert set(scheduler.jobs) == {"a", "b"}


# --- with real processes --------------------------------------------------------

FAKE_RUN = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from crawler.jobs.lock import JobLock
    lock_path, marker = Path(sys.argv[1]), Path(sys.argv[2])
    JobLock(lock_path).acquire()
    with open(marker, "a") as f:
        f.write("started\\n")
    release = marker.with_suffix(".release")
    while not release.exists():
        time.sleep(0.05)
""")


class ScriptLauncher(SubprocessLauncher):
    """The real launcher, with a stand-in for `scrapy jobs run` that holds the job lock."""

    def __init__(self, marker):
        super().__init__(Path("unused.toml"), cwd=ROOT)
        self.marker = marker

    def command(self, job):
        return [sys.executable, "-c", FAKE_RUN, str(job.lock_path), str(self.marker)]


def test_real_launcher_never_runs_a_job_twice_at_once(tmp_path):
    marker = tmp_path / "runs.log"
    clock = FakeClock(utc(2025, 1, 1, 0, 0, 30))
    launcher = ScriptLauncher(marker)
    job_map = jobs(tmp_path, often=("* * * * *", "UTC"))
    scheduler = Scheduler(job_map, launcher, clock)
    try:
        scheduler.serve(iterations=2)                       # 00:01 fires: one run starts
        assert wait_for(lambda: marker.exists() and lock_holder(job_map["often"].lock_path))
        scheduler.serve(iterations=3)                       # 00:02, 00:03 find it running
        assert marker.read_text().count("started") == 1
        assert len(scheduler.skipped) >= 2
        marker.with_suffix(".release").touch()
        assert wait_for(lambda: launcher.children["often"].poll() is not None)
        scheduler.serve(iterations=2)                       # free again: the next fire time starts it
        assert wait_for(lambda: marker.read_text().count("started") == 2)
    finally:
        marker.with_suffix(".release").touch()
        launcher.stop_all(timeout=20)


def test_a_run_started_elsewhere_blocks_the_scheduler(tmp_path):
    job_map = jobs(tmp_path, nightly=("0 3 * * *", "UTC"))
    clock = FakeClock(utc(2025, 1, 1, 2, 59, 59))
    launcher = ScriptLauncher(tmp_path / "runs.log")
    scheduler = Scheduler(job_map, launcher, clock)
    with JobLock(job_map["nightly"].lock_path):              # e.g. `scrapy jobs run nightly` by hand
        scheduler.serve(iterations=2)
    assert launcher.children == {}
    assert [name for name, _ in scheduler.skipped] == ["nightly"]


def test_serve_chain_runs_real_jobs_and_survives_a_failing_one(tmp_path, demo_site):
    """Scheduler -> `scrapy jobs run` -> crawl subprocess -> manifest, for a good and a broken job."""
    from tests.conftest import LOOPBACK_SETTINGS

    settings = "\n".join(f"{k} = {v!r}" for k, v in LOOPBACK_SETTINGS.items())
    path = tmp_path / "jobs.toml"
    path.write_text(f"""
[jobs.good]
urls = ["{demo_site.base_url}"]
schedule = "0 3 * * *"
output_dir = "out/good"
max_pages = 5
[jobs.good.settings]
{settings}

[jobs.broken]
urls = ["{demo_site.base_url}"]
schedule = "0 3 * * *"
output_dir = "out/broken"
[jobs.broken.settings]
DOWNLOAD_DELAY = "not a number"
""")
    from crawler.jobs.config import load_jobs

    job_map = load_jobs(path).jobs
    clock = FakeClock(utc(2025, 1, 1, 2, 59, 59))
    launcher = SubprocessLauncher(path, cwd=ROOT)
    scheduler = Scheduler(job_map, launcher, clock)
    try:
        scheduler.serve(iterations=2)                          # 03:00: both start
        assert sorted(name for name, _ in scheduler.started) == ["broken", "good"]
        # The next fire time comes while both still run: SIGSTOP holds each `scrapy jobs run`
        # process (a stopped process has not exited), so the overlap rule is checked on every
        # run, not only when the crawls happen to be slower than the tick.
        children = dict(launcher.children)
        for child in children.values():
            os.kill(child.pid, signal.SIGSTOP)
        try:
            assert all(child.poll() is None for child in children.values()), "a job ended before the tick"
            clock.current = utc(2025, 1, 2, 3, 0, 0)
            scheduler.tick()
        finally:
            for child in children.values():
                os.kill(child.pid, signal.SIGCONT)
        assert sorted(name for name, _ in scheduler.skipped) == ["broken", "good"]
        assert sorted(name for name, _ in scheduler.started) == ["broken", "good"]   # none started twice
        assert launcher.children == children
        codes = {name: child.wait(timeout=240) for name, child in launcher.children.items()}
        assert codes == {"good": 0, "broken": 1}
    finally:
        launcher.stop_all(timeout=30)
    [good_run] = [p.parent for p in (tmp_path / "out/good").glob("*/manifest.json")]
    manifest = json.loads((good_run / "manifest.json").read_text())
    assert manifest["result"] == "ok" and manifest["counts"]["pages"] >= 1
    [broken_run] = [p.parent for p in (tmp_path / "out/broken").glob("*/manifest.json")]
    assert json.loads((broken_run / "manifest.json").read_text())["result"] == "failed"


# --- the clock: daylight saving time, a clock going back, a machine that was off ----------

def test_dst_a_nightly_job_fires_once_on_both_nights(tmp_path):
    """Spring forward skips 02:00-03:00 local, autumn repeats it: a 02:30 job runs once each night
    (cron's rule), an hourly job runs every real hour. Expectations are wall-clock times written out."""
    paris = jobs(tmp_path, nightly=("30 2 * * *", "Europe/Paris"), hourly=("0 * * * *", "Europe/Paris"))

    def fires(job, start, end):
        clock = FakeClock(start)
        launcher = RecordingLauncher(clock)
        scheduler = Scheduler({job.name: job}, launcher, clock, max_sleep=3600)
        while clock.current < end:
            scheduler.tick()
            clock.sleep(scheduler.seconds_to_next(), None)
        return [when for _, when in launcher.starts]

    # 2025-03-30: 02:30 CET does not exist; run at 03:00 CEST (01:00 UTC), once.
    assert fires(paris["nightly"], utc(2025, 3, 29, 12), utc(2025, 3, 30, 12)) == [utc(2025, 3, 30, 1, 0)]
    # 2025-10-26: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET); run the first.
    assert fires(paris["nightly"], utc(2025, 10, 25, 12), utc(2025, 10, 26, 12)) == [utc(2025, 10, 26, 0, 30)]
    # An hourly job runs every real hour, in the repeated one too (local 01:00, 02:00 twice, 03:00).
    assert fires(paris["hourly"], utc(2025, 10, 25, 22, 30), utc(2025, 10, 26, 2, 30)) == [
        utc(2025, 10, 25, 23), utc(2025, 10, 26, 0), utc(2025, 10, 26, 1), utc(2025, 10, 26, 2)]


def test_the_clock_going_back_replans_without_running_a_fire_time_twice(tmp_path):
    job_map = jobs(tmp_path, nightly=("0 3 * * *", "UTC"))
    # A clock a year ahead, corrected: the job runs at the next 03:00 of the real date.
    clock = FakeClock(utc(2026, 6, 1, 12))
    launcher = RecordingLauncher(clock)
    scheduler = Scheduler(job_map, launcher, clock)
    scheduler.tick()
    clock.current = utc(2025, 6, 1, 12)
    for _ in range(20):
        scheduler.tick()
        clock.sleep(scheduler.max_sleep * 60, None)         # 1 h steps, fire times reached late
    assert launcher.starts and launcher.starts[0][0] == "nightly"
    assert scheduler.started[0][1] == utc(2025, 6, 2, 3, 0)
    # Stepped back an hour after the 03:00 run: 03:00 comes again on the clock, not run again.
    clock = FakeClock(utc(2025, 1, 1, 2, 59))
    launcher = RecordingLauncher(clock)
    scheduler = Scheduler(job_map, launcher, clock)
    scheduler.serve(iterations=2)                           # 02:59, 03:00: runs
    clock.current = utc(2025, 1, 1, 2, 30)
    scheduler.serve(iterations=3)
    assert [when for _, when in scheduler.started] == [utc(2025, 1, 1, 3, 0)]
    assert scheduler.next_fire["nightly"] == utc(2025, 1, 2, 3, 0)


def test_a_fire_time_missed_while_the_scheduler_was_down_runs_once_at_start(tmp_path):
    job_map = jobs(tmp_path, nightly=("0 3 * * *", "UTC"), fresh=("0 3 * * *", "UTC"),
                   recent=("0 3 * * *", "UTC"))
    # Last runs as their manifests say: nightly two nights ago (missed last night's 03:00 and
    # the one before: one run), recent after last night's fire time, fresh never.
    last = {"nightly": utc(2025, 1, 1, 3, 0, 4), "recent": utc(2025, 1, 3, 3, 0, 1), "fresh": None}
    clock = FakeClock(utc(2025, 1, 3, 9, 15))
    launcher = RecordingLauncher(clock)
    scheduler = Scheduler(job_map, launcher, clock, last_run=lambda job: last[job.name])
    scheduler.serve(iterations=3)
    assert launcher.starts == [("nightly", utc(2025, 1, 3, 9, 15))]
    assert scheduler.started == [("nightly", utc(2025, 1, 2, 3, 0))]     # the first missed, run once
    assert scheduler.next_fire == {name: utc(2025, 1, 4, 3, 0) for name in job_map}


def test_catch_up_reads_the_last_run_from_the_jobs_manifests(tmp_path):
    """The default last-run source is the job's newest manifest, whoever started that run."""
    from crawler.jobs import manifest as mf
    from crawler.jobs.scheduler import last_started

    job = jobs(tmp_path, nightly=("0 3 * * *", "UTC"))["nightly"]
    assert last_started(job) is None
    for run, started in (("20250101T030004Z", "2025-01-01T03:00:04Z"), ("20250102T030002Z", "2025-01-02T03:00:02Z")):
        (job.output_dir / run).mkdir(parents=True)
        mf.write_manifest(job.output_dir / run, {"run": run, "started": started, "result": "ok"})
    assert last_started(job) == utc(2025, 1, 2, 3, 0, 2)


def test_serve_restarted_in_the_repeated_hour_does_not_run_the_night_again(tmp_path):
    """Run at the first 02:30 (00:30 UTC) on 2025-10-26 in Paris; serve restarted at 01:45 UTC,
    after the second 02:30: that one was never due (fixed-time rule), so nothing is caught up."""
    job_map = jobs(tmp_path, nightly=("30 2 * * *", "Europe/Paris"))
    clock = FakeClock(utc(2025, 10, 26, 1, 45))
    launcher = RecordingLauncher(clock)
    scheduler = Scheduler(job_map, launcher, clock, last_run=lambda job: utc(2025, 10, 26, 0, 30, 2))
    scheduler.serve(iterations=2)
    assert launcher.starts == []
    assert scheduler.next_fire["nightly"] == utc(2025, 10, 27, 1, 30)
