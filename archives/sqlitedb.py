"""Opening the project's SQLite files, one way: autocommit, WAL, synchronous=NORMAL.

Four stores keep state in SQLite (the digest index of WARC_DIGEST_INDEX=sqlite, the dedupe
state, the articles held until a run's end, the incremental page store), and several
processes may open one file (a crawl and `scrapy jobs`, two crawls into one OUTPUT_DIR). The
connection is the same for all; when to commit is each store's own policy:

- autocommit (every statement its own transaction) unless the store opens one with BEGIN;
  held articles and the incremental store commit every change, the digest index every
  digest; the dedupe state groups writes in a BEGIN IMMEDIATE batch per
  DEDUPE_COMMIT_INTERVAL (committing each article rewrites the random B-tree pages its band
  keys land on: that is what its bench measured);
- WAL with synchronous=NORMAL: readers do not block the writer, a commit costs no fsync, and
  the death of the process loses nothing committed (a power cut may lose the last commits,
  never the file);
- `timeout`: seconds to wait for another process's write lock before "database is locked";
  the switch to WAL waits as long: SQLite answers it "locked" at once, without its busy
  handler, while another connection is switching a new file (two crawls starting into one
  OUTPUT_DIR at the same moment: one of them died with a traceback as it opened).
Standard library only.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

_RETRY = 0.02       # seconds between tries of the switch to WAL, doubled up to _RETRY_MAX
_RETRY_MAX = 0.5


def connect(path: str | os.PathLike, *, timeout: float, check_same_thread: bool = True) -> sqlite3.Connection:
    """The connection described above; the parent folder is created if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None, timeout=timeout,
                         check_same_thread=check_same_thread)
    try:
        _switch_to_wal(db, timeout)
        db.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        db.close()
        raise
    return db


def _switch_to_wal(db: sqlite3.Connection, timeout: float) -> None:
    """PRAGMA journal_mode=WAL, tried again while another connection holds the file's lock,
    until `timeout` seconds have passed (the busy timeout it does not get from SQLite)."""
    deadline = time.monotonic() + timeout
    pause = _RETRY
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, _RETRY_MAX)
