"""Project signals (Scrapy style: plain sentinel objects)."""

# A page could not be turned into an item (extraction raised). Arguments: url, error (str).
page_failed = object()

# A request ended without a usable response (HTTP error status, network failure, redirects
# used up). Arguments: url, reason (str: "HTTP 404", an exception name). For the run report.
fetch_failed = object()

# A write to OUTPUT_DIR failed (WARC record, JSON line). Arguments: error (the OSError),
# what (str: what was being written). crawler.extensions.WriteFailureStop decides what follows.
write_failed = object()
