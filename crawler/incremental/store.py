"""The incremental page store: per canonical URL, when it was last archived, its validators,
payload digest and WARC record, and whether it became an article (SQLite, one file per job).

No Scrapy: the middleware (`crawler.incremental.middleware`) decides with it, and tools can
read it outside a crawl.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archives import sqlitedb

STORE_FILE = "incremental.sqlite3"


@dataclass
class Page:
    url: str
    article: bool
    status: int | None
    etag: str | None
    last_modified: str | None
    payload_digest: str | None
    record_uri: str | None
    record_id: str | None
    warc_date: str | None
    archived_at: float | None
    run_id: str | None          # the run that last fetched it
    done_run_id: str | None     # the run that finished with it (item made, or found unchanged)


class PageStore:
    """One row per canonical URL; every write is committed (a killed crawl loses nothing)."""

    COLUMNS = ("url", "article", "status", "etag", "last_modified", "payload_digest", "record_uri",
               "record_id", "warc_date", "archived_at", "run_id", "done_run_id")

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db = sqlitedb.connect(self.path, timeout=30)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, article INTEGER NOT NULL DEFAULT 0,"
            " status INTEGER, etag TEXT, last_modified TEXT, payload_digest TEXT, record_uri TEXT,"
            " record_id TEXT, warc_date TEXT, archived_at REAL, run_id TEXT, done_run_id TEXT)")

    def get(self, url: str) -> Page | None:
        row = self._db.execute(f"SELECT {','.join(self.COLUMNS)} FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        page = Page(*row)
        page.article = bool(page.article)
        return page

    def archived(self, url: str, *, status: int, etag: str | None, last_modified: str | None,
                 payload_digest: str, record_uri: str, record_id: str, warc_date: str,
                 archived_at: float, run_id: str) -> None:
        """A full response was archived for `url` (response or identical-payload revisit)."""
        self._db.execute(
            "INSERT INTO pages (url, status, etag, last_modified, payload_digest, record_uri, record_id,"
            " warc_date, archived_at, run_id) VALUES (?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(url) DO UPDATE SET status=excluded.status, etag=excluded.etag,"
            " last_modified=excluded.last_modified, payload_digest=excluded.payload_digest,"
            " record_uri=excluded.record_uri, record_id=excluded.record_id,"
            " warc_date=excluded.warc_date, archived_at=excluded.archived_at, run_id=excluded.run_id",
            (url, status, etag, last_modified, payload_digest, record_uri, record_id, warc_date,
             archived_at, run_id))

    def rechecked(self, url: str, *, archived_at: float, run_id: str, etag: str | None = None,
                  last_modified: str | None = None) -> None:
        """The stored copy was confirmed current (304, or the same payload): only the check
        time (and fresher validators) change; revisits keep referring to the stored record."""
        self._db.execute(
            "UPDATE pages SET archived_at=?, run_id=?, done_run_id=?, etag=COALESCE(?, etag),"
            " last_modified=COALESCE(?, last_modified) WHERE url=?",
            (archived_at, run_id, run_id, etag, last_modified, url))

    def mark_article(self, url: str, run_id: str) -> None:
        """The page became an article item in `run_id` (written or dropped as a duplicate)."""
        self._db.execute("INSERT INTO pages (url, article, done_run_id) VALUES (?, 1, ?)"
                         " ON CONFLICT(url) DO UPDATE SET article=1, done_run_id=excluded.done_run_id",
                         (url, run_id))

    def close(self) -> None:
        self._db.close()
