"""Dedupe state: every canonical URL seen, and the fingerprints of first-seen articles.

One interface (`DedupeStore`), two backends that persist across runs:
- `SQLiteStore`: a file in DEDUPE_STATE_DIR (or OUTPUT_DIR); nothing to install; several
  processes on one machine may share it (WAL, one write transaction per article).
- `RedisStore`: REDIS_URL, for several crawler processes or machines.

The near-duplicate index is MinHash LSH banding stored the same way in both: one key per
band of the signature (`Fingerprinter.band_keys`) pointing at the first-seen articles whose
signature has that band, so a query is a handful of indexed lookups however large the
state grows. Which candidates are duplicates is decided by `pipelines.dedupe.Deduplicator`,
not here.

For other components (e.g. scheduled jobs deciding what changed since the last run):
`store.seen(canonical_url)` answers "have I seen this URL, with which body?" as a `Seen`,
whose `fingerprint` compares with `pipelines.dedupe_fingerprint.content_fingerprint(text)`.
`open_store(settings)` opens the configured backend from Scrapy-style settings.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SQLITE_FILENAME = "dedupe.sqlite3"


class StoreError(RuntimeError):
    """The state cannot be used: unreachable, or written with other fingerprint parameters."""


@dataclass(frozen=True)
class Seen:
    """What the state knows about one canonical URL."""

    canonical_url: str
    fingerprint: str | None      # content_fingerprint of the body last recorded (None: no body)
    duplicate_of: str | None     # canonical URL of its group's first-seen article; None: it is one
    run_id: str                  # the run that last met this URL
    first_seen: str              # ISO 8601 UTC
    last_seen: str               # ISO 8601 UTC
    signature: bytes | None = field(default=None, repr=False)  # indexed MinHash (first-seen only)


@dataclass(frozen=True)
class Lookup:
    seen: Seen | None                          # this URL, if met before
    exact: str | None                          # another first-seen article with the same fingerprint
    candidates: list[tuple[str, bytes]]        # (canonical_url, signature) sharing an LSH band


@dataclass(frozen=True)
class Record:
    """A change to the state for one canonical URL.

    kind "touch": met again, body unchanged or same run (only last_seen/run_id change);
    "duplicate": recorded with duplicate_of, not indexed; "original": indexed by
    fingerprint and bands, replacing an older version's index entries (`old_band_keys`).
    `expect_run` is the run_id read by the lookup (None: URL was unknown): a backend
    without transactions refuses the write when the state changed in between.
    """

    kind: str
    canonical_url: str
    run_id: str
    now: str
    expect_run: str | None = None
    fingerprint: str | None = None
    duplicate_of: str | None = None
    signature: bytes | None = None
    band_keys: tuple[int, ...] = ()
    old_band_keys: tuple[int, ...] = ()


class DedupeStore(ABC):
    """The dedupe state. Not thread-safe: one instance per thread (or process)."""

    @contextmanager
    def transaction(self):
        """Lookup and record inside one of these are atomic where the backend allows it."""
        yield

    def flush(self) -> None:
        """Make recorded state durable and visible to other processes (a no-op where it is
        at once)."""

    @property
    @abstractmethod
    def location(self) -> str: ...

    @abstractmethod
    def seen(self, canonical_url: str) -> Seen | None:
        """The public question: this canonical URL before, and with which body fingerprint."""

    @abstractmethod
    def lookup(self, canonical_url: str, fingerprint: str | None, band_keys) -> Lookup: ...

    @abstractmethod
    def record(self, record: Record) -> bool:
        """Apply `record`; False if another writer changed this URL or claimed this fingerprint
        since the lookup (the caller looks again)."""

    @abstractmethod
    def count(self) -> int:
        """Canonical URLs in the state."""

    @abstractmethod
    def get_params(self) -> dict | None:
        """The fingerprint parameters the state was built with (None: new state)."""

    @abstractmethod
    def set_params(self, params: dict) -> None: ...

    def close(self) -> None:
        pass


# --- SQLite -------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS urls (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    fingerprint TEXT,
    duplicate_of TEXT,
    run_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    signature BLOB
);
CREATE INDEX IF NOT EXISTS urls_indexed_fingerprint ON urls (fingerprint) WHERE signature IS NOT NULL;
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
"""

_SEEN_COLUMNS = "url, fingerprint, duplicate_of, run_id, first_seen, last_seen, signature"


class SQLiteStore(DedupeStore):
    """Rows: `urls` (every canonical URL; signature only for first-seen articles) and `bands`
    (LSH band key -> urls.id), both B-tree indexed: lookups stay O(log n) at any size.

    Writes are grouped: one write transaction stays open for `commit_interval` seconds
    (each article in its own savepoint), because committing rewrites every B-tree page the
    article's band keys landed on, and those are random. `flush()` commits now; a crash
    loses at most the last interval of state (those articles come out again next run).
    """

    def __init__(self, path, *, commit_interval: float = 1.0, timeout: float = 60.0, cache_mb: int = 64,
                 page_size: int = 4096):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.commit_interval = commit_interval
        self._batch_started: float | None = None
        try:
            self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
            self._db.execute(f"PRAGMA page_size={int(page_size)}")    # only takes effect on a new file
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")   # WAL: a power cut loses commits, never the file
            self._db.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open dedupe state {self.path}: {exc}") from exc

    @property
    def location(self) -> str:
        return str(self.path)

    @contextmanager
    def transaction(self):
        # IMMEDIATE takes the write lock up front: other processes wait rather than race.
        if self._batch_started is None:
            self._db.execute("BEGIN IMMEDIATE")
            self._batch_started = time.monotonic()
        self._db.execute("SAVEPOINT article")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO article")
            self._db.execute("RELEASE article")
            raise
        self._db.execute("RELEASE article")
        if time.monotonic() - self._batch_started >= self.commit_interval:
            self.flush()

    def flush(self):
        if self._batch_started is not None:
            self._db.execute("COMMIT")
            self._batch_started = None

    def seen(self, canonical_url):
        row = self._db.execute(f"SELECT {_SEEN_COLUMNS} FROM urls WHERE url = ?", (canonical_url,)).fetchone()
        return Seen(*row) if row else None

    def lookup(self, canonical_url, fingerprint, band_keys):
        exact = None
        if fingerprint is not None:
            row = self._db.execute(
                "SELECT url FROM urls WHERE fingerprint = ? AND signature IS NOT NULL AND url != ? LIMIT 1",
                (fingerprint, canonical_url)).fetchone()
            exact = row[0] if row else None
        candidates = []
        if band_keys:
            ids = self._db.execute(f"SELECT DISTINCT id FROM bands WHERE key IN ({','.join('?' * len(band_keys))})",
                                   tuple(band_keys)).fetchall()
            if ids:
                candidates = self._db.execute(
                    f"SELECT url, signature FROM urls WHERE id IN ({','.join('?' * len(ids))}) AND url != ?",
                    (*(i for (i,) in ids), canonical_url)).fetchall()
        return Lookup(self.seen(canonical_url), exact, candidates)

    def record(self, r: Record) -> bool:
        db = self._db
        if r.kind == "touch":
            db.execute("UPDATE urls SET last_seen = ?, run_id = ? WHERE url = ?", (r.now, r.run_id, r.canonical_url))
            return True
        row = db.execute("SELECT id, run_id FROM urls WHERE url = ?", (r.canonical_url,)).fetchone()
        if (row[1] if row else None) != r.expect_run:
            return False
        if r.kind == "original" and r.signature is not None and db.execute(
                "SELECT 1 FROM urls WHERE fingerprint = ? AND signature IS NOT NULL AND url != ?",
                (r.fingerprint, r.canonical_url)).fetchone():
            return False
        if row and r.old_band_keys:
            db.executemany("DELETE FROM bands WHERE key = ? AND id = ?", [(k, row[0]) for k in r.old_band_keys])
        signature = r.signature if r.kind == "original" else None
        cursor = db.execute(
            "INSERT INTO urls (url, fingerprint, duplicate_of, run_id, first_seen, last_seen, signature)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET fingerprint = excluded.fingerprint,"
            " duplicate_of = excluded.duplicate_of, run_id = excluded.run_id, last_seen = excluded.last_seen,"
            " signature = excluded.signature",
            (r.canonical_url, r.fingerprint, r.duplicate_of, r.run_id, r.now, r.now, signature))
        if signature is not None and r.band_keys:
            doc_id = row[0] if row else cursor.lastrowid
            db.execute(f"INSERT OR IGNORE INTO bands (key, id) VALUES {','.join(['(?, ?)'] * len(r.band_keys))}",
                       [v for k in r.band_keys for v in (k, doc_id)])
        return True

    def count(self):
        return self._db.execute("SELECT COUNT(*) FROM urls").fetchone()[0]

    def get_params(self):
        row = self._db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()
        return json.loads(row[0]) if row else None

    def set_params(self, params):
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('params', ?)", (json.dumps(params),))

    def close(self):
        if self._db is not None:
            self.flush()
            self._db.close()
            self._db = None


# --- Redis --------------------------------------------------------------------------------

# Keys, all under one hash tag so a Redis Cluster keeps them in one slot:
#   {prefix}:url:<canonical url>  hash  fp, dup, run, first, last, doc (id when first-seen)
#   {prefix}:fp:<fingerprint>     string  canonical URL of the first-seen article
#   {prefix}:doc:<id>             hash  url, sig
#   {prefix}:band:<band key>      set of doc ids
#   {prefix}:seq, {prefix}:params
_LOOKUP = """
local p, url, fp = ARGV[1], ARGV[2], ARGV[3]
local rec = redis.call('HGETALL', p .. ':url:' .. url)
local own_sig = false
local doc = redis.call('HGET', p .. ':url:' .. url, 'doc')
if doc then own_sig = redis.call('HGET', p .. ':doc:' .. doc, 'sig') end
local exact = false
if fp ~= '' then
  exact = redis.call('GET', p .. ':fp:' .. fp)
  if exact == url then exact = false end
end
local found = {}
if #ARGV > 3 then
  local keys = {}
  for i = 4, #ARGV do keys[#keys + 1] = p .. ':band:' .. ARGV[i] end
  for _, id in ipairs(redis.call('SUNION', unpack(keys))) do
    local d = redis.call('HMGET', p .. ':doc:' .. id, 'url', 'sig')
    if d[1] and d[1] ~= url then
      found[#found + 1] = d[1]
      found[#found + 1] = d[2]
    end
  end
end
return {rec, own_sig, exact, found}
"""

_RECORD = """
local p, kind, url, run, now, expect = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local fp, dup, sig, nnew = ARGV[7], ARGV[8], ARGV[9], tonumber(ARGV[10])
local ukey = p .. ':url:' .. url
if kind == 'touch' then
  redis.call('HSET', ukey, 'last', now, 'run', run)
  return 1
end
if (redis.call('HGET', ukey, 'run') or '') ~= expect then return 0 end
if kind == 'original' and fp ~= '' and sig ~= '' then
  local owner = redis.call('GET', p .. ':fp:' .. fp)
  if owner and owner ~= url then return 0 end
end
local old_doc = redis.call('HGET', ukey, 'doc')
if old_doc then
  for i = 11 + nnew, #ARGV do redis.call('SREM', p .. ':band:' .. ARGV[i], old_doc) end
  local old_fp = redis.call('HGET', ukey, 'fp')
  if old_fp and redis.call('GET', p .. ':fp:' .. old_fp) == url then redis.call('DEL', p .. ':fp:' .. old_fp) end
  redis.call('DEL', p .. ':doc:' .. old_doc)
  redis.call('HDEL', ukey, 'doc')
end
local first = redis.call('HGET', ukey, 'first') or now
redis.call('HSET', ukey, 'fp', fp, 'dup', dup, 'run', run, 'first', first, 'last', now)
if kind == 'original' and sig ~= '' then
  if fp ~= '' then redis.call('SET', p .. ':fp:' .. fp, url) end
  local id = redis.call('INCR', p .. ':seq')
  redis.call('HSET', p .. ':doc:' .. id, 'url', url, 'sig', sig)
  redis.call('HSET', ukey, 'doc', id)
  for i = 11, 10 + nnew do redis.call('SADD', p .. ':band:' .. ARGV[i], id) end
end
return 1
"""


class RedisStore(DedupeStore):
    """Each lookup and each record is one server-side script: two round trips per article.
    URL and fingerprint claims are atomic across processes (`record` compares and sets);
    two near copies recorded at the same instant by two processes may both stay first-seen."""

    def __init__(self, url: str, *, prefix: str = "newsarchive:dedupe"):
        import redis

        if not url:
            raise StoreError("DEDUPE_BACKEND = 'redis' needs REDIS_URL (redis://host:port/db)")
        self._url = url
        self.prefix = "{" + prefix + "}"
        try:
            self._redis = redis.Redis.from_url(url)
            self._redis.ping()
        except (redis.RedisError, ValueError) as exc:
            raise StoreError(f"cannot reach Redis at {url}: {exc}") from exc
        self._lookup = self._redis.register_script(_LOOKUP)
        self._record = self._redis.register_script(_RECORD)

    @property
    def location(self) -> str:
        return f"{self._url} ({self.prefix})"

    def _seen(self, canonical_url, fields, signature) -> Seen | None:
        if not fields:
            return None
        f = {k.decode(): v.decode() for k, v in zip(fields[::2], fields[1::2])}
        return Seen(canonical_url, f.get("fp") or None, f.get("dup") or None, f["run"], f["first"], f["last"],
                    signature or None)

    def seen(self, canonical_url):
        return self.lookup(canonical_url, None, ()).seen

    def lookup(self, canonical_url, fingerprint, band_keys):
        fields, own_sig, exact, found = self._lookup(
            args=[self.prefix, canonical_url, fingerprint or "", *band_keys])
        candidates = [(found[i].decode(), found[i + 1]) for i in range(0, len(found), 2)]
        return Lookup(self._seen(canonical_url, fields, own_sig), exact.decode() if exact else None, candidates)

    def record(self, r: Record) -> bool:
        args = [self.prefix, r.kind, r.canonical_url, r.run_id, r.now, r.expect_run or "", r.fingerprint or "",
                r.duplicate_of or "", r.signature or b"", len(r.band_keys), *r.band_keys, *r.old_band_keys]
        return bool(self._record(args=args))

    def count(self):
        return sum(1 for _ in self._redis.scan_iter(match=self.prefix + ":url:*", count=1000))

    def get_params(self):
        value = self._redis.get(self.prefix + ":params")
        return json.loads(value) if value else None

    def set_params(self, params):
        self._redis.set(self.prefix + ":params", json.dumps(params))

    def close(self):
        self._redis.close()


def open_store(settings) -> DedupeStore:
    """The backend named by DEDUPE_BACKEND, from a Scrapy `Settings` (or any mapping with
    `.get`)."""
    backend = (settings.get("DEDUPE_BACKEND") or "sqlite").lower()
    if backend == "sqlite":
        directory = settings.get("DEDUPE_STATE_DIR") or settings.get("OUTPUT_DIR") or "."
        interval = float(settings.get("DEDUPE_COMMIT_INTERVAL") or 0)
        return SQLiteStore(Path(os.path.expanduser(directory)) / SQLITE_FILENAME, commit_interval=interval)
    if backend == "redis":
        return RedisStore(settings.get("REDIS_URL") or "", prefix=settings.get("DEDUPE_REDIS_PREFIX") or "newsarchive:dedupe")
    raise StoreError(f"DEDUPE_BACKEND must be 'sqlite' or 'redis', not {backend!r}")
