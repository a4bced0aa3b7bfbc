"""The job lock: one holder, held across a crawl subprocess, taken over from a dead holder."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from crawler.jobs.lock import JobLock, JobLocked, lock_holder

HOLDER = textwrap.dedent("""
    import sys, time
    from crawler.jobs.lock import JobLock
    lock = JobLock(sys.argv[1]).acquire(job="test")
    print("held", flush=True)
    time.sleep(120)
""")


def start_holder(path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_holder_is_refused_with_the_holders_pid(tmp_path):
    path = tmp_path / "job.lock"
    proc = start_holder(path)
    try:
        assert lock_holder(path)["pid"] == proc.pid
        with pytest.raises(JobLocked) as info:
            JobLock(path).acquire()
        assert f"pid {proc.pid}" in str(info.value)
    finally:
        proc.kill()
        proc.wait()


def test_lock_of_a_killed_process_is_taken_over(tmp_path):
    path = tmp_path / "job.lock"
    proc = start_holder(path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # The dead holder's record is still in the file, but nobody holds the lock.
    assert f'"pid": {proc.pid}' in path.read_text()
    assert lock_holder(path) is None
    lock = JobLock(path).acquire()
    try:
        assert lock.stale["pid"] == proc.pid
        assert lock_holder(path)["pid"] == os.getpid()
    finally:
        lock.release()
    assert lock_holder(path) is None
    assert path.read_text() == ""          # a clean release leaves nothing that looks stale
    assert JobLock(path).acquire().stale is None


def test_lock_stays_held_by_a_child_that_inherited_it(tmp_path):
    path = tmp_path / "job.lock"
    lock = JobLock(path).acquire()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], pass_fds=(lock.fileno(),))
    try:
        # The parent's copy goes away (as if the runner was killed); the child still holds it.
        os.close(lock._fd)
        lock._fd = None
        assert lock_holder(path) is not None
        with pytest.raises(JobLocked):
            JobLock(path).acquire()
    finally:
        child.kill()
        child.wait()
    assert lock_holder(path) is None
    JobLock(path).acquire().release()
