"""What the extraction pool hands its workers, importable without the extraction code.

The crawl process only submits pages: importing trafilatura, htmldate and the rest there
would cost it memory for code it never runs (EXTRACT_WORKERS=1 aside). A submitted function
is pickled by name, so these entry points live here and load crawler.extract.page on first
call, which in a worker is a dictionary lookup (the forkserver preloads it).
"""

from __future__ import annotations

import multiprocessing
import os
import threading


def analyze(body: bytes, url: str, encoding: str | None) -> dict:
    """crawler.extract.page.analyze_page."""
    from crawler.extract.page import analyze_page

    return analyze_page(body, url, encoding)


def worker_init() -> None:
    """Pool initializer. A crawl killed with SIGKILL never shuts the pool down, and a worker
    blocked on its task queue would live on (keeping the forkserver alive too): leave with
    the crawl process."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (parent.join(), os._exit(0)), daemon=True).start()
