"""Dedupe throughput and memory over N synthetic articles (default 100,000), per backend.

    .venv/bin/python bench/dedupe_bench.py [--n 100000] [--backend sqlite|redis|both] [--redis-url URL]
    .venv/bin/python bench/dedupe_bench.py --minhash-only    # MinHash paths on one 1,000-word body

Articles are generated on the fly (nothing held in memory): sentences of Zipf-distributed
words from a 40,000-word vocabulary, 250-1,000 words each. 1% are planted exact copies, 1%
near copies (new sentence edits plus boilerplate lines) and 1% re-fetches of a seen URL, all
of recent articles; the script reports how many of each were found and how many unplanted
articles were wrongly called duplicates. Reads nothing from the shared corpus.

Per article it times the fingerprint (normalize, shingle, MinHash, band keys) and the state
work (lookup + record in one transaction: "insert+query") separately; at the end, a prune
(DEDUPE_RETENTION_DAYS) that forgets nothing (the pass every run's end makes) and one that
forgets every URL, and the state's size after. Without --redis-url a
throwaway redis-server is started on 127.0.0.1 (tests/redis_server.py).
"""

from __future__ import annotations

import argparse
import collections
import itertools
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.dedupe.deduplicator import Deduplicator  # noqa: E402
from pipelines.dedupe.fingerprint import Fingerprinter  # noqa: E402
from pipelines.dedupe.pipeline import default_fingerprinter, fingerprint_defaults  # noqa: E402
from pipelines.dedupe.store import RedisStore, SQLiteStore  # noqa: E402

VOCABULARY = 40_000
CHECKPOINTS = (1_000, 10_000, 25_000, 50_000, 100_000)
BOILERPLATE = ["Advertisement", "Sign up for our morning newsletter.",
               "(Reporting by Staff; Editing by Desk)", "Copyright 2024. All rights reserved."]


class Corpus:
    """Deterministic stream of (kind, canonical_url, text); kind is the planted truth."""

    def __init__(self, seed: int = 7):
        self.rng = np.random.default_rng(seed)
        syllables = ["ka", "lo", "mi", "ren", "sa", "tor", "vi", "an", "del", "po", "ur", "es", "ni", "ba", "go"]
        words = ["".join(parts) for n in (1, 2, 3, 4) for parts in itertools.product(syllables, repeat=n)]
        self.vocab = np.array(words)[self.rng.permutation(len(words))[:VOCABULARY]]
        weights = 1.0 / np.arange(1, VOCABULARY + 1) ** 1.05
        self.cdf = np.cumsum(weights) / weights.sum()
        self.recent = collections.deque(maxlen=2000)   # (url, text) of recent originals: flat memory

    def sentences(self, words: int) -> list[str]:
        drawn = self.vocab[np.minimum(np.searchsorted(self.cdf, self.rng.random(words)), VOCABULARY - 1)]
        out, start = [], 0
        while start < words:
            n = int(self.rng.integers(8, 26))
            out.append(" ".join(drawn[start:start + n]).capitalize() + ".")
            start += n
        return out

    def article(self, i: int):
        roll = self.rng.random()
        if len(self.recent) > 100 and roll < 0.03:
            url, text = self.recent[int(self.rng.integers(0, len(self.recent)))]
            if roll < 0.01:
                return "url", url, text
            if roll < 0.02:
                return "exact", f"https://copy.example/{i}", text
            sentences = text.split(". ")
            for j in self.rng.choice(len(sentences), 2, replace=False):
                sentences[j] = " ".join(self.sentences(int(self.rng.integers(8, 20))))
            near = ". ".join(sentences) + "\n\n" + "\n\n".join(BOILERPLATE[:int(self.rng.integers(1, 4))])
            return "near", f"https://wire.example/{i}", near
        words = int(self.rng.integers(250, 1001))
        paragraphs, sentences = [], self.sentences(words)
        for start in range(0, len(sentences), 4):
            paragraphs.append(" ".join(sentences[start:start + 4]))
        text = "\n\n".join(paragraphs)
        url = f"https://news.example/{i}"
        self.recent.append((url, text))
        return "new", url, text


class TimedFingerprinter(Fingerprinter):
    spent = 0.0

    def _timed(self, method, arg):
        t = time.perf_counter()
        try:
            return method(arg)
        finally:
            self.spent += time.perf_counter() - t

    def fingerprint(self, text):
        return self._timed(super().fingerprint, text)

    def band_keys(self, signature):
        return self._timed(super().band_keys, signature)


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def run(name: str, store, n: int, extra) -> None:
    fpr = TimedFingerprinter(**fingerprint_defaults())
    dedup = Deduplicator(store, fpr, run_id="bench")
    corpus = Corpus()
    found = collections.Counter()
    planted = collections.Counter()
    false_hits = 0
    window_total, window_fp, window_n, window_cpu = 0.0, 0.0, 0, time.process_time()
    print(f"\n## {name}: {n:,} articles (threshold {fpr.threshold}, {fpr.bands} bands x {fpr.rows} rows)")
    print("| articles | fingerprint ms/article | insert+query ms/article | total ms/article | CPU ms/article | RSS MB | peak RSS MB | state |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    generating = 0.0
    for i in range(1, n + 1):
        t = time.process_time()
        kind, url, text = corpus.article(i)
        generating += time.process_time() - t
        fp_before = fpr.spent
        t = time.perf_counter()
        outcome = dedup.check(url, text)
        elapsed = time.perf_counter() - t
        window_total += elapsed
        window_fp += fpr.spent - fp_before
        window_n += 1
        planted[kind] += 1
        if kind == "new":
            false_hits += outcome.is_duplicate
        elif outcome.kind == kind:
            found[kind] += 1
        if i in CHECKPOINTS or i == n:
            fp_ms, total_ms = window_fp / window_n * 1000, window_total / window_n * 1000
            cpu_ms = (time.process_time() - window_cpu - generating) / window_n * 1000
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {i:,} | {fp_ms:.3f} | {total_ms - fp_ms:.3f} | {total_ms:.3f} | {cpu_ms:.3f} | {rss_mb():.0f} | {peak:.0f} | {extra()} |",
                  flush=True)
            window_total = window_fp = generating = 0.0
            window_n, window_cpu = 0, time.process_time()
    print("\nplanted url/exact/near found: " + ", ".join(
        f"{k} {found[k]}/{planted[k]}" for k in ("url", "exact", "near")) +
        f"; unplanted articles called duplicates: {false_hits}/{planted['new']}")
    # DEDUPE_RETENTION_DAYS: a prune at a run's end reads every URL record; most runs forget few
    t = time.perf_counter()
    none = store.prune("2000-01-01T00:00:00Z", lambda sig: fpr.band_keys(fpr.from_bytes(sig)))
    scan = time.perf_counter() - t
    urls = store.count()
    t = time.perf_counter()
    gone = store.prune("2100-01-01T00:00:00Z", lambda sig: fpr.band_keys(fpr.from_bytes(sig)))
    every = time.perf_counter() - t
    print(f"prune (DEDUPE_RETENTION_DAYS) over {urls:,} URLs: forgetting {none} {scan:.2f} s "
          f"({scan / urls * 1e6:.1f} ms per 1,000 URLs); forgetting all {gone:,} {every:.2f} s "
          f"({every / max(gone, 1) * 1000:.2f} ms each); state after: {extra()}")
    store.close()


def compare_minhash(repeat: int = 200) -> None:
    """One 1,000-word body, 128 permutations: datasketch's own paths against ours."""
    from datasketch import MinHash

    from pipelines.dedupe.fingerprint import normalized_words

    corpus = Corpus()
    text = " ".join(corpus.sentences(1000))
    fpr = default_fingerprinter(num_perm=128)
    words = normalized_words(text).split()
    shingles = [b" ".join(words[i:i + fpr.shingle_size]) for i in range(len(words) - fpr.shingle_size + 1)]
    hashes = fpr.shingle_hashes(normalized_words(text))
    signature = fpr.minhash(hashes)

    def sha1_update_batch():                 # datasketch default: SHA-1 per shingle
        MinHash(num_perm=128).update_batch(shingles)

    def bulk_int():                          # datasketch bulk API on our shingle hashes
        MinHash.bulk([hashes], num_perm=128, hashfunc=int)

    rows = [("datasketch MinHash.update_batch, SHA-1 per shingle (shingles given)", sha1_update_batch),
            ("datasketch MinHash.bulk on our 32-bit shingle hashes", bulk_int),
            ("ours: Fingerprinter.minhash on the same hashes", lambda: fpr.minhash(hashes)),
            ("ours: whole fingerprint (normalize, digest, shingle, MinHash)", lambda: fpr.fingerprint(text)),
            (f"ours: {fpr.bands} LSH band keys of a signature", lambda: fpr.band_keys(signature))]
    print(f"\n## MinHash of one {len(words)}-word body, 128 permutations ({repeat} runs each)")
    print("| path | ms |\n|---|---:|")
    for name, fn in rows:
        fn()
        t = time.perf_counter()
        for _ in range(repeat):
            fn()
        print(f"| {name} | {(time.perf_counter() - t) / repeat * 1000:.3f} |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "redis", "both"), default="both")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--minhash-only", action="store_true", help="only compare MinHash paths on one body")
    args = parser.parse_args(argv)
    compare_minhash()
    if args.minhash_only:
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))     # run the cleanups (redis-server, tmp dir)
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="dedupe-bench-") as tmp:
            path = Path(tmp) / "dedupe.sqlite3"
            store = SQLiteStore(path)

            def size():
                total = sum(p.stat().st_size for p in Path(tmp).iterdir())
                return f"SQLite {total / 2**20:.0f} MB on disk"
            run("SQLite", store, args.n, size)
    if args.backend in ("redis", "both"):
        server = None
        url = args.redis_url
        if not url:
            from tests.redis_server import RedisServer
            server = RedisServer().start()
            url = server.url
        store = RedisStore(url, prefix=f"bench:{time.time_ns()}")

        def used():
            return f"redis used_memory {store._redis.info('memory')['used_memory'] / 2**20:.0f} MB"
        try:
            run("Redis", store, args.n, used)
        finally:
            if server:
                server.stop()


if __name__ == "__main__":
    main()
