"""Which payloads are already archived, for identical-payload-digest revisit records.

The writer only needs `lookup` and `add`; the in-memory index deduplicates
within one run, the SQLite one across runs (point every run at the same file), the
Redis one across the processes of a distributed crawl.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple, Protocol

from archives import sqlitedb


class Original(NamedTuple):
    """The response record a revisit refers to."""

    uri: str
    date: str
    record_id: str


class DigestIndex(Protocol):
    def lookup(self, digest: str) -> Original | None: ...

    def add(self, digest: str, uri: str, date: str, record_id: str) -> None: ...

    def close(self) -> None: ...


class MemoryDigestIndex:
    """Digests seen in this run only."""

    def __init__(self, path: str | None = None):
        self._seen: dict[str, Original] = {}

    def lookup(self, digest: str) -> Original | None:
        return self._seen.get(digest)

    def add(self, digest: str, uri: str, date: str, record_id: str) -> None:
        self._seen.setdefault(digest, Original(uri, date, record_id))

    def close(self) -> None:
        self._seen.clear()


class SqliteDigestIndex:
    """Digests kept in a SQLite file: revisits across runs sharing that file."""

    def __init__(self, path: str):
        # The writer serializes calls (from the reactor or its offload thread). Each digest is
        # committed as it is added: a lost one only costs a full record instead of a revisit.
        self._db = sqlitedb.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS payloads (digest TEXT PRIMARY KEY,"
                         " uri TEXT NOT NULL, date TEXT NOT NULL, record_id TEXT NOT NULL)")

    def lookup(self, digest: str) -> Original | None:
        row = self._db.execute("SELECT uri, date, record_id FROM payloads WHERE digest = ?",
                               (digest,)).fetchone()
        return Original(*row) if row else None

    def add(self, digest: str, uri: str, date: str, record_id: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO payloads VALUES (?, ?, ?, ?)",
                         (digest, uri, date, record_id))

    def close(self) -> None:
        self._db.close()


class RedisDigestIndex:
    """Digests kept in a Redis hash: revisits across the processes of a distributed crawl.

    `path` is `redis://host:port/db#key`. Two processes archiving one payload at the same
    moment may both store it in full (the lookup precedes the write); HSETNX keeps the first.
    """

    def __init__(self, path: str):
        import json

        import redis

        url, _, key = path.partition("#")
        self.key = key or "newsarchive:digests"
        self._json = json
        self._redis = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30)

    def lookup(self, digest: str) -> Original | None:
        value = self._redis.hget(self.key, digest)
        return Original(*self._json.loads(value)) if value else None

    def add(self, digest: str, uri: str, date: str, record_id: str) -> None:
        self._redis.hsetnx(self.key, digest, self._json.dumps([uri, date, record_id]))

    def close(self) -> None:
        self._redis.close()


INDEXES = {"memory": MemoryDigestIndex, "sqlite": SqliteDigestIndex, "redis": RedisDigestIndex}


def make_digest_index(kind: str, path: str) -> DigestIndex | None:
    """`memory`, `sqlite`, `redis` (path: URL#key), `none`/"" (no revisits), or a dotted class
    path taking `path`."""
    if not kind or kind == "none":
        return None
    cls = INDEXES.get(kind)
    if cls is None:
        module, _, name = kind.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
    return cls(path)
