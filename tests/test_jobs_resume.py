"""An interrupted job run resumes where it stopped: SIGTERM (graceful), then SIGKILL of runner and crawl.

Each resumed attempt must not fetch again any page the run already archived,
and the finished run's JSON must hold every article exactly once: the same set
an uninterrupted run of the same site produces.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archives.reader import iter_records
from archives.recovery import finalize_open_files
from tests.conftest import ROOT, run_scrapy, scrapy_command, scrapy_env

SLOW = {"DOWNLOAD_DELAY": 0.1, "CONCURRENT_REQUESTS": 1, "AUTOTHROTTLE_ENABLED": False,
        "RANDOMIZE_DOWNLOAD_DELAY": False, "EXTRACT_WORKERS": 1, "JOB_STATS_INTERVAL": 0.5}


def write_jobs(path: Path, base_url: str, settings: dict) -> Path:
    lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    path.write_text(f'[jobs.herald]\nurls = ["{base_url}"]\nschedule = "0 3 * * *"\n'
                    f'output_dir = "archive"\nrevisit_window = 0\n\n[jobs.herald.settings]\n{lines}\n')
    return path


def start_run(jobs_file: Path) -> subprocess.Popen:
    return subprocess.Popen(scrapy_command("jobs", "run", "herald", "--file", str(jobs_file)),
                            cwd=ROOT, env=scrapy_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for_requests(site, count: int, proc: subprocess.Popen, timeout=120.0) -> None:
    deadline = time.monotonic() + timeout
    while len(site.request_log) < count:
        assert proc.poll() is None, "the run ended before it could be interrupted: " + proc.stdout.read().decode()
        assert time.monotonic() < deadline, "the crawl did not get going"
        time.sleep(0.05)


def archived_paths(run_dir: Path) -> set[str]:
    """Paths with a final answer (not a 5xx, which is asked again) in the run's WARCs."""
    paths = set()
    for record in iter_records([run_dir], payload=False):
        if record.type in ("response", "revisit") and not record.truncated and record.status < 500:
            parts = urlsplit(record.target_uri)
            paths.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def requested(site) -> list[str]:
    return [path for method, path, headers in site.request_log]


def article_paths(run_dir: Path) -> list[str]:
    lines = (run_dir / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    return [urlsplit(json.loads(line)["canonical_url"])._replace(scheme="", netloc="").geturl() for line in lines]


def story_of(site):
    groups = {m: " = ".join(sorted(g["members"])) for g in site.expected["duplicate_groups"] for m in g["members"]}
    return lambda path: groups.get(path, path)


@pytest.fixture
def sites():
    from demosite import DemoSite

    with DemoSite() as interrupted, DemoSite() as reference:
        yield interrupted, reference


def test_interrupted_run_resumes_without_refetching_or_repeating(tmp_path, sites):
    site, reference_site = sites

    # The reference: the same site, crawled in one go.
    (tmp_path / "ref").mkdir()
    ref_file = write_jobs(tmp_path / "ref" / "jobs.toml", reference_site.base_url, {**SLOW, "DOWNLOAD_DELAY": 0})
    result = run_scrapy("jobs", "run", "herald", "--file", str(ref_file))
    assert result.returncode == 0, result.stdout + result.stderr
    [ref_run] = [p.parent for p in (tmp_path / "ref/archive").glob("*/manifest.json")]
    reference = sorted(article_paths(ref_run))
    assert len(reference) >= 8

    (tmp_path / "job").mkdir()
    jobs_file = write_jobs(tmp_path / "job" / "jobs.toml", site.base_url, SLOW)
    output = tmp_path / "job" / "archive"

    # Attempt 1: stopped with SIGTERM (what `jobs serve` and systemd send): a graceful stop.
    proc = start_run(jobs_file)
    wait_for_requests(site, 12, proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 130, proc.stdout.read().decode()
    [run_dir] = [p.parent for p in output.glob("*/manifest.json")]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["result"] == "interrupted"
    done = archived_paths(run_dir)
    site.clear_log()

    # Attempt 2: resumes; then runner and crawl are killed outright (SIGKILL, no clean-up at all).
    proc = start_run(jobs_file)
    wait_for_requests(site, 12, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert not set(requested(site)) & done, "attempt 2 fetched pages attempt 1 had archived"
    assert json.loads((run_dir / "manifest.json").read_text())["result"] == "running"
    time.sleep(0.5)                                         # let the killed crawl's sockets close
    finalize_open_files(run_dir)                            # (the runner does this too)
    done = archived_paths(run_dir)
    site.clear_log()

    # Attempt 3: resumes again and runs to the end.
    result = run_scrapy("jobs", "run", "herald", "--file", str(jobs_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "resuming interrupted run" in result.stdout
    refetched = set(requested(site)) & done
    assert not refetched, f"attempt 3 fetched pages already archived: {sorted(refetched)}"
    assert [p.parent for p in output.glob("*/manifest.json")] == [run_dir]

    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["result"] == "ok"
    assert manifest["resumed"] == 2
    first, second, third = manifest["attempts"]
    assert first["finish_reason"] == "shutdown" and first["exit_code"] == 130   # interrupted, not ok
    assert second.get("runner_lost") is True and second["finish_reason"] is None
    assert third["exit_code"] == 0 and third["finish_reason"] == "finished"

    # Every article exactly once, the same stories as the uninterrupted crawl (the SIGTERM
    # published what attempt 1 had: a group it decided keeps its page after the resume).
    story = story_of(site)
    got = [story(p) for p in article_paths(run_dir)]
    assert len(got) == len(set(got)), "an article was written twice"
    assert sorted(got) == sorted(story(p) for p in reference)
