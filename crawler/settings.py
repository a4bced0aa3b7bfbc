"""Every default of the project, each with a one-line reason.

Override any of them with `-s NAME=VALUE` or in a job's `[jobs.NAME.settings]` table.
"""

from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- Output -----------------------------------------------------------------
OUTPUT_DIR = "output"                  # WARC files, articles*.jsonl and side files go here (read by crawler.output only; empty: error, exit 2)
ARTICLES_FILE = "articles.jsonl"       # must match articles*.jsonl
DUPLICATES_FILE = "duplicates.jsonl"   # one line per duplicate found (not an article file)
ERRORS_FILE = "errors.jsonl"           # one line per page that failed extraction

RUN_ID = ""                            # the run's one id (log, warcinfo, dedupe, report, WACZ); "" = a new one per crawl: UTC start time + 8 hex digits

# --- WARC -------------------------------------------------------------------
WARC_PREFIX = "crawl"                  # file names: {prefix}-{timestamp17}-{serial:05d}-{host}.warc.gz ([A-Za-z0-9._-], no path)
WARC_MAX_SIZE = 1_000_000_000          # rotate to a new file past this many bytes
WARC_VERSION = "1.1"                   # "1.0" for older tools
WARC_OPERATOR = ""                     # warcinfo `operator`: who ran the crawl (a contact)
WARC_KEEP_CREDENTIALS = False          # keep Authorization/Cookie request headers in request records
WARC_GZIP_LEVEL = 5                    # zlib level of each record's gzip member: 1 fastest, 9 smallest (zlib-ng on news HTML: 6 is 0.5% smaller and 15% slower)
WARC_CDXJ = True                       # write a .cdxj index next to each closed WARC
WARC_WACZ = False                      # also package the run as a .wacz at close
WARC_DIGEST_INDEX = "memory"           # revisits for repeated payloads: "memory" (this run), "sqlite" (across runs), "redis" (across processes), "none", or a class path
WARC_DIGEST_INDEX_PATH = ""            # file of the "sqlite" digest index ("" = OUTPUT_DIR/warc-digests.sqlite3); URL#key of the "redis" one
WARC_RUN_ID = ""                       # an older name of RUN_ID (crawler.runid reads it after RUN_ID)
WARC_OFFLOAD_MIN_BYTES = 1_000_000     # bodies this large or larger are digested+gzipped in a thread, off the reactor; 0 = never
# Scrapy asks for br and zstd too; bodies are archived as sent, and `warcio check` (with the brotli
# package Scrapy needs) and ReplayWeb.page cannot decode those. gzip/deflate every WARC tool reads.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",           # Scrapy's default
    "Accept-Encoding": "gzip, deflate",
}

# --- Crawl scope and politeness ------------------------------------------------
ROBOTSTXT_OBEY = True                  # archivists' crawls are polite by default
# robots.txt per RFC 9309 (crawler.robots): 4xx = no rules; 5xx or no answer = ROBOTSTXT_UNREACHABLE.
ROBOTSTXT_UNREACHABLE = "disallow"     # "disallow" (RFC 9309: none of the host's pages fetched) or "allow"
ROBOTSTXT_RETRY_AFTER = 120            # seconds before an unreachable robots.txt is asked again; the host's requests wait for it
ROBOTSTXT_RETRY_TIMES = 2              # times an unreachable robots.txt is asked again for waiting requests (then they are dropped)
ROBOTSTXT_WAITING_MAX = 10_000         # requests per host that wait for such a retry (memory bound); past it, dropped and counted
ROBOTSTXT_TIMEOUT = 10                 # seconds for a robots.txt download (not retried on the spot: the host's requests wait for it)
ROBOTSTXT_CRAWL_DELAY_MAX = 30         # seconds: a robots.txt Crawl-delay for us paces its site, up to this (crawler.crawldelay); 0: not read
ROBOTSTXT_MAX_SIZE = 512_000           # bytes of robots.txt downloaded and parsed (RFC 9309: at least 500 KiB), cut at a line end; the rest ignored
USER_AGENT = "newsarchive/1.0 (+https://github.com/newsarchive; web archiving crawler)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4     # bounded per site
CONCURRENT_ITEMS = 4                   # Scrapy starts this many tasks per response; a page yields at most one article
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DECOMPRESS_MAX_SIZE = 67_108_864       # bytes: a Content-Encoded body inflating past this (a gzip bomb) is archived as sent, counted, not parsed
DOWNLOAD_MAXSIZE = 67_108_864          # bytes: a larger body (declared or received) is cut: its head archived, WARC-Truncated: length; Scrapy's 1 GiB let one 500 MB page take 2 GB of RAM, and the readers skip payloads past ARCHIVE_READ_MAX_SIZE
DOWNLOAD_WARNSIZE = 33_554_432         # bytes: a body past this is logged (a WARNING), as Scrapy's default
RETRY_ENABLED = True
RETRY_TIMES = 2                        # a one-off 5xx is fetched again
RETRY_AFTER_MAX = 120                  # seconds at most a 429/503's Retry-After pauses its host (crawler.retryafter); the retry waits for it
RETRY_AFTER_DEFAULT = 10               # seconds a 429 without Retry-After pauses its host (0: none; a 503 without one: none)
DEPTH_LIMIT = 5                        # link hops from a start URL (the next pages of a listing are no hop: NEWS_MAX_LISTING_PAGES bounds them)
DEPTH_PRIORITY = 1                     # shallower pages first (Scrapy's default is depth first): a page limit goes to the home page's stories, not down a tag cloud
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"   # and a page's links in its order, top story first (Scrapy's: last found first); a JOBDIR's disk queue stays Scrapy's, whose files it reads
CLOSESPIDER_PAGECOUNT = 0              # 0: no page limit
NEWS_MAX_LISTING_PAGES = 20            # page numbers followed per listing (?page=N, ?paged=N, /page/N); ?p=, ?offset= and ?start= are ordinary links
NEWS_FOLLOW_EXTERNAL = False           # stay on the start URLs' sites
NEWS_SITEMAP_MAX_AGE_DAYS = 0          # skip sitemap entries older than this (0: keep all)
REDIRECT_ENABLED = True

# --- Page requisites (crawler/requisites.py) ---------------------------------------
# What a reader's browser loads for an article page or a start page: archived with it.
REQUISITES = "all"                     # "all" (images, stylesheets and what they load, scripts, fonts, icons, video/audio), "images" (img/srcset/picture/poster/icon only) or "none"
REQUISITES_MAX_SIZE = 20_000_000       # bytes; a larger requisite is cut: its head only is archived, WARC-Truncated: length (requisites/too_large); 0: DOWNLOAD_MAXSIZE only
REQUISITES_MEDIA_TYPES = [             # Content-Types archived of a 2xx answer (fnmatch globs; ["*"]: any); others are stopped at their head (requisites/refused_type); no Content-Type, a redirect or an error page passes
    "image/*", "text/css", "font/*", "application/font-*", "application/x-font-*",
    "application/vnd.ms-fontobject", "*javascript", "*ecmascript", "application/json",
    "application/octet-stream", "text/plain", "video/*", "audio/*", "text/vtt",
]
REQUISITES_PRIORITY = 20               # above every page (links 0, sitemap and feed entries 5, sitemaps 10): a page's requisites are fetched soon after it, keeping the queue short
COOKIES_ENABLED = False                # news pages do not need a session; keeps records clean
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Extensions that run code over the network (telnet console, Scrapy 2.19's RemoteControl
# HTTP endpoint) stay off: set REMOTE_CONTROL_ENABLED and add the class to EXTENSIONS to opt in.
# RemoteControl is left out of the base list rather than set to None: Scrapy imports every
# class it lists, disabled or not, and this one brings aiohttp (~10 MB) into every crawl.
EXTENSIONS_BASE = {path: order for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
                   if path != "scrapy.extensions.remote_control.RemoteControl"}
EXTENSIONS_BASE["crawler.archiving.WarcArchive"] = 0   # owns the crawl's WARC writer (in the base list: an EXTENSIONS of one's own keeps it)
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    # Scrapy's, never below a site's robots.txt Crawl-delay (crawler.crawldelay)
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.crawldelay.CrawlDelayAutoThrottle": 0,
    "crawler.extensions.OfflineSuffixList": 0,  # tldextract never downloads the suffix list
    "crawler.jobs.stats.JobStatsFile": 0,   # off unless JOB_STATS_FILE is set
    "crawler.extensions.CollectorTuning": 0,
    "crawler.progress.Progress": 0,
    "crawler.runreport.RunReport": 0,
    # CLOSESPIDER_PAGECOUNT counts pages, not the images and stylesheets archived with them
    "scrapy.extensions.closespider.CloseSpider": None,
    "crawler.extensions.PageCountCloseSpider": 0,
    "crawler.extensions.WriteFailureStop": 0,  # a full disk stops the crawl (finish reason disk_full), one ERROR line
    "crawler.jobdir.JobdirGuard": 0,       # off without JOBDIR: its lock, run id, and recovery after an unclean stop
}
# Python's garbage collector in the crawl process (crawler.extensions.CollectorTuning):
GC_FREEZE_ON_OPEN = True               # once the spider is open, exempt everything alive from later full collections
GC_GEN0_THRESHOLD = 3000               # allocations between young-generation collections (Python's default: 700); 0: leave it
REMOTE_CONTROL_ENABLED = False         # Scrapy 2.19's code-over-HTTP server (and its job file left by a killed crawl)

# Live progress and the run report (crawler.progress, crawler.runreport):
PROGRESS_ENABLED = True                # a progress line while crawling; False: none
PROGRESS_INTERVAL = 1.0                # seconds between redraws of the line on a terminal
PROGRESS_LOG_INTERVAL = 30.0           # seconds between progress log lines when stderr is not a terminal (cron, CI)
LOGSTATS_INTERVAL = 0                  # Scrapy's once-a-minute "Crawled N pages" line: the progress line replaces it
REPORT_ENABLED = True                  # report.json, report.html and manifest.json in OUTPUT_DIR at the end of a crawl
REPORT_NAME = "report"                 # the report's file names without .json/.html (a distributed process: report-{host}-{pid}, and no manifest)
STATS_DUMP = False                     # Scrapy's stats dump at INFO: they go to report.json and the DEBUG log instead

# --- Extraction --------------------------------------------------------------
EXTRACT_WORKERS = 0                    # extraction processes; 0: number of cores, 1: in-process
EXTRACT_MAX_TASKS_PER_WORKER = 5000    # pages per worker before the pool is replaced (bounds leaks); 0: never
EXTRACT_MAX_PAGE_SIZE = 10_000_000     # bytes: larger HTML pages are archived but not analysed (extract/too_large); the corpus's largest news page is 5.3 MB, 30 MB of prose cost a worker 830 MB; 0 = no limit
EXTRACT_TIMEOUT = 120                  # seconds a page's analysis may take (from when its worker starts on it) before the worker is stopped and the page counted failed (extract/timeouts); 0: none; not with EXTRACT_WORKERS=1
EXTRACT_TASK = "crawler.extraction.worker.analyze"  # import path of what a worker runs on each page (body, url, encoding, all_pages); tests plug in one that crashes or hangs on a marked page

# --- Dedupe ------------------------------------------------------------------
DEDUPE_ENABLED = True
DEDUPE_BACKEND = "sqlite"              # "sqlite" (embedded, default) or "redis" (set REDIS_URL)
DEDUPE_STATE_DIR = ""                  # where the SQLite state lives; "" = OUTPUT_DIR
REDIS_URL = ""                         # redis://host:port/db for the redis backend
DEDUPE_NEAR_THRESHOLD = 0.6            # MinHash Jaccard estimate at or above which two bodies are one story (republished copies measure 0.7-0.85, same-topic stories < 0.2)
DEDUPE_SHINGLE_SIZE = 5                # words per shingle
DEDUPE_NUM_PERM = 128                  # MinHash permutations
DEDUPE_EMIT_DUPLICATES = False         # also emit duplicates, marked with duplicate_of
DEDUPE_MIN_WORDS = 30                  # shorter bodies (stubs, paywall notices) are deduplicated by URL only
DEDUPE_RUN_ID = ""                     # an older name of RUN_ID (crawler.runid reads it after WARC_RUN_ID)
DEDUPE_REDIS_PREFIX = "newsarchive:dedupe"  # key prefix of the redis backend (one per archive)
DEDUPE_RETENTION_DAYS = 0              # days a URL stays in the dedupe state after the last run that met it (pruned at each run's end); 0: for good
DEDUPE_COMMIT_INTERVAL = 1.0           # seconds the SQLite state groups writes per commit (0: each article); a crash re-emits at most these
URL_TRACKING_PARAMS = None             # None: crawler.urls.DEFAULT_TRACKING_PARAMS; else a list (utm_* globs); read once per crawl (crawler.urls.url_canonicalizer)

# --- Jobs and incremental crawls (`scrapy jobs`; the job runner sets these per run) ---
JOB_NAME = ""                          # the job this crawl runs for (warcinfo isPartOf)
JOB_STATS_FILE = ""                    # write the crawl's stats here as JSON for the runner; "" = off
JOB_STATS_INTERVAL = 10.0              # seconds between stats writes: a killed crawl loses at most this
INCREMENTAL_STATE_DIR = ""             # cross-run page store (incremental.sqlite3) lives here; "" = off
INCREMENTAL_REVISIT_WINDOW = 43200     # seconds after archiving an article during which it is not re-checked
INCREMENTAL_RUN_ID = ""                # an older name of RUN_ID, set by the job runner too (crawler.runid reads it last)
INCREMENTAL_RESUME_WARC = ""           # a resumed run's own folder: pages archived there are not fetched again

# --- Distributed crawls (crawler/distributed.py; README "Distributed crawls") -------------
DISTRIBUTED = False                    # True (with REDIS_URL): share the frontier, request and article dedupe with other processes on Redis
FRONTIER_REDIS_PREFIX = "newsarchive:frontier"  # key prefix of the shared frontier (+ ":" + spider name); one per archive
FRONTIER_IDLE_TIMEOUT = 30             # seconds the shared frontier must stay empty (nothing queued or in flight anywhere) before a process exits
FRONTIER_LEASE_TIMEOUT = 30            # seconds without a heartbeat after which a process's in-flight requests go back to the frontier
FRONTIER_POLL_INTERVAL = 0.5           # seconds between looks at the frontier while this process has room (Scrapy's own: 5)
FRONTIER_SHARED_POLITENESS = True      # DOWNLOAD_DELAY (or a longer robots.txt Crawl-delay) spaces the requests of all processes to a host (reservations in Redis), not each one's

# --- Replay ------------------------------------------------------------------
REPLAY_WARC = ""                       # PATH[,PATH]: answer requests from these WARCs/dirs/WACZ
REPLAY_MISS = "404"                    # "404", "error" or "live" for URLs not in the archive
ARCHIVE_READ_MAX_SIZE = 67_108_864     # bytes: a WARC record payload, decoded body or WACZ/CDXJ index larger than this is reported and skipped by every archive reader (reextract, REPLAY_WARC, WACZ); 0 = no limit

# --- Components --------------------------------------------------------------
ADDONS = {
    "crawler.distributed.DistributedMode": 0,  # off unless DISTRIBUTED=True
}
DOWNLOAD_HANDLERS = {
    "http": "crawler.capture.CapturingHTTP11DownloadHandler",
    "https": "crawler.capture.CapturingHTTP11DownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    # Closest to the downloader: sees every exchange (3xx, 4xx, retries, robots.txt) first.
    "crawler.middlewares.WarcCaptureMiddleware": 990,
    # Below capture and DownloaderStats (850): sees archived 304s and raw payloads, and the
    # responses it stops are still counted. Off without INCREMENTAL_STATE_DIR.
    "crawler.incremental.middleware.IncrementalMiddleware": 840,
    # After a crawl with the same JOBDIR died: its archived pages answered from its WARCs,
    # its written articles skipped. Off otherwise.
    "crawler.jobdir.ResumeFromArchive": 845,
    # Answers from the archive before any handler runs; off unless REPLAY_WARC is set.
    "crawler.replay.ReplayMiddleware": 980,
    # Scrapy's, except a redirect to another spelling of the same URL (/world -> /world/) is not
    # dropped by the dupe filter (crawler.middlewares._VariantRedirects).
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.VariantRedirectMiddleware": 600,
    # Scrapy's, except an unparseable <base href>/refresh URL does not fail the whole page (and as above).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.LenientMetaRefreshMiddleware": 580,
    # Scrapy's, with RFC 9309's status rules and size cap (crawler.robots), and every request
    # waiting for robots.txt gets the parser, not only the first (RobotsTxtWaitersMiddleware).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RFC9309RobotsTxtMiddleware": 100,
    # Scrapy's, capped at DECOMPRESS_MAX_SIZE and freeing a bomb's buffer at once (crawler.compression).
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.compression.BoundedHttpCompressionMiddleware": 590,
    # Before RetryMiddleware (550): a 429/503's Retry-After pauses the host, so the retry waits (crawler.retryafter).
    "crawler.retryafter.RetryAfterMiddleware": 560,
}
SPIDER_MIDDLEWARES = {
    # Scrapy's, except page N of a listing has the listing's depth (crawler.depth): pagination is
    # bounded by NEWS_MAX_LISTING_PAGES, not by DEPTH_LIMIT
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.depth.ListingDepthMiddleware": 900,
}
ITEM_PIPELINES = {
    "pipelines.dedupe.pipeline.DedupePipeline": 100,
    "pipelines.warc.WarcMetadataPipeline": 500,
    "pipelines.jsonl.JsonLinesPipeline": 900,
}

# Fetch URL variants (tracking parameters, fragments, trailing slash) once.
REQUEST_FINGERPRINTER_CLASS = "crawler.fingerprint.CanonicalURLRequestFingerprinter"
