"""Incremental crawls: what a job archived before decides what this run fetches.

`PageStore` (SQLite in INCREMENTAL_STATE_DIR) keeps, per canonical URL, when
it was last archived, its validators (ETag, Last-Modified), its payload
digest, its WARC record, and whether it turned out to be an article.
`IncrementalMiddleware` uses it:

- pages known to be articles that were archived within the revisit window
  are not fetched (IgnoreRequest, counted), unless a sitemap read in this run
  gives them a <lastmod> later than that: such a page is fetched (at once,
  or as soon as the sitemap arrives if it was skipped before);
- older ones are fetched with If-None-Match / If-Modified-Since. A 304 is
  archived by the capture middleware as a revisit record (profile
  server-not-modified, referring to the stored record, which this middleware
  hands over in `request.meta["revisit_of"]`) and stops here: it never
  reaches the spider. A 200 whose payload digest is the stored one was
  archived as an identical-payload-digest revisit and stops here too;
- start URLs, sitemaps, feeds, listings and every other non-article page are
  always fetched: they are where new articles are found.

Everything else passes untouched, so only new or changed articles reach the
spider and the item pipelines.

A resumed run (INCREMENTAL_RESUME_WARC: the run's own folder) does not fetch
again what it already archived: articles it finished are skipped, and every
other page with a final answer in its WARCs (not a 5xx) is answered from
there (`ResumeReplay`), so the spider finds the same links without a request
going out. Revisit records in it are resolved against the job's earlier runs
(the sibling folders).

Modules, along the data flow: `store` (the SQLite page store, no Scrapy), `resume` (answers
from the resumed run's WARCs), `middleware` (the downloader middleware using both).
"""
