"""Project signals (Scrapy style: plain sentinel objects)."""

# A page could not be turned into an item (extraction raised). Arguments: url, error (str).
page_failed = object()
