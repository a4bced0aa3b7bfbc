"""One run of a job at a time, across processes, surviving crashes.

An advisory `flock` on `<state_dir>/job.lock`: the kernel drops it when the
last process holding the file descriptor dies, however it dies, so a crashed
run never leaves the job locked. The file also names its holder (pid, start
time) for `scrapy jobs list` and error messages; a file still naming a
process that no longer holds the lock is a stale lock, taken over (and logged).
The runner passes the descriptor on to its crawl subprocess, so the job stays
locked while that crawl lives even if the runner itself is killed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from pathlib import Path

from archives.records import warc_date as utc_iso

logger = logging.getLogger(__name__)


class JobLocked(RuntimeError):
    def __init__(self, path: Path, holder: dict | None):
        self.path = path
        self.holder = holder or {}
        pid = self.holder.get("pid")
        who = f" (pid {pid}, since {self.holder.get('since', '?')})" if pid else ""
        super().__init__(f"already running{who}; lock: {path}")


def _read(path: Path) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return {"raw": text[:200]}
    return info if isinstance(info, dict) else None


class JobLock:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fd: int | None = None
        self.stale: dict | None = None   # what a crashed holder left, when we took over

    @property
    def held(self) -> bool:
        return self._fd is not None

    def fileno(self) -> int:
        if self._fd is None:
            raise RuntimeError("lock not held")
        return self._fd

    def acquire(self, **info) -> "JobLock":
        """Take the lock now or raise JobLocked naming the holder; never waits."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JobLocked(self.path, _read(self.path)) from None
        self.stale = _read(self.path)
        if self.stale:
            logger.warning("%s: took over a stale lock left by pid %s (started %s), which is gone",
                           self.path, self.stale.get("pid", "?"), self.stale.get("since", "?"))
        record = {"pid": os.getpid(), "host": socket.gethostname(),
                  "since": utc_iso(), **info}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def update(self, **info) -> None:
        """Add fields (e.g. the crawl subprocess's pid) to the holder record."""
        record = {**(_read(self.path) or {}), **info}
        os.ftruncate(self.fileno(), 0)
        os.pwrite(self.fileno(), (json.dumps(record) + "\n").encode(), 0)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)   # an empty file: nobody holds it, nothing stale
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "JobLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_holder(path: str | Path) -> dict | None:
    """The holder record if some live process holds the lock, else None."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(path) or {}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
