import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from pipelines.dedupe.fingerprint import (
    LSH_WEIGHTS,
    MINHASH_SCHEME,
    MINHASH_SEED,
    content_fingerprint,
    lsh_banding,
    minhash_permutations,
    normalized_words,
)
from pipelines.dedupe.pipeline import default_fingerprinter

from tests.dedupe_support import ARTICLES, BY_ID

TEXT = BY_ID["B1"]["text"]


def test_normalized_words_drop_case_punctuation_and_layout():
    text = "Hello,  \u201cWorld\u201d \u2014 it's 3.5%\u2026\n\n\u00abQu\u00e9?\u00bb Stra\u00dfe\u00a0na\u00efve \ufb01le \u6771\u4eac\u3001\u5927\u962a"
    assert normalized_words(text).decode() == "hello world it s 3 5 qu\u00e9 strasse na\u00efve file \u6771\u4eac \u5927\u962a"
    assert normalized_words("") == b"" and normalized_words(None) == b""
    assert normalized_words(" ... \u2014 ") == b""


def test_content_fingerprint_ignores_typography_but_not_words():
    retyped = TEXT.replace('"', "\u201d").replace("\n\n", "\n").replace(" ", "  ").upper()
    assert content_fingerprint(retyped) == content_fingerprint(TEXT)
    assert content_fingerprint(TEXT.replace("120 mph", "125 mph")) != content_fingerprint(TEXT)
    assert content_fingerprint("   ") is None


@pytest.mark.parametrize("article", ARTICLES[:6], ids=lambda a: a["id"])
def test_signature_equals_datasketch_minhash_update_batch(article):
    fpr = default_fingerprinter(num_perm=128, shingle_size=5)
    hashes = fpr.shingle_hashes(normalized_words(article["text"]))
    reference = MinHash(num_perm=128, seed=MINHASH_SEED, scheme=MINHASH_SCHEME, hashfunc=int)
    reference.update_batch(hashes)
    signature = fpr.fingerprint(article["text"]).signature
    assert signature.dtype == np.uint32
    assert np.array_equal(signature, reference.hashvalues)


@pytest.mark.parametrize("num_perm", [2, 16, 128, 256])
def test_permutations_equal_datasketch(num_perm):
    a, b = minhash_permutations(num_perm, MINHASH_SEED)
    ref_a, ref_b = MinHash(num_perm=num_perm, seed=MINHASH_SEED, scheme=MINHASH_SCHEME).permutations
    assert a.dtype == b.dtype == np.uint32
    assert np.array_equal(a, ref_a) and np.array_equal(b, ref_b)


@pytest.mark.parametrize("num_perm", [16, 32, 64, 128, 256])
def test_lsh_banding_equals_datasketch_minhashlsh(num_perm):
    for i in range(1, 21):
        threshold = round(0.05 * i, 2)
        bands, rows = lsh_banding(threshold, num_perm)
        if bands < 2:     # MinHashLSH refuses a single band; so does Fingerprinter
            with pytest.raises(ValueError, match="too small"):
                MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
            with pytest.raises(ValueError, match="single LSH band"):
                default_fingerprinter(threshold=threshold, num_perm=num_perm)
            continue
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
        assert (bands, rows) == (lsh.b, lsh.r), threshold
        fpr = default_fingerprinter(threshold=threshold, num_perm=num_perm)
        assert (fpr.bands, fpr.rows) == (lsh.b, lsh.r)


def test_importing_dedupe_loads_neither_datasketch_scipy_nor_redis():
    """The crawl process imports pipelines.dedupe.pipeline: scipy (via datasketch) alone is ~65 MB."""
    code = "import pipelines.dedupe.pipeline, sys; print('datasketch' in sys.modules, 'scipy' in sys.modules, 'redis' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "False"]


def test_shingle_hashes_do_not_depend_on_position_or_document():
    fpr = default_fingerprinter(shingle_size=3)
    a = fpr.shingle_hashes(b"the storm made landfall early")
    b = fpr.shingle_hashes(b"officials said the storm made landfall early today")
    assert len(a) == 3 and len(b) == 6
    assert set(a.tolist()) <= set(b.tolist())
    assert len(set(b.tolist())) == 6
    # a body shorter than one shingle is one shingle
    assert len(fpr.shingle_hashes(b"two words")) == 1


def test_similarity_estimates_jaccard():
    fpr = default_fingerprinter(num_perm=256, shingle_size=1, min_words=1)
    words_a = [f"w{i}" for i in range(300)]
    words_b = [f"w{i}" for i in range(100, 400)]       # Jaccard 200/400 = 0.5
    sa = fpr.fingerprint(" ".join(words_a)).signature
    sb = fpr.fingerprint(" ".join(words_b)).signature
    assert abs(fpr.similarity(sa, sb) - 0.5) < 0.1
    assert fpr.similarity(sa, sa) == 1.0
    assert np.array_equal(fpr.from_bytes(fpr.to_bytes(sa)), sa)


def test_short_bodies_get_a_digest_but_no_signature():
    fpr = default_fingerprinter(min_words=30)
    short = fpr.fingerprint("Subscribe to continue reading. Already a subscriber? Log in.")
    assert short.word_count == 9 and short.digest and short.signature is None
    assert fpr.fingerprint(TEXT).signature is not None
    assert fpr.fingerprint("").digest is None


def test_band_keys_are_stable_signed_64_bit_and_per_band():
    fpr = default_fingerprinter(threshold=0.6)
    assert fpr.bands * fpr.rows <= fpr.num_perm
    signature = fpr.fingerprint(TEXT).signature
    keys = fpr.band_keys(signature)
    assert len(keys) == fpr.bands == len(set(keys))
    assert all(-(1 << 63) <= k < (1 << 63) for k in keys)
    assert keys == default_fingerprinter(threshold=0.6).band_keys(signature.copy())
    # one changed value changes exactly one band
    changed = signature.copy()
    changed[0] ^= 1
    assert sum(a != b for a, b in zip(keys, fpr.band_keys(changed), strict=True)) == 1


def test_parameters_are_validated_and_reported():
    with pytest.raises(ValueError, match="DEDUPE_SHINGLE_SIZE"):
        default_fingerprinter(shingle_size=0)
    with pytest.raises(ValueError, match="DEDUPE_NEAR_THRESHOLD"):
        default_fingerprinter(threshold=0)
    fpr = default_fingerprinter(num_perm=64, shingle_size=4, threshold=0.7)
    assert fpr.params["num_perm"] == 64 and fpr.params["shingle_size"] == 4
    assert fpr.params["bands"] * fpr.params["rows"] <= 64
    with pytest.raises(ValueError, match="does not fit 64"):
        fpr.use_banding(40, 2)
