"""Dedupe state: every canonical URL seen, and the fingerprints of first-seen articles.

One interface (`DedupeStore`), two backends that persist across runs:
- `SQLiteStore`: a file in DEDUPE_STATE_DIR (or OUTPUT_DIR); nothing to install; several
  processes on one machine may share it (WAL; writes are committed every
  DEDUPE_COMMIT_INTERVAL seconds, and other processes wait for the write lock meanwhile).
- `RedisStore`: REDIS_URL, for several crawler processes or machines.

The near-duplicate index is MinHash LSH banding stored the same way in both: one key per
band of the signature (`Fingerprinter.band_keys`) pointing at the first-seen articles whose
signature has that band, so a query is a handful of indexed lookups however large the
state grows. Which candidates are duplicates is decided by `pipelines.dedupe.deduplicator`,
not here.

For other components (e.g. scheduled jobs deciding what changed since the last run):
`open_store(backend, ...)` opens a backend (`pipelines.dedupe.pipeline.store_from_settings`
reads its arguments from the crawl's settings), and
`store.seen(canonical_url)` answers "have I seen this URL, with which body?" as a `Seen`
(or None), whose `fingerprint` compares with `fingerprint.content_fingerprint(text)`.
Canonicalize the URL with `crawler.urls.canonicalize_url` first. A reader in another
process sees SQLite state as of the last commit (at most DEDUPE_COMMIT_INTERVAL old).
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from archives import sqlitedb

SQLITE_FILENAME = "dedupe.sqlite3"


class StoreError(RuntimeError):
    """The state cannot be used: unreachable, or written with other fingerprint parameters."""


# What a store raises when its backend fails mid-crawl (disk, lock timeout, network).
# RedisStore raises its client's errors as StoreError, so redis is imported only with it.
STORE_ERRORS = (StoreError, sqlite3.Error, OSError)


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
    claimed: bool = False                      # nothing matched and `claim` was recorded

    @property
    def clear(self) -> bool:
        return self.seen is None and self.exact is None and not self.candidates


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

    def lookup(self, canonical_url: str, fingerprint: str | None, band_keys, claim: Record | None = None) -> Lookup:
        """What the state holds about this URL, this fingerprint and these LSH bands. With
        `claim` (the "original" record of this URL), a lookup that finds nothing at all records
        it in the same step: most articles are new, and this saves them a second round trip."""
        found = self._lookup(canonical_url, fingerprint, band_keys)
        if claim is not None and found.clear and self.record(claim):
            return replace(found, claimed=True)
        return found

    @abstractmethod
    def _lookup(self, canonical_url: str, fingerprint: str | None, band_keys) -> Lookup: ...

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

    @abstractmethod
    def prune(self, before: str, band_keys_of) -> int:
        """Forget every URL no run has met since `before` (a `last_seen`-format time): its record
        and, for a first-seen article, its exact-copy entry and band entries (`band_keys_of`:
        stored signature -> its band keys), so the state stops growing with the archive. A URL a
        writer touches meanwhile stays. Returns how many URLs went."""

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

    def __init__(self, path, *, commit_interval: float = 1.0, timeout: float = 60.0, cache_mb: int = 64):
        self.path = Path(path)
        self.commit_interval = commit_interval
        self._batch_started: float | None = None
        try:
            self._db = sqlitedb.connect(self.path, timeout=timeout)
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

    def _lookup(self, canonical_url, fingerprint, band_keys):
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

    def prune(self, before, band_keys_of):
        with self.transaction():
            db = self._db
            old = db.execute("SELECT id, signature FROM urls WHERE last_seen < ? AND signature IS NOT NULL",
                             (before,)).fetchall()
            db.executemany("DELETE FROM bands WHERE key = ? AND id = ?",
                           [(key, doc_id) for doc_id, signature in old for key in band_keys_of(signature)])
            pruned = db.execute("DELETE FROM urls WHERE last_seen < ?", (before,)).rowcount
        self.flush()
        return pruned

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
#   {prefix}:b:<2 bytes>          hash  band key's other 6 bytes -> "id,id,..."
#   {prefix}:seq, {prefix}:params
# Band keys travel as 8 big-endian bytes and share 65,536 small hashes, which Redis stores
# compactly (listpack): a key per band would cost ~150 bytes each, 25 per article.
_LUA_BANDS = """
local function band_slot(p, k) return p .. ':b:' .. string.sub(k, 1, 2), string.sub(k, 3) end
local function band_add(p, k, id)
  local h, f = band_slot(p, k)
  local cur = redis.call('HGET', h, f)
  redis.call('HSET', h, f, cur and (cur .. ',' .. id) or id)
end
local function band_remove(p, k, id)
  local h, f = band_slot(p, k)
  local keep = {}
  for x in string.gmatch(redis.call('HGET', h, f) or '', '[^,]+') do
    if x ~= id then keep[#keep + 1] = x end
  end
  if #keep == 0 then redis.call('HDEL', h, f) else redis.call('HSET', h, f, table.concat(keep, ',')) end
end
local function band_ids(p, from, to)
  local seen, ids = {}, {}
  for i = from, to do
    local h, f = band_slot(p, ARGV[i])
    for x in string.gmatch(redis.call('HGET', h, f) or '', '[^,]+') do
      if not seen[x] then seen[x] = true; ids[#ids + 1] = x end
    end
  end
  return ids
end
-- index a first-seen article (ARGV[from..to] are its band keys)
local function index_original(p, ukey, url, fp, sig, from, to)
  if fp ~= '' then redis.call('SET', p .. ':fp:' .. fp, url) end
  local id = tostring(redis.call('INCR', p .. ':seq'))
  redis.call('HSET', p .. ':doc:' .. id, 'url', url, 'sig', sig)
  redis.call('HSET', ukey, 'doc', id)
  for i = from, to do band_add(p, ARGV[i], id) end
end
"""

# ARGV: prefix, url, content key, n, n band keys, then a claim (1/0, run, now, fingerprint, signature)
_LOOKUP = _LUA_BANDS + """
local p, url, key, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local ukey = p .. ':url:' .. url
local rec = redis.call('HGETALL', ukey)
local own_sig = false
local doc = redis.call('HGET', ukey, 'doc')
if doc then own_sig = redis.call('HGET', p .. ':doc:' .. doc, 'sig') end
local exact = false
if key ~= '' then
  exact = redis.call('GET', p .. ':fp:' .. key)
  if exact == url then exact = false end
end
local found = {}
for _, id in ipairs(band_ids(p, 5, 4 + n)) do
  local d = redis.call('HMGET', p .. ':doc:' .. id, 'url', 'sig')
  if d[1] and d[1] ~= url then
    found[#found + 1] = d[1]
    found[#found + 1] = d[2]
  end
end
local claimed = 0
if ARGV[5 + n] == '1' and #rec == 0 and not exact and #found == 0 then
  local run, now, fp, sig = ARGV[6 + n], ARGV[7 + n], ARGV[8 + n], ARGV[9 + n]
  redis.call('HSET', ukey, 'fp', fp, 'dup', '', 'run', run, 'first', now, 'last', now)
  if sig ~= '' then index_original(p, ukey, url, fp, sig, 5, 4 + n) end
  claimed = 1
end
return {rec, own_sig, exact, found, claimed}
"""

# ARGV: prefix, kind, url, run, now, expected run, fingerprint, duplicate_of, signature, n,
# n new band keys, then the old band keys to drop
_RECORD = _LUA_BANDS + """
local p, kind, url, run, now, expect = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local fp, dup, sig, n = ARGV[7], ARGV[8], ARGV[9], tonumber(ARGV[10])
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
  for i = 11 + n, #ARGV do band_remove(p, ARGV[i], old_doc) end
  local old_fp = redis.call('HGET', ukey, 'fp')
  if old_fp and redis.call('GET', p .. ':fp:' .. old_fp) == url then redis.call('DEL', p .. ':fp:' .. old_fp) end
  redis.call('DEL', p .. ':doc:' .. old_doc)
  redis.call('HDEL', ukey, 'doc')
end
local first = redis.call('HGET', ukey, 'first') or now
redis.call('HSET', ukey, 'fp', fp, 'dup', dup, 'run', run, 'first', first, 'last', now)
if kind == 'original' and sig ~= '' then index_original(p, ukey, url, fp, sig, 11, 10 + n) end
return 1
"""


# Forget one URL unless a writer met it since (ARGV: prefix, url, before, then its band keys).
_PRUNE = _LUA_BANDS + """
local p, url, before = ARGV[1], ARGV[2], ARGV[3]
local ukey = p .. ':url:' .. url
local last = redis.call('HGET', ukey, 'last')
if not last or last >= before then return 0 end
local doc = redis.call('HGET', ukey, 'doc')
if doc then
  for i = 4, #ARGV do band_remove(p, ARGV[i], doc) end
  local fp = redis.call('HGET', ukey, 'fp')
  if fp and fp ~= '' and redis.call('GET', p .. ':fp:' .. fp) == url then redis.call('DEL', p .. ':fp:' .. fp) end
  redis.call('DEL', p .. ':doc:' .. doc)
end
redis.call('DEL', ukey)
return 1
"""


def _band_bytes(key: int) -> bytes:
    return key.to_bytes(8, "big", signed=True)


def printable_url(url: str) -> str:
    """`url` with its password, if it holds one, as *** : what logs and messages print of a
    REDIS_URL (logs are mailed, pasted into tickets, kept by job runs)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:          # not a URL a client could use either: printed as given
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}" if parts.username else f"***@{host}").geturl()


@contextmanager
def _redis_errors():
    """A Redis failure as a StoreError (one of STORE_ERRORS), naming the client's error."""
    from redis.exceptions import RedisError

    try:
        yield
    except RedisError as exc:
        raise StoreError(f"{type(exc).__name__}: {exc}") from exc


class RedisStore(DedupeStore):
    """Each lookup and each record is one server-side script: one round trip for a new
    article (lookup and claim), two for the others. URL and fingerprint claims are atomic
    across processes (`record` compares and sets); two near copies recorded at the same
    instant by two processes may both stay first-seen.

    The redis client is imported here, not with the module: the SQLite default needs none."""

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
        self._lookup_script = self._redis.register_script(_LOOKUP)
        self._record_script = self._redis.register_script(_RECORD)
        self._prune_script = self._redis.register_script(_PRUNE)

    @property
    def location(self) -> str:
        """The server and prefix, without a password the URL may hold (this is printed)."""
        return f"{printable_url(self._url)} prefix {self.prefix}"

    def _seen(self, canonical_url, fields, signature) -> Seen | None:
        if not fields:
            return None
        f = {k.decode(): v.decode() for k, v in zip(fields[::2], fields[1::2])}
        return Seen(canonical_url, f.get("fp") or None, f.get("dup") or None, f["run"], f["first"], f["last"],
                    signature or None)

    def seen(self, canonical_url):
        return self._lookup(canonical_url, None, ()).seen

    def lookup(self, canonical_url, fingerprint, band_keys, claim: Record | None = None):
        return self._lookup(canonical_url, fingerprint, band_keys, claim)

    def _lookup(self, canonical_url, fingerprint, band_keys, claim: Record | None = None):
        args = [self.prefix, canonical_url, fingerprint or "", len(band_keys), *map(_band_bytes, band_keys)]
        if claim is not None:
            args += [1, claim.run_id, claim.now, claim.fingerprint or "", claim.signature or b""]
        with _redis_errors():
            fields, own_sig, exact, found, claimed = self._lookup_script(args=args)
        candidates = [(found[i].decode(), found[i + 1]) for i in range(0, len(found), 2)]
        return Lookup(self._seen(canonical_url, fields, own_sig), exact.decode() if exact else None, candidates,
                      bool(claimed))

    def record(self, r: Record) -> bool:
        args = [self.prefix, r.kind, r.canonical_url, r.run_id, r.now, r.expect_run or "", r.fingerprint or "",
                r.duplicate_of or "", r.signature or b"", len(r.band_keys),
                *map(_band_bytes, r.band_keys), *map(_band_bytes, r.old_band_keys)]
        with _redis_errors():
            return bool(self._record_script(args=args))

    def count(self):
        with _redis_errors():
            return sum(1 for _ in self._redis.scan_iter(match=self.prefix + ":url:*", count=1000))

    def prune(self, before, band_keys_of):
        """One pass over the URL records (SCAN, 500 at a time): their last meeting read in one
        round trip per batch, each old one removed by one script that checks it again."""
        url_prefix = self.prefix + ":url:"
        pruned = 0
        with _redis_errors():
            glob = "".join("\\" + c if c in "\\[]?*" else c for c in url_prefix)    # the prefix as typed
            keys = self._redis.scan_iter(match=glob + "*", count=1000)
            while batch := list(itertools.islice(keys, 500)):
                with self._redis.pipeline(transaction=False) as pipe:
                    for key in batch:
                        pipe.hmget(key, "last", "doc")
                    rows = pipe.execute()
                for key, (last, doc) in zip(batch, rows, strict=True):
                    if last is None or last.decode() >= before:
                        continue
                    signature = self._redis.hget(f"{self.prefix}:doc:{doc.decode()}", "sig") if doc else None
                    bands = band_keys_of(signature) if signature else ()
                    url = key[len(url_prefix.encode()):].decode("utf-8")
                    pruned += self._prune_script(args=[self.prefix, url, before, *map(_band_bytes, bands)])
        return pruned

    def get_params(self):
        with _redis_errors():
            value = self._redis.get(self.prefix + ":params")
        return json.loads(value) if value else None

    def set_params(self, params):
        with _redis_errors():
            self._redis.set(self.prefix + ":params", json.dumps(params))

    def close(self):
        self._redis.close()


def open_store(backend: str, *, directory: str | os.PathLike = "", commit_interval: float = 0.0,
               redis_url: str = "", redis_prefix: str = "") -> DedupeStore:
    """The `backend` ("sqlite": SQLITE_FILENAME in `directory`, committing every
    `commit_interval` seconds; "redis": at `redis_url` under `redis_prefix`). Plain arguments,
    no defaults of its own: the crawl's come from crawler/settings.py through
    `pipelines.dedupe.pipeline.store_from_settings`."""
    backend = str(backend or "").strip().lower()
    if backend == "sqlite":
        if not str(directory):
            raise StoreError("the sqlite dedupe state needs a folder (DEDUPE_STATE_DIR or OUTPUT_DIR)")
        return SQLiteStore(Path(os.path.expanduser(directory)) / SQLITE_FILENAME, commit_interval=commit_interval)
    if backend == "redis":
        return RedisStore(redis_url or "", prefix=redis_prefix)
    raise StoreError(f"DEDUPE_BACKEND must be 'sqlite' or 'redis', not {backend!r}")
