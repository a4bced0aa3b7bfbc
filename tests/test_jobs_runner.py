"""JobRunner's bookkeeping with a stand-in crawl: results, resume decisions, JOBDIR, lost runners.

The stand-in is an executable given as the runner's `python`; it reads the
settings the runner passes, writes the stats file a real crawl's JobStatsFile
extension writes, and ends the way FAKE_CRAWL says.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone

import pytest

from crawler.jobs import manifest as mf
from crawler.jobs.config import parse_jobs
from crawler.jobs.lock import JobLock, JobLocked
from crawler.jobs.runner import JobRunner

FAKE_CRAWL = f"""#!{sys.executable}
import json, os, signal, sys
from pathlib import Path
settings = dict(a.split("=", 1) for a in sys.argv if "=" in a and a.split("=", 1)[0].isupper())
mode = os.environ["FAKE_CRAWL"]
out = Path(settings["OUTPUT_DIR"])
(out / "articles.jsonl").open("a").write(json.dumps({{"url": "u", "attempt": mode}}) + "\\n")
Path(settings["JOBDIR"]).mkdir(parents=True, exist_ok=True)
(Path(settings["JOBDIR"]) / "requests.seen").write_text(mode)
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({{"mode": mode, "settings": settings}}) + "\\n")
stats = {{"downloader/response_count": 5, "output/articles": 1, "warc/revisit_records": 2,
          "dedupe/url": 1, "downloader/response_bytes": 1000}}
if mode in ("finished", "shutdown"):
    stats["finish_reason"] = mode
Path(settings["JOB_STATS_FILE"]).write_text(json.dumps(stats))
if mode == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
if mode == "hang":
    import time
    time.sleep(120)
sys.exit(1 if mode == "crash" else 0)
"""


class Clock:
    def __init__(self):
        self.current = datetime(2025, 1, 1, 3, 0, tzinfo=timezone.utc)

    def now(self):
        self.current += timedelta(seconds=1)
        return self.current


@pytest.fixture
def setup(tmp_path, monkeypatch):
    fake = tmp_path / "fakepython"
    fake.write_text(FAKE_CRAWL)
    fake.chmod(0o755)
    log = tmp_path / "crawls.jsonl"
    monkeypatch.setenv("FAKE_LOG", str(log))
    job = parse_jobs({"jobs": {"site": {"urls": ["https://a.example/"], "schedule": "0 3 * * *",
                                        "output_dir": "out", "max_pages": 7, "max_duration": 1,
                                        "settings": {"DOWNLOAD_DELAY": 2}}}},
                     tmp_path / "jobs.toml").get("site")
    clock = Clock()

    def run(mode, **kwargs):
        monkeypatch.setenv("FAKE_CRAWL", mode)
        return JobRunner(job, **{"clock": clock, "python": str(fake), **kwargs}).run()

    def crawls():
        return [json.loads(line) for line in log.read_text().splitlines()]

    return job, run, crawls


def runs(job):
    return mf.run_dirs(job.output_dir)


def test_a_finished_crawl_is_ok_and_the_next_run_gets_a_new_folder(setup):
    job, run, crawls = setup
    first = run("finished")
    assert first["result"] == "ok" and first["resumed"] == 0
    assert first["counts"] == {"pages": 5, "articles": 1, "duplicates": 1, "revisits": 2, "not_modified": 0,
                               "skipped_recent": 0, "errors": 0}
    assert first["bytes"]["fetched"] == 1000
    assert [f["path"] for f in first["files"]] == ["articles.jsonl", "crawl.log"]
    settings = crawls()[0]["settings"]
    assert settings["OUTPUT_DIR"] == str(job.output_dir / first["run"])
    assert settings["JOBDIR"] == str(job.jobdir)
    assert settings["CLOSESPIDER_PAGECOUNT"] == "7" and settings["DOWNLOAD_DELAY"] == "2"
    assert settings["CLOSESPIDER_TIMEOUT"] == "1"
    assert settings["INCREMENTAL_RUN_ID"] == first["run"] and "INCREMENTAL_RESUME_WARC" not in settings
    second = run("finished")
    assert second["run"] != first["run"] and len(runs(job)) == 2
    assert (job.jobdir / "requests.seen").read_text() == "finished"   # a fresh JOBDIR per new run


def test_after_the_clock_went_back_the_newest_run_is_the_last_and_resumes(setup):
    """A clock a year ahead named a run 2026...; corrected, the next run's folder (2025...) sorts
    before it. That run, interrupted, must still be the job's last run and be resumed."""
    job, run, crawls = setup
    ahead = Clock()
    ahead.current = datetime(2026, 6, 1, 3, 0, tzinfo=timezone.utc)
    wrong = run("finished", clock=ahead)
    assert wrong["run"].startswith("2026")
    interrupted = run("shutdown")                       # the fixture's clock: 2025-01-01
    assert interrupted["run"].startswith("2025") and interrupted["run"] < wrong["run"]
    assert mf.last_run(job.output_dir)[0].name == interrupted["run"]
    resumed = run("finished")
    assert resumed["run"] == interrupted["run"] and resumed["resumed"] == 1 and resumed["result"] == "ok"
    assert len(runs(job)) == 2
    newer = run("finished")
    assert mf.last_run(job.output_dir)[0].name == newer["run"]
    assert [newer["sequence"], resumed["sequence"], wrong["sequence"]] == [3, 2, 1]


def test_graceful_stop_resumes_with_its_jobdir(setup):
    job, run, crawls = setup
    first = run("shutdown")
    assert first["result"] == "interrupted"
    second = run("finished")
    assert second["run"] == first["run"] and second["resumed"] == 1 and second["result"] == "ok"
    assert [a["finish_reason"] for a in second["attempts"]] == ["shutdown", "finished"]
    assert second["counts"]["pages"] == 10                               # both attempts count
    lines = (job.output_dir / second["run"] / "articles.jsonl").read_text().splitlines()
    assert len(lines) == 2 and len(runs(job)) == 1


def test_killed_crawl_resumes_without_its_jobdir(setup):
    job, run, crawls = setup
    first = run("kill")
    assert first["result"] == "interrupted" and first["attempts"][0]["exit_code"] < 0
    (job.jobdir / "marker").write_text("left by the killed crawl")
    second = run("finished")
    assert second["run"] == first["run"] and second["result"] == "ok"
    assert not (job.jobdir / "marker").exists()                         # untrustworthy: discarded


def test_failed_crawl_is_not_resumed(setup):
    job, run, crawls = setup
    assert run("crash")["result"] == "failed"
    assert run("finished")["resumed"] == 0
    assert len(runs(job)) == 2


def test_fresh_abandons_an_interrupted_run(setup):
    job, run, crawls = setup
    first = run("shutdown")
    second = run("finished", fresh=True)
    assert second["run"] != first["run"] and second["resumed"] == 0
    old = mf.read_manifest(job.output_dir / first["run"])
    assert old["result"] == "interrupted" and old["abandoned"] is True


def test_runner_killed_mid_crawl(setup):
    """The manifest still says "running" and no lock is held: the runner died with its crawl."""
    job, run, crawls = setup
    first = run("shutdown")
    manifest = mf.read_manifest(job.output_dir / first["run"])
    manifest["result"] = "running"
    manifest["attempts"].append({"started": "x", "finished": None, "exit_code": None,
                                 "finish_reason": None, "stats": {}})
    mf.write_manifest(job.output_dir / first["run"], manifest)
    # The crawl had kept going on its own and finished: its stats say so.
    (job.state_dir / "last-attempt-stats.json").write_text(json.dumps(
        {"finish_reason": "finished", "downloader/response_count": 3}))
    second = run("finished")
    adopted = mf.read_manifest(job.output_dir / first["run"])
    assert adopted["result"] == "ok" and adopted["attempts"][-1]["runner_lost"] is True
    assert adopted["counts"]["pages"] == 5 + 3
    assert second["run"] != first["run"]                                 # a new run, not a resume


def test_locked_job_is_refused_and_left_alone(setup):
    job, run, crawls = setup
    with JobLock(job.lock_path):
        with pytest.raises(JobLocked):
            run("finished")
    assert runs(job) == []


def test_a_crawl_hung_past_max_duration_is_stopped_and_not_resumed(setup, monkeypatch):
    from crawler.jobs import runner

    job, run, crawls = setup
    monkeypatch.setattr(runner, "KILL_GRACE", 1)        # max_duration 1s + 1s grace
    first = run("hang")
    assert first["result"] == "failed" and first["attempts"][0]["timed_out"] is True
    assert run("finished")["run"] != first["run"]
