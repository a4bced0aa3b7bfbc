"""Articles from archives, offline: the library under `scrapy reextract`.

`Reextractor` runs the crawl's own page analysis (crawler.extraction: the crawl's extraction
pool, crash-safe and with EXTRACT_TIMEOUT per page) and item building (`crawler.items.build_article`)
on every archived 2xx HTML response, so a WARC written by this crawler, by Heritrix, wget or
webrecorder gives the same JSON the crawl writes. Each item's `warc` pointer names the record it
came from. Damaged records, pages whose analysis failed, killed its worker or ran past its
time are counted and listed, never fatal.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import tempfile
import time
from collections import Counter, deque
from pathlib import Path
from typing import Callable

from scrapy import Request

from archives.index import normalize_digest
from archives.inputs import warc_inputs
from archives.reader import DEFAULT_MAX_BYTES, ArchiveError, Problem, WarcReader, read_record
from archives.replay import Archive, ReplayError, replayed_from, scrapy_response
from crawler import discovery
from crawler.extraction.pool import ExtractionPool, declared_charset
from crawler.items import build_article, has_body, response_truncated, to_record
from crawler.urls import UrlCanonicalizer, canonicalize_url
from pipelines.jsonl import JsonLinesFile

WINDOW_PER_WORKER = 4   # pages read ahead per worker: workers never wait on the reader, memory stays bounded


class Reextractor:
    """One pass over the inputs in file order; output order and dedupe are deterministic.

    With `dedupe` (a `Dedupe`), articles go through the crawl's own dedupe: held, grouped, and
    written at the end one per story by the crawl's rule (`pipelines.held`), so a run's WARCs
    give the run's article set. Without, one item per canonical URL, the first in file order."""

    def __init__(self, paths, output: JsonLinesFile, *, all_pages=False, pool: ExtractionPool | None = None,
                 tracking_params=None, progress: Callable[[str], None] | None = None,
                 progress_every=5.0, max_bytes: int = DEFAULT_MAX_BYTES, dedupe: "Dedupe | None" = None,
                 max_page_size: int = 0):
        self.paths = list(paths)
        self.files = warc_inputs(paths)           # WARC files, and the WARCs inside a WACZ
        self._inputs = {warc.path: warc for warc in self.files}
        self.output = output
        self.all_pages = all_pages
        self.pool = pool or ExtractionPool(1)    # closed by run()
        self.tracking_params = tracking_params
        self.progress = progress
        self.progress_every = progress_every
        self.max_bytes = max_bytes          # ARCHIVE_READ_MAX_SIZE
        self.max_page_size = max_page_size  # EXTRACT_MAX_PAGE_SIZE
        self.stats: Counter = Counter()
        self.problems: list[Problem] = []
        self.seen: set[str] = set()
        self.dedupe = dedupe
        self._originals = PayloadOriginals()  # responses read so far: revisits resolve here first
        self._archive: Archive | None = None  # every input, built only if a revisit needs it
        self._last_progress = time.monotonic()

    # --- reading ---------------------------------------------------------

    @staticmethod
    def _wanted(record) -> bool:
        status = record.status
        return status is not None and 200 <= status < 300

    def _replayed(self, record):
        if record.type != "revisit":
            return replayed_from(record)
        found = self._originals.find(record.payload_digest)
        if found is not None:
            source, offset = found
            with self._inputs[source].open() as fh:
                return replayed_from(record, read_record(source, offset, fileobj=fh, max_bytes=self.max_bytes))
        if self._archive is None:
            self._archive = Archive.open(self.paths, self.max_bytes)
        entry = self._archive.index.resolve_revisit(record)
        if entry is None:
            raise ReplayError(f"revisit of {record.target_uri} ({record.payload_digest}): "
                              "original response not in the inputs")
        return replayed_from(record, self._archive.read(entry))

    def _pages(self):
        """(response, meta) for each archived 2xx HTML page the crawl would have parsed."""
        for number, warc in enumerate(self.files, 1):
            with warc.open() as fh:
                yield from self._file_pages(number, warc, fh)

    def _file_pages(self, number, warc, fh):
        """The pages of one WARC, read from `fh` (a file, or a member of a WACZ)."""
        reader = WarcReader(warc.path, fileobj=fh, max_bytes=self.max_bytes)
        for record in reader.records(payload=self._wanted):
            self.stats["records"] += 1
            self._tick(number, warc)
            if record.type == "response" and self._wanted(record):
                self._originals.add(normalize_digest(record.payload_digest), warc.path, record.offset)
            if record.payload is None:
                continue
            url = record.target_uri
            try:
                replayed = self._replayed(record)
                request = Request(url, meta={"warc": record.location, "warc_date": record.date})
                response = scrapy_response(replayed, request, decode=True)
            except (ArchiveError, ValueError) as exc:
                self._record_problem(record, f"cannot replay: {exc}")
                continue
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
            if discovery.document_kind(response.body, content_type) != discovery.HTML:
                continue
            self.stats["html"] += 1
            if 0 < self.max_page_size < len(response.body):
                self._record_problem(record, f"not analysed: {len(response.body)} bytes of HTML "
                                             "(EXTRACT_MAX_PAGE_SIZE)")
                continue
            if record.truncated:
                self.stats["truncated_html"] += 1
            key = self._fetch_key(response.url)
            if key in self.seen:
                self.stats["duplicates"] += 1
                continue
            yield response
        self.problems += reader.problems
        self.stats["files"] += 1

    def _fetch_key(self, url: str) -> str:
        """Captures under one key are one page. With dedupe, the crawl's request key: AMP twins
        are pages of their own there (the dedupe folds them, by the rule)."""
        return canonicalize_url(url, self.tracking_params, fold_amp_urls=self.dedupe is None)

    def _record_problem(self, record, message) -> None:
        self.stats["errors"] += 1
        self.problems.append(Problem(record.filename, record.offset, message, record.record_id))

    def _tick(self, number, warc) -> None:
        now = time.monotonic()
        if self.progress and now - self._last_progress >= self.progress_every:
            self._last_progress = now
            self.progress(f"reextract: file {number}/{len(self.files)} ({warc.name}), "
                          f"{self.stats['records']} records, {self.stats['html']} HTML pages, "
                          f"{self.stats['items']} items")

    # --- extraction ------------------------------------------------------

    def _emit(self, response, result) -> None:
        if result.get("article") is None:
            self.stats[f"pages/{result.get('kind', 'other')}"] += 1
            return
        if not has_body(result["article"]):
            self.stats["empty_articles"] += 1   # no item without a body (a live-blog shell)
            return
        item = build_article(result["article"], url=response.url, fetched_at=response.meta.get("warc_date"),
                             warc=response.meta.get("warc"), tracking_params=self.tracking_params,
                             truncated=response_truncated(response))
        if self.dedupe is not None:
            self.seen.add(self._fetch_key(response.url))
            if not self.dedupe.add(to_record(item)):
                self.stats["duplicates"] += 1
            self.stats["items"] += 1
            return
        for key in {canonicalize_url(response.url, self.tracking_params), item["canonical_url"]}:
            if key in self.seen:
                self.stats["duplicates"] += 1
                return
        self.seen.update({canonicalize_url(response.url, self.tracking_params), item["canonical_url"]})
        self.output.write(to_record(item))
        self.stats["items"] += 1

    @classmethod
    def from_settings(cls, paths, output: JsonLinesFile, settings, **kwargs) -> Reextractor:
        """The crawl's settings, read once: its extraction pool (EXTRACT_*), URL_TRACKING_PARAMS,
        ARCHIVE_READ_MAX_SIZE, EXTRACT_MAX_PAGE_SIZE, and its dedupe when DEDUPE_ENABLED."""
        reextractor = cls(paths, output, tracking_params=UrlCanonicalizer.from_settings(settings).tracking_params,
                          max_bytes=settings.getint("ARCHIVE_READ_MAX_SIZE"),
                          dedupe=Dedupe(settings) if settings.getbool("DEDUPE_ENABLED") else None,
                          max_page_size=settings.getint("EXTRACT_MAX_PAGE_SIZE"), **kwargs)
        reextractor.pool = ExtractionPool.from_settings(settings, on_event=reextractor._count)
        return reextractor

    def run(self) -> Counter:
        """Counts of the run; `stats["interrupted"]` is 1 after Ctrl-C: reading stopped, pages in
        flight were abandoned, and what was extracted until then is still written."""
        try:
            asyncio.run(self._run())
        except KeyboardInterrupt:
            self.stats["interrupted"] = 1
        except BaseException:
            if self.dedupe is not None:
                self.dedupe.close()
            raise
        finally:
            self.pool.close()       # Ctrl-C included: no worker outlives the run
            self._originals.close()
            if self._archive is not None:
                self._archive.close()
        if self.dedupe is not None:
            counts = self.dedupe.publish(self.output)
            self.stats["duplicates"] += counts["duplicates"]
            self.stats["items"] = counts["lines"]
        return self.stats

    async def _run(self) -> None:
        """Read pages in file order, keep WINDOW_PER_WORKER per worker in the pool, emit results
        in file order. Reading blocks the loop between awaits; the workers hold their next page
        in their pipe meanwhile, so they do not wait on it."""
        _interrupt_on_sigint(asyncio.get_running_loop())
        self.pool.start()
        window: deque = deque()
        limit = WINDOW_PER_WORKER * self.pool.workers
        for response in self._pages():
            charset = declared_charset(response)    # the page's own is read there
            window.append((response, self.pool.submit(response.body, response.url, charset,
                                                      False, self.all_pages)))   # no link listing
            while window and (len(window) >= limit or window[0][1].done()):
                await self._finish(*window.popleft())
        while window:
            await self._finish(*window.popleft())

    async def _finish(self, response, future) -> None:
        try:
            result = await future
        except Exception as exc:  # one bad page never ends the run: failed, killed its worker, timed out
            self._extraction_failed(response, exc)
            return
        self._emit(response, result)

    def _count(self, stat: str) -> None:
        self.stats[stat] += 1

    def _extraction_failed(self, response, exc) -> None:
        self.stats["errors"] += 1
        pointer = response.meta["warc"]
        self.problems.append(Problem(pointer["filename"], pointer["offset"],
                                     f"extraction failed for {response.url}: {exc!r}",
                                     pointer["record_id"]))


def _interrupt_on_sigint(loop: asyncio.AbstractEventLoop) -> None:
    """Ctrl-C raises KeyboardInterrupt from the loop, which it wakes (its wakeup fd).

    asyncio.run's own Ctrl-C handling is a plain signal handler: the kernel may hand a SIGINT
    sent to the process to any thread that does not block it, here numpy's OpenBLAS thread,
    and then nothing wakes the main thread's select(); reextract ignored the Ctrl-C until the
    next timer (a stuck page's EXTRACT_TIMEOUT, 120 s). Seen under load as a run still going
    60 s after Ctrl-C; every time with the SIGINT sent to that thread.
    """
    try:
        loop.add_signal_handler(signal.SIGINT, _keyboard_interrupt)
    except (NotImplementedError, RuntimeError):     # Windows; a loop outside the main thread
        pass


def _keyboard_interrupt() -> None:
    raise KeyboardInterrupt


class PayloadOriginals:
    """Where the first 2xx response with each payload digest was read: what a revisit record
    of a page (identical-payload-digest) takes its body from.

    A revisit can only be of a payload read before it (or, rarely, elsewhere in the inputs:
    `Archive` then indexes them all). Kept in a private temporary SQLite database, not in
    memory: an archive of millions of records would otherwise cost its size in RAM (an
    in-memory index of every response grew ~1 KB per record: 160 MB over a 1.4 GB WARC of
    153,000 responses). The digest names the bytes, so any record with it serves."""

    def __init__(self):
        self._db = sqlite3.connect("", isolation_level=None)   # "": on disk, deleted when closed
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("CREATE TABLE payload (digest TEXT PRIMARY KEY, source INTEGER, offset INTEGER)"
                         " WITHOUT ROWID")
        self._db.execute("BEGIN")   # never committed: the file is thrown away
        self._sources: dict[str, int] = {}
        self._source_names: list[str] = []

    def add(self, digest: str | None, source: str, offset: int) -> None:
        if not digest:
            return
        number = self._sources.get(source)
        if number is None:
            number = self._sources[source] = len(self._source_names)
            self._source_names.append(source)
        self._db.execute("INSERT OR IGNORE INTO payload VALUES (?, ?, ?)", (digest, number, offset))

    def find(self, digest: str | None) -> tuple[str, int] | None:
        """(source, offset) of a response read earlier with this payload digest, if any."""
        digest = normalize_digest(digest)
        if not digest:
            return None
        row = self._db.execute("SELECT source, offset FROM payload WHERE digest = ?", (digest,)).fetchone()
        return (self._source_names[row[0]], row[1]) if row else None

    def close(self) -> None:
        self._db.close()


class Dedupe:
    """The crawl's dedupe over one reextract run: a fresh state and held articles in a
    temporary directory, published into the output at the end."""

    def __init__(self, settings):
        from pipelines.dedupe.deduplicator import Deduplicator
        from pipelines.dedupe.pipeline import fingerprinter_for
        from pipelines.dedupe.store import SQLiteStore
        from pipelines.held import HeldArticles

        self.tmp = tempfile.TemporaryDirectory(prefix="reextract-dedupe-")
        self.settings = settings
        self.dedup = Deduplicator(SQLiteStore(Path(self.tmp.name) / "dedupe.sqlite3", commit_interval=60),
                                  fingerprinter_for(settings))
        self.held = HeldArticles(Path(self.tmp.name) / "held.sqlite3")

    def add(self, record: dict) -> bool:
        """Hold one article; False if it duplicates one already published (never here)."""
        from pipelines.dedupe.deduplicator import hold_and_check

        return hold_and_check(self.dedup, self.held, record)[1]

    def publish(self, output) -> dict:
        from pipelines.held import Output, publish

        fpr = self.dedup.fingerprinter
        duplicates = JsonLinesFile(Path(self.tmp.name) / "duplicates.jsonl")
        out = Output(output, duplicates, emit_duplicates=self.settings.getbool("DEDUPE_EMIT_DUPLICATES"))
        try:
            return publish(self.held, out, lambda a, b: fpr.similarity(fpr.from_bytes(a), fpr.from_bytes(b)))
        finally:
            duplicates.close()
            self.close()

    def close(self) -> None:
        self.held.close()
        self.dedup.store.close()
        self.tmp.cleanup()
