"""crawler/jobs/relay.py with real processes and real signals, cheap ones (no crawl).

A parent (as `scrapy jobs run` is to its crawl) starts a child with start_child under a
SignalRelay; the child writes down every signal it gets. The full path, with real job runs and
crawls, is tests/test_jobs_stop.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT
from tests.test_jobs_stop import _alive
from tests.tools import wait_for

# The child: writes the name of each INT/TERM it gets on a line; prints "ready" once it listens.
CHILD = """
import signal, sys, time
out = open(sys.argv[1], "a", buffering=1)
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda n, f: out.write(signal.Signals(n).name + "\\n"))
out.write("ready\\n")
while True:
    time.sleep(0.05)
"""

# The parent: runs the child under a relay until told to leave (a file), prints the child's pid.
PARENT = """
import os, sys, time
from pathlib import Path
from crawler.jobs.relay import SignalRelay, start_child
record, done = sys.argv[1], Path(sys.argv[2])
with SignalRelay() as relay:
    child = start_child([sys.executable, "-c", sys.argv[3], record])
    relay.attach(child)
    print(child.pid, flush=True)
    while not done.exists():
        time.sleep(0.05)
    child.kill()
    child.wait()
"""


@contextmanager
def _parent(tmp_path: Path):
    """The parent running, its child listening: (parent, child's pid, the child's record, done file)."""
    record, done = tmp_path / "signals.txt", tmp_path / "done"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(record), str(done), CHILD], cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    child_pid = int(parent.stdout.readline())
    try:
        wait_for(lambda: record.exists() and "ready" in record.read_text(), what="the child to listen")
        yield parent, child_pid, record, done
    finally:
        done.touch()
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)


def _got(record: Path) -> list[str]:
    return record.read_text().split()[1:]


def test_each_signal_reaches_the_child_once(tmp_path):
    with _parent(tmp_path) as (parent, child_pid, record, done):
        assert os.getpgid(child_pid) == child_pid != os.getpgid(parent.pid)    # a group of its own
        os.killpg(parent.pid, signal.SIGINT)           # the parent's whole group: the child gets it from the parent
        wait_for(lambda: _got(record) == ["SIGINT"], what="SIGINT passed on")
        os.killpg(parent.pid, signal.SIGHUP)           # a hang-up after a stop: not a second stop
        os.kill(parent.pid, signal.SIGHUP)
        os.kill(parent.pid, signal.SIGINT)             # a second stop is passed on: Scrapy's fast stop
        wait_for(lambda: len(_got(record)) >= 2, what="the second SIGINT passed on")
        done.touch()
        assert parent.wait(timeout=30) == 0
        assert _got(record) == ["SIGINT", "SIGINT"]    # (a SIGTERM would stand for a hang-up passed on)


def test_a_hang_up_is_passed_on_as_one_sigterm(tmp_path):
    with _parent(tmp_path) as (parent, child_pid, record, done):
        os.kill(parent.pid, signal.SIGHUP)
        wait_for(lambda: _got(record) == ["SIGTERM"], what="SIGHUP passed on as SIGTERM")
        os.kill(parent.pid, signal.SIGHUP)             # the shell's, after the kernel's: dropped
        os.kill(parent.pid, signal.SIGINT)             # a real second stop
        wait_for(lambda: len(_got(record)) >= 2, what="SIGINT passed on")
        done.touch()
        assert parent.wait(timeout=30) == 0
        assert _got(record) == ["SIGTERM", "SIGINT"]


def test_the_child_dies_with_its_parent(tmp_path):
    """kill -9 of the parent (or of its group, which no longer holds the child) takes the child with it."""
    with _parent(tmp_path) as (parent, child_pid, record, done):
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        wait_for(lambda: not _alive(child_pid), timeout=30, what="the child to die with its parent")
