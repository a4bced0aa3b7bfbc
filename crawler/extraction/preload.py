"""Imported once by the extraction pool's forkserver, never by the crawl process.

Workers fork from the forkserver, so whatever it holds they share copy-on-write: the
extraction code and everything it loads lazily on a first page (trafilatura's tables, the
language detector for pages that declare no language). Extracting one
built-in page here loads all of it once instead of once per worker and per recycled pool,
and gc.freeze() keeps the collector from touching (and so copying) those objects later.
"""

from __future__ import annotations

import gc

from crawler.extract import classify_and_extract_tree, parse_html
from crawler.extract.page import analyze_page  # noqa: F401  (what the workers run)
from crawler.extraction.worker import analyze  # noqa: F401  (how they are handed it)

_SAMPLE = ("<html><head><title>Harbor dredging starts</title></head><body><article>"
           "<h1>Harbor dredging starts</h1>"
           + "<p>The harbor authority said the dredging of the main channel would begin on Monday and "
             "take about six weeks, with night work limited to two shifts a week.</p>" * 6
           + "<figure><img src='/a.jpg'><figcaption>The channel at dawn. (Photo: Staff)</figcaption></figure>"
           "</article><a href='/world/'>World</a></body></html>")

try:
    classify_and_extract_tree(parse_html(_SAMPLE), "http://preload.invalid/local/2024/05/harbor-dredging-starts")
except Exception:  # a warm-up only: a worker loads whatever failed here on its first page
    pass
gc.collect()
gc.freeze()
