"""`scrapy jobs` on the command line: usage and config errors, list, cron, the lock."""

import json

from crawler.jobs.lock import JobLock
from tests.conftest import run_scrapy

JOBS = """
[jobs.alpha]
urls = ["http://127.0.0.1:9/"]
schedule = "0 3 * * *"
timezone = "Europe/Paris"
output_dir = "out/alpha"

[jobs.beta]
urls = ["http://127.0.0.1:9/"]
schedule = "*/30 * * * *"
output_dir = "out/beta"
"""


def jobs_file(tmp_path, text=JOBS):
    path = tmp_path / "jobs.toml"
    path.write_text(text)
    return path


def one_error_line(result, *needles):
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_missing_and_broken_jobs_files(tmp_path):
    result = run_scrapy("jobs", "list", "--file", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    one_error_line(result, "nope.toml", "no such jobs file")
    bad = jobs_file(tmp_path, '[jobs.x]\nurls=["http://a.example/"]\nschedule="61 3 * * *"\noutput_dir="o"\n')
    result = run_scrapy("jobs", "run", "x", "--file", str(bad))
    assert result.returncode == 2
    one_error_line(result, "[jobs.x]", "schedule", "61 3 * * *")


def test_run_refuses_a_setting_the_runner_sets_and_runs_nothing(tmp_path):
    """-s OUTPUT_DIR put the run's WARCs outside its folder (an "ok" manifest listing only the
    log); -s JOBDIR, RUN_ID... would split the job's state the same way."""
    path = jobs_file(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    for setting, key in ((f"OUTPUT_DIR={elsewhere}", "'output_dir'"), ("RUN_ID=x", "job runner")):
        result = run_scrapy("jobs", "run", "alpha", "--file", str(path), "-s", setting)
        assert result.returncode == 2, result.stdout + result.stderr
        one_error_line(result, "-s " + setting.split("=")[0], key)
    assert not elsewhere.exists() and not (tmp_path / "out").exists()


def test_an_output_dir_that_cannot_be_made_is_one_error(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    path = jobs_file(tmp_path, '[jobs.x]\nurls=["http://127.0.0.1:9/"]\nschedule="0 3 * * *"\n'
                               'output_dir="afile/archive"\n')
    result = run_scrapy("jobs", "run", "x", "--file", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    one_error_line(result, "job x", "afile", "Not a directory")
    assert (tmp_path / "afile").read_text() == "not a folder"


def test_default_file_is_jobs_toml_in_the_working_directory(tmp_path):
    jobs_file(tmp_path)
    (tmp_path / "scrapy.cfg").write_text("[settings]\ndefault = crawler.settings\n")
    result = run_scrapy("jobs", "list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "alpha" in result.stdout and "beta" in result.stdout


def test_usage_errors(tmp_path):
    path = jobs_file(tmp_path)
    assert run_scrapy("jobs", "--file", str(path)).returncode == 2
    assert run_scrapy("jobs", "run", "--file", str(path)).returncode == 2
    result = run_scrapy("jobs", "run", "gamma", "--file", str(path))
    assert result.returncode == 2
    one_error_line(result, "no job named 'gamma'", "alpha, beta")


def test_list_shows_last_run_result_and_next_run(tmp_path):
    path = jobs_file(tmp_path)
    run_dir = tmp_path / "out/alpha/20250101T020000Z"
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text(json.dumps({
        "job": "alpha", "run": run_dir.name, "started": "2025-01-01T02:00:00Z", "result": "ok",
        "counts": {"pages": 12, "articles": 7}}))
    result = run_scrapy("jobs", "list", "--file", str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["JOB", "SCHEDULE", "LAST", "RUN", "RESULT", "NEXT", "RUN"]
    alpha = next(line for line in lines if line.startswith("alpha"))
    beta = next(line for line in lines if line.startswith("beta"))
    assert "2025-01-01T02:00:00Z" in alpha and "ok (12 pages, 7 articles)" in alpha
    assert "(Europe/Paris)" in alpha and "03:00 CE" in alpha          # next run in the job's zone
    assert "never" in beta


def test_run_refuses_while_the_job_is_locked(tmp_path):
    path = jobs_file(tmp_path)
    with JobLock(tmp_path / "out/alpha/.state/job.lock"):
        result = run_scrapy("jobs", "run", "alpha", "--file", str(path))
        listed = run_scrapy("jobs", "list", "--file", str(path))
    assert result.returncode == 75
    assert "already running" in result.stderr
    assert "running (pid" in next(line for line in listed.stdout.splitlines() if line.startswith("alpha"))
    assert list((tmp_path / "out/alpha").glob("2*")) == []


def test_cron_prints_crontab_and_systemd(tmp_path):
    path = jobs_file(tmp_path)
    result = run_scrapy("jobs", "cron", "--file", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "CRON_TZ=Europe/Paris" in out
    assert "0 3 * * * cd " in out and f"jobs run alpha --file {path}" in out
    assert "*/30 * * * * cd " in out
    assert "OnCalendar=*-*-* 03:00:00 Europe/Paris" in out
    assert "OnCalendar=*-*-* *:00,30:00 UTC" in out


def test_serve_announces_next_runs_and_stops_on_sigterm(tmp_path):
    import signal
    import subprocess

    from tests.conftest import ROOT, scrapy_command, scrapy_env

    path = jobs_file(tmp_path)
    proc = subprocess.Popen(scrapy_command("jobs", "serve", "--file", str(path)), cwd=ROOT,
                            env=scrapy_env(), stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if sum("next run" in s for s in seen) == 2:
                break
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "".join(seen)
    assert "job alpha: 0 3 * * * (Europe/Paris), next run" in text
    assert "job beta: */30 * * * * (UTC), next run" in text


def test_a_job_whose_site_is_down_reports_it(tmp_path):
    """The job's site down (nothing listens on its port): its start URL waits for robots.txt, which
    never answers, and is dropped (RFC 9309); the run is failed (jobs.runner.site_unreachable). Its
    line and manifest used to say "0 errors" all the same, and the crawl's summary "robots.txt 0
    URL(s) not fetched": the dropped start URL was counted nowhere a user looks."""
    import socket

    with socket.socket() as s:     # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = jobs_file(tmp_path, f'[jobs.dead]\nurls = ["http://127.0.0.1:{port}/"]\nschedule = "0 3 * * *"\n'
                               'output_dir = "out/dead"\n[jobs.dead.settings]\nROBOTSTXT_RETRY_AFTER = 0.2\n'
                               'ROBOTSTXT_RETRY_TIMES = 1\nRETRY_TIMES = 0\n')
    result = run_scrapy("jobs", "run", "dead", "--file", str(path))
    assert result.returncode == 1, result.stderr
    (run,) = (tmp_path / "out/dead").glob("2*")
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["result"] == "failed" and manifest["counts"]["pages"] == 0
    assert manifest["counts"]["errors"] == 1                  # the start URL, never fetched
    assert "failed: 0 pages, 0 articles, 0 duplicates, 0 revisits, 0 skipped recent, 1 errors" in result.stdout
    report = json.loads((run / "report.json").read_text())
    assert report["counts"]["robots_unreachable"] == 1
    assert "robots.txt     0 URL(s) not fetched: disallowed; 1 not fetched: robots.txt unreachable" in \
        (run / "crawl.log").read_text()
