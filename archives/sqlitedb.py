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
- `timeout`: seconds to wait for another process's write lock before "database is locked".
Standard library only.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def connect(path: str | os.PathLike, *, timeout: float, check_same_thread: bool = True) -> sqlite3.Connection:
    """The connection described above; the parent folder is created if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None, timeout=timeout,
                         check_same_thread=check_same_thread)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        db.close()
        raise
    return db
