"""The one id of a crawl run: in the log, the warcinfo `run-id`, the dedupe state, the report
and the WACZ name.

Each of those used to make its own, so `scrapy wacz --run-id` with the id a log printed found
nothing. `run_id(crawler)` decides once per crawler, from the first of RUN_ID, WARC_RUN_ID,
DEDUPE_RUN_ID and INCREMENTAL_RUN_ID that is set (a job run, or processes sharing a
distributed run, pass theirs), else a new one: UTC time to the second and 8 random hex
digits, so ids sort by start time and two crawls started in the same second differ.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

RUN_ID_SETTINGS = ("RUN_ID", "WARC_RUN_ID", "DEDUPE_RUN_ID", "INCREMENTAL_RUN_ID")
_ATTRIBUTE = "newsarchive_run_id"


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]


def run_id_from_settings(settings) -> str | None:
    for name in RUN_ID_SETTINGS:
        value = str(settings.get(name) or "").strip()
        if value:
            return value
    return None


def run_id(crawler) -> str:
    """This crawler's run id, the same on every call."""
    value = getattr(crawler, _ATTRIBUTE, None)
    if value is None:
        value = run_id_from_settings(crawler.settings) or new_run_id()
        setattr(crawler, _ATTRIBUTE, value)
    return value
