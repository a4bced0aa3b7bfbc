"""archives/sqlitedb.py: several processes opening one new SQLite file at once (two crawls
started into one OUTPUT_DIR open its held-articles file together) all get a connection."""

from __future__ import annotations

import multiprocessing

from archives import sqlitedb


def _open(path, barrier, results) -> None:
    barrier.wait()
    try:
        db = sqlitedb.connect(path, timeout=10)
        db.execute("CREATE TABLE IF NOT EXISTS t (x)")
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        db.close()
        results.put(mode)
    except Exception as exc:  # the failure is the test's answer, reported by the parent
        results.put(repr(exc))


def test_processes_opening_one_new_file_together_all_switch_it_to_wal(tmp_path):
    # before the retry, SQLite answered a concurrent switch to WAL "database is locked" at once
    # (no busy timeout): about 1 round in 6 of 6 processes failed here
    context = multiprocessing.get_context("fork")
    answers = []
    for round_ in range(12):
        path = tmp_path / f"held-{round_}.sqlite3"
        barrier, results = context.Barrier(6), context.Queue()
        processes = [context.Process(target=_open, args=(path, barrier, results)) for _ in range(6)]
        for process in processes:
            process.start()
        answers += [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=60)
    assert answers == ["wal"] * 72
