"""Test helpers: pool tasks importable by workers (and EXTRACT_TASK values). `analyze_or_hang`
never finishes on a URL containing "hang" (a page that sends a parser into a loop),
`analyze_or_die` kills its worker on a URL containing "die" (a parser crash), `analyze_or_fail`
does both; every other page is analyzed as usual."""

from __future__ import annotations

import os
import time

from crawler.extraction import worker


def analyze_or_hang(body: bytes, url: str, encoding: str | None, *extra) -> dict:
    if "hang" in url:
        if os.environ.get("HANG_NOTICE_DIR"):   # tells a test this worker is stuck now
            open(os.path.join(os.environ["HANG_NOTICE_DIR"], str(os.getpid())), "w").close()
        time.sleep(600)
    return worker.analyze(body, url, encoding, *extra)


def analyze_or_die(body: bytes, url: str, encoding: str | None, *extra) -> dict:
    if "die" in url:
        os._exit(3)
    return worker.analyze(body, url, encoding, *extra)


def analyze_or_fail(body: bytes, url: str, encoding: str | None, *extra) -> dict:
    return analyze_or_die(body, url, encoding, *extra) if "die" in url else analyze_or_hang(body, url, encoding, *extra)


def pid_and_analysis(body: bytes, url: str, encoding: str | None, *extra) -> tuple[int, dict]:
    return os.getpid(), worker.analyze(body, url, encoding, *extra)


def slow_crash_once(marker: str, seconds: float) -> str:
    """Takes `seconds`, then kills its worker the first time (no `marker` file yet) and answers
    the second: a page whose two tries together run past the time limit and each alone do not."""
    first = not os.path.exists(marker)
    open(marker, "a").close()
    time.sleep(seconds)
    if first:
        os._exit(3)
    return "answered"
