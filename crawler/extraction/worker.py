"""What the extraction pool's workers run, importable without the extraction code.

The crawl process only submits pages: importing trafilatura, htmldate and the rest there
would cost it memory for code it never runs (EXTRACT_WORKERS=1 aside). A submitted function
is pickled by name, so these entry points live here and load crawler.extract.page on first
call, which in a worker is a dictionary lookup (the forkserver preloads it).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading


def analyze(body: bytes, url: str, encoding: str | None, links: bool = True, all_pages: bool = False) -> dict:
    """{"kind", "article"} of a page, and with `links` (the crawl) its "links", "feeds", "next"
    and "requisites" (crawler.extract.page.analyze_page). Without (reextract), those are neither
    listed nor pickled back: ~4 of a page's ~40 ms. With `all_pages` (reextract --all-pages) a
    page that is not an article is extracted as one too."""
    if links:
        from crawler.extract.page import analyze_page

        result = analyze_page(body, url, encoding)
    else:
        from crawler.extract import classify_and_extract

        kind, article = classify_and_extract(body, url, encoding=encoding)
        result = {"kind": kind, "article": article}
    if all_pages and result["kind"] != "article":
        from crawler.extract import extract_article

        result["article"] = extract_article(body, url, encoding=encoding)
    return result


def serve(tasks, results) -> None:
    """A worker's life (crawler.extraction.workerpool): read (task id, function, args) from `tasks`,
    answer (task id, ok, result or exception) on `results`, until `tasks` closes."""
    worker_init()
    try:
        results.send_bytes(pickle.dumps((0, True, None)))  # hello: started (task ids count from 1)
    except OSError:             # the crawl closed (or died) while this worker started
        return
    while True:
        try:
            task_id, func, args = pickle.loads(tasks.recv_bytes())
        except (EOFError, OSError):   # the pool closed the pipe (or the crawl process is gone)
            return
        try:
            answer = (task_id, True, func(*args))
        except Exception as exc:
            answer = (task_id, False, exc)
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:    # an exception (or result) that does not pickle
            payload = pickle.dumps((task_id, False, RuntimeError(f"{answer[2]!r} (not picklable: {exc!r})")))
        try:
            results.send_bytes(payload)
        except OSError:         # the pool is gone: nobody to answer
            return


def worker_init() -> None:
    """A worker sees its task pipe close only after the page in hand: when the crawl process
    is killed (SIGKILL, OOM), leave at once instead, so nothing outlives it. Ctrl-C is the
    crawl process's to handle (Scrapy finishes the pages in flight first): a worker ignores
    it and leaves when its task pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (parent.join(), os._exit(0)), daemon=True).start()
