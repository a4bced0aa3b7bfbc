"""`systemctl stop` of a job's service (`scrapy jobs cron`'s unit) stops its crawl gracefully.

systemd sends SIGTERM as the unit's KillMode says: `control-group` (its default) to every
process of the service, so the crawl gets one from systemd and one passed on by `scrapy jobs
run`, and Scrapy takes the second as "force an unclean shutdown"; `mixed` and `process` to
the main process alone, which passes it on once. The test reads the generated unit and
delivers SIGTERM that way to a real job run crawling a local server that holds a page
open, then checks the crawl stopped cleanly (finish reason `shutdown`, its JOBDIR kept). With
the default KillMode it failed 5 runs in 6 (two SIGTERMs sent at once are sometimes merged
into one pending signal by the kernel).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from crawler.jobs.config import load_jobs
from crawler.jobs.cron import systemd_units
from tests.conftest import ROOT, LOOPBACK_SETTINGS, scrapy_command, scrapy_env
from tests.rawserver import ARTICLE_PREFIX, RawServer, Route, article_html, ok
from tests.tools import wait_for

SLOW = ARTICLE_PREFIX + "slow.html"


def _slow_site():
    home = f'<html><body><a href="{SLOW}">Slow page</a></body></html>'.encode()
    return RawServer(routes={"/robots.txt": Route(ok(b"User-agent: *\nAllow: /\n", "text/plain")),
                             "/": Route(ok(home)),
                             # Its head at once, its body 3 s later: the crawl is busy when the stop comes.
                             SLOW: Route(ok(article_html("A slow page", 3)), pause=3.0)})


def _jobs_file(tmp_path, server):
    jobs_file = tmp_path / "jobs.toml"
    jobs_file.write_text(f'[jobs.site]\nurls = ["{server.base_url}/"]\nschedule = "0 3 * * *"\n'
                         'output_dir = "archive"\n[jobs.site.settings]\n'
                         + "".join(f'{k} = "{v}"\n' for k, v in LOOPBACK_SETTINGS.items()), encoding="utf-8")
    return jobs_file


def test_stopping_the_service_stops_the_crawl_gracefully(tmp_path):
    with _slow_site() as server:
        jobs_file = _jobs_file(tmp_path, server)
        job = load_jobs(jobs_file).get("site")
        unit = systemd_units(job, jobs_file, ROOT, sys.executable)
        service = next(text for name, text in unit.items() if name.endswith(".service"))
        kill_mode = (re.findall(r"^KillMode=(\S+)", service, re.M) or ["control-group"])[-1]

        proc = subprocess.Popen(scrapy_command("jobs", "run", "site", "--file", str(jobs_file)), cwd=ROOT,
                                env=scrapy_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)     # the service's processes, alone in a group
        try:
            wait_for(lambda: any(path == SLOW for path, _ in server.requests), what="the crawl to fetch the slow page")
            if kill_mode == "control-group":
                os.killpg(proc.pid, signal.SIGTERM)
            else:
                proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    (manifest_path,) = (tmp_path / "archive").glob("*/manifest.json")
    attempt = json.loads(manifest_path.read_text())["attempts"][-1]
    log = (manifest_path.parent / "crawl.log").read_text()
    assert "forcing unclean shutdown" not in log, log[-2000:]
    assert attempt["finish_reason"] == "shutdown", (kill_mode, out.decode()[-2000:])
    assert proc.returncode == 130
    assert (job.jobdir / "requests.seen").exists()    # Scrapy saved its state: the next run resumes it


@pytest.mark.parametrize("how", ["kill -INT", "Ctrl-C"])
def test_sigint_stops_the_crawl_gracefully(tmp_path, how):
    """SIGINT to `scrapy jobs run` alone (`kill -INT PID`, a supervisor) used to leave its crawl
    running to its end, and the run was then labelled interrupted: it is passed on, and the crawl
    stops as on Ctrl-C. A Ctrl-C typed in the run's terminal (a real pseudo-terminal here) reaches
    the crawl itself too: it must not be passed on as well (a second SIGINT: an unclean stop)."""
    with _slow_site() as server:
        jobs_file = _jobs_file(tmp_path, server)
        job = load_jobs(jobs_file).get("site")
        command = scrapy_command("jobs", "run", "site", "--file", str(jobs_file))
        fetched_slow = lambda: any(path == SLOW for path, _ in server.requests)   # noqa: E731
        if how == "kill -INT":
            proc = subprocess.Popen(command, cwd=ROOT, env=scrapy_env(), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                wait_for(fetched_slow, what="the crawl to fetch the slow page")
                proc.send_signal(signal.SIGINT)
                code = proc.wait(timeout=120)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
        else:
            code = _ctrl_c_in_a_terminal(command, fetched_slow)
    (manifest_path,) = (tmp_path / "archive").glob("*/manifest.json")
    manifest = json.loads(manifest_path.read_text())
    log = (manifest_path.parent / "crawl.log").read_text()
    assert "forcing unclean shutdown" not in log, log[-2000:]
    assert manifest["attempts"][-1]["finish_reason"] == "shutdown", log[-2000:]
    assert manifest["result"] == "interrupted" and code == 130
    assert (job.jobdir / "requests.seen").exists()    # Scrapy saved its state: the next run resumes it


def _ctrl_c_in_a_terminal(command, ready) -> int:
    """Run `command` as the foreground of a new pseudo-terminal, type Ctrl-C once `ready()`;
    its exit status."""
    import pty
    import threading

    pid, fd = pty.fork()
    if pid == 0:                                       # the child: exec at once
        os.chdir(ROOT)
        os.execve(command[0], command, scrapy_env())
    threading.Thread(target=_drain, args=(fd,), daemon=True).start()
    try:
        wait_for(ready, what="the crawl to fetch the slow page")
        os.write(fd, b"\x03")                           # the terminal sends SIGINT to its foreground
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                pid = None
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.2)
        raise AssertionError("the job run did not end")
    finally:
        if pid is not None:                            # a session leader: its group is its pid
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def _drain(fd) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
