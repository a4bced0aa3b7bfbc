"""Article dedupe: a Scrapy-free library and the item pipeline that wires it to a crawl.

- `fingerprint`: body fingerprints (exact digest, MinHash signature, LSH band keys);
- `store`: the state every run adds to (SQLite or Redis);
- `deduplicator`: the decision (new, update, url/exact/near duplicate);
- `pipeline`: `DedupePipeline`, the only module here that imports Scrapy.

This file imports nothing, so the library modules load without Scrapy.
"""
