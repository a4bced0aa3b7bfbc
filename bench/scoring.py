"""Scoring functions for extraction benchmarks, importable by any harness.

- `body_scores`: the ScrapingHub article-extraction-benchmark metric, reimplemented from its
  evaluate.py as documented in shared/corpus/README.md section 1 (4-token shingle multisets,
  per-document normalized TP/FP/FN, macro P and R over eligible documents, F1 of the means).
- `caption_scores`: captions against fundus expected images; match rule below.
- `same_day`, `title_match`: title exact (whitespace/quote-normalized) and published same day.
- `snippet_counts`: trafilatura's own with/without snippet evaluation.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from statistics import pstdev

_WORD = re.compile(r"\w+")


# --- body (ScrapingHub metric) -------------------------------------------------------------

def tokenize(text: str | None) -> list[str]:
    return _WORD.findall(text or "")


def shingles(tokens: list[str], n: int = 4) -> Counter:
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def doc_counts(expected: str | None, predicted: str | None) -> tuple[float, float, float]:
    """Normalized (TP, FP, FN) of one document."""
    true, pred = shingles(tokenize(expected)), shingles(tokenize(predicted))
    tp = fp = fn = 0
    for key in true.keys() | pred.keys():
        t, p = true.get(key, 0), pred.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    if total > 0:
        return tp / total, fp / total, fn / total
    return 0.0, 0.0, 0.0


def _precision(tp, fp, fn):
    if fp == 0 and fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp > 0 else 0.0


def _recall(tp, fp, fn):
    if fp == 0 and fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn > 0 else 0.0


def _aggregate(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    precisions = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def body_scores(ground_truth: dict[str, str], predictions: dict[str, str | None], *,
                bootstrap: int = 1000, seed: int = 0) -> dict:
    """{precision, recall, f1, accuracy, f1_std, per_doc} over identical key sets."""
    if set(ground_truth) != set(predictions):
        raise ValueError("prediction keys differ from ground-truth keys")
    keys = sorted(ground_truth)
    counts = [doc_counts(ground_truth[k], predictions[k]) for k in keys]
    p, r, f1 = _aggregate(counts)
    accuracy = sum(tokenize(ground_truth[k]) == tokenize(predictions[k]) for k in keys) / len(keys)
    rng = random.Random(seed)
    f1s = []
    for _ in range(bootstrap):
        sample = [counts[rng.randrange(len(counts))] for _ in counts]
        f1s.append(_aggregate(sample)[2])
    per_doc = {}
    for k, c in zip(keys, counts):
        dp, dr = _precision(*c), _recall(*c)
        per_doc[k] = 2 * dp * dr / (dp + dr) if dp + dr else 0.0
    return {"precision": p, "recall": r, "f1": f1, "accuracy": accuracy,
            "f1_std": pstdev(f1s) if len(f1s) > 1 else 0.0, "per_doc": per_doc}


# --- captions -----------------------------------------------------------------------------

def norm(text: str | None) -> str:
    """NFKC, lowercase, word characters only, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(_WORD.findall(text))


ANCHOR = 40  # characters of normalized text compared, as in shared/corpus/news-pages/README.md


def caption_matches(expected: str, extracted: dict) -> bool:
    """Match rule: the first 40 normalized characters of the expected caption equal the first 40
    of the extracted caption `text`, or of `text + " " + credit` (fundus moves credits in or out
    of the caption per publisher), or of `credit + " " + text`."""
    want = norm(expected)[:ANCHOR]
    if not want:
        return False
    text, credit = extracted.get("text") or "", extracted.get("credit") or ""
    for candidate in (text, f"{text} {credit}", f"{credit} {text}"):
        if norm(candidate)[:ANCHOR] == want:
            return True
    return False


def caption_scores(expected: list[str], extracted: list[dict]) -> tuple[int, int, int]:
    """(TP, FP, FN) for one page; each expected caption matched at most once, and an extracted
    caption matching no expected one is a false positive (duplicates count as FP)."""
    unmatched = list(extracted)
    tp = 0
    for want in dict.fromkeys(e for e in expected if norm(e)):
        for i, got in enumerate(unmatched):
            if caption_matches(want, got):
                tp += 1
                del unmatched[i]
                break
    n_expected = len(dict.fromkeys(e for e in expected if norm(e)))
    return tp, len(unmatched), n_expected - tp


# --- title / date -------------------------------------------------------------------------

def title_norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


def title_match(expected: str | None, extracted: str | None) -> bool:
    """Exact after Unicode/quote/whitespace normalization."""
    return bool(expected) and title_norm(expected) == title_norm(extracted)


def same_day(expected: str | None, extracted: str | None) -> bool:
    """Same calendar day: `expected` as written (local), extracted as its UTC date or local day.

    fundus gives local times with offsets; our dates are UTC, so an article published at 00:30+02:00
    is the previous UTC day. Either day counts."""
    if not expected or not extracted:
        return False
    from datetime import datetime, timezone

    exp_local = expected[:10]
    got = extracted[:10]
    if got == exp_local:
        return True
    try:
        moment = datetime.fromisoformat(expected.strip().replace(" ", "T"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        return False
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d") == got


def author_scores(expected: list[str], extracted: list[str]) -> tuple[int, int, int]:
    """(TP, FP, FN) on normalized author names."""
    want = {norm(a) for a in expected if norm(a)}
    got = {norm(a) for a in extracted if norm(a)}
    return len(want & got), len(got - want), len(want - got)


# --- snippets (trafilatura's evaluation) --------------------------------------------------

def snippet_counts(text: str | None, with_: list[str], without: list[str]) -> tuple[int, int, int, int]:
    """(TP, FP, FN, TN) as trafilatura's tests/eval_common.py counts them: whitespace-normalized
    substring tests; a `with` snippet found is a TP, missing a FN; a `without` snippet found is a
    FP, absent a TN."""
    body = " ".join((text or "").split())
    tp = sum(1 for s in with_ if " ".join(s.split()) in body)
    fp = sum(1 for s in without if " ".join(s.split()) in body)
    return tp, fp, len(with_) - tp, len(without) - fp
