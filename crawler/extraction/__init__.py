"""Page analysis in worker processes, for the crawl and for `scrapy reextract` alike.

    pool.py        ExtractionPool: settings read once, stats, in-process or worker processes
    workerpool.py  WorkerPool: the crash-safe, per-task-timeout process pool an asyncio loop drives
    worker.py      what a worker process runs (importable without the extraction code)
    preload.py     imported once by the workers' forkserver: the extraction code, warmed up

The crawl drives the pool from Scrapy's asyncio reactor; reextract from `asyncio.run` (a plain
selector loop): one pool, no Scrapy or Twisted in it. Kept light: a worker imports this package.
"""
