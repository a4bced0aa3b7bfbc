"""The jobs file (TOML): which sites to archive, when, with which limits.

Every mistake in it is a `JobsConfigError` whose message names the file, the
job and the key, so `scrapy jobs ...` can print one line and stop. Relative
paths are relative to the jobs file's folder, so a job means the same thing
whether it is started by hand, by `scrapy jobs serve`, by cron or by systemd.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from crawler.starturls import StartURLError, parse_start_urls

DEFAULT_FILE = "jobs.toml"
DEFAULT_REVISIT_WINDOW = 12 * 3600
DEFAULT_STATE_SUBDIR = ".state"

# Settings the runner derives from the job's own keys; setting them twice would be ambiguous.
RESERVED_SETTINGS = {
    "OUTPUT_DIR": "output_dir",
    "JOBDIR": "state_dir",
    "DEDUPE_STATE_DIR": "state_dir",
    "INCREMENTAL_STATE_DIR": "state_dir",
    "CLOSESPIDER_PAGECOUNT": "max_pages",
    "DEPTH_LIMIT": "max_depth",
    "CLOSESPIDER_TIMEOUT": "max_duration",
    "INCREMENTAL_REVISIT_WINDOW": "revisit_window",
    "JOB_STATS_FILE": None,
    "JOB_NAME": None,
    "INCREMENTAL_RUN_ID": None,
    "INCREMENTAL_RESUME_WARC": None,
    "WARC_RUN_ID": None,
    "DEDUPE_RUN_ID": None,   # an older name of RUN_ID, which the runner sets
    "RUN_ID": None,
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SETTING = re.compile(r"^[A-Z][A-Z0-9_]*$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def reserved_setting(name: str) -> str | None:
    """Why `name` cannot be set for a job's crawl (the runner sets it), else None; the jobs
    file's settings tables and `scrapy jobs run -s` both ask."""
    if name not in RESERVED_SETTINGS:
        return None
    own = RESERVED_SETTINGS[name]
    return f"{name} is set by the job runner" + (f"; use the job's {own!r} key" if own else "")


class JobsConfigError(ValueError):
    """A jobs file that cannot be used; the message is shown to the user as is."""


def parse_duration(value) -> int:
    """Seconds from 3600, "90s", "30m", "12h", "7d", "1h30m" (0 = no limit / no window)."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):      # TOML's inf and nan: int() raised OverflowError
            raise ValueError(f"not a duration: {value!r} (0 means no limit)")
        if value < 0:
            raise ValueError(f"negative duration: {value!r}")
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r}")
    text = value.strip()
    if text.isdigit():
        return int(text)
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise ValueError(f"not a duration: {value!r} (use seconds or e.g. \"90s\", \"30m\", \"12h\", \"7d\", \"1h30m\")")
    return int(sum(float(number) * _UNITS[unit.lower()] for number, unit in parts))


@dataclass(frozen=True)
class Job:
    name: str
    urls: tuple[str, ...]
    schedule: str
    output_dir: Path
    state_dir: Path
    timezone: str = "UTC"
    max_pages: int = 0                  # 0: no limit (CLOSESPIDER_PAGECOUNT)
    max_depth: int | None = None        # None: the project's DEPTH_LIMIT
    max_duration: int = 0               # seconds; 0: no limit (CLOSESPIDER_TIMEOUT)
    revisit_window: int = DEFAULT_REVISIT_WINDOW  # seconds an archived article is not re-checked
    settings: dict = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "job.lock"

    @property
    def jobdir(self) -> Path:
        return self.state_dir / "jobdir"


@dataclass(frozen=True)
class JobsFile:
    path: Path
    jobs: dict[str, Job]

    def get(self, name: str) -> Job:
        try:
            return self.jobs[name]
        except KeyError:
            known = ", ".join(sorted(self.jobs)) or "none"
            hint = difflib.get_close_matches(name, list(self.jobs), n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise JobsConfigError(f"{self.path}: no job named {name!r}{extra}; jobs: {known}") from None


_KEYS = {"urls", "schedule", "timezone", "output_dir", "state_dir", "max_pages", "max_depth",
         "max_duration", "revisit_window", "settings"}
_DEFAULTABLE = _KEYS - {"urls", "output_dir", "state_dir"}


def load_jobs(path: str | Path = DEFAULT_FILE) -> JobsFile:
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise JobsConfigError(f"{path}: no such jobs file (see jobs.example.toml; --file FILE names another)") from None
    except OSError as exc:
        raise JobsConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise JobsConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:   # TOML is UTF-8; tomllib decodes before parsing
        raise JobsConfigError(f"{path}: not UTF-8 text (byte {exc.start}); TOML files are UTF-8") from None
    return parse_jobs(data, path)


def parse_jobs(data: dict, path: Path) -> JobsFile:
    path = Path(path)
    base = path.resolve().parent
    _unknown(data, {"jobs", "defaults"}, f"{path}")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise JobsConfigError(f"{path}: [defaults] must be a table")
    _unknown(defaults, _DEFAULTABLE, f"{path}: [defaults]")
    if not isinstance(defaults.get("settings", {}), dict):
        raise JobsConfigError(f"{path}: [defaults]: settings must be a table ([defaults.settings])")
    tables = data.get("jobs")
    if not isinstance(tables, dict) or not tables:
        raise JobsConfigError(f"{path}: no jobs: add a [jobs.NAME] table (see jobs.example.toml)")
    jobs = {}
    for name, table in tables.items():
        where = f"{path}: [jobs.{name}]"
        if not _NAME.match(name):
            raise JobsConfigError(f"{where}: job names may hold only letters, digits, '_', '.', '-'")
        if not isinstance(table, dict):
            raise JobsConfigError(f"{where}: must be a table")
        _unknown(table, _KEYS, where)
        if not isinstance(table.get("settings", {}), dict):
            raise JobsConfigError(f"{where}: settings must be a table ([jobs.{name}.settings])")
        merged = {**{k: v for k, v in defaults.items() if k != "settings"}, **table}
        merged["settings"] = {**defaults.get("settings", {}), **table.get("settings", {})}
        jobs[name] = _job(name, merged, base, where)
    outputs = {}
    for job in jobs.values():
        other = outputs.setdefault(job.output_dir, job.name)
        if other != job.name:
            raise JobsConfigError(f"{path}: jobs {other!r} and {job.name!r} share output_dir {str(job.output_dir)!r}")
    states = {}
    for job in jobs.values():
        other = states.setdefault(job.state_dir, job.name)
        if other != job.name:
            raise JobsConfigError(f"{path}: jobs {other!r} and {job.name!r} share state_dir {str(job.state_dir)!r}")
    return JobsFile(path, jobs)


def _unknown(table: dict, allowed: set, where: str) -> None:
    for key in table:
        if key not in allowed:
            hint = difflib.get_close_matches(key, sorted(allowed), n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise JobsConfigError(f"{where}: unknown key {key!r}{extra}")


def _job(name: str, table: dict, base: Path, where: str) -> Job:
    for key in ("urls", "schedule", "output_dir"):
        if key not in table:
            raise JobsConfigError(f"{where}: missing required key {key!r}")

    urls = table["urls"]
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise JobsConfigError(f"{where}: urls must be a list of URLs")
    if any("," in u for u in urls):
        raise JobsConfigError(f"{where}: urls: one URL per list entry (no commas inside a URL)")
    try:
        urls = tuple(parse_start_urls(",".join(urls)))
    except StartURLError as exc:
        raise JobsConfigError(f"{where}: urls: {exc}") from None

    schedule = table["schedule"]
    if not isinstance(schedule, str) or len(schedule.split()) != 5 or not croniter.is_valid(schedule):
        raise JobsConfigError(f"{where}: schedule {schedule!r} is not a cron expression "
                              "(5 fields: minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\")")
    try:
        croniter(schedule, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:        # valid fields naming no real day: 31 February
        raise JobsConfigError(f"{where}: schedule {schedule!r} never fires (no such day)") from None

    timezone = table.get("timezone", "UTC")
    try:
        if not isinstance(timezone, str):
            raise ZoneInfoNotFoundError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise JobsConfigError(f"{where}: timezone {timezone!r} is not an IANA time zone (e.g. \"Europe/Paris\", \"UTC\")") from None

    def directory(key, default=None):
        value = table.get(key, default)
        if not isinstance(value, (str, Path)) or not str(value).strip():
            raise JobsConfigError(f"{where}: {key} must be a non-empty path")
        p = Path(value).expanduser()
        return (p if p.is_absolute() else base / p).resolve()

    output_dir = directory("output_dir")
    state_dir = directory("state_dir", output_dir / DEFAULT_STATE_SUBDIR)

    def count(key, default):
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise JobsConfigError(f"{where}: {key} must be a whole number >= 0, got {value!r}")
        return value

    def duration(key, default):
        value = table.get(key, default)
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise JobsConfigError(f"{where}: {key}: {exc}") from None

    settings = table.get("settings", {})
    if not isinstance(settings, dict):
        raise JobsConfigError(f"{where}: settings must be a table ([jobs.{name}.settings])")
    for key, value in settings.items():
        if not _SETTING.match(key):
            raise JobsConfigError(f"{where}: settings: {key!r} is not a Scrapy setting name (UPPER_CASE)")
        reserved = reserved_setting(key)
        if reserved:
            raise JobsConfigError(f"{where}: settings: {reserved}")
        if isinstance(value, list) and any(isinstance(v, str) and "," in v for v in value):
            raise JobsConfigError(f"{where}: settings: {key}: list entries cannot contain commas")

    return Job(
        name=name, urls=urls, schedule=schedule, timezone=timezone,
        output_dir=output_dir, state_dir=state_dir,
        max_pages=count("max_pages", 0), max_depth=count("max_depth", None),
        max_duration=duration("max_duration", 0),
        revisit_window=duration("revisit_window", DEFAULT_REVISIT_WINDOW),
        settings=dict(settings),
    )
