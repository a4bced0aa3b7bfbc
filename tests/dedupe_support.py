"""Shared by the dedupe tests: the hand-written fixture and both real state backends."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

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


@pytest.fixture(params=["sqlite", "redis"])
def dedupe_backend(request, tmp_path):
    """A function opening (and reopening: same state) one backend's store, with `.backend`
    and `.settings` (the crawl settings selecting it); every store it opened is closed."""
    opened = []
    if request.param == "sqlite":
        def factory():
            opened.append(SQLiteStore(tmp_path / "state" / "dedupe.sqlite3"))
            return opened[-1]
        factory.settings = {"DEDUPE_BACKEND": "sqlite", "DEDUPE_STATE_DIR": str(tmp_path / "state")}
    else:
        server = request.getfixturevalue("redis_server")
        prefix = f"test:{uuid.uuid4().hex}"

        def factory():
            opened.append(RedisStore(server.url, prefix=prefix))
            return opened[-1]
        factory.settings = {"DEDUPE_BACKEND": "redis", "REDIS_URL": server.url, "DEDUPE_REDIS_PREFIX": prefix}
    factory.backend = request.param
    yield factory
    for store in opened:
        store.close()
