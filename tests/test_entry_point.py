"""bin/newsarchive: the project's commands from any folder, without activating the venv (README,
"Running the commands"). Run from a temporary folder that has no scrapy.cfg, with an
environment that names neither the project nor the venv."""

from __future__ import annotations

import os
import shutil
import subprocess

from tests.conftest import ROOT

ENTRY = ROOT / "bin" / "newsarchive"
DATA = ROOT / "tests" / "data" / "warc"


def run(*args, cwd):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE", "VIRTUAL_ENV")}
    return subprocess.run([str(ENTRY), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_commands_work_from_another_folder(tmp_path):
    shutil.copy(DATA / "warcio-example.warc.gz", tmp_path / "x.warc.gz")
    check = run("warc-check", "x.warc.gz", cwd=tmp_path)                 # relative to the folder
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines()[-1].startswith("checked 1 file(s)")
    (tmp_path / "jobs.toml").write_text("[jobs.site]\nurls = ['https://a.example/']\n"
                                        "schedule = '0 3 * * *'\noutput_dir = 'archive'\n")
    jobs = run("jobs", "list", cwd=tmp_path)                              # "Unknown command" before
    assert jobs.returncode == 0, jobs.stderr
    assert "site" in jobs.stdout


def test_a_symlink_to_it_finds_the_project(tmp_path):
    link = tmp_path / "bin" / "newsarchive"
    link.parent.mkdir()
    link.symlink_to(ENTRY)
    result = subprocess.run([str(link), "list"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["news"]


def test_the_cron_line_it_prints_runs_from_cron(tmp_path):
    """`jobs cron` run through bin/newsarchive from the jobs file's folder (no scrapy.cfg there):
    the crontab line must find the project under cron's bare environment. It used to `cd` into
    the current folder and say "Unknown command: jobs" (exit 2) at every fire time."""
    from crawler.jobs.config import load_jobs
    from crawler.jobs.lock import JobLock

    (tmp_path / "jobs.toml").write_text("[jobs.site]\nurls = ['https://a.example/']\n"
                                        "schedule = '0 3 * * *'\noutput_dir = 'archive'\n")
    printed = run("jobs", "cron", "--format", "crontab", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    line = next(line for line in printed.stdout.splitlines() if line.startswith("0 3 * * * "))
    command = line.split(" ", 5)[5].replace("\\%", "%")       # as cron runs it: sh -c, `\%` -> `%`
    job = load_jobs(tmp_path / "jobs.toml").get("site")
    with JobLock(job.lock_path):                            # the job's lock held: it exits at once
        result = subprocess.run(["sh", "-c", command], cwd="/", env={"PATH": "/usr/bin:/bin"},
                                capture_output=True, text=True, timeout=120)
    log = (job.state_dir / "cron.log").read_text()
    assert result.returncode == 75, log
    assert "already running" in log
    assert f"WorkingDirectory={ROOT}" in run("jobs", "cron", "--format", "systemd", cwd=tmp_path).stdout
