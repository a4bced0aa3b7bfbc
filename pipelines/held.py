"""Articles held until the run's end, so each story's kept page follows a rule, not arrival order.

Which page of a duplicate group reaches the pipeline first depends on network timing. If the
first were written at once, two crawls of one unchanged site (or a crawl and its replay) would
keep different URLs for the same story. So a run writes no article line while it crawls: each
article is held here (a SQLite file in OUTPUT_DIR) with the group the dedupe state put it in,
and at the end `publish` writes one line per group, for the page `representative` picks.

Crash safety (kill -9 at any moment):
- an article is held (committed) before the dedupe state records its URL, so a URL the state
  knows from this run is always here; a restart with the same command into the same OUTPUT_DIR
  continues the run: what is held stays held when met again, and new pages are added; the
  pages a kill left undecided (the state commits in batches) are decided first
  (`pipelines.dedupe.settle_held`), so a continuation stopped before meeting them again
  publishes them once;
- `publish` first records where the output files end, then appends; if it is cut short, the
  next start finishes it, skipping every line already appended after that point, so no line is
  written twice and none is lost. The file is deleted once everything is written and synced.

No Scrapy imports: `scrapy reextract` publishes through the same code.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from archives import sqlitedb
from crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)

HELD_FILENAME = "articles-held.sqlite3"
LOCK_FILENAME = "articles-held.lock"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS held (
    url TEXT PRIMARY KEY,          -- the fetched URL (one row per page; a re-fetch keeps the first)
    canonical TEXT NOT NULL,       -- canonicalized canonical URL (the dedupe key)
    group_key TEXT,                -- canonical URL of the group's first-seen page per the dedupe state
    kind TEXT,                     -- the dedupe state's verdict: new, update, url, exact, near
    fingerprint TEXT,
    signature BLOB,
    published TEXT,
    fetched_at TEXT,               -- JSON [fetched_at, WARC filename, offset, truncated]
    record TEXT NOT NULL           -- the article's JSON line, as it will be written
);
CREATE INDEX IF NOT EXISTS held_canonical ON held (canonical);
"""


# --- the rule ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """What the rule looks at: the page itself, never when it arrived."""

    url: str
    canonical: str
    published: str | None = None
    fetched_at: str | None = None
    warc: tuple = ()                 # (filename, offset): tells apart two captures of one URL
    truncated: bool = False          # the response was cut short: its text may be incomplete


def is_self_canonical(page: Page) -> bool:
    """The page was fetched at its own canonical URL (declared, or none declared). Only the
    spelling is normalized (case, port, trailing slash, fragment): a URL with tracking
    parameters or an AMP twin is a variant, not the canonical page."""
    return canonicalize_url(page.url, (), fold_amp_urls=False) == page.canonical


def _utc(value: str | None) -> str:
    """A `published` value as a comparable UTC moment: pages keep their own offsets
    ("2025-12-19T01:00:00+05:30" is before "2025-12-18T20:00:00Z"); a date stays a date."""
    if not value or "T" not in value:
        return value or ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rank(page: Page, inbound: int) -> tuple:
    """Sort key of the rule (smallest wins):
    0. a complete capture over one cut short (`truncated`);
    1. a page fetched at its own canonical URL, over URL variants (tracking parameters, AMP,
       a trailing slash) that declare another;
    2. the canonical URL more pages of the group declare (`inbound`);
    3. the earliest `published` (pages with a date before pages without);
    4. the shortest URL, then the smallest in string order;
    5. two captures of one URL: the earliest fetched, then the earliest in the WARC."""
    return (page.truncated, not is_self_canonical(page), -inbound,
            page.published is None, _utc(page.published),
            len(page.url), page.url, page.fetched_at or "", page.warc)


def representative(pages: list[Page]) -> Page:
    """The page of a duplicate group that is kept, by `rank`."""
    inbound: dict[str, int] = {}
    for page in pages:
        inbound[page.canonical] = inbound.get(page.canonical, 0) + 1
    return min(pages, key=lambda p: rank(p, inbound[p.canonical]))


# --- marking items that are held ----------------------------------------------------------

_HELD_ATTR = "_held_until_run_end"


def mark_held(item):
    """Tell the later pipelines (the JSON Lines writer) that this item's line is written at the
    run's end, not now. An attribute, not a field: it is not part of the article."""
    setattr(item, _HELD_ATTR, True)
    return item


def is_held(item) -> bool:
    return getattr(item, _HELD_ATTR, False)


# --- the held articles ----------------------------------------------------------------------

@dataclass(frozen=True)
class Held:
    url: str
    canonical: str
    group_key: str | None
    kind: str | None
    fingerprint: str | None
    published: str | None
    fetched_at: str | None
    warc: tuple
    truncated: bool = False

    @property
    def page(self) -> Page:
        return Page(self.url, self.canonical, self.published, self.fetched_at, self.warc, self.truncated)


class HeldArticles:
    """The held articles of one run in one OUTPUT_DIR. Every change is committed at once:
    WAL with synchronous=NORMAL survives the death of the process (not a power cut)."""

    def __init__(self, path):
        self.path = Path(path)
        self._db = sqlitedb.connect(self.path, timeout=60)
        self._db.executescript(_SCHEMA)

    # meta
    def _get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def run_id(self) -> str | None:
        return self._get("run_id")

    @run_id.setter
    def run_id(self, value: str) -> None:
        self._set("run_id", value)

    def publishing(self) -> dict | None:
        """Where the output files ended when a publish began (None: none began)."""
        value = self._get("publishing")
        return json.loads(value) if value else None

    # rows
    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM held").fetchone()[0]

    def hold(self, record: dict, canonical: str, fingerprint: str | None, signature: bytes | None) -> bool:
        """Hold an article (before the dedupe state hears of it); False if this URL already is
        (a re-fetch after a restart): the first capture stays."""
        warc = record.get("warc") or {}
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO held (url, canonical, fingerprint, signature, published, fetched_at,"
            " record) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (record["url"], canonical, fingerprint, signature, record.get("published"),
             json.dumps([record.get("fetched_at"), warc.get("filename") or "", warc.get("offset") or 0,
                         bool(record.get("truncated"))]),
             json.dumps(record, ensure_ascii=False, separators=(",", ":"))))
        return cursor.rowcount == 1

    def link(self, url: str, group_key: str, kind: str) -> None:
        """The dedupe state's verdict for a held page: the group it joined."""
        self._db.execute("UPDATE held SET group_key = ?, kind = ? WHERE url = ?", (group_key, kind, url))

    def release(self, url: str) -> None:
        """A page that turned out to duplicate an article published before this run: not held."""
        self._db.execute("DELETE FROM held WHERE url = ?", (url,))

    def holds_canonical(self, canonical: str, *, besides: str | None = None) -> bool:
        """Is a page with this canonical URL held (other than the page fetched at `besides`)?"""
        return self._db.execute("SELECT 1 FROM held WHERE canonical = ? AND url IS NOT ? LIMIT 1",
                                (canonical, besides)).fetchone() is not None

    def _rows(self) -> Iterator[Held]:
        for url, canonical, group_key, kind, fp, published, fetched in self._db.execute(
                "SELECT url, canonical, group_key, kind, fingerprint, published, fetched_at FROM held"):
            fetched_at, filename, offset, truncated = json.loads(fetched)
            yield Held(url, canonical, group_key, kind, fp, published, fetched_at, (filename, offset), truncated)

    def pages(self) -> list[tuple[str, str, str | None]]:
        """(url, canonical, group_key) of every held page."""
        return self._db.execute("SELECT url, canonical, group_key FROM held").fetchall()

    def record(self, url: str) -> dict:
        return json.loads(self._db.execute("SELECT record FROM held WHERE url = ?", (url,)).fetchone()[0])

    def signature(self, url: str) -> bytes | None:
        return self._db.execute("SELECT signature FROM held WHERE url = ?", (url,)).fetchone()[0]

    def groups(self) -> list[tuple[list[Held], str | None]]:
        """The held pages as duplicate groups: pages joined by a shared canonical URL or by the
        dedupe state's verdicts (followed through, so a verdict left stale by a crash still
        joins). Each group comes with the canonical URL of an article outside it that the
        group duplicates (published before this run), or None. Holds the rows' keys in memory,
        not their JSON."""
        rows = list(self._rows())
        parent: dict[str, str] = {}

        def find(key: str) -> str:
            parent.setdefault(key, key)
            root = key
            while parent[root] != root:
                root = parent[root]
            while parent[key] != root:
                parent[key], key = root, parent[key]
            return root

        for row in rows:
            a, b = find(row.canonical), find(row.group_key or row.canonical)
            if a != b:
                parent[max(a, b)] = min(a, b)
        held = {row.canonical for row in rows}
        members: dict[str, list[Held]] = {}
        outside: dict[str, set[str]] = {}
        for row in rows:
            root = find(row.canonical)
            members.setdefault(root, []).append(row)
            if row.group_key and row.group_key not in held:
                outside.setdefault(root, set()).add(row.group_key)
        return [(pages, min(outside[root]) if root in outside else None)
                for root, pages in sorted(members.items())]

    # publishing
    def begin_publish(self, offsets: dict) -> None:
        self._set("publishing", json.dumps(offsets))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def remove(self) -> None:
        """Everything is published: the file goes (with its WAL)."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)


class SharedRun:
    """Several processes may crawl into one OUTPUT_DIR (a distributed crawl, two per machine):
    they share the held articles, and the last one to finish publishes them; the others would
    otherwise publish (and delete) what a running one still adds to. Each holds a shared flock
    on `articles-held.lock` while it runs; a process that can turn it exclusive at its end is
    the last. A killed process's lock goes with it.

    The last one out deletes the file (while it holds it exclusive), so a finished run leaves
    nothing behind. A process that opened the file just before and waits for its lock would then
    lock a deleted file that nobody else sees: each one checks, once locked, that the path still
    names the file it holds, and opens it again if not. A file a killed process left is unlocked:
    the next run simply takes it."""

    def __init__(self, directory):
        self.path = Path(directory) / LOCK_FILENAME
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)      # waits while another process publishes
                if _same_file(fd, self.path):
                    break
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)                            # deleted (or replaced) meanwhile: again
        self._fd = fd

    def last(self) -> bool:
        """Exclusive now (no other process in this OUTPUT_DIR), or False at once."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def shared(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def close(self) -> None:
        """Let go; the last process in the directory deletes the lock file."""
        if self._fd is None:
            return
        try:
            if self.last():
                self.path.unlink(missing_ok=True)
        except OSError as exc:   # a read-only folder: the file stays, harmless (see above)
            logger.debug("Could not remove %s: %s", self.path, exc)
        finally:
            os.close(self._fd)
            self._fd = None


def _same_file(fd: int, path: Path) -> bool:
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def open_held(directory) -> HeldArticles | None:
    """The held articles left in `directory` by an unfinished run, or None."""
    path = Path(directory) / HELD_FILENAME
    return HeldArticles(path) if path.exists() else None


# --- publishing -----------------------------------------------------------------------------

class Output:
    """Where `publish` writes: the article and duplicate JSON Lines files (anything with
    `.path` and `.write(obj)`), what it reports, and who hears each group's choice
    (`decided(kept, pages)`, before the held file goes)."""

    def __init__(self, articles, duplicates, *, emit_duplicates: bool = False,
                 count: Callable[[str], None] = lambda key: None,
                 decided: Callable[[Held, list[Held]], None] | None = None):
        self.articles = articles
        self.duplicates = duplicates
        self.emit_duplicates = emit_duplicates
        self.count = count
        self.decided = decided


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _urls_after(path: Path, offset: int) -> set[str]:
    """URLs of the whole lines appended to `path` after `offset` (by a cut-short publish)."""
    urls: set[str] = set()
    if _size(path) <= offset:
        return urls
    with open(path, "rb") as f:
        f.seek(offset)
        for line in f:
            try:
                urls.add(json.loads(line)["url"])
            except (ValueError, KeyError, TypeError):
                continue  # a partial last line: the writer cuts it before appending
    return urls


def canonical_urls_in(path, wanted: set[str]) -> set[str]:
    """Which of `wanted` have a line in the JSON Lines file at `path` (as canonical_url). One
    pass; only lines naming one of them are parsed."""
    found: set[str] = set()
    if not wanted:
        return found
    needles = {spelling for url in wanted for spelling in (
        url.encode(), json.dumps(url)[1:-1].encode(), json.dumps(url, ensure_ascii=False)[1:-1].encode())}
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return found
    with fh:
        for line in fh:
            if not any(needle in line for needle in needles):
                continue
            try:
                url = json.loads(line).get("canonical_url")
            except (ValueError, AttributeError):
                continue   # a partial last line
            if url in wanted:
                found.add(url)
    return found


def publish(held: HeldArticles, out: Output, similarity: Callable[[bytes, bytes], float] | None = None) -> dict:
    """Write one article line per held group (and a duplicates line per other member), then
    delete the held file. Safe to call again after a crash part way. Returns counts: articles
    (groups' kept pages), duplicates, groups, lines (of the articles file, duplicates included
    when emitted)."""
    articles_path, duplicates_path = Path(out.articles.path), Path(out.duplicates.path)
    started = held.publishing()
    for f in (out.articles, out.duplicates):
        repair = getattr(f, "repair", None)
        if repair:
            repair()   # a partial last line (killed writer) goes before offsets are taken
    if started is None:
        started = {"articles": _size(articles_path), "duplicates": _size(duplicates_path)}
        held.begin_publish(started)
        done_articles: set[str] = set()
        done_duplicates: set[str] = set()
    else:
        done_articles = _urls_after(articles_path, started["articles"])
        done_duplicates = _urls_after(duplicates_path, started["duplicates"])
        logger.warning("Finishing the publication of held articles cut short by an interrupted run "
                       "(%d article and %d duplicate lines were already written)",
                       len(done_articles), len(done_duplicates))
    counts = {"articles": 0, "duplicates": 0, "groups": 0, "lines": 0}
    groups = held.groups()
    for pages, outside in _in_output_order(groups):
        counts["groups"] += 1
        keep = None if outside else representative([p.page for p in pages])
        kept = next(p for p in pages if p.url == keep.url) if keep else None
        others = sorted((p for p in pages if p is not kept), key=lambda p: p.url)
        if kept is not None:
            out.count(f"dedupe/{'update' if kept.kind == 'update' else 'new'}")
            if kept.url not in done_articles:
                out.articles.write(held.record(kept.url))
            counts["articles"] += 1
            counts["lines"] += 1
        if kept is not None and out.decided is not None and len(pages) > 1:
            out.decided(kept, pages)
        target = kept.canonical if kept else outside
        for page in others:
            kind, sim = _relation(held, page, kept, similarity)
            out.count(f"dedupe/{kind}")
            counts["duplicates"] += 1
            if page.url not in done_duplicates:
                out.duplicates.write({"url": page.url, "canonical_url": page.canonical, "duplicate_of": target,
                                      "kind": kind, "similarity": sim})
            if out.emit_duplicates and page.url not in done_articles:
                record = held.record(page.url)
                record["duplicate_of"] = target
                out.articles.write(record)
            if out.emit_duplicates:
                counts["lines"] += 1
    for f in (out.articles, out.duplicates):
        sync = getattr(f, "sync", None)
        if sync:
            sync()
    held.remove()
    return counts


def _in_output_order(groups) -> Iterable[tuple[list[Held], str | None]]:
    """Groups in the order of their kept page's canonical URL: the file's content then depends
    on the pages alone (a replay writes the live run's file byte for byte)."""
    def key(group):
        pages, outside = group
        if outside:
            return (outside, "")
        keep = representative([p.page for p in pages])
        return (keep.canonical, keep.url)
    return sorted(groups, key=key)


def _relation(held: HeldArticles, page: Held, kept: Held | None, similarity) -> tuple[str, float | None]:
    """How a member relates to the kept page: url (same canonical URL), exact (same body) or
    near (with the estimated similarity, when both bodies are long enough to have one)."""
    if kept is None:   # the group duplicates an article published before: the state's verdict
        return (page.kind if page.kind in ("url", "exact", "near") else "near"), None
    same_body = page.fingerprint is not None and page.fingerprint == kept.fingerprint
    if page.canonical == kept.canonical:
        return "url", 1.0 if same_body else _similarity(held, page, kept, similarity)
    if same_body:
        return "exact", 1.0
    return "near", _similarity(held, page, kept, similarity)


def _similarity(held, page, kept, similarity) -> float | None:
    if similarity is None:
        return None
    a, b = held.signature(page.url), held.signature(kept.url)
    return round(similarity(a, b), 3) if a is not None and b is not None else None
