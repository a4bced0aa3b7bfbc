"""`scrapy jobs cron`: the same schedule for the system's scheduler (crontab or systemd timers).

Each generated entry runs `scrapy jobs run NAME`, so locking, resuming and
manifests behave exactly as under `scrapy jobs serve`. Cron fields are
expanded by croniter (no cron parsing here) and rewritten as systemd
OnCalendar expressions; a day-of-month plus day-of-week schedule, which cron
ORs, becomes two OnCalendar lines, which systemd ORs too.
"""

from __future__ import annotations

import shlex
import sys
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

from croniter import croniter

from crawler.jobs.config import Job, JobsFile
from crawler.jobs.scheduler import next_fire

UNIT_PREFIX = "newsarchive-job-"
_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


class CronConversionError(ValueError):
    pass


def run_command(job: Job, jobs_file: Path, python: str = sys.executable) -> list[str]:
    return [python, "-m", "scrapy", "jobs", "run", job.name, "--file", str(Path(jobs_file).resolve())]


def crontab_lines(job: Job, jobs_file: Path, project: Path, python: str = sys.executable) -> list[str]:
    log = job.state_dir / "cron.log"
    command = (f"cd {shlex.quote(str(project))} && mkdir -p {shlex.quote(str(log.parent))}"
               f" && {shlex.join(run_command(job, jobs_file, python))} >> {shlex.quote(str(log))} 2>&1")
    return [f"# {job.name}: {', '.join(job.urls)}",
            f"CRON_TZ={job.timezone}",
            f"{job.schedule} {command.replace('%', chr(92) + '%')}"]


def _field(values, fmt=str) -> str:
    if values == ["*"]:
        return "*"
    return ",".join(fmt(v) for v in values)


def on_calendar(schedule: str, timezone: str) -> list[str]:
    """systemd OnCalendar expressions firing exactly when the cron schedule does."""
    fields, nth = croniter.expand(schedule)
    if len(fields) != 5 or nth:
        raise CronConversionError(f"{schedule!r}: only plain 5-field schedules convert to systemd timers")
    minutes, hours, doms, months, dows = fields
    for values in fields:
        if any(isinstance(v, str) and v != "*" for v in values):
            raise CronConversionError(f"{schedule!r}: 'L'/'W'/'#' have no systemd equivalent; use the crontab line")
    time_part = f"{_field(hours, '{:02d}'.format)}:{_field(minutes, '{:02d}'.format)}:00"
    month = _field(months, '{:02d}'.format)

    def line(dow, dom):
        days = "" if dow == ["*"] else ",".join(_DAYS[d % 7] for d in sorted(set(d % 7 for d in dow))) + " "
        return f"{days}*-{month}-{_field(dom, '{:02d}'.format)} {time_part} {timezone}"

    if doms != ["*"] and dows != ["*"]:
        return [line(["*"], doms), line(dows, ["*"])]
    return [line(dows, doms)]


def skipped_nights(job: Job, start: datetime | None = None, days: int = 366) -> list[date]:
    """Local dates in the coming `days` on which the job's systemd timer runs it fewer times
    than cron and `scrapy jobs serve` do: a fire time in the hour the clocks skip.

    systemd does not fire a timer whose time does not exist that day (systemd 252: "*-*-*
    02:30:00 Europe/Paris" has no elapse on 2025-03-30), while cron and serve run the job at
    the end of the gap: that night would be missing from the archive. An hourly job loses
    nothing (its next hour comes anyway), and neither does one whose end of gap is a fire time.
    """
    zone = job.tz
    start = (start or datetime.now(dt_timezone.utc)).astimezone(zone)
    found = []
    for offset in range(days):
        day = (start + timedelta(days=offset)).date()
        begin = datetime.combine(day, time(0), zone).astimezone(dt_timezone.utc)
        end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(dt_timezone.utc)
        if end - begin >= timedelta(days=1):
            continue                        # no gap that day (DST ends, or no change)
        systemd = 0                         # the day's matching wall-clock times that exist
        walls = croniter(job.schedule, datetime.combine(day, time(0)) - timedelta(seconds=1))
        while (wall := walls.get_next(datetime)).date() == day:
            back = wall.replace(tzinfo=zone).astimezone(dt_timezone.utc).astimezone(zone).replace(tzinfo=None)
            systemd += back == wall
        serve, when = 0, next_fire(job, begin - timedelta(seconds=1))
        while when < end:
            serve, when = serve + 1, next_fire(job, when)
        if serve > systemd:
            found.append(day)
    return found


def systemd_units(job: Job, jobs_file: Path, project: Path, python: str = sys.executable,
                  start: datetime | None = None) -> dict[str, str]:
    unit = f"{UNIT_PREFIX}{job.name}"
    calendars = "\n".join(f"OnCalendar={c}" for c in on_calendar(job.schedule, job.timezone))
    skipped = skipped_nights(job, start)
    if skipped:
        nights = ", ".join(d.isoformat() for d in skipped)
        calendars = (f"# systemd does not fire at a time the clocks skip: on {nights} (clocks go forward in\n"
                     f"# {job.timezone}) this timer misses a run that cron and `scrapy jobs serve` make at the\n"
                     "# end of the gap. A schedule outside that hour (or timezone UTC) keeps it.\n" + calendars)
    service = f"""[Unit]
Description=newsarchive job {job.name} ({', '.join(job.urls)})
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
WorkingDirectory={project}
ExecStart={shlex.join(run_command(job, jobs_file, python))}
# 75: the job was already running (started by hand or by another scheduler); not a failure.
SuccessExitStatus=75
# SIGTERM stops the crawl gracefully; the next start resumes the run.
# mixed: SIGTERM to `scrapy jobs run` alone, which passes it on once. The default
# (control-group) also signals the crawl directly: it gets SIGTERM twice, and Scrapy
# takes a second one as "force an unclean shutdown".
KillMode=mixed
TimeoutStopSec=300
# User=archiver
"""
    timer = f"""[Unit]
Description=Schedule of newsarchive job {job.name}

[Timer]
{calendars}
# Run once at boot if the machine was off at the fire time.
Persistent=true

[Install]
WantedBy=timers.target
"""
    return {f"{unit}.service": service, f"{unit}.timer": timer}


def render(jobs_file: JobsFile, project: Path, fmt: str = "all", python: str = sys.executable) -> str:
    out = []
    if fmt in ("all", "crontab"):
        out += ["# --- crontab (install with `crontab -e`; CRON_TZ needs cronie or a cron that knows it,",
                "# --- otherwise convert the times to the system time zone and drop the CRON_TZ lines)"]
        for job in jobs_file.jobs.values():
            out += crontab_lines(job, jobs_file.path, project, python)
        out.append("")
    if fmt in ("all", "systemd"):
        out += ["# --- systemd: save each unit under /etc/systemd/system/ (or ~/.config/systemd/user/),",
                "# --- then `systemctl daemon-reload && systemctl enable --now NAME.timer`"]
        for job in jobs_file.jobs.values():
            try:
                units = systemd_units(job, jobs_file.path, project, python)
            except CronConversionError as exc:
                out += [f"# {job.name}: no systemd timer: {exc}", ""]
                continue
            for name, text in units.items():
                out += [f"# ==> {name} <==", text.rstrip("\n"), ""]
    return "\n".join(out) + "\n"
