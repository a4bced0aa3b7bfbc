"""Both dedupe backends against the same contract: SQLite on a tmp file, Redis on a real
redis-server started for this module (tests/redis_server.py)."""

import multiprocessing
from pathlib import Path

import pytest
import redis

from pipelines.dedupe.deduplicator import Deduplicator
from pipelines.dedupe.fingerprint import content_fingerprint
from pipelines.dedupe.pipeline import default_fingerprinter
from pipelines.dedupe.store import Record, RedisStore, SQLiteStore, StoreError, open_store
from tests.dedupe_support import ARTICLES, canonical

A, B = "https://news.example/a", "https://news.example/b"
SIG_A, SIG_B = b"\x01" * 512, b"\x02" * 512


def original(url, fingerprint, signature, bands, run="r1", expect=None, old=()):
    return Record("original", url, run, "2024-06-01T00:00:00Z", expect_run=expect, fingerprint=fingerprint,
                  signature=signature, band_keys=tuple(bands), old_band_keys=tuple(old))


def test_unknown_url(dedupe_backend):
    store = dedupe_backend()
    assert store.seen(A) is None
    found = store.lookup(A, "f" * 32, [1, 2, 3])
    assert found.seen is None and found.exact is None and found.candidates == []
    assert store.count() == 0


def test_original_is_found_by_url_fingerprint_and_band(dedupe_backend):
    store = dedupe_backend()
    assert store.record(original(A, "fa", SIG_A, [10, 11, -12]))
    seen = store.seen(A)
    assert (seen.canonical_url, seen.fingerprint, seen.duplicate_of, seen.run_id) == (A, "fa", None, "r1")
    assert seen.first_seen == seen.last_seen == "2024-06-01T00:00:00Z"
    found = store.lookup(B, "fa", [99, -12])
    assert found.seen is None
    assert found.exact == A
    assert found.candidates == [(A, SIG_A)]
    # an article is never its own duplicate
    own = store.lookup(A, "fa", [10, 11])
    assert own.exact is None and own.candidates == [] and own.seen.signature == SIG_A


def test_lookup_records_a_claim_only_when_nothing_matches(dedupe_backend):
    store = dedupe_backend()
    found = store.lookup(A, "fa", [1, 2], claim=original(A, "fa", SIG_A, [1, 2]))
    assert found.claimed and found.clear
    assert store.seen(A).fingerprint == "fa" and store.seen(A).signature == SIG_A
    assert store.lookup(B, None, [2]).candidates == [(A, SIG_A)]
    # the URL, the fingerprint or a shared band each stop the claim
    for url, fingerprint, bands in ((A, "fx", [9]), (B, "fa", [9]), (B, "fb", [2])):
        found = store.lookup(url, fingerprint, bands, claim=original(url, fingerprint, SIG_B, bands))
        assert not found.claimed and not found.clear
    assert store.seen(B) is None and store.seen(A).fingerprint == "fa"
    assert store.count() == 1


def test_duplicates_are_recorded_but_not_indexed(dedupe_backend):
    store = dedupe_backend()
    store.record(original(A, "fa", SIG_A, [1, 2]))
    assert store.record(Record("duplicate", B, "r1", "2024-06-01T00:00:00Z", fingerprint="fb", duplicate_of=A))
    assert store.seen(B).duplicate_of == A
    assert store.seen(B).signature is None
    found = store.lookup("https://news.example/c", "fb", [1, 2])
    assert found.exact is None
    assert [url for url, _sig in found.candidates] == [A]
    assert store.count() == 2


def test_touch_updates_last_seen_and_run(dedupe_backend):
    store = dedupe_backend()
    store.record(original(A, "fa", SIG_A, [1]))
    store.record(Record("touch", A, "r2", "2024-06-02T00:00:00Z"))
    seen = store.seen(A)
    assert (seen.run_id, seen.first_seen, seen.last_seen, seen.fingerprint) == (
        "r2", "2024-06-01T00:00:00Z", "2024-06-02T00:00:00Z", "fa")


def test_update_replaces_the_old_index_entries(dedupe_backend):
    store = dedupe_backend()
    store.record(original(A, "old", SIG_A, [1, 2]))
    assert store.record(original(A, "new", SIG_B, [3, 4], run="r2", expect="r1", old=[1, 2]))
    assert store.lookup(B, "old", [1, 2]).exact is None
    assert store.lookup(B, "old", [1, 2]).candidates == []
    found = store.lookup(B, "new", [4])
    assert found.exact == A and found.candidates == [(A, SIG_B)]
    assert store.seen(A).fingerprint == "new" and store.seen(A).first_seen == "2024-06-01T00:00:00Z"
    # an original that turns out to duplicate something else leaves the index
    store.record(original(B, "fb", SIG_A, [7]))
    assert store.record(Record("duplicate", A, "r3", "2024-06-03T00:00:00Z", expect_run="r2", fingerprint="fb2",
                               duplicate_of=B, old_band_keys=(3, 4)))
    assert store.lookup("https://news.example/c", "new", [3, 4]).candidates == []


def test_stale_writes_are_refused(dedupe_backend):
    """Compare-and-set: a writer that looked before another one recorded the URL or claimed the
    fingerprint must look again (this is what keeps several crawler processes consistent)."""
    store = dedupe_backend()
    assert store.record(original(A, "fa", SIG_A, [1]))
    assert not store.record(original(A, "fa", SIG_A, [1], run="r9"))            # expected A unknown
    assert not store.record(original(B, "fa", SIG_B, [2]))                      # fingerprint taken by A
    assert store.record(original(B, "fb", SIG_B, [2]))
    assert not store.record(original(B, "fb", SIG_B, [2], run="r2", expect="r0"))
    assert store.seen(B).run_id == "r1"


def test_prune_forgets_what_no_run_met_since(dedupe_backend):
    """DEDUPE_RETENTION_DAYS: records older than the cutoff go with their exact-copy and band
    entries (a near copy of a pruned story is new again); what a run met since stays."""
    store = dedupe_backend()
    C, D = "https://news.example/c", "https://news.example/d"
    bands = {SIG_A: [1, 2], SIG_B: [2, 3]}
    store.record(original(A, "fa", SIG_A, bands[SIG_A]))                              # 2024-06-01
    store.record(original(B, "fb", SIG_B, bands[SIG_B]))
    store.record(Record("duplicate", C, "r1", "2024-06-01T00:00:00Z", fingerprint="fc", duplicate_of=A))
    store.record(Record("touch", B, "r2", "2024-07-01T00:00:00Z"))                   # B met again later
    store.record(Record("duplicate", D, "r2", "2024-07-01T00:00:00Z", fingerprint="fd", duplicate_of=B))
    assert store.prune("2024-06-15T00:00:00Z", lambda signature: bands[bytes(signature)]) == 2   # A and C
    assert store.seen(A) is None and store.seen(C) is None
    assert store.seen(B).fingerprint == "fb" and store.seen(D).duplicate_of == B
    assert store.lookup(C, "fa", [1]).exact is None and store.lookup(C, "fa", [1]).candidates == []
    assert store.lookup(C, "fb", [2]).exact == B and store.lookup(C, None, [2]).candidates == [(B, SIG_B)]
    assert store.count() == 2
    if dedupe_backend.backend == "redis":       # nothing of A left: no key, no band entry naming it
        server = redis.Redis.from_url(dedupe_backend.settings["REDIS_URL"])
        prefix = "{" + dedupe_backend.settings["DEDUPE_REDIS_PREFIX"] + "}"
        assert server.exists(f"{prefix}:fp:fa", f"{prefix}:doc:1") == 0
        assert [k for k in server.scan_iter(f"{prefix}:b:*") if server.hlen(k) and
                any(b"1" in v.split(b",") for v in server.hvals(k))] == []
    else:                                       # B's two band rows only
        import sqlite3

        with sqlite3.connect(store.path) as db:
            assert db.execute("SELECT COUNT(*) FROM bands").fetchone()[0] == 2
    assert store.prune("2024-06-15T00:00:00Z", lambda signature: bands[bytes(signature)]) == 0
    assert store.prune("2025-01-01T00:00:00Z", lambda signature: bands[bytes(signature)]) == 2
    assert store.count() == 0


def test_state_persists_across_reopening(dedupe_backend):
    store = dedupe_backend()
    store.record(original(A, "fa", SIG_A, [5]))
    store.set_params({"num_perm": 128})
    store.close()
    again = dedupe_backend()
    assert again.seen(A).fingerprint == "fa"
    assert again.lookup(B, None, [5]).candidates == [(A, SIG_A)]
    assert again.get_params() == {"num_perm": 128}


def test_deduplicator_refuses_state_built_with_other_fingerprints(dedupe_backend):
    Deduplicator(dedupe_backend(), default_fingerprinter(shingle_size=5))
    with pytest.raises(StoreError, match="shingle_size: 5 -> 4"):
        Deduplicator(dedupe_backend(), default_fingerprinter(shingle_size=4))
    # another threshold keeps the state's banding instead of failing
    fpr = default_fingerprinter(shingle_size=5, threshold=0.8)
    Deduplicator(dedupe_backend(), fpr)
    assert (fpr.bands, fpr.rows) == (default_fingerprinter(threshold=0.6).bands, default_fingerprinter(threshold=0.6).rows)


def test_open_store_from_settings(tmp_path, redis_server):
    from scrapy.settings import Settings

    from pipelines.dedupe.pipeline import store_from_settings

    def settings(**values):   # the project's defaults under the given values, as in a crawl
        return Settings({**_project_defaults(), **values})

    store = store_from_settings(settings(OUTPUT_DIR=str(tmp_path / "out")))
    assert store.location == str(tmp_path / "out" / "dedupe.sqlite3")
    store.close()
    store = store_from_settings(settings(DEDUPE_STATE_DIR=str(tmp_path / "st"), OUTPUT_DIR="x"))
    assert Path(store.location).parent == tmp_path / "st"
    store.close()
    store = store_from_settings(settings(DEDUPE_BACKEND="redis", REDIS_URL=redis_server.url, DEDUPE_REDIS_PREFIX="p1"))
    assert "{p1}" in store.location
    store.close()
    # the location is printed (log, run summary): a password in REDIS_URL is not (a real ACL user)
    redis.Redis.from_url(redis_server.url).execute_command("ACL", "SETUSER", "archivist", "on", ">s3cret-pw",
                                                           "~*", "+@all")
    authed = redis_server.url.replace("redis://", "redis://archivist:s3cret-pw@")
    store = store_from_settings(settings(DEDUPE_BACKEND="redis", REDIS_URL=authed, DEDUPE_REDIS_PREFIX="p1"))
    assert store.location == authed.replace("s3cret-pw", "***") + " prefix {p1}"
    store.close()
    with pytest.raises(StoreError, match="REDIS_URL"):
        store_from_settings(settings(DEDUPE_BACKEND="redis", REDIS_URL=""))
    with pytest.raises(StoreError, match="cannot reach Redis"):
        open_store("redis", redis_url="redis://127.0.0.1:1/0", redis_prefix="p")
    with pytest.raises(StoreError, match="'sqlite' or 'redis'"):
        open_store("memcached")
    with pytest.raises(StoreError, match="needs a folder"):
        open_store("sqlite")


def _project_defaults() -> dict:
    from crawler import settings as project

    return {name: getattr(project, name) for name in dir(project) if name.isupper()}


def _worker(backend, location, order_seed, results):
    import random

    store = SQLiteStore(location) if backend == "sqlite" else RedisStore(location[0], prefix=location[1])
    dedup = Deduplicator(store, default_fingerprinter(threshold=0.6, min_words=30), run_id="shared-run")
    rows = list(ARTICLES)
    random.Random(order_seed).shuffle(rows)
    out = [(row["id"], dedup.check(canonical(row), row["text"]).kind) for row in rows]
    store.close()
    results.put(out)


def test_concurrent_processes_agree_on_urls_and_exact_copies(dedupe_backend, tmp_path):
    """Four processes check the whole fixture at once against one state: every canonical URL
    and every body fingerprint ends up with exactly one first-seen article."""
    store = dedupe_backend()
    location = store.location if dedupe_backend.backend == "sqlite" else (store._url, store.prefix[1:-1])
    Deduplicator(store, default_fingerprinter(threshold=0.6, min_words=30))   # saves params before the race
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(dedupe_backend.backend, location, seed, results)) for seed in range(4)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    by_id = {row["id"]: row for row in ARTICLES}
    firsts = {}
    for run in outcomes:
        for article_id, kind in run:
            if kind == "new":
                firsts.setdefault(canonical(by_id[article_id]), []).append(article_id)
            else:
                assert kind in ("url", "exact", "near")
    assert all(len(ids) == 1 for ids in firsts.values()), firsts
    # no two first-seen articles share a body
    bodies = [content_fingerprint(by_id[ids[0]]["text"]) for ids in firsts.values()]
    assert len(bodies) == len(set(bodies))
    assert store.count() == len({canonical(row) for row in ARTICLES})


def test_sqlite_groups_writes_until_flush(tmp_path):
    path = tmp_path / "dedupe.sqlite3"
    writer = SQLiteStore(path, commit_interval=3600)
    reader = SQLiteStore(path)
    with writer.transaction():
        writer.record(original(A, "fa", SIG_A, [1]))
    with pytest.raises(RuntimeError), writer.transaction():      # one failing article rolls back alone
        writer.record(original(B, "fb", SIG_B, [2]))
        raise RuntimeError("extraction blew up")
    assert writer.seen(A) is not None and writer.seen(B) is None
    assert reader.seen(A) is None                                   # not committed yet
    writer.flush()
    assert reader.seen(A).fingerprint == "fa" and reader.seen(B) is None
    with writer.transaction():
        writer.record(original(B, "fb", SIG_B, [2]))
    writer.close()                                                  # close commits
    assert reader.seen(B).fingerprint == "fb"
    reader.close()
