"""`scrapy jobs cron`: crontab lines and systemd timers that fire exactly when the job does."""

import os
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from croniter import croniter

from crawler.jobs.config import load_jobs
from crawler.jobs.cron import CronConversionError, crontab_lines, on_calendar, render, systemd_units
from tests.system_tools import require_systemd_analyze

ROOT = Path(__file__).resolve().parent.parent


def job_file(tmp_path, schedule, tz="UTC"):
    path = tmp_path / "jobs.toml"
    path.write_text(f"[jobs.site]\nurls=['https://a.example/']\nschedule='{schedule}'\n"
                    f"timezone='{tz}'\noutput_dir='out 100%'\n")
    return load_jobs(path)


def systemd_elapses(expression, iterations):
    out = subprocess.run([require_systemd_analyze(), "calendar", f"--iterations={iterations}", expression],
                         capture_output=True, text=True, env={**os.environ, "TZ": "UTC"}, check=True).stdout
    found = re.findall(r"(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", out)
    return [datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc) for s in found]


def cron_elapses(schedule, tz, start, n):
    from zoneinfo import ZoneInfo

    it = croniter(schedule, start.astimezone(ZoneInfo(tz)))
    return [it.get_next(datetime).astimezone(timezone.utc) for _ in range(n)]


@pytest.mark.parametrize("schedule, tz", [
    ("0 3 * * *", "UTC"),
    ("0 3 * * *", "Europe/Paris"),
    ("*/15 6-23 * * 1-5", "America/New_York"),
    ("5 4 1,15 * *", "UTC"),
    ("30 2 1 * 0", "UTC"),              # cron ORs day-of-month and day-of-week
    ("0 12 * 3,6,9,12 7", "Asia/Tokyo"),
])
def test_systemd_timer_fires_when_cron_does(tmp_path, schedule, tz):
    expressions = on_calendar(schedule, tz)
    for _attempt in range(2):
        start = datetime.now(timezone.utc)
        systemd = sorted({t for e in expressions for t in systemd_elapses(e, 12)})
        if cron_elapses(schedule, tz, start, 1)[0] > datetime.now(timezone.utc):
            break                                        # no fire time passed while we asked
    expected = cron_elapses(schedule, tz, start, 12)
    assert systemd[:12] == expected


def test_unconvertible_schedule_is_refused():
    with pytest.raises(CronConversionError):
        on_calendar("0 3 L * *", "UTC")


def test_crontab_line_runs_the_job_with_its_file_and_time_zone(tmp_path):
    jobs = job_file(tmp_path, "0 3 * * *", "Europe/Paris")
    job = jobs.get("site")
    lines = crontab_lines(job, jobs.path, ROOT, python="/venv/bin/python")
    assert lines[1] == "CRON_TZ=Europe/Paris"
    line = lines[2]
    assert line.startswith("0 3 * * * cd ")
    assert f"/venv/bin/python -m scrapy jobs run site --file {tmp_path}/jobs.toml" in line
    assert "100\\%" in line and "100%" not in line.replace("100\\%", "")   # cron treats % as newline
    units = systemd_units(job, jobs.path, ROOT, python="/venv/bin/python")
    assert set(units) == {"newsarchive-job-site.service", "newsarchive-job-site.timer"}
    timer = units["newsarchive-job-site.timer"]
    assert "OnCalendar=*-*-* 03:00:00 Europe/Paris" in timer
    assert "Persistent=true" in timer
    service = units["newsarchive-job-site.service"]
    assert f"WorkingDirectory={ROOT}" in service
    assert "SuccessExitStatus=75" in service


def test_render_covers_every_job_and_flags_the_unconvertible(tmp_path):
    path = tmp_path / "jobs.toml"
    path.write_text("[jobs.a]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='a'\n"
                    "[jobs.b]\nurls=['https://b.example/']\nschedule='0 3 L * *'\noutput_dir='b'\n")
    text = render(load_jobs(path), ROOT)
    assert text.count("jobs run a --file") == 2 and text.count("jobs run b --file") == 1
    assert "# b: no systemd timer" in text
    assert "jobs run a" in render(load_jobs(path), ROOT, fmt="crontab")
    assert "OnCalendar" not in render(load_jobs(path), ROOT, fmt="crontab")


def test_the_crontab_command_runs_the_job(tmp_path):
    """Run the line's command the way cron would (sh -c, `\\%` -> `%`); a held lock makes it quick."""
    import subprocess
    import sys

    from crawler.jobs.lock import JobLock

    jobs = job_file(tmp_path, "0 3 * * *")
    job = jobs.get("site")
    line = crontab_lines(job, jobs.path, ROOT, python=sys.executable)[2]
    command = line.split(" ", 5)[5].replace("\\%", "%")
    with JobLock(job.lock_path):
        result = subprocess.run(["sh", "-c", command], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert result.returncode == 75, result.stderr
    assert "already running" in (job.state_dir / "cron.log").read_text()


def test_a_timer_that_systemd_would_skip_on_the_spring_night_says_so(tmp_path):
    """systemd has no elapse for a time the clocks skip; serve and cron run at the end of the gap."""
    from crawler.jobs.scheduler import next_fire

    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    job = job_file(tmp_path, "30 2 * * *", "Europe/Paris").get("site")
    (expression,) = on_calendar(job.schedule, job.timezone)
    out = subprocess.run([require_systemd_analyze(), "calendar", "--iterations=1",
                          "--base-time=2025-03-29 12:00:00 UTC", expression],
                         capture_output=True, text=True, env={**os.environ, "TZ": "UTC"}, check=True).stdout
    assert "Next elapse: Mon 2025-03-31 00:30:00 UTC" in out                   # the 30th: no run
    assert next_fire(job, datetime(2025, 3, 29, 12, tzinfo=timezone.utc)) == datetime(2025, 3, 30, 1, 0, tzinfo=timezone.utc)
    timer = systemd_units(job, tmp_path / "jobs.toml", ROOT, start=start)["newsarchive-job-site.timer"]
    assert "2025-03-30" in timer and "Europe/Paris" in timer and "misses a run" in timer
    for schedule, tz in (("0 3 * * *", "Europe/Paris"), ("0 * * * *", "Europe/Paris"), ("30 2 * * *", "UTC")):
        other = job_file(tmp_path, schedule, tz).get("site")
        assert "misses a run" not in systemd_units(other, tmp_path / "jobs.toml", ROOT, start=start)["newsarchive-job-site.timer"]
