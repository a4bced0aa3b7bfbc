"""Python's cyclic garbage collector held off for the length of one page's extraction."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collections_deferred() -> Iterator[None]:
    """No collection while the page is extracted; its young generation collected once at the end.

    lxml's element proxies are objects the collector tracks, and the extraction's walks over the
    tree (the metadata finders, the prunes, trafilatura's passes and copies) create tens of
    thousands a page. At Python's default threshold (700 allocations) that is several
    young-generation collections per page, each one traversing everything the page still holds
    (lists of elements, their proxies, trafilatura's trees) and promoting it to be traversed again
    in the next generation. Measured beside bare trafilatura in one process on the same pages
    (bench/cpu_bench.py): ~3 ms of extract_article's ~60 ms a page. The end-of-page collection is
    charged to the extraction, not to the caller's next allocation. What waits is one page's
    cyclic garbage. A nested call, or a caller that turned the collector off, changes nothing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)
