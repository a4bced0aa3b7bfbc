"""The dedupe item pipeline: wires the Scrapy-free dedupe library (`pipelines.dedupe`:
`deduplicator`, `fingerprint`, `store`) to a crawl, reading its settings once, and holds each
article until the run's end (`pipelines.held`).
"""

from __future__ import annotations

import logging
import math

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.asyncio import create_looping_call

from archives.records import warc_date as utc_now
from crawler.extensions import is_disk_full
from crawler.items import to_record
from crawler.runid import run_id as run_id_of
from crawler.signals import write_failed
from crawler.urls import url_canonicalizer
from pipelines.dedupe.deduplicator import Deduplicator, Outcome, hold_and_check, settle_held
from pipelines.dedupe.fingerprint import Fingerprinter
from pipelines.dedupe.store import STORE_ERRORS, DedupeStore, Record, StoreError, open_store
from pipelines.held import HELD_FILENAME, Held, HeldArticles, Output, SharedRun, mark_held, publish
from crawler.output import output_dir, prepare_output_dir
from crawler.redisoutage import RedisOutage
from pipelines.jsonl import JsonLinesFile, NotWritten

logger = logging.getLogger(__name__)

PIPELINE_PATH = "pipelines.dedupe.pipeline.DedupePipeline"   # its ITEM_PIPELINES key

def fingerprinter_for(settings) -> Fingerprinter:
    return Fingerprinter(
        num_perm=settings.getint("DEDUPE_NUM_PERM"),
        shingle_size=settings.getint("DEDUPE_SHINGLE_SIZE"),
        threshold=settings.getfloat("DEDUPE_NEAR_THRESHOLD"),
        min_words=settings.getint("DEDUPE_MIN_WORDS"),
    )


def fingerprint_defaults() -> dict:
    """The Fingerprinter's parameters as crawler/settings.py's DEDUPE_* defaults set them (for
    tests and bench/, which run the library outside a crawl)."""
    from crawler import settings as defaults

    return dict(num_perm=defaults.DEDUPE_NUM_PERM, shingle_size=defaults.DEDUPE_SHINGLE_SIZE,
                threshold=defaults.DEDUPE_NEAR_THRESHOLD, min_words=defaults.DEDUPE_MIN_WORDS)


def default_fingerprinter(**overrides) -> Fingerprinter:
    """A Fingerprinter with the default settings, some overridden."""
    return Fingerprinter(**{**fingerprint_defaults(), **overrides})


def store_from_settings(settings) -> DedupeStore:
    """The dedupe state the crawl's settings name: the one reader of DEDUPE_BACKEND,
    DEDUPE_STATE_DIR, DEDUPE_COMMIT_INTERVAL, REDIS_URL and DEDUPE_REDIS_PREFIX."""
    return open_store(settings.get("DEDUPE_BACKEND"),
                      directory=settings.get("DEDUPE_STATE_DIR") or output_dir(settings),
                      commit_interval=settings.getfloat("DEDUPE_COMMIT_INTERVAL"),
                      redis_url=settings.get("REDIS_URL"), redis_prefix=settings.get("DEDUPE_REDIS_PREFIX"))


def retention_days(settings) -> float:
    """DEDUPE_RETENTION_DAYS as days (0: for good), checked before the crawl: 'abc' failed in the
    pipeline's constructor (a traceback, exit 1) and 'inf' at the run's end, where the held
    articles were left unpublished. ValueError (one error line) for anything but a number >= 0."""
    raw = settings.get("DEDUPE_RETENTION_DAYS")
    try:
        days = float(raw if raw not in (None, "") else 0)
    except (TypeError, ValueError):
        days = math.nan
    if not (math.isfinite(days) and days >= 0):
        raise ValueError(f"DEDUPE_RETENTION_DAYS must be a number of days, 0 or more (0: for good), not {raw!r}")
    return days


def check_dedupe_state(settings) -> None:
    """Open the state as the crawl will, so an unusable one (not a database, other fingerprint
    settings, no REDIS_URL) is one line (StoreError) before the crawl, not a traceback in it."""
    if not settings.getbool("DEDUPE_ENABLED") or \
            not settings.getwithbase("ITEM_PIPELINES").get(PIPELINE_PATH):
        return
    retention_days(settings)
    store = store_from_settings(settings)
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
        self.retention_days = retention_days(settings)
        self.dedup: Deduplicator | None = None
        self.held: HeldArticles | None = None
        self.shared: SharedRun | None = None
        self.duplicates: JsonLinesFile | None = None
        self._flusher = None
        self._failing = False
        # a Redis state's outage is the crawl's Redis outage: one ERROR line (crawler.redisoutage)
        self.outage = RedisOutage.of(crawler) if settings.get("DEDUPE_BACKEND") == "redis" else None

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
                now = utc_now()
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
        store = store_from_settings(self.settings)
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
        # where the state is, for the summary's "already archived" line: a shared one (redis) was
        # filled by other processes and runs, not by earlier runs into OUTPUT_DIR
        self.stats.set_value("dedupe/state", store.location)
        self.stats.set_value("dedupe/backend", self.settings.get("DEDUPE_BACKEND"))
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
                logger.log(self._failure_level(), "Dedupe state %s could not be saved (%s); retrying",
                           self.dedup.store.location, exc)
            self._failing = True

    def _failure_level(self) -> int:
        """ERROR, but WARNING when the Redis outage it is part of was already reported."""
        if self.outage is None:
            return logging.ERROR
        return logging.ERROR if self.outage.failed() == logging.ERROR else logging.WARNING

    def _run_id(self):
        # The crawl's one run id (crawler.runid reads DEDUPE_RUN_ID among its aliases). A job run
        # resumed after an interruption keeps its id: its re-fetches stay "url" duplicates.
        return run_id_of(self.crawler)

    def _prune(self) -> None:
        """DEDUPE_RETENTION_DAYS: forget the URLs no run has met for that long, so the state stops
        growing with the archive (a story met again after that is new again). Best effort: a
        failure is one WARNING line, the run's result is its own."""
        from datetime import datetime, timedelta, timezone

        try:
            before = utc_now(datetime.now(timezone.utc) - timedelta(days=self.retention_days))
        except OverflowError:   # reaching back before year 1 (DEDUPE_RETENTION_DAYS = 1e6): nothing is that old
            return
        fpr = self.fingerprinter
        try:
            pruned = self.dedup.store.prune(before, lambda signature: fpr.band_keys(fpr.from_bytes(signature)))
        except STORE_ERRORS as exc:
            logger.warning("Dedupe state %s: old URLs not pruned (%s); the next run tries again",
                           self.dedup.store.location, exc)
            return
        self.stats.set_value("dedupe/pruned", pruned)
        if pruned:
            logger.info("Dedupe state: %d URL(s) no run had met since %s forgotten (DEDUPE_RETENTION_DAYS)",
                        pruned, before)

    def close_spider(self):
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        try:
            if self.dedup is not None:
                self.dedup.store.flush()
                if self.retention_days > 0 and not self._failing:
                    self._prune()
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
                logger.log(self._failure_level(), "Dedupe state %s failed (%s: %s); passing articles on "
                           "unchecked until it answers", self.dedup.store.location, type(exc).__name__, exc)
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
            if self.outage is not None:
                self.outage.answered()
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
