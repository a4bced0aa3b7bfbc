"""One article per story: drops (or marks) articles already seen under another URL, with the
same body, or as a near copy of an earlier story.

`Deduplicator` holds the policy and needs no Scrapy (bench/ and other tools use it);
`DedupePipeline` wires it to a crawl. State lives in `pipelines.dedupe_store`, fingerprints
come from `pipelines.dedupe_fingerprint`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.runid import new_run_id
from crawler.runid import run_id as run_id_of
from crawler.items import to_record
from crawler.extensions import is_disk_full
from crawler.signals import write_failed
from crawler.urls import url_canonicalizer
from pipelines.dedupe_fingerprint import Fingerprint, Fingerprinter
from pipelines.dedupe_store import STORE_ERRORS, DedupeStore, Lookup, Record, StoreError, open_store
from pipelines.held import (HELD_FILENAME, Held, HeldArticles, Output, SharedRun, canonical_urls_in, mark_held,
                            publish)
from crawler.output import prepare_output_dir
from pipelines.jsonl import JsonLinesFile, NotWritten

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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


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
            claim = Record("original", canonical_url, self.run_id, _now(), fingerprint=fp.digest,
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
        seen, now = found.seen, _now()
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


def fingerprinter_for(settings) -> Fingerprinter:
    return Fingerprinter(
        num_perm=settings.getint("DEDUPE_NUM_PERM"),
        shingle_size=settings.getint("DEDUPE_SHINGLE_SIZE"),
        threshold=settings.getfloat("DEDUPE_NEAR_THRESHOLD"),
        min_words=settings.getint("DEDUPE_MIN_WORDS"),
    )


def check_dedupe_state(settings) -> None:
    """Open the state as the crawl will, so an unusable one (not a database, other fingerprint
    settings, no REDIS_URL) is one line (StoreError) before the crawl, not a traceback in it."""
    if not settings.getbool("DEDUPE_ENABLED") or \
            not settings.getwithbase("ITEM_PIPELINES").get("pipelines.dedupe.DedupePipeline"):
        return
    store = open_store(settings)
    try:
        Deduplicator(store, fingerprinter_for(settings))
    except STORE_ERRORS as exc:
        raise StoreError(str(exc)) from None
    finally:
        store.close()


class DedupePipeline:
    """Item pipeline (order 100): puts each article in its duplicate group and holds it until the
    run's end (`pipelines.held`), when one line per group is written to ARTICLES_FILE, for the
    page the rule in `pipelines.held.rank` keeps, and the others go to DUPLICATES_FILE (and to
    ARTICLES_FILE with duplicate_of when DEDUPE_EMIT_DUPLICATES). Held items still go down the
    pipeline (the WARC metadata record is written as they pass); the JSON Lines pipeline skips
    them (`is_held`).

    A duplicate of an article published by an earlier run is final at once: counted (stats
    dedupe/url, dedupe/exact, dedupe/near), written to DUPLICATES_FILE and dropped quietly (DEBUG),
    or passed on with duplicate_of."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.settings = settings
        self.emit_duplicates = settings.getbool("DEDUPE_EMIT_DUPLICATES")
        self.canonicalize = url_canonicalizer(crawler)   # the crawl's one (URL_TRACKING_PARAMS)
        self.fingerprinter = fingerprinter_for(settings)
        self.dedup: Deduplicator | None = None
        self.held: HeldArticles | None = None
        self.shared: SharedRun | None = None
        self.duplicates: JsonLinesFile | None = None
        self._flusher = None
        self._failing = False

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("DEDUPE_ENABLED"):
            raise NotConfigured("DEDUPE_ENABLED is off")
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline._start_flushing, signal=signals.spider_opened)
        return pipeline

    def _output(self) -> Output:
        directory = prepare_output_dir(self.settings)
        return Output(JsonLinesFile(directory / self.settings.get("ARTICLES_FILE")), self.duplicates,
                      emit_duplicates=self.emit_duplicates, count=self.stats.inc_value,
                      decided=self._reroot if self.dedup is not None else None)

    def _reroot(self, kept: Held, pages: list[Held]) -> None:
        """The state indexed the group's first-seen page; later runs must compare new pages with
        the page this run published, and point their duplicates at it. Best effort: a failure
        leaves later duplicates pointing at another page of the same story."""
        store, fpr, run = self.dedup.store, self.fingerprinter, self.dedup.run_id
        try:
            with store.transaction():
                current = store.seen(kept.canonical)
                if current is None or current.duplicate_of is None:
                    return                          # the kept page is the indexed one already
                now = _now()
                for canonical in sorted({p.canonical for p in pages} - {kept.canonical}):
                    seen = store.seen(canonical)
                    if seen is None:
                        continue
                    old = tuple(fpr.band_keys(fpr.from_bytes(seen.signature))) if seen.signature else ()
                    store.record(Record("duplicate", canonical, run, now, expect_run=seen.run_id,
                                        fingerprint=seen.fingerprint, duplicate_of=kept.canonical,
                                        old_band_keys=old))
                signature = self.held.signature(kept.url)
                bands = tuple(fpr.band_keys(fpr.from_bytes(signature))) if signature else ()
                store.record(Record("original", kept.canonical, run, now, expect_run=current.run_id,
                                    fingerprint=current.fingerprint, signature=signature, band_keys=bands))
        except STORE_ERRORS as exc:
            logger.warning("Dedupe state: could not make %s its group's original: %s", kept.canonical, exc)

    def _similarity(self, a: bytes, b: bytes) -> float:
        fpr = self.fingerprinter
        return fpr.similarity(fpr.from_bytes(a), fpr.from_bytes(b))

    def _publish(self) -> None:
        output = self._output()
        try:
            counts = publish(self.held, output, self._similarity)
        finally:
            output.articles.close()
        self.stats.inc_value("output/articles", counts["lines"])
        logger.info("Published %d held article(s) in %d group(s): %d article line(s), %d duplicate(s)",
                    counts["articles"] + counts["duplicates"], counts["groups"], counts["articles"],
                    counts["duplicates"])
        self.held = None

    def open_spider(self):
        directory = prepare_output_dir(self.settings)
        self.duplicates = JsonLinesFile(directory / self.settings.get("DUPLICATES_FILE"))
        self.shared = SharedRun(directory)
        self.held = HeldArticles(directory / HELD_FILENAME)
        if self.held.publishing() is not None and self.shared.last():
            self._publish()            # the last run was killed while writing its articles
            self.shared.shared()
            self.held = HeldArticles(directory / HELD_FILENAME)
        store = open_store(self.settings)
        try:
            self.dedup = Deduplicator(store, self.fingerprinter, run_id=self._run_id())
        except Exception:
            store.close()
            self.held.close()
            raise
        waiting = self.held.count()
        if waiting:
            # kill -9 (or a crash) left a run unfinished: this crawl continues it. Its held
            # pages stay held when met again (hold_and_check), so nothing is emitted twice.
            logger.warning("Continuing the unfinished run %s left in %s: %d article(s) held", self.held.run_id,
                           directory, waiting)
            self.stats.set_value("dedupe/continued_run", self.held.run_id)
            try:
                settled, released = settle_held(self.dedup, self.held,
                                                directory / self.settings.get("ARTICLES_FILE"))
                self.dedup.store.flush()
            except STORE_ERRORS as exc:   # met again during the crawl, they are settled then
                logger.error("Dedupe state %s: could not settle the held articles (%s)", store.location, exc)
            else:
                if settled:
                    logger.info("%d held article(s) the interrupted run had left undecided: settled, %d of them "
                                "duplicates of articles published before", settled, len(released))
                    self.stats.set_value("dedupe/settled_held", settled)
                for url, canonical, outcome in released:
                    self._final_duplicate(url, canonical, outcome)
        self.held.run_id = self.dedup.run_id
        logger.info("Dedupe state: %s (%d URLs known), run %s", store.location, store.count(), self.dedup.run_id)

    def _start_flushing(self):
        # Batched state must also reach disk (and other processes) while no article arrives.
        interval = self.settings.getfloat("DEDUPE_COMMIT_INTERVAL")
        if self.dedup is not None and interval > 0:
            self._flusher = create_looping_call(self._flush)
            self._flusher.start(interval, now=False)

    def _flush(self):
        """A failed commit (disk full) is logged and retried on the next tick; raising here
        would stop the looping call with a traceback and never commit again."""
        try:
            self.dedup.store.flush()
        except STORE_ERRORS as exc:
            self.stats.inc_value("dedupe/flush_errors")
            if not self._failing:
                logger.error("Dedupe state %s could not be saved (%s); retrying",
                             self.dedup.store.location, exc)
            self._failing = True

    def _run_id(self):
        # The crawl's one run id (crawler.runid reads DEDUPE_RUN_ID among its aliases). A job run
        # resumed after an interruption keeps its id: its re-fetches stay "url" duplicates.
        return run_id_of(self.crawler)

    def close_spider(self):
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        try:
            if self.dedup is not None:
                self.dedup.store.flush()
            if self.held is not None:
                if self.shared.last():
                    self._publish()
                else:
                    logger.info("%d article(s) held: another process crawling into this OUTPUT_DIR "
                                "publishes them when it ends", self.held.count())
                    self.held.close()
                    self.held = None
        except (OSError, *STORE_ERRORS) as exc:   # disk full: one line, the crawl still closes
            self.stats.inc_value("dedupe/flush_errors")
            logger.error("Dedupe state or held articles in %s: last changes not saved (%s); "
                         "the next run with this OUTPUT_DIR finishes the publish", self.settings.get("OUTPUT_DIR"), exc)
        finally:
            if self.shared is not None:
                self.shared.close()
                self.shared = None
            if self.duplicates is not None:
                self.duplicates.close()
            if self.dedup is not None:
                try:
                    self.dedup.store.close()
                except STORE_ERRORS as exc:
                    logger.error("Dedupe state %s: last changes not saved (%s)", self.dedup.store.location, exc)
                self.dedup = None

    def _final_duplicate(self, url: str, canonical: str, outcome: Outcome) -> None:
        """A duplicate of an article an earlier run published: final now, counted and written."""
        self.stats.inc_value(f"dedupe/{outcome.kind}")
        try:
            self.duplicates.write({"url": url, "canonical_url": canonical, "duplicate_of": outcome.duplicate_of,
                                   "kind": outcome.kind, "similarity": outcome.similarity})
        except OSError as exc:   # disk full: crawler.extensions.WriteFailureStop reports it
            self.stats.inc_value("output/write_errors")
            self.crawler.signals.send_catch_log(write_failed, error=exc,
                                                what=f"the {self.duplicates.path.name} line of {url}")

    def process_item(self, item):
        adapter = ItemAdapter(item)
        url = adapter.get("url")
        canonical = adapter.get("canonical_url") or url
        if not canonical:
            self.stats.inc_value("dedupe/no_url")
            return item
        canonical = self.canonicalize(canonical)
        adapter["canonical_url"] = canonical
        record = to_record(adapter)
        try:
            outcome, held = hold_and_check(self.dedup, self.held, record)
        except STORE_ERRORS as exc:
            # The archive must not lose an article because the state is unreachable: it is
            # published as its own story.
            self.stats.inc_value("dedupe/unchecked")
            if not self._failing:
                logger.error("Dedupe state %s failed (%s: %s); passing articles on unchecked until it answers",
                             self.dedup.store.location, type(exc).__name__, exc)
            self._failing = True
            if is_disk_full(exc):
                self.crawler.signals.send_catch_log(write_failed, error=exc, what=f"the dedupe state of {url}")
            try:
                self.held.link(url, canonical, "new")
            except STORE_ERRORS as link_exc:   # disk full: not held, not done (the WARC has it)
                self.stats.inc_value("output/write_errors")
                self.crawler.signals.send_catch_log(write_failed, error=link_exc, what=f"the held article {url}")
                raise NotWritten(f"not held: {link_exc}", log_level="DEBUG") from None
            return mark_held(item)
        if self._failing:
            logger.info("Dedupe state %s answers again", self.dedup.store.location)
            self._failing = False
        if held:
            self.stats.inc_value("dedupe/held")
            return mark_held(item)
        self._final_duplicate(url, canonical, outcome)
        if self.emit_duplicates:
            logger.debug("%s duplicate of %s (similarity %s): %s", outcome.kind, outcome.duplicate_of,
                         outcome.similarity, url)
            adapter["duplicate_of"] = outcome.duplicate_of
            return item
        raise DropItem(f"{outcome.kind} duplicate of {outcome.duplicate_of}", log_level="DEBUG")
