"""Shared by the dedupe tests: the hand-written fixture and both real state backends."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path


from crawler.urls import canonicalize_url, same_site
from pipelines.dedupe_store import RedisStore, SQLiteStore
from pipelines.held import HELD_FILENAME

ARTICLES = [json.loads(line) for line in
            (Path(__file__).parent / "data" / "dedupe" / "articles.jsonl").read_text("utf-8").splitlines()]
BY_ID = {row["id"]: row for row in ARTICLES}


def held_count(out) -> int:
    """Articles a running crawl into `out` holds (pipelines.held): how far it got, since no
    article line is written before the crawl ends."""
    path = Path(out) / HELD_FILENAME
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM held").fetchone()[0]
    except sqlite3.Error:   # being created
        return 0


def canonical(row) -> str:
    """What the spider puts in item["canonical_url"] for this page."""
    declared = row["declared_canonical"]
    return canonicalize_url(declared if declared and same_site(declared, row["url"]) else row["url"])


def open_backend(backend, tmp_path, redis_server=None):
    """Generator behind conftest's `dedupe_backend` fixture: yields a function opening (and
    reopening: same state) one backend's store, with `.backend` and `.settings` (the crawl
    settings selecting it); closes every store it opened when resumed."""
    opened = []
    if backend == "sqlite":
        def factory():
            opened.append(SQLiteStore(tmp_path / "state" / "dedupe.sqlite3"))
            return opened[-1]
        factory.settings = {"DEDUPE_BACKEND": "sqlite", "DEDUPE_STATE_DIR": str(tmp_path / "state")}
    else:
        prefix = f"test:{uuid.uuid4().hex}"

        def factory():
            opened.append(RedisStore(redis_server.url, prefix=prefix))
            return opened[-1]
        factory.settings = {"DEDUPE_BACKEND": "redis", "REDIS_URL": redis_server.url, "DEDUPE_REDIS_PREFIX": prefix}
    factory.backend = backend
    yield factory
    for store in opened:
        store.close()
