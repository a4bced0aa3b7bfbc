"""What an article is, given everything the dedupe state recorded before (this run and earlier
ones): new, an update of an earlier run's URL, or a url/exact/near duplicate of a first-seen
article. No Scrapy: the crawl's pipeline, `scrapy reextract` and bench/ share it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from archives.records import warc_date as utc_now
from crawler.runid import new_run_id
from pipelines.dedupe.fingerprint import Fingerprint, Fingerprinter
from pipelines.dedupe.store import DedupeStore, Lookup, Record, StoreError
from pipelines.held import HeldArticles, canonical_urls_in

logger = logging.getLogger(__name__)

DUPLICATE_KINDS = ("url", "exact", "near")


@dataclass(frozen=True)
class Outcome:
    """kind: "new" (first of its story), "update" (a URL from an earlier run whose body
    changed: emitted, not a duplicate), or a duplicate kind: "url", "exact", "near"."""

    kind: str
    duplicate_of: str | None = None      # canonical URL of the group's first-seen article
    similarity: float | None = None      # estimated Jaccard similarity of the bodies

    @property
    def is_duplicate(self) -> bool:
        return self.kind in DUPLICATE_KINDS


class Deduplicator:
    """Decides what an article is, given everything recorded before (this run and earlier ones).

    - url: the canonical URL was met earlier in this run, or in an earlier run with the same
      body. The same URL with a changed body in a later run is an "update", not a duplicate.
    - exact: another first-seen article has the same body words.
    - near: another first-seen article's MinHash similarity is >= the threshold.
    Duplicates point at the first-seen article of their group, never at another duplicate.
    """

    def __init__(self, store: DedupeStore, fingerprinter: Fingerprinter, *, run_id: str | None = None):
        self.store = store
        self.fingerprinter = fingerprinter
        self.run_id = run_id or new_run_id()
        self._check_params()

    def _check_params(self):
        """Signatures from other MinHash or shingle settings do not compare: refuse such state.
        LSH banding only decides which candidates are looked at, so state keeps its own."""
        params, stored = self.fingerprinter.params, self.store.get_params()
        if stored is None:
            self.store.set_params(params)
            return
        changed = [f"{k}: {stored.get(k)!r} -> {params[k]!r}" for k in params
                   if k not in ("bands", "rows") and stored.get(k) != params[k]]
        if changed:
            raise StoreError(
                f"dedupe state at {self.store.location} was built with other fingerprint settings "
                f"({', '.join(changed)}); use the same DEDUPE_* settings or a new DEDUPE_STATE_DIR / "
                "DEDUPE_REDIS_PREFIX")
        if (stored["bands"], stored["rows"]) != (params["bands"], params["rows"]):
            logger.info("Dedupe state keeps its LSH banding (%s x %s rows) chosen for another threshold",
                        stored["bands"], stored["rows"])
            self.fingerprinter.use_banding(stored["bands"], stored["rows"])

    def check(self, canonical_url: str, text: str | None, fp: Fingerprint | None = None) -> Outcome:
        """`fp`: the body's fingerprint when the caller already has it."""
        fpr = self.fingerprinter
        fp = fp if fp is not None else fpr.fingerprint(text)
        # Only bodies long enough to carry a signature are compared by content (a short stub
        # such as "Subscribe to read" must not merge unrelated pages).
        indexed = fp.signature is not None
        bands = tuple(fpr.band_keys(fp.signature)) if indexed else ()
        signature = fpr.to_bytes(fp.signature) if indexed else None
        content_key = fp.digest if indexed else None
        for _attempt in range(10):
            claim = Record("original", canonical_url, self.run_id, utc_now(), fingerprint=fp.digest,
                           signature=signature, band_keys=bands)
            with self.store.transaction():
                found = self.store.lookup(canonical_url, content_key, bands, claim=claim)
                if found.claimed:
                    return Outcome("new")
                outcome, record = self._decide(canonical_url, fp, signature, bands, found)
                if self.store.record(record):
                    return outcome
        raise RuntimeError(f"dedupe state kept changing under {canonical_url}; giving up")

    def _decide(self, url, fp, signature, bands, found: Lookup) -> tuple[Outcome, Record]:
        fpr = self.fingerprinter
        seen, now = found.seen, utc_now()
        if seen and (seen.run_id == self.run_id or seen.fingerprint == fp.digest):
            if seen.fingerprint == fp.digest:
                similarity = 1.0
            elif seen.signature is not None and fp.signature is not None:
                similarity = round(fpr.similarity(fp.signature, fpr.from_bytes(seen.signature)), 3)
            else:
                similarity = None
            return (Outcome("url", seen.duplicate_of or url, similarity),
                    Record("touch", url, self.run_id, now))
        outcome = Outcome("update" if seen else "new")
        if found.exact:
            outcome = Outcome("exact", found.exact, 1.0)
        elif fp.signature is not None and found.candidates:
            best = max((fpr.similarity(fp.signature, fpr.from_bytes(sig)), other)
                       for other, sig in found.candidates)
            if best[0] >= fpr.threshold:
                outcome = Outcome("near", best[1], round(best[0], 3))
        old_bands = tuple(fpr.band_keys(fpr.from_bytes(seen.signature))) if seen and seen.signature else ()
        common = dict(canonical_url=url, run_id=self.run_id, now=now, expect_run=seen.run_id if seen else None,
                      fingerprint=fp.digest, old_band_keys=old_bands)
        if outcome.is_duplicate:
            return outcome, Record("duplicate", duplicate_of=outcome.duplicate_of, **common)
        return outcome, Record("original", signature=signature, band_keys=bands, **common)


def hold_and_check(dedup: Deduplicator, held: HeldArticles, record: dict) -> tuple[Outcome, bool]:
    """Hold an article record (its canonical_url already canonicalized) and put it in its group.
    Returns the state's verdict and whether the article stays held; one that is not held
    duplicates an article published before this run (final: it is not held).

    The hold comes first: a URL the state knows from this run is then always held, whenever the
    process dies. A URL held already (a re-fetch after a restart) stays held."""
    canonical = record["canonical_url"]
    fpr = dedup.fingerprinter
    fp = fpr.fingerprint(record.get("text"))
    signature = fpr.to_bytes(fp.signature) if fp.signature is not None else None
    first_capture = held.hold(record, canonical, fp.digest, signature)
    outcome = dedup.check(canonical, record.get("text"), fp)
    if not outcome.is_duplicate or not first_capture or \
            held.holds_canonical(outcome.duplicate_of, besides=record["url"]):
        # Its group stays open until the run's end, when the rule picks the page kept.
        held.link(record["url"], outcome.duplicate_of or canonical, outcome.kind)
        return outcome, True
    held.release(record["url"])
    return outcome, False


def settle_held(dedup: Deduplicator, held: HeldArticles, articles_path) -> tuple[int, list]:
    """Decide the held pages a killed run left undecided. Returns how many were settled and
    the (url, canonical, outcome) of those released as duplicates of an article published
    before this run (the caller writes their duplicates lines).

    The held file commits each article at once, the dedupe state every DEDUPE_COMMIT_INTERVAL,
    so a kill leaves pages held that the state never recorded, and pages held whose verdict was
    never acted on (killed between the check and the link, or the release). Met again, a page
    of the first kind was found new after a Ctrl-C'd continuation had published it, and one of
    the second kind stayed held though it repeats an article published before: both written
    twice (bench-crash without JOBDIR: 26 canonical URLs twice). So a continued run decides them
    first, as `hold_and_check` would have. One verdict stays ambiguous: "this URL, recorded as
    an original" is the interrupted run's own claim, or an article an earlier run published;
    the articles file (`articles_path`) tells, read once for those URLs only."""
    settled, pending = 0, []
    for url, canonical, group_key in held.pages():
        if group_key is not None and dedup.store.seen(canonical) is not None:
            continue
        outcome = dedup.check(canonical, held.record(url).get("text"))
        settled += 1
        if group_key is None and outcome.is_duplicate and \
                not held.holds_canonical(outcome.duplicate_of, besides=url):
            pending.append((url, canonical, outcome))
            continue
        held.link(url, outcome.duplicate_of or canonical, outcome.kind)
    published = canonical_urls_in(articles_path, {o.duplicate_of for _u, _c, o in pending})
    released = []
    for url, canonical, outcome in pending:
        if outcome.duplicate_of != canonical or outcome.duplicate_of in published:
            held.release(url)           # duplicates an article published before this run
            released.append((url, canonical, outcome))
        else:
            held.link(url, canonical, "new")      # the interrupted run's own first capture
    return settled, released
