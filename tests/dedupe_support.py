"""Shared by the dedupe tests: the hand-written fixture and both real state backends."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path


from pipelines.dedupe.store import RedisStore, SQLiteStore
from pipelines.held import HELD_FILENAME

ARTICLES = [json.loads(line) for line in
            (Path(__file__).parent / "data" / "dedupe" / "articles.jsonl").read_text("utf-8").splitlines()]
BY_ID = {row["id"]: row for row in ARTICLES}


def held_count(out) -> int:
    """Articles a running crawl into `out` holds (pipelines.held): how far it got, since no
    article line is written before the crawl ends."""
    path = Path(out) / HELD_FILENAME
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM held").fetchone()[0]
    except sqlite3.Error:   # being created
        return 0


# Every fixture URL that canonicalization changes, written out by hand (crawler.urls is under
# test): tracking parameters and fragments go, an AMP twin (/amp, ?outputType=amp, an amp.
# host, the AMP cache) stands for its page, the host is lower case, no trailing slash. Every
# other URL in the fixture, and every canonical a page declares (all on its own site), is
# already canonical.
CANONICAL_BY_HAND = {
    "https://www.rivertonledger.com/local/council-approves-budget-with-transit-cuts"
    "?utm_source=facebook&utm_medium=social&utm_campaign=budget&fbclid=IwAR0x7Qz":
        "https://www.rivertonledger.com/local/council-approves-budget-with-transit-cuts",
    "https://www.rivertonledger.com/local/council-approves-budget-with-transit-cuts/amp":
        "https://www.rivertonledger.com/local/council-approves-budget-with-transit-cuts",
    "https://www.gulfcoastnews.com/weather/hurricane-marisol-landfall?gclid=Cj0KCQjw#comments":
        "https://www.gulfcoastnews.com/weather/hurricane-marisol-landfall",
    "https://www-gulfcoastnews-com.cdn.ampproject.org/c/s/www.gulfcoastnews.com/weather/hurricane-marisol-landfall":
        "https://www.gulfcoastnews.com/weather/hurricane-marisol-landfall",
    "https://www.financepost.com/markets/central-bank-holds-rates?mc_cid=4f2a9b&mc_eid=77d1c0e3aa":
        "https://www.financepost.com/markets/central-bank-holds-rates",
    "https://amp.pitchsidereport.com/football/ashford-united-sign-okafor":
        "https://pitchsidereport.com/football/ashford-united-sign-okafor",
    "https://WWW.HighDesertJournal.com/news/cedar-ridge-fire-evacuations/?ref=homepage&utm_content=top":
        "https://www.highdesertjournal.com/news/cedar-ridge-fire-evacuations",
    "https://www.techwirepost.com/security/brightmart-data-breach?outputType=amp&CMP=twt_gu":
        "https://www.techwirepost.com/security/brightmart-data-breach",
    "https://www.northvalleytimes.com/weather/flood-warning-hollis-county?utm_source=alerts#top":
        "https://www.northvalleytimes.com/weather/flood-warning-hollis-county",
}


def canonical(row) -> str:
    """What the spider puts in item["canonical_url"] for this page."""
    url = row["declared_canonical"] or row["url"]
    return CANONICAL_BY_HAND.get(url, url)


def open_backend(backend, tmp_path, redis_server=None):
    """Generator behind conftest's `dedupe_backend` fixture: yields a function opening (and
    reopening: same state) one backend's store, with `.backend` and `.settings` (the crawl
    settings selecting it); closes every store it opened when resumed."""
    opened = []
    if backend == "sqlite":
        def factory():
            opened.append(SQLiteStore(tmp_path / "state" / "dedupe.sqlite3"))
            return opened[-1]
        factory.settings = {"DEDUPE_BACKEND": "sqlite", "DEDUPE_STATE_DIR": str(tmp_path / "state")}
    else:
        prefix = f"test:{uuid.uuid4().hex}"

        def factory():
            opened.append(RedisStore(redis_server.url, prefix=prefix))
            return opened[-1]
        factory.settings = {"DEDUPE_BACKEND": "redis", "REDIS_URL": redis_server.url, "DEDUPE_REDIS_PREFIX": prefix}
    factory.backend = backend
    yield factory
    for store in opened:
        store.close()
