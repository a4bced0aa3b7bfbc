"""Every way of stopping `scrapy jobs run` stops its crawl once: gracefully, or at once when asked twice.

Scrapy stops gracefully on its first SIGINT/SIGTERM (its JOBDIR saved, the next run resumes
it) and takes a second as "force an unclean shutdown". When the crawl shared the runner's
process group, a signal sent to the group (`kill -INT -- -PGID`, supervisord's stopasgroup,
systemd's default KillMode) reached it directly and again passed on by the runner: an unclean
stop in about 1 run of 3 (two signals sent at once are sometimes merged by the kernel). The
crawl now has a group of its own, the runner passes each stop signal on once, and dies
together with it (crawler/jobs/relay.py).

Each case is a real job run crawling a local server that holds a page open, so the crawl is
busy when the stop comes; the page is let go once the crawl has logged the signal. The cases
run at the same time (one test, ~8 runs' start-up in parallel instead of one after the other).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from crawler.jobs.config import load_jobs
from crawler.jobs.cron import systemd_units
from crawler.jobs.lock import lock_holder
from tests.conftest import ROOT, LOOPBACK_SETTINGS, scrapy_command, scrapy_env
from tests.rawserver import ARTICLE_PREFIX, RawServer, Route, article_html, ok
from tests.tools import wait_for

SLOW = ARTICLE_PREFIX + "slow.html"
START_TIMEOUT = 180      # seconds: eight runs start at once on a machine that may be busy

# How each case stops the run, and how the crawl must have stopped:
# "graceful": one stop signal reached it, it closed (finish reason `shutdown`, JOBDIR saved);
# "at once": Scrapy's unclean shutdown, without waiting for the page it is fetching;
# "killed": the runner SIGKILLed; the crawl must not outlive it, and the job lock is free.
CASES = {
    "kill -INT PID": "graceful",
    "kill -INT -- -PGID": "graceful",          # supervisord stopasgroup, stopsignal=INT
    "kill -TERM -- -PGID": "graceful",
    "systemctl stop": "graceful",              # as the printed unit's KillMode says
    "Ctrl-C": "graceful",                      # typed in the run's terminal (a real pseudo-terminal)
    "Ctrl-C twice": "at once",
    "terminal closed": "graceful",             # SIGHUP, from the kernel
    "kill -9 PID": "killed",
}


class _Run:
    """`scrapy jobs run site` in a new session: with a pseudo-terminal as its controlling
    terminal (`tty`), or with no terminal at all."""

    def __init__(self, jobs_file: Path, tty: bool):
        command = scrapy_command("jobs", "run", "site", "--file", str(jobs_file))
        self.fd = None
        self.code = None
        if tty:
            import pty

            pid, fd = pty.fork()
            if pid == 0:                                # the child: exec at once
                os.chdir(ROOT)
                os.execve(command[0], command, scrapy_env())
            self.pid, self.fd = pid, fd
        else:
            self.pid = subprocess.Popen(command, cwd=ROOT, env=scrapy_env(), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True).pid

    def exited(self) -> bool:
        if self.code is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.code = os.waitstatus_to_exitcode(status)
        return self.code is not None

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def hang_up(self) -> None:
        os.close(self.fd)                               # the last reference: the terminal hangs up
        self.fd = None

    def drain(self) -> None:
        """Read what it prints (a full terminal would block it); not for the run whose terminal
        is closed: a read in progress keeps the terminal open."""
        threading.Thread(target=_drain, args=(self.fd,), daemon=True).start()

    def cleanup(self) -> None:
        if not self.exited():
            os.killpg(self.pid, signal.SIGKILL)         # a session leader: its group is its pid
            os.waitpid(self.pid, 0)
        if self.fd is not None:
            os.close(self.fd)


def _drain(fd) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass


def _alive(pid: int) -> bool:
    """Running: a thread of it is not a zombie yet. (A zombie waiting for its reaper is gone, but
    the main thread of a killed process shows Z while its other threads, and the open files
    they share, such as the job lock, are still being torn down.)"""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return False
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                    return True
        except FileNotFoundError:
            pass
    return False


def _received(log_path: Path) -> list[str]:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return re.findall(r"Received (SIG\w+)", text)


def _stop(tmp_path: Path, how: str) -> dict:
    """One case: start the run, stop it `how` while it fetches the held page; what came of it."""
    hold = threading.Event()
    home = f'<html><body><a href="{SLOW}">Slow page</a></body></html>'.encode()
    routes = {"/robots.txt": Route(ok(b"User-agent: *\nAllow: /\n", "text/plain")), "/": Route(ok(home)),
              SLOW: Route(ok(article_html("A slow page", 3)), hold=hold)}
    folder = tmp_path / re.sub(r"\W+", "-", how).strip("-")
    folder.mkdir()
    with RawServer(routes=routes) as server:
        jobs_file = folder / "jobs.toml"
        jobs_file.write_text(f'[jobs.site]\nurls = ["{server.base_url}/"]\nschedule = "0 3 * * *"\n'
                             'output_dir = "archive"\n[jobs.site.settings]\n'
                             + "".join(f'{k} = "{v}"\n' for k, v in LOOPBACK_SETTINGS.items()), encoding="utf-8")
        job = load_jobs(jobs_file).get("site")
        run = _Run(jobs_file, tty=how.startswith(("Ctrl-C", "terminal")))
        try:
            if run.fd is not None and how != "terminal closed":
                run.drain()
            wait_for(lambda: any(path == SLOW for path, _ in server.requests), START_TIMEOUT,
                     what=f"{how}: the crawl to fetch the held page")
            crawl_pid = (lock_holder(job.lock_path) or {})["crawl_pid"]
            log_path = next((folder / "archive").glob("*/crawl.log"))
            expect = CASES[how]
            if how == "kill -INT PID":
                os.kill(run.pid, signal.SIGINT)
            elif how.startswith("kill -") and how.endswith("PGID"):
                os.killpg(run.pid, signal.SIGINT if "-INT" in how else signal.SIGTERM)
            elif how == "systemctl stop":
                service = next(text for name, text in systemd_units(job, jobs_file, ROOT, sys.executable).items()
                               if name.endswith(".service"))
                kill_mode = (re.findall(r"^KillMode=(\S+)", service, re.M) or ["control-group"])[-1]
                # control-group (systemd's default): every process of the service; else the main one.
                for pid in ([run.pid, crawl_pid] if kill_mode == "control-group" else [run.pid]):
                    os.kill(pid, signal.SIGTERM)
            elif how.startswith("Ctrl-C"):
                run.type(b"\x03")                       # the terminal sends SIGINT to its foreground
                if how == "Ctrl-C twice":
                    wait_for(lambda: _received(log_path), 60, what=f"{how}: the crawl to get the first")
                    run.type(b"\x03")
            elif how == "terminal closed":
                run.hang_up()
            elif how == "kill -9 PID":
                os.kill(run.pid, signal.SIGKILL)
            if expect == "graceful":
                wait_for(lambda: _received(log_path) or run.exited(), 60, what=f"{how}: the crawl to get the stop")
            else:                                       # the page stays held: it must not be waited for
                wait_for(lambda: run.exited() and not _alive(crawl_pid), 60, what=f"{how}: the run to end")
            ended_while_held = run.exited()          # a graceful stop waits for the page it fetches
            hold.set()
            wait_for(run.exited, 120, what=f"{how}: the run to end")
            wait_for(lambda: not _alive(crawl_pid), 30, what=f"{how}: the crawl to end")
        finally:
            hold.set()
            run.cleanup()
        manifest = json.loads(next((folder / "archive").glob("*/manifest.json")).read_text())
        return {"exit": run.code, "result": manifest["result"],
                "finish_reason": manifest["attempts"][-1]["finish_reason"],
                "signals": _received(log_path), "ended_while_held": ended_while_held,
                "jobdir_saved": (job.jobdir / "spider.state").exists(),   # written as the spider closes
                "job_locked": lock_holder(job.lock_path) is not None}


def test_every_way_of_stopping_a_run_stops_its_crawl_once(tmp_path):
    with ThreadPoolExecutor(len(CASES)) as pool:
        futures = {how: pool.submit(_stop, tmp_path, how) for how in CASES}
        got = {how: future.result() for how, future in futures.items()}
    expected = {}
    for how, expect in CASES.items():
        signals = {"Ctrl-C": ["SIGINT"], "Ctrl-C twice": ["SIGINT", "SIGINT"], "kill -INT PID": ["SIGINT"],
                   "kill -INT -- -PGID": ["SIGINT"], "kill -9 PID": []}.get(how, ["SIGTERM"])
        expected[how] = {
            "graceful": {"exit": 130, "result": "interrupted", "finish_reason": "shutdown", "signals": signals,
                         "ended_while_held": False, "jobdir_saved": True, "job_locked": False},
            # Scrapy's unclean shutdown writes no JOBDIR state: the next run starts the run's
            # crawl afresh, answering what it archived from its WARCs (test_jobs_resume).
            "at once": {"exit": 130, "result": "interrupted", "finish_reason": None, "signals": signals,
                        "ended_while_held": True, "jobdir_saved": False, "job_locked": False},
            # The runner died before writing anything: its manifest still says running; the
            # next run takes the lock and resumes it (test_jobs_resume).
            "killed": {"exit": -signal.SIGKILL, "result": "running", "finish_reason": None, "signals": signals,
                       "ended_while_held": True, "jobdir_saved": False, "job_locked": False},
        }[expect]
    wrong = {how: {key: (value, expected[how][key]) for key, value in got[how].items() if value != expected[how][key]}
             for how in CASES if got[how] != expected[how]}
    assert not wrong, wrong         # per case: {what: (got, expected)}
