"""Test helper: a pool task that never finishes on a URL containing "hang" (a page that
sends a parser into a loop); every other page is analyzed as usual. Importable by workers."""

from __future__ import annotations

import time

from crawler import worker


def analyze_or_hang(body: bytes, url: str, encoding: str | None) -> dict:
    if "hang" in url:
        time.sleep(600)
    return worker.analyze(body, url, encoding)
