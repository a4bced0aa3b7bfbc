"""The Redis side of a distributed crawl: leases on the shared frontier, workers, seeds, budgets.

scrapy-redis keeps the frontier (a sorted set of serialized requests) and the request
fingerprints (a set). It pops a request and forgets it: a process killed with requests
in flight would lose them. Here a pop is a lease: the Lua script that takes the request
out of the queue files it, with its score, under the popping worker's lease hash in the
same step. The worker acknowledges it (HDEL) once the engine is done with the request,
i.e. its response went through the spider and the item pipelines, or the redirect or
retry that replaced it is itself in the frontier. Each worker renews a heartbeat in a
sorted set; a worker whose heartbeat is older than the lease timeout is dead, and any
other worker moves its leases back into the queue (`reclaim`). A request is so fetched
at least once; twice only when a worker dies between the fetch and the acknowledgement.

Every timestamp is Redis's own clock (TIME in the scripts): machines' clocks may differ.

No Scrapy here: the scheduler glue lives in `crawler.distributed`.
"""

from __future__ import annotations

import redis

# KEYS: queue, leases-of-worker. ARGV: lease id. -> {lease id, data} or nil
_LEASE = """
local item = redis.call('ZPOPMIN', KEYS[1])
if #item == 0 then return nil end
redis.call('HSET', KEYS[2], ARGV[1], item[2] .. ' ' .. item[1])
return {ARGV[1], item[1]}
"""

# Move every lease of the workers whose heartbeat ran out (or of ARGV[3], leaving) back
# into the queue. KEYS: workers, queue. ARGV: lease key prefix, worker id to renew
# (or ''), its lease timeout in ms, worker leaving (or '').
_RECLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2]) end
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[4] ~= '' then table.insert(gone, ARGV[4]) end
local moved = 0
for _, worker in ipairs(gone) do
  local key = ARGV[1] .. worker
  for _, value in ipairs(redis.call('HVALS', key)) do
    local sep = string.find(value, ' ', 1, true)
    redis.call('ZADD', KEYS[2], tonumber(string.sub(value, 1, sep - 1)), string.sub(value, sep + 1))
    moved = moved + 1
  end
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[1], worker)
end
return moved
"""

# KEYS: queue, workers, start key. ARGV: lease key prefix. -> {queued, in flight, workers, seeds waiting}
_STATUS = """
local inflight = 0
local workers = redis.call('ZRANGE', KEYS[2], 0, -1)
for _, worker in ipairs(workers) do inflight = inflight + redis.call('HLEN', ARGV[1] .. worker) end
return {redis.call('ZCARD', KEYS[1]), inflight, #workers, redis.call('LLEN', KEYS[3])}
"""

# The last worker out of a drained frontier ends the run: request fingerprints, seeds and
# the run id go, so the next run starts afresh; the run id joins the ended runs (the last
# 100), so a process that was stopped (SIGSTOP, a suspended machine) past the run's end
# tells, when it wakes, that the run ended without it, not that Redis lost it. KEYS: workers,
# queue, start key, run, ended runs, then the run's other keys to delete. -> 1 if the run ended.
_END_RUN = """
if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[2]) == 0
   and redis.call('LLEN', KEYS[3]) == 0 then
  local run = redis.call('GET', KEYS[4])
  if run then
    local t = redis.call('TIME')
    redis.call('ZADD', KEYS[5], tonumber(t[1]), run)
    redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -101)
  end
  redis.call('DEL', KEYS[4])
  for i = 6, #KEYS do redis.call('DEL', KEYS[i]) end
  return 1
end
return 0
"""

# The run every process shares: the one Redis holds, else ARGV[1] starts a new one. A new
# run starts afresh: what a process that woke after the last run's end wrote before it
# noticed (request fingerprints, queued links, payload digests, seeds) goes, or the new run
# would skip those URLs and make revisits of another run's records. Start URLs pushed for
# it stay. KEYS: run, then the keys a new run clears. -> the run id.
_RUN = """
local run = redis.call('GET', KEYS[1])
if run then return run end
redis.call('SET', KEYS[1], ARGV[1])
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return ARGV[1]
"""

# Redis's clock in ms (every process reads the one clock), opening the send-time scripts.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Reserve the next send time for one host: the sends of every process are spaced by the
# interval. KEYS: budget key. ARGV: interval ms. -> ms to wait before sending.
_RESERVE = _NOW + """
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, free)
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], at + interval, 'PX', at - now + interval + 60000)
return at - now
"""

# Hold one host ARGV[1] ms from now (a 429/503's Retry-After): its next send time is pushed past
# that, and KEYS[2] lives that long (its PTTL: what is left of the hold).
_HOLD = _NOW + """
local hold = tonumber(ARGV[1])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + hold > free then
  redis.call('SET', KEYS[1], now + hold, 'PX', hold + 60000)
end
if hold > redis.call('PTTL', KEYS[2]) then
  redis.call('SET', KEYS[2], 1, 'PX', hold)
end
return 0
"""


class Frontier:
    """One crawl's keys on one Redis: `{prefix}:queue`, `:dupefilter`, `:leases:{worker}`,
    `:workers`, `:start_urls`, `:seeds`, `:run`, `:ended`, `:robots`, `:digests`, `:budget:{host}`,
    `:hold:{host}`."""

    def __init__(self, server: redis.Redis, prefix: str, worker: str, *, lease_timeout: float = 30.0):
        self.server = server
        self.prefix = prefix
        self.worker = worker
        self.lease_timeout_ms = int(lease_timeout * 1000)
        self.queue_key = f"{prefix}:queue"
        self.dupefilter_key = f"{prefix}:dupefilter"
        self.workers_key = f"{prefix}:workers"
        self.start_key = f"{prefix}:start_urls"
        self.seeds_key = f"{prefix}:seeds"
        self.run_key = f"{prefix}:run"
        self.ended_key = f"{prefix}:ended"
        self.robots_key = f"{prefix}:robots"
        self.digests_key = f"{prefix}:digests"       # archives.digests.RedisDigestIndex's hash
        self.lease_prefix = f"{prefix}:leases:"
        self.leases_key = self.lease_prefix + worker
        self._lease = server.register_script(_LEASE)
        self._reclaim = server.register_script(_RECLAIM)
        self._status = server.register_script(_STATUS)
        self._end_run = server.register_script(_END_RUN)
        self._run = server.register_script(_RUN)
        self._reserve = server.register_script(_RESERVE)
        self._hold = server.register_script(_HOLD)

    @classmethod
    def from_url(cls, url: str, prefix: str, worker: str, **kwargs) -> "Frontier":
        return cls(redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30,
                                        retry_on_timeout=True), prefix, worker, **kwargs)

    # -- the run ---------------------------------------------------------------
    def run_id(self, candidate: str) -> str:
        """The run every process of this crawl shares: the first one's candidate (a new run
        clears what an earlier one left behind, see _RUN)."""
        value = self._run(keys=[self.run_key, self.dupefilter_key, self.queue_key, self.seeds_key,
                                self.robots_key, self.digests_key], args=[candidate])
        return value.decode() if isinstance(value, bytes) else value

    def run_state(self, run_id: str) -> str:
        """"held": Redis still holds this run. "ended": the processes drained it and the last
        one ended it (this one was stopped meanwhile, and its leases given to the others).
        "lost": gone otherwise, Redis restarted without its data or was flushed: the queue and
        the requests seen went with it."""
        with self.server.pipeline(transaction=False) as pipe:
            pipe.get(self.run_key)
            pipe.zscore(self.ended_key, run_id)
            value, ended = pipe.execute()
        if (value.decode() if isinstance(value, bytes) else value) == run_id:
            return "held"
        return "ended" if ended is not None else "lost"

    # -- leases ----------------------------------------------------------------
    def lease(self, lease_id: str) -> bytes | None:
        """Take the best-scored request out of the queue, held under this worker's leases."""
        found = self._lease(keys=[self.queue_key, self.leases_key], args=[lease_id])
        return found[1] if found else None

    def ack(self, lease_ids) -> None:
        if lease_ids:
            self.server.hdel(self.leases_key, *lease_ids)

    def heartbeat(self) -> int:
        """Renew this worker; give back the leases of dead ones. Returns how many came back."""
        return self._reclaim(keys=[self.workers_key, self.queue_key],
                             args=[self.lease_prefix, self.worker, self.lease_timeout_ms, ""])

    def leave(self) -> tuple[int, bool]:
        """This worker is done: its unacknowledged leases go back to the queue and, when it
        was the last worker of a drained frontier, the run ends. Returns (given back, ended)."""
        moved = self._reclaim(keys=[self.workers_key, self.queue_key],
                              args=[self.lease_prefix, "", self.lease_timeout_ms, self.worker])
        ended = self._end_run(keys=[self.workers_key, self.queue_key, self.start_key, self.run_key,
                                    self.ended_key, self.dupefilter_key, self.seeds_key, self.robots_key,
                                    self.digests_key])
        return moved, bool(ended)

    def status(self) -> dict:
        queued, inflight, workers, starting = self._status(
            keys=[self.queue_key, self.workers_key, self.start_key], args=[self.lease_prefix])
        return {"queued": queued, "in_flight": inflight, "workers": workers, "start_urls": starting}

    # -- seeds -------------------------------------------------------------------
    def pop_start_urls(self, count: int) -> list[str]:
        values = self.server.lpop(self.start_key, count) or []
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values]

    def push_start_urls(self, urls) -> None:
        if urls:
            self.server.rpush(self.start_key, *urls)

    def add_seeds(self, urls) -> None:
        if urls:
            self.server.sadd(self.seeds_key, *urls)

    def seeds(self) -> list[str]:
        return sorted(v.decode() if isinstance(v, bytes) else v for v in self.server.smembers(self.seeds_key))

    # -- robots.txt ----------------------------------------------------------------
    def robots(self, site: str) -> bytes | None:
        """The robots.txt answer a process stored for `site` (scheme://host:port) in this run."""
        return self.server.hget(self.robots_key, site)

    def claim_robots(self, site: str, seconds: float) -> bool:
        """True for the one process that is to fetch `site`'s robots.txt (for `seconds`)."""
        return bool(self.server.set(f"{self.robots_key}:fetching:{site}", self.worker, nx=True,
                                    px=int(seconds * 1000)))

    def store_robots(self, site: str, data: bytes | None) -> None:
        """Keep the answer (None: no answer worth sharing) and let the claim go."""
        with self.server.pipeline() as pipe:
            if data is not None:
                pipe.hset(self.robots_key, site, data)
            pipe.delete(f"{self.robots_key}:fetching:{site}")
            pipe.execute()

    # -- politeness ----------------------------------------------------------------
    def reserve(self, host: str, interval: float) -> float:
        """Seconds to wait before sending a request to `host`, so that the requests of all
        workers to it are at least `interval` apart."""
        return self._reserve(keys=[f"{self.prefix}:budget:{host}"], args=[int(interval * 1000)]) / 1000.0

    def hold(self, host: str, seconds: float) -> None:
        """No worker sends to `host` for `seconds` from now (a site asking for rest asks every
        worker: reserve() waits past it)."""
        self._hold(keys=[f"{self.prefix}:budget:{host}", f"{self.prefix}:hold:{host}"], args=[max(1, int(seconds * 1000))])

    def held(self, host: str) -> float:
        """Seconds left of a hold() on `host` (0: none): a request that reserved its send time
        before the hold was made has to reserve again after it."""
        return max(0, self.server.pttl(f"{self.prefix}:hold:{host}")) / 1000.0
