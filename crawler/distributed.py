"""Several crawler processes, on one or many machines, sharing one frontier on Redis.

`-s DISTRIBUTED=True -s REDIS_URL=redis://host:port/db` turns it on (README, "Distributed
crawls"). `DistributedMode`, an add-on, then points Scrapy at these components:

- `FrontierScheduler`: scrapy-redis's scheduler and request dupefilter (priority queue of
  requests serialized as JSON by `crawler.plaindata`), with the project's canonical request
  fingerprints (`CanonicalDupeFilter`), a pop that is a lease acknowledged when the engine
  is done with the request (`crawler.frontier`: a killed process loses nothing), seeds from
  the Redis start key, and an exit once the shared frontier has stayed empty for a while;
- `PoliteCapturingHandler`: the capturing download handler, waiting before each send for
  the host's next free slot in Redis, so DOWNLOAD_DELAY spaces the requests of all
  processes to a site, not those of each;
- the article dedupe, the payload digest index and robots.txt shared on Redis, and each
  process its own output files (WARC prefix, articles/duplicates/errors/stats/report file
  names carry host and pid).
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
import uuid

import redis
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from crawler.capture import CapturingHTTP11DownloadHandler
from crawler.crawldelay import CrawlDelays
from crawler.frontier import Frontier
from crawler.output import output_dir
from crawler.redisoutage import RedisOutage
from pipelines.dedupe.store import printable_url

logger = logging.getLogger(__name__)

_FAILED = object()       # a Redis call that failed, where None is an answer

CAPTURING_HANDLER = "crawler.capture.CapturingHTTP11DownloadHandler"
POLITE_HANDLER = "crawler.distributed.PoliteCapturingHandler"


class DistributedError(ValueError):
    """Distributed mode cannot start; the message is shown to the user as is."""


def check_distributed_settings(settings) -> None:
    """A distributed crawl that cannot reach its Redis is one line before the crawl starts."""
    if not settings.getbool("DISTRIBUTED"):
        return
    url = settings.get("REDIS_URL")
    if not url:
        raise DistributedError("DISTRIBUTED=True needs REDIS_URL (redis://host:port/db)")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        raise DistributedError(f"cannot reach the Redis of the distributed crawl at {printable_url(url)}: {exc}") from None


def process_tag() -> str:
    """host-pid: no two processes of one crawl share it, so none share an output file."""
    host = "".join(c if c.isalnum() or c in ".-" else "_" for c in socket.gethostname())
    return f"{host}-{os.getpid()}"


def frontier_prefix(settings, spider_name: str) -> str:
    return f"{settings.get('FRONTIER_REDIS_PREFIX')}:{spider_name}"


def open_frontier(settings, spider_name: str, worker: str = "") -> Frontier:
    return Frontier.from_url(settings.get("REDIS_URL"), frontier_prefix(settings, spider_name),
                             worker or f"{process_tag()}-{uuid.uuid4().hex[:6]}",
                             lease_timeout=settings.getfloat("FRONTIER_LEASE_TIMEOUT"))


def _set_default(settings, name, value) -> None:
    """Set `name` unless the user gave it (command line, job settings table)."""
    if (settings.getpriority(name) or 0) <= SETTINGS_PRIORITIES["project"]:
        settings.set(name, value, priority="project")


def distributed_view(settings):
    """The settings as a distributed process will see them, for the crawl command's checks
    (which run before the add-on): the dedupe state is the Redis one."""
    if not settings.getbool("DISTRIBUTED"):
        return settings
    view = settings.copy()
    _set_default(view, "DEDUPE_BACKEND", "redis")
    return view


class DistributedMode:
    """Add-on: with DISTRIBUTED=True, the settings of a process of a distributed crawl.

    A setting the user gave on the command line (or in a job's settings table) wins over
    what is set here. The run id is the first process's: every process's warcinfo and
    dedupe records name the same run.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def update_settings(self, settings) -> None:
        if not settings.getbool("DISTRIBUTED"):
            raise NotConfigured
        check_distributed_settings(settings)
        tag = process_tag()
        spider_name = getattr(self.crawler.spidercls, "name", "spider")
        prefix = frontier_prefix(settings, spider_name)
        out = str(output_dir(settings))

        def default(name, value):
            _set_default(settings, name, value)

        default("SCHEDULER", "crawler.distributed.FrontierScheduler")
        default("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue")
        default("SCHEDULER_QUEUE_KEY", f"{prefix}:queue")
        default("DUPEFILTER_CLASS", "crawler.distributed.CanonicalDupeFilter")
        default("SCHEDULER_DUPEFILTER_KEY", f"{prefix}:dupefilter")
        default("SCHEDULER_SERIALIZER", "crawler.plaindata")
        default("SCHEDULER_PERSIST", True)       # the frontier outlives each process (see leave())
        default("DEDUPE_BACKEND", "redis")
        default("WARC_PREFIX", f"{settings.get('WARC_PREFIX')}-p{os.getpid()}")
        default("ARTICLES_FILE", f"articles-{tag}.jsonl")
        default("DUPLICATES_FILE", f"duplicates-{tag}.jsonl")
        default("ERRORS_FILE", f"errors-{tag}.jsonl")
        default("JOB_STATS_FILE", os.path.join(out, f"stats-{tag}.json"))
        default("REPORT_NAME", f"report-{tag}")     # and no manifest.json: merge-runs writes the run's
        default("WARC_DIGEST_INDEX", "redis")    # revisits for payloads any process archived in the run
        default("WARC_DIGEST_INDEX_PATH", f"{settings.get('REDIS_URL')}#{prefix}:digests")
        if settings.getbool("WARC_WACZ"):
            # every process would package its own files under the one run id's name
            logger.warning("WARC_WACZ is off in a distributed crawl: `scrapy merge-runs --wacz DIR...` "
                           "packages the run once every process has ended")
            settings.set("WARC_WACZ", False, priority=max(settings.getpriority("WARC_WACZ") or 0,
                                                          SETTINGS_PRIORITIES["cmdline"]))
        middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        middlewares.setdefault("crawler.distributed.SharedRobotsTxtMiddleware", 985)
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority=settings.getpriority("DOWNLOADER_MIDDLEWARES"))
        if settings.getbool("FRONTIER_SHARED_POLITENESS"):
            handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
            for scheme, path in handlers.items():
                if path == CAPTURING_HANDLER:
                    handlers[scheme] = POLITE_HANDLER
            settings.set("DOWNLOAD_HANDLERS", handlers, priority=settings.getpriority("DOWNLOAD_HANDLERS"))
        from crawler.runid import new_run_id, run_id_from_settings

        candidate = run_id_from_settings(settings) or new_run_id()
        run_id = open_frontier(settings, spider_name, worker="settings").run_id(candidate)
        for name in ("RUN_ID", "WARC_RUN_ID", "DEDUPE_RUN_ID"):
            default(name, run_id)
        logger.info("Distributed crawl %s on %s, run %s, files tagged %s", prefix,
                    printable_url(settings.get("REDIS_URL")), run_id, tag)


class CanonicalDupeFilter(RFPDupeFilter):
    """scrapy-redis's fingerprint set, keyed by the project's request fingerprints
    (`REQUEST_FINGERPRINTER_CLASS`: canonical URLs), not its own w3lib-based ones, so the
    variants one process folds are folded by all."""

    def __init__(self, server, key, debug=False, fingerprinter=None):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_spider(cls, spider):
        from scrapy_redis.connection import get_redis_from_settings

        settings = spider.settings
        return cls(get_redis_from_settings(settings), settings.get("SCHEDULER_DUPEFILTER_KEY"),
                   settings.getbool("DUPEFILTER_DEBUG"), spider.crawler.request_fingerprinter)

    def request_fingerprint(self, request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason=""):
        """Other processes still use the set; the run's end removes it (Frontier.leave)."""


class FrontierScheduler(RedisScheduler):
    """scrapy-redis's scheduler; its pop is a lease (see `crawler.frontier`).

    A leased request is acknowledged once it has left the engine's in-progress set: its
    response went through the spider and the item pipelines, or the redirect/retry that
    replaced it was enqueued. (The set is `ExecutionEngine._slot.inprogress`, private to
    Scrapy 2.19, which is pinned; tests/test_distributed.py fails if it moves.)
    """

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.crawler = crawler
        scheduler.idle_timeout = settings.getfloat("FRONTIER_IDLE_TIMEOUT")
        scheduler.poll_interval = settings.getfloat("FRONTIER_POLL_INTERVAL")
        scheduler.lease_timeout = settings.getfloat("FRONTIER_LEASE_TIMEOUT")
        scheduler.start_batch = settings.getint("CONCURRENT_REQUESTS")
        scheduler.frontier = open_frontier(settings, crawler.spidercls.name)
        scheduler.outage = RedisOutage.of(crawler)
        scheduler._leases: dict[str, object] = {}
        scheduler._ids = itertools.count(1)
        scheduler._idle_since = None
        scheduler._enqueue_failed = False
        scheduler._loops = []
        scheduler._run_id = None
        scheduler._lost = False
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider):
        super().open(spider)
        from crawler.runid import run_id

        self._took_back(self.frontier.heartbeat())      # a worker that died before this one came
        self._run_id = self.frontier.run_id(run_id(self.crawler))
        for interval, call in ((self.lease_timeout / 3, self._heartbeat),
                               (self.poll_interval, self._poll)):
            if interval > 0:
                loop = task.LoopingCall(call)
                loop.start(interval, now=False)
                self._loops.append(loop)
        logger.info("Frontier %s: worker %s, %s", self.frontier.prefix, self.frontier.worker,
                    self.frontier.status())

    def close(self, reason):
        for loop in self._loops:
            if loop.running:
                loop.stop()
        left = self.outage.call(self._leave, what="leaving the frontier",
                                then="its leases stay, and go back to the queue when Redis returns")
        if left is None:
            return
        moved, ended = left
        if moved:
            self.stats.inc_value("frontier/given_back", moved)
            logger.info("Gave %d unfinished requests back to the frontier", moved)
        if ended:
            logger.info("Frontier drained and no worker left: run ended")

    # -- leases ------------------------------------------------------------------
    def _in_progress(self):
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None) if engine else None
        return slot.inprogress if slot is not None else set()

    def _leave(self):
        self._ack_finished()
        return self.frontier.leave()

    def _ack_finished(self) -> None:
        """Acknowledge the leases of requests the engine is done with. Not after a request
        could not be queued: the pages whose links may be missing stay leased, and go back to
        the queue when this process leaves (or dies), to be fetched again."""
        if not self._leases or self._enqueue_failed:
            return
        busy = self._in_progress()
        done = [lease for lease, request in self._leases.items() if request not in busy]
        if done:
            self.frontier.ack(done)
            for lease in done:
                del self._leases[lease]
            self.stats.inc_value("frontier/acked", len(done))

    def next_request(self):
        lease = str(next(self._ids))
        data = self.outage.call(self._lease, lease, what="next request",
                                then="none this time (the idle check ends the crawl if Redis stays down)")
        if data is None:
            return None
        try:
            request = self.queue._decode_request(data)
        except Exception as exc:  # a foreign or damaged entry: dropped, counted, never retried
            self.outage.call(self.frontier.ack, [lease], what="dropping an unusable request",
                             then="it goes back to the queue when this process leaves")
            self.stats.inc_value("frontier/bad_requests")
            logger.error("Unusable request in the frontier dropped (%r): %.200r", exc, data)
            return None
        self._leases[lease] = request
        self.stats.inc_value("scheduler/dequeued/redis")
        extend = getattr(self.spider, "frontier_request", None)
        if extend is not None:
            extend(request, self.frontier.seeds)
        return request

    def _lease(self, lease: str):
        self._ack_finished()
        return self.frontier.lease(lease)

    def enqueue_request(self, request):
        queued = self.outage.call(self._enqueue, request, what=f"queueing {request.url}", default=_FAILED,
                                  then="not queued; the pages in flight stay leased, to be fetched again")
        if queued is _FAILED:
            self._enqueue_failed = True
            return False
        if queued:
            self.stats.inc_value("scheduler/enqueued/redis")
        else:
            self.df.log(request, self.spider)
        return queued

    def _enqueue(self, request) -> bool:
        """Queue `request` unless the shared fingerprints have it: False for a request seen."""
        if request.meta.get("news_start"):
            self.frontier.add_seeds([request.url])
        if not request.dont_filter and self.df.request_seen(request):
            return False
        self.queue.push(request)
        return True

    def has_pending_requests(self):
        # "none" when Redis fails: the idle handler then decides
        return self.outage.call(lambda: len(self) > 0, what="queue length", then="taken as empty",
                                default=False)

    # -- timers and idleness ---------------------------------------------------------
    def _heartbeat(self):
        back = self.outage.call(self._beat, what="heartbeat", then="beating on: Redis may come back")
        if back is None:
            return
        self._took_back(back)
        self._check_run()

    def _took_back(self, back: int) -> None:
        if back:
            self.stats.inc_value("frontier/reclaimed", back)
            logger.warning("Took back %d requests of a worker that stopped answering", back)

    def _check_run(self):
        """A Redis restarted without its data (no persistence) answers again, but with an
        empty frontier: the processes would crawl on from the links of their pages in flight,
        refetch what was done, miss what was queued, and end "finished". Its run key gone
        tells it: the crawl stops as `frontier_lost`, a failure. A process that was stopped
        (SIGSTOP, a suspended machine) while the others took back its leases, finished the
        crawl and ended the run stops too, as `finished`: nothing of the run was lost."""
        if self._lost or not self._run_id:
            return
        state = self.outage.call(self.frontier.run_state, self._run_id, what="run check",
                                 then="checked again at the next heartbeat")
        if state is None or state == "held":
            return
        self._lost = True
        from scrapy.utils.defer import deferred_from_coro

        if state == "ended":
            self.stats.set_value("frontier/ended_without_us", 1)
            logger.warning("Run %s ended while this process was not answering (stopped or suspended for "
                           "longer than FRONTIER_LEASE_TIMEOUT): the other processes took back its requests "
                           "and finished the crawl. Stopping; what it fetched since is archived twice",
                           self._run_id)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="finished"))
            return
        self.stats.set_value("frontier/lost", 1)
        logger.error("Frontier lost: Redis no longer holds run %s (restarted without its data, or "
                     "flushed); its queue and the requests seen are gone. Stopping: run the crawl again "
                     "(a Redis with persistence keeps them across a restart)", self._run_id)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="frontier_lost"))

    def _beat(self) -> int:
        self._ack_finished()
        return self.frontier.heartbeat()

    def _poll(self):
        """While this process has room, look at the frontier more often than Scrapy's 5 s
        heartbeat: another process may have just queued the links of a page."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

    def spider_idle(self, spider):
        """Idle here, maybe not elsewhere: stay while anything is queued or in flight in any
        process (in-flight pages make new links), exit once it has all been empty for
        FRONTIER_IDLE_TIMEOUT seconds. Without Redis there is no telling: the crawl ends as
        `frontier_unreachable` (a failure, not `finished`)."""
        found = self.outage.call(self._look_around, what="idle check",
                                 then="no telling whether the crawl is done: stopping as frontier_unreachable")
        if found is None:
            raise CloseSpider("frontier_unreachable")
        urls, status = found
        if urls:
            for request in spider.seed_requests(urls):
                self.crawler.engine.crawl(request)
            self._idle_since = None
            raise DontCloseSpider
        if status["queued"] or status["in_flight"] or status["start_urls"]:
            self._idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_timeout:
            raise DontCloseSpider
        logger.info("Frontier empty for %.0f s: this process is done", now - self._idle_since)

    def _look_around(self):
        """(start URLs taken for this process, the frontier's status when there were none)."""
        self._ack_finished()
        urls = self.frontier.pop_start_urls(self.start_batch)
        return urls, None if urls else self.frontier.status()


class PoliteCapturingHandler(CapturingHTTP11DownloadHandler):
    """Reserves the host's next send time in Redis right before sending: the requests of all
    processes to one host are DOWNLOAD_DELAY apart, or its robots.txt Crawl-delay when that is
    longer (at the server: plus network jitter). Each process's own delay (and AutoThrottle)
    still applies on top."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self.crawl_delays = CrawlDelays.of(crawler)      # each process reads the shared robots.txt
        self.frontier = open_frontier(crawler.settings, crawler.spidercls.name, worker="budget")
        self.stats = crawler.stats
        self.outage = RedisOutage.of(crawler)

    async def download_request(self, request):
        interval = max(self.interval, self.crawl_delays.floor(self.crawler.engine.downloader.get_slot_key(request)))
        if interval > 0:
            host = urlparse_cached(request).netloc.lower()
            wait = self._shared(self.frontier.reserve, host, interval)
            while wait > 0:
                self.stats.inc_value("frontier/politeness_waits")
                from twisted.internet import reactor

                await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
                # A 429/503's Retry-After held the site (crawler.retryafter) while this request
                # waited for the send time it reserved before: it reserves one after the hold.
                wait = self._shared(self.frontier.reserve, host, interval) \
                    if self._shared(self.frontier.held, host) > 0 else 0
        return await super().download_request(request)

    def _shared(self, call, host: str, *args) -> float:
        # without Redis, this process's own delay still spaces its requests
        return self.outage.call(call, host, *args, what=f"shared send slot of {host}",
                                then="sent on this process's delay", default=0.0)


class SharedRobotsTxtMiddleware:
    """One fetch of a site's robots.txt for the whole distributed crawl.

    Every process needs the parser, but a second fetch would be a URL fetched twice. The
    first process to ask claims the fetch in Redis and stores the answer as received (status,
    headers, body still content-encoded: the process's own decompression then runs on it as
    on a download); the others wait for it and get it from there, as a response that is not
    archived again (counted `frontier/robots_shared`). A 5xx or a failed fetch is not shared:
    the claim lapses and the next process that asks fetches it itself. Sits next to the
    capture middleware (985), so what it stores is what the capture archived.
    """

    ROBOTS_META = "frontier_robots"      # request.meta: this process claimed the fetch
    CLAIM_SECONDS = 30.0

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.frontier = open_frontier(crawler.settings, crawler.spidercls.name, worker=process_tag())
        self.outage = RedisOutage.of(crawler)
        self.wait_step = 0.1

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("DISTRIBUTED"):
            raise NotConfigured
        return cls(crawler)

    @staticmethod
    def _site(request) -> str | None:
        parts = urlparse_cached(request)
        if parts.path != "/robots.txt" or not request.meta.get("dont_obey_robotstxt"):
            return None
        return f"{parts.scheme}://{parts.netloc}"

    async def process_request(self, request, spider=None):
        site = self._site(request)
        if site is None:
            return None
        from scrapy.http import Response
        from twisted.internet import reactor

        from crawler import plaindata

        deadline = time.monotonic() + self.CLAIM_SECONDS
        while time.monotonic() < deadline:
            found = self.outage.call(self._stored_or_claimed, site, what=f"shared robots.txt of {site}",
                                     then="fetched by this process")
            if found is None:
                return None                      # fetch it here
            stored, claimed = found
            if stored is not None:
                answer = plaindata.loads(stored)
                self.stats.inc_value("frontier/robots_shared")
                return Response(answer["url"], status=answer["status"], headers=answer["headers"],
                                body=answer["body"], flags=["shared-robots"])
            if claimed:
                request.meta[self.ROBOTS_META] = site
                return None
            await maybe_deferred_to_future(task.deferLater(reactor, self.wait_step, lambda: None))
        return None                              # the claimant is stuck: fetch it here too

    def _stored_or_claimed(self, site: str) -> tuple[bytes | None, bool]:
        """(the answer another process stored, or None; whether this process claimed the fetch)."""
        stored = self.frontier.robots(site)
        return stored, stored is None and self.frontier.claim_robots(site, self.CLAIM_SECONDS)

    def process_response(self, request, response, spider=None):
        site = request.meta.pop(self.ROBOTS_META, None)
        if site is not None:
            from crawler import plaindata

            shared = None
            if response.status < 500:
                shared = plaindata.dumps({"url": response.url, "status": response.status,
                                          "headers": dict(response.headers),
                                          "body": response.body})
            self._store(site, shared)
        return response

    def process_exception(self, request, exception, spider=None):
        site = request.meta.pop(self.ROBOTS_META, None)
        if site is not None:
            self._store(site, None)
        return None

    def _store(self, site, shared) -> None:
        self.outage.call(self.frontier.store_robots, site, shared, what=f"storing the robots.txt of {site}",
                         then="not shared: the claim lapses and other processes fetch it themselves")
