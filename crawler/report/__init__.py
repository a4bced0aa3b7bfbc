"""The run report: what one crawl did, as `report.json`, a self-contained `report.html` and
the short table printed at the end.

Everything is computed from the crawl's stats and from the lines this run appended to the
output files (the offsets they had when the run started), so a report says what *this* run
did even when OUTPUT_DIR holds earlier runs, and the same function can report on any
folder of articles/duplicates/errors files (a merged distributed run, for one). Memory stays
bounded: files are streamed, and lists kept for the page (articles, clusters, error
examples) are capped. The HTML loads nothing at view time: its charts are inline SVG drawn
here, its style and its one script (table sorting and filtering) inline, and a
Content-Security-Policy forbids any fetch.

No Scrapy here: `crawler.runreport.RunReport` calls it from a crawl, `scrapy report` over
folders. Along the data flow: `figures` (stats and output files -> the report dict, and its
JSON), `text` (the summary table printed at the end), `page` (the HTML page).
"""
