"""The jobs file: the minimal job, every key, defaults, and one clear error per mistake."""

from pathlib import Path

import pytest

from crawler.jobs.config import (DEFAULT_REVISIT_WINDOW, JobsConfigError, load_jobs, parse_duration)
from crawler.jobs.runner import crawl_settings

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """
[jobs.example]
urls = ["https://news.example/"]
schedule = "0 3 * * *"
output_dir = "archive/example"
"""


def write(tmp_path, text, name="jobs.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_job_gets_documented_defaults(tmp_path):
    jobs = load_jobs(write(tmp_path, MINIMAL))
    job = jobs.get("example")
    assert job.urls == ("https://news.example/",)
    assert job.schedule == "0 3 * * *"
    assert job.timezone == "UTC"
    # Relative paths are relative to the jobs file, not to the working directory.
    assert job.output_dir == (tmp_path / "archive/example").resolve()
    assert job.state_dir == job.output_dir / ".state"
    assert job.max_pages == 0 and job.max_depth is None and job.max_duration == 0
    assert job.revisit_window == DEFAULT_REVISIT_WINDOW
    assert job.settings == {}


def test_every_key_and_defaults_table(tmp_path):
    path = write(tmp_path, """
[defaults]
timezone = "Europe/Paris"
revisit_window = "2d"
settings = { WARC_OPERATOR = "archive@example.org", DOWNLOAD_DELAY = 1.0 }

[jobs.full]
urls = ["https://a.example/", "https://a.example/sitemap.xml"]
schedule = "30 */6 * * 1-5"
timezone = "America/New_York"
output_dir = "/tmp/out-full"
state_dir = "state/full"
max_pages = 500
max_depth = 3
max_duration = "1h30m"

[jobs.full.settings]
DOWNLOAD_DELAY = 2.5
ROBOTSTXT_OBEY = false
URL_TRACKING_PARAMS = ["utm_*", "ref"]

[jobs.other]
urls = "https://b.example/"
schedule = "0 * * * *"
output_dir = "out/other"
""")
    jobs = load_jobs(path)
    full, other = jobs.get("full"), jobs.get("other")
    assert full.timezone == "America/New_York" and other.timezone == "Europe/Paris"
    assert full.state_dir == (tmp_path / "state/full").resolve()
    assert full.output_dir == Path("/tmp/out-full")
    assert (full.max_pages, full.max_depth, full.max_duration) == (500, 3, 5400)
    assert full.revisit_window == other.revisit_window == 2 * 86400
    assert full.settings == {"WARC_OPERATOR": "archive@example.org", "DOWNLOAD_DELAY": 2.5,
                             "ROBOTSTXT_OBEY": False, "URL_TRACKING_PARAMS": ["utm_*", "ref"]}
    assert other.urls == ("https://b.example/",)

    settings = crawl_settings(full, Path("/tmp/out-full/RUN"), "RUN")
    assert settings["CLOSESPIDER_PAGECOUNT"] == "500"
    assert settings["DEPTH_LIMIT"] == "3"
    assert settings["CLOSESPIDER_TIMEOUT"] == "5400"
    assert settings["ROBOTSTXT_OBEY"] == "False"
    assert settings["URL_TRACKING_PARAMS"] == "utm_*,ref"
    assert settings["INCREMENTAL_REVISIT_WINDOW"] == str(2 * 86400)
    assert settings["JOBDIR"] == str(full.state_dir / "jobdir")
    assert settings["OUTPUT_DIR"] == "/tmp/out-full/RUN"


def test_the_shipped_example_is_valid():
    jobs = load_jobs(ROOT / "jobs.example.toml")
    assert "example" in jobs.jobs
    for job in jobs.jobs.values():
        assert job.urls and job.schedule


@pytest.mark.parametrize("text, needles", [
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * *'\noutput_dir='o'\n", ["schedule", "cron"]),
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * * *'\noutput_dir='o'\n", ["schedule"]),
    # valid fields, no such day: croniter raised from `jobs list` and `serve` (a traceback)
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 31 2 *'\noutput_dir='o'\n", ["schedule", "never fires"]),
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\n", ["missing", "output_dir"]),
    ("[jobs.x]\nschedule='0 3 * * *'\noutput_dir='o'\n", ["missing", "urls"]),
    ("[jobs.x]\nurls=['ftp://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\n", ["urls", "ftp://"]),
    ("[jobs.x]\nurls=[]\nschedule='0 3 * * *'\noutput_dir='o'\n", ["urls"]),
    ("[jobs.x]\nurls=['https://a.example/']\nshedule='0 3 * * *'\noutput_dir='o'\n", ["shedule", "did you mean 'schedule'"]),
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\ntimezone='Mars/Olympus'\n", ["timezone", "Mars/Olympus"]),
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\nmax_pages=-1\n", ["max_pages"]),
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\nmax_duration='soon'\n", ["max_duration", "soon"]),
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\nmax_duration=inf\n", ["max_duration", "inf"]),
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\n[jobs.x.settings]\nOUTPUT_DIR='p'\n", ["OUTPUT_DIR", "output_dir"]),
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\n[jobs.x.settings]\ndownload_delay=1\n", ["download_delay", "UPPER_CASE"]),
    ("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\n[jobs.y]\nurls=['https://b.example/']\nschedule='0 3 * * *'\noutput_dir='o'\n", ["share output_dir"]),
    ("[jobs.'bad name']\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\n", ["bad name", "letters"]),
    ("[jobs.x]\nurls=['https://a.example/'\n", ["not valid TOML"]),
    # settings that are not tables, merged with the defaults' (a TypeError traceback before)
    ("[defaults]\nsettings='x'\n[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\n", ["[defaults]", "settings", "table"]),
    ("[defaults]\nsettings={A=1}\n[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\nsettings='x'\n", ["[jobs.x]", "settings", "table"]),
    ("title = 'no jobs'\n", ["title"]),
    ("", ["no jobs"]),
])
def test_mistakes_name_the_file_the_job_and_the_key(tmp_path, text, needles):
    path = write(tmp_path, text)
    with pytest.raises(JobsConfigError) as info:
        load_jobs(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for needle in needles:
        assert needle in message


def test_a_file_not_in_utf8_is_one_error(tmp_path):
    path = tmp_path / "jobs.toml"
    path.write_bytes(MINIMAL.replace("example", "caf\u00e9").encode("latin-1"))  # 'é' as byte 0xe9
    with pytest.raises(JobsConfigError) as info:
        load_jobs(path)
    assert str(path) in str(info.value) and "UTF-8" in str(info.value)


def test_missing_file_and_unknown_job(tmp_path):
    with pytest.raises(JobsConfigError, match="no such jobs file"):
        load_jobs(tmp_path / "nope.toml")
    jobs = load_jobs(write(tmp_path, MINIMAL))
    with pytest.raises(JobsConfigError, match="did you mean 'example'"):
        jobs.get("exampel")


@pytest.mark.parametrize("value, seconds", [
    (0, 0), (3600, 3600), ("90", 90), ("90s", 90), ("30m", 1800), ("12h", 43200), ("7d", 604800),
    ("1h30m", 5400), ("1w", 604800), ("1.5h", 5400),
])
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "abc", "5 parsecs", "-3", -3, True, "1h junk", float("inf"), float("nan")])
def test_bad_durations(value):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)
