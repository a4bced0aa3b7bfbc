"""Body fingerprints for dedupe: an exact digest and a MinHash signature over word shingles.

No Scrapy imports (nor crawler.settings, which imports Scrapy): the dedupe store, the jobs
helper (has this body changed since the last run?) and bench/ use them outside a crawl; the
parameters' defaults are the DEDUPE_* settings, passed in by the caller. Signatures are datasketch MinHash values
(scheme "affine32", seed 1) and the LSH banding is the one `datasketch.MinHashLSH` picks, but
computed here with numpy alone: datasketch imports scipy, ~65 MB in every crawl process for
one integral. tests/test_dedupe_fingerprint.py checks both against datasketch itself.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

FINGERPRINT_VERSION = 1          # bump when tokenization or hashing changes: stored state then differs
MINHASH_SCHEME = "affine32"
MINHASH_SEED = 1
# LSH banding favours recall: every candidate is checked against the threshold on the full
# signature, so a false candidate costs one comparison while a missed one costs a duplicate.
LSH_WEIGHTS = (0.1, 0.9)

_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def _fmix(hv: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finalizer that `MinHash.update_batch` applies before the
    permutations ("affine32"). Copied from datasketch 2.0.0, datasketch/minhash.py `_fmix`
    (MIT License, Copyright (c) 2015 ekzhu); uint32 multiplication wraps, as intended."""
    s1, m1, s2, m2, s3 = _FMIX32
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s3)


def minhash_permutations(num_perm: int, seed: int = MINHASH_SEED) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of `datasketch.MinHash(num_perm, seed, scheme="affine32").permutations`:
    h -> a * h + b mod 2**32 with odd a, drawn the way datasketch 2.0.0 draws them."""
    if num_perm < 1:
        raise ValueError("DEDUPE_NUM_PERM must be positive")
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


@lru_cache(maxsize=16)
def lsh_banding(threshold: float, num_perm: int, weights: tuple[float, float] = LSH_WEIGHTS) -> tuple[int, int]:
    """The (bands, rows) `datasketch.MinHashLSH(threshold, num_perm, weights)` chooses: the
    pair with the least weighted sum of false-positive and false-negative probability mass,
    the first such in datasketch's (b, r) order on a tie.

    datasketch integrates with scipy's `quad`; the integrands are polynomials of degree
    b * r <= num_perm, which Gauss-Legendre with num_perm // 2 + 1 nodes integrates exactly
    (it agrees with quad to ~1e-15; the best two pairs differ by >= 2e-7 on the tested grid).
    """
    fp_weight, fn_weight = weights
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)], dtype=float)
    bands, rows = pairs[:, :1], pairs[:, 1:]
    nodes, node_weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(f, lo: float, hi: float) -> np.ndarray:
        return f(lo + (hi - lo) / 2 * (nodes + 1)) @ (node_weights * (hi - lo) / 2)

    false_pos = integral(lambda s: 1 - (1 - s ** rows) ** bands, 0.0, threshold)     # P(candidate) below it
    false_neg = integral(lambda s: (1 - s ** rows) ** bands, threshold, 1.0)         # P(missed) above it
    best = int(np.argmin(false_pos * fp_weight + false_neg * fn_weight))
    return int(pairs[best, 0]), int(pairs[best, 1])


_P = np.uint64(0x100000001B3)            # FNV-64 prime: odd, so invertible modulo 2**64
_P_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))

# Bytes that belong to words after case folding: ASCII letters and digits, and every byte of
# a non-ASCII character except the punctuation blocks masked in `normalized_words`.
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)] = True
_WORD_BYTE[0x80:] = True


def normalized_words(text: str | None) -> bytes:
    """The words two bodies are compared on, space-joined: NFKC, case-folded, punctuation,
    symbols and layout dropped (ASCII, U+0080-U+00BF, U+2000-U+207F, U+3000-U+303F).

    Works on UTF-8 bytes with numpy: about half the time of a word regex over the text.
    """
    if not text:
        return b""
    raw = np.frombuffer(unicodedata.normalize("NFKC", text).casefold().encode("utf-8"), dtype=np.uint8)
    word = _WORD_BYTE[raw]
    if raw.shape[0] >= 2:
        latin1 = np.flatnonzero(raw[:-1] == 0xC2)            # C2 xx: U+0080-U+00BF
        word[latin1] = False
        word[latin1 + 1] = False
    if raw.shape[0] >= 3:
        lead, mid = raw[:-2], raw[1:-1]
        punct = np.flatnonzero(((lead == 0xE2) & ((mid == 0x80) | (mid == 0x81)))   # U+2000-U+207F
                               | ((lead == 0xE3) & (mid == 0x80)))                   # U+3000-U+303F
        word[punct] = False
        word[punct + 1] = False
        word[punct + 2] = False
    keep = word.copy()
    keep[1:] |= word[:-1]                                    # one separator after each word
    return np.where(word, raw, np.uint8(32))[keep].tobytes().rstrip(b" ")


def content_fingerprint(text: str | None) -> str | None:
    """Hex digest of a body's words: equal for bodies that differ only in case, punctuation,
    whitespace or Unicode form; None for a body without words."""
    data = normalized_words(text)
    return _digest(data) if data else None


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    word_count: int
    digest: str | None                 # content_fingerprint of the body
    signature: np.ndarray | None       # MinHash values (uint32[num_perm]); None below min_words


class Fingerprinter:
    """Computes fingerprints and LSH band keys for one set of parameters (`params`, saved
    with the dedupe state: signatures only compare under the same ones)."""

    def __init__(self, *, num_perm: int, shingle_size: int, threshold: float, min_words: int):
        if shingle_size < 1:
            raise ValueError("DEDUPE_SHINGLE_SIZE must be at least 1")
        if not 0.0 < threshold <= 1.0:
            raise ValueError("DEDUPE_NEAR_THRESHOLD must be in (0, 1]")
        if num_perm < 2:
            raise ValueError("DEDUPE_NUM_PERM must be at least 2")
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.threshold = threshold
        self.min_words = max(min_words, shingle_size)
        self._perm_a, self._perm_b = minhash_permutations(num_perm, MINHASH_SEED)
        self.bands, self.rows = lsh_banding(threshold, num_perm)
        if self.bands < 2:        # as MinHashLSH refuses: one band of every row is no index
            raise ValueError(f"DEDUPE_NEAR_THRESHOLD {threshold} with {num_perm} permutations leaves a single "
                             "LSH band: lower the threshold")
        self._powers = np.ones(1, dtype=np.uint64)
        self._inv_powers = np.ones(1, dtype=np.uint64)
        self._scratch = np.empty((0, num_perm), dtype=np.uint32)

    @property
    def params(self) -> dict:
        return {"version": FINGERPRINT_VERSION, "scheme": MINHASH_SCHEME, "seed": MINHASH_SEED,
                "num_perm": self.num_perm, "shingle_size": self.shingle_size,
                "bands": self.bands, "rows": self.rows}

    def use_banding(self, bands: int, rows: int) -> None:
        if bands < 1 or rows < 1 or bands * rows > self.num_perm:
            raise ValueError(f"LSH banding {bands} x {rows} does not fit {self.num_perm} permutations")
        self.bands, self.rows = bands, rows

    def fingerprint(self, text: str | None) -> Fingerprint:
        data = normalized_words(text)
        if not data:
            return Fingerprint(0, None, None)
        count = data.count(b" ") + 1
        signature = self.minhash(self.shingle_hashes(data)) if count >= self.min_words else None
        return Fingerprint(count, _digest(data), signature)

    def shingle_hashes(self, data: bytes) -> np.ndarray:
        """32-bit hashes of every run of `shingle_size` words in space-joined `data`.

        A polynomial hash over the UTF-8 bytes: prefix sums give any span's hash in O(1),
        so all shingles hash in a few numpy passes instead of one Python call each.
        """
        raw = np.frombuffer(data + b" ", dtype=np.uint8)
        n = raw.shape[0]
        powers, inv_powers = self._power_tables(n)
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(raw.astype(np.uint64) * powers[:n], out=prefix[1:])
        ends = np.flatnonzero(raw == 32)                  # the space after each word
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        k = min(self.shingle_size, ends.shape[0])
        first, last = starts[: ends.shape[0] - k + 1], ends[k - 1:]
        spans = (prefix[last] - prefix[first]) * inv_powers[first]   # position-independent
        return (spans ^ (spans >> np.uint64(32))).astype(np.uint32)

    def minhash(self, hashes: np.ndarray) -> np.ndarray:
        """MinHash.update_batch on an empty MinHash, with one preallocated scratch buffer."""
        hv = _fmix(hashes.reshape(-1, 1))
        if self._scratch.shape[0] < hv.shape[0]:
            self._scratch = np.empty((max(hv.shape[0], 2 * self._scratch.shape[0]), self.num_perm),
                                     dtype=np.uint32)
        out = self._scratch[: hv.shape[0]]
        np.multiply(hv, self._perm_a, out=out)
        out += self._perm_b
        return out.min(axis=0)

    def band_keys(self, signature: np.ndarray) -> list[int]:
        """One signed 64-bit key per LSH band (SQLite INTEGER-sized); the band index is part
        of the key, so one flat index serves all bands."""
        r = self.rows
        return [
            int.from_bytes(hashlib.blake2b(bytes((i,)) + signature[i * r:(i + 1) * r].tobytes(),
                                           digest_size=8).digest(), "big", signed=True)
            for i in range(self.bands)
        ]

    def similarity(self, a: np.ndarray, b: np.ndarray) -> float:
        """MinHash estimate of the Jaccard similarity of two bodies' shingle sets."""
        return float(np.count_nonzero(a == b)) / self.num_perm

    def to_bytes(self, signature: np.ndarray) -> bytes:
        return signature.astype("<u4").tobytes()

    def from_bytes(self, data: bytes) -> np.ndarray:
        return np.frombuffer(data, dtype="<u4").astype(np.uint32)

    def _power_tables(self, n: int):
        if self._powers.shape[0] < n:
            size = max(n, 2 * self._powers.shape[0], 8192)
            self._powers = np.cumprod(np.concatenate(([np.uint64(1)], np.full(size - 1, _P))),
                                      dtype=np.uint64)
            self._inv_powers = np.cumprod(np.concatenate(([np.uint64(1)], np.full(size - 1, _P_INV))),
                                          dtype=np.uint64)
        return self._powers, self._inv_powers
