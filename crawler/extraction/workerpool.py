"""A process pool driven by the event loop: tasks go to workers over pipes the loop watches.

concurrent.futures.ProcessPoolExecutor moves every task through two helper threads (a queue
feeder and a manager) and wakes the loop from another thread for every result; on two busy
cores that cost the crawl process ~0.5 ms of CPU per page, and workers sat idle while those
threads waited for the GIL. Here the loop writes each task straight into its worker's pipe
(non-blocking, the rest when the pipe drains) and reads results when the pipe is readable:
~0.2 ms per page, no threads once the workers run.

Each worker holds at most `DEPTH` tasks (one running, one waiting in its pipe), so a worker
never idles while the crawl process is busy, and a stuck or dead worker takes at most one
other task down with it; that task is sent again. Workers come from a forkserver with
`preload` imported. A worker leaves when its task pipe closes (crawl ended, or the crawl
process died: nothing else holds the pipe's write end).

The pool needs only an asyncio loop: the crawl's (Scrapy's asyncio reactor) or the one
`scrapy reextract` runs with `asyncio.run`. No Scrapy imports: crawler.extraction.pool adapts it
to page analysis.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import os
import pickle
import signal
import struct
import threading
from dataclasses import dataclass, field
from multiprocessing import resource_tracker

from crawler.extraction import worker as worker_entry

logger = logging.getLogger(__name__)

DEPTH = 2                   # tasks in flight per worker
FAILED_STARTS = 3           # workers in a row dying before they are up: the pool gives up
PIPE_SIZE = 1 << 20         # a typical page fits the pipe in one write (Linux's default is 64 KiB)
_READ_SIZE = 1 << 20
_SHORT = struct.Struct("!i")    # multiprocessing.connection's framing, which the worker reads and writes
_LONG = struct.Struct("!Q")


class WorkerDied(Exception):
    """A task's worker died under it twice (the task itself may be what kills it)."""


class TaskTimeout(Exception):
    """A task ran past its timeout; its worker was stopped (the task fails alone)."""


@dataclass(eq=False)
class _Task:
    func: object
    args: tuple
    future: asyncio.Future
    timeout: float = 0
    tries: int = 0                  # times sent to a worker that then died under it
    timer: asyncio.TimerHandle | None = None    # runs from when its worker starts on it


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    task_fd: int                    # our (write) end of its task pipe, non-blocking
    result_fd: int                  # our (read) end of its result pipe, non-blocking
    in_flight: dict = field(default_factory=dict)      # task id -> _Task, in the order sent
    sent: int = 0
    retiring: bool = False          # takes no more tasks; leaves when its last one is done
    stopped: bool = False           # killed by us: a task of its ran past its time
    ready: bool = False             # said hello: it got past its start
    out: bytearray = field(default_factory=bytearray)  # the part of a task the pipe had no room for
    inbox: bytearray = field(default_factory=bytearray)


def _frame(payload: bytes) -> list[bytes]:
    if len(payload) <= 0x7FFFFFFF:
        return [_SHORT.pack(len(payload)), payload]
    return [_SHORT.pack(-1), _LONG.pack(len(payload)), payload]


class WorkerPool:
    """`size` worker processes. `submit` must be called on the event loop's thread; the pool
    binds to that loop. `on_event(name)` hears "worker_died", "worker_recycled" and "timeout"."""

    def __init__(self, size: int, *, preload: tuple[str, ...] = (), max_tasks_per_worker: int = 0,
                 on_event=None):
        self.size = max(1, size)
        self.max_tasks_per_worker = max_tasks_per_worker
        self.on_event = on_event or (lambda name: None)
        self._context = multiprocessing.get_context("forkserver")
        if preload:
            self._context.set_forkserver_preload(list(preload))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: list[_Worker] = []
        self._ready: list[_Worker] = []         # started by a spawner thread, not yet on the loop
        self._spawning = 0
        self._lock = threading.Lock()           # _ready, _spawning, _closed, _loop: shared with spawners
        self._closed = False
        self._pending: collections.deque[tuple[int, _Task]] = collections.deque()
        self._next_id = 0
        self._spawners: list[threading.Thread] = []
        self._failed_starts = 0         # workers in a row that died before saying hello
        self._broken: str | None = None

    # --- the crawl's side -------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers now, from a thread: the forkserver's start (~0.5-1 s of imports)
        then overlaps whatever the caller does next."""
        self._grow()

    def submit(self, func, *args, timeout: float = 0) -> asyncio.Future:
        """Run func(*args) in a worker (both picklable by reference / value). With `timeout`
        (seconds from when its worker starts on it) the task fails with TaskTimeout and its
        worker is stopped."""
        loop = asyncio.get_running_loop()
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        if loop is not self._loop:
            self._bind(loop)
        self._next_id += 1
        task = _Task(func, args, loop.create_future(), timeout)
        if self._broken:
            task.future.set_exception(WorkerDied(self._broken))
            return task.future
        self._pending.append((self._next_id, task))
        self._adopt()
        self._grow()
        self._dispatch()
        return task.future

    def close(self) -> None:
        """Stop every worker (a task still running is abandoned) and fail what is pending."""
        with self._lock:
            self._closed = True
            workers = self._workers + self._ready
            self._workers, self._ready = [], []
        loop = self._loop if self._loop is not None and not self._loop.is_closed() else None
        for w in workers:
            self._close_tasks(w, loop)      # its worker finishes the task in hand, reads EOF and leaves
        for w in workers:
            self._reap(w)
            self._close_results(w, loop)
        tasks = [t for _, t in self._pending] + [t for w in workers for t in w.in_flight.values()]
        self._pending.clear()
        for task in tasks:
            self._settle(task, cancel=True)
        for thread in self._spawners:
            thread.join(timeout=60)

    def pids(self) -> list[int]:
        """The running workers' process ids (the loop's view: started ones join at the next submit)."""
        return [w.process.pid for w in self._workers]

    # --- workers ----------------------------------------------------------------------------

    def _grow(self) -> None:
        """Start as many workers as are missing, in one thread."""
        with self._lock:
            if self._closed or self._broken:
                return
            missing = self.size - len([w for w in self._workers if not w.retiring]) - len(self._ready) - self._spawning
            if missing <= 0:
                return
            self._spawning += missing
        thread = threading.Thread(target=self._spawn, args=(missing,), name="worker-pool-start", daemon=True)
        self._spawners = [t for t in self._spawners if t.is_alive()] + [thread]
        thread.start()

    def _spawn(self, count: int) -> None:
        # Ctrl-C reaches the whole process group. The forkserver protects itself from it only
        # once its preload (the extraction code, ~0.5-1 s) is imported, and a worker only once
        # worker_init runs: a Ctrl-C in those windows killed them with a traceback and failed the
        # pool as the crawl began to stop. Both inherit this thread's signal mask, so SIGINT stays
        # blocked in them until they ignore it (multiprocessing's resource tracker is started the
        # same way); the crawl's main thread still receives it. The tracker is started first: its
        # start unblocks SIGINT in the calling thread when it is done.
        resource_tracker.ensure_running()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        for _ in range(count):
            error = None
            try:
                w = self._start_worker()
            except Exception as exc:  # no worker: fail what waits rather than let it hang
                logger.error("could not start a worker process: %r", exc)
                w, error = None, exc
            with self._lock:
                self._spawning -= 1
                if w is not None and self._closed:     # closed while it started: let it go
                    self._close_tasks(w, None)
                    self._close_results(w, None)
                    self._reap(w)
                    continue
                if w is not None:
                    self._ready.append(w)
                loop = self._loop
            if loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(self._on_spawned, error)
                except RuntimeError:    # the loop closed meanwhile
                    pass

    @staticmethod
    def _reap(w: _Worker) -> None:
        """Wait for a worker whose task pipe is closed to leave; kill it if it has not within 5 s
        (on a loaded host a worker still starting can take that long to notice the closed pipe)."""
        w.process.join(5)
        if w.process.exitcode is None:
            w.process.kill()
            w.process.join(5)

    def _start_worker(self) -> _Worker:
        task_r, task_w = self._context.Pipe(duplex=False)
        result_r, result_w = self._context.Pipe(duplex=False)
        process = self._context.Process(target=worker_entry.serve, args=(task_r, result_w),
                                        name="extraction-worker", daemon=True)
        try:
            process.start()
        finally:
            task_r.close()
            result_w.close()
        task_fd, result_fd = os.dup(task_w.fileno()), os.dup(result_r.fileno())   # plain fds for the loop
        task_w.close()
        result_r.close()
        try:
            import fcntl
            fcntl.fcntl(task_fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except (ImportError, AttributeError, OSError):   # not Linux, or over /proc/sys/fs/pipe-max-size
            pass
        os.set_blocking(task_fd, False)
        os.set_blocking(result_fd, False)
        return _Worker(process, task_fd, result_fd)

    def _on_spawned(self, error: Exception | None) -> None:
        self._adopt()
        if error is not None:
            self._failed_starts += 1
            if self._failed_starts >= FAILED_STARTS:    # not one start per page, each logged, forever
                self._break(f"{FAILED_STARTS} worker processes in a row could not start ({error!r})")
            elif not self._workers and not self._ready and not self._spawning:
                self._fail_pending(lambda: error)       # nothing will run these
        self._dispatch()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The first submit (or a new loop, as in tests running asyncio.run twice)."""
        old = self._loop
        old = old if old is not None and not old.is_closed() else None
        for w in self._workers:
            if old is not None:
                old.remove_reader(w.result_fd)
                if w.task_fd >= 0:
                    old.remove_writer(w.task_fd)
            loop.add_reader(w.result_fd, self._on_readable, w)
            if w.out:
                loop.add_writer(w.task_fd, self._on_writable, w)
        with self._lock:
            self._loop = loop

    def _adopt(self) -> None:
        with self._lock:
            ready, self._ready = self._ready, []
        for w in ready:
            self._loop.add_reader(w.result_fd, self._on_readable, w)
            self._workers.append(w)

    @staticmethod
    def _close_tasks(w: _Worker, loop) -> None:
        if w.task_fd >= 0:
            if loop is not None:
                loop.remove_writer(w.task_fd)
            os.close(w.task_fd)
            w.task_fd = -1

    @staticmethod
    def _close_results(w: _Worker, loop) -> None:
        if w.result_fd >= 0:
            if loop is not None:
                loop.remove_reader(w.result_fd)
            os.close(w.result_fd)
            w.result_fd = -1

    def _retire(self, w: _Worker) -> None:
        """Close its task pipe once its last task is in: it finishes what it has, reads EOF and
        leaves; a new one takes its place."""
        w.retiring = True
        if not w.out:
            self._close_tasks(w, self._loop)
        self._grow()

    def _gone(self, w: _Worker) -> None:
        """Its result pipe reached EOF: the worker exited (retired) or died."""
        self._close_results(w, self._loop)
        self._close_tasks(w, self._loop)
        self._workers.remove(w)
        w.process.join(1)
        if w.in_flight and w.ready and not w.stopped:
            self.on_event("worker_died")
            logger.warning("extraction worker %s died (exit code %s); sending its %d task(s) again",
                           w.process.pid, w.process.exitcode, len(w.in_flight))
        # The first task it held was the one running; those behind it only waited (as all do
        # behind one that ran too long, already failed, or in a worker that never got up) and
        # go out again as they were.
        held = list(w.in_flight.items())
        w.in_flight.clear()
        for n, (task_id, task) in reversed(list(enumerate(held))):
            if task.future.done():
                continue
            self._stop_clock(task)          # sent again: it gets its whole time in the next worker
            if n == 0 and w.ready and not w.stopped:
                if task.tries >= 1:
                    self._settle(task, WorkerDied(f"worker died under this task twice (exit code {w.process.exitcode})"))
                    continue
                task.tries += 1
            self._pending.appendleft((task_id, task))
        if not w.ready:
            self._failed_starts += 1
            if self._failed_starts >= FAILED_STARTS:
                self._break(f"{FAILED_STARTS} worker processes in a row exited as they started "
                            f"(exit code {w.process.exitcode}); see the log above")
        self._grow()
        self._dispatch()

    # --- tasks ------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        while self._pending:
            candidates = [w for w in self._workers if not w.retiring and len(w.in_flight) < DEPTH]
            if not candidates:
                return
            w = min(candidates, key=lambda c: len(c.in_flight))
            task_id, task = self._pending.popleft()
            if task.future.done():      # timed out or cancelled while it waited
                continue
            try:
                payload = pickle.dumps((task_id, task.func, task.args), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                self._settle(task, exc)
                continue
            w.in_flight[task_id] = task
            w.sent += 1
            if len(w.in_flight) == 1:
                self._started(task_id, task)
            self._write(w, _frame(payload))
            if self.max_tasks_per_worker and w.sent >= self.max_tasks_per_worker:
                self.on_event("worker_recycled")
                self._retire(w)

    def _write(self, w: _Worker, parts: list[bytes]) -> None:
        if w.out:
            for part in parts:
                w.out += part
            return
        try:
            written = os.writev(w.task_fd, parts)
        except BlockingIOError:
            written = 0
        except (BrokenPipeError, OSError):   # the worker is gone: its EOF on the result pipe follows
            return
        total = sum(len(p) for p in parts)
        if written < total:
            w.out += b"".join(parts)[written:]
            self._loop.add_writer(w.task_fd, self._on_writable, w)

    def _on_writable(self, w: _Worker) -> None:
        try:
            written = os.write(w.task_fd, w.out)
        except BlockingIOError:
            return
        except OSError:
            self._loop.remove_writer(w.task_fd)
            return
        del w.out[:written]
        if not w.out:
            self._loop.remove_writer(w.task_fd)
            if w.retiring:
                self._close_tasks(w, self._loop)

    def _on_readable(self, w: _Worker) -> None:
        try:
            data = os.read(w.result_fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._gone(w)
            return
        inbox = w.inbox
        inbox += data
        start = 0
        while len(inbox) - start >= 4:
            (size,) = _SHORT.unpack_from(inbox, start)
            head = 4
            if size == -1:
                if len(inbox) - start < 12:
                    break
                (size,) = _LONG.unpack_from(inbox, start + 4)
                head = 12
            if len(inbox) - start - head < size:
                break
            task_id, ok, value = pickle.loads(memoryview(inbox)[start + head:start + head + size])
            start += head + size
            if task_id == 0:                # hello
                w.ready = True
                self._failed_starts = 0
                if w.in_flight:             # sent to it while it started: its time starts again now
                    first_id, first = next(iter(w.in_flight.items()))
                    self._stop_clock(first)
                    self._started(first_id, first)
                continue
            task = w.in_flight.pop(task_id, None)
            if task is None:            # timed out meanwhile
                continue
            if ok:
                self._settle(task, result=value)
            else:
                self._settle(task, error=value)
            if w.in_flight:                 # the worker goes on to the next one it holds
                self._started(*next(iter(w.in_flight.items())))
        del inbox[:start]
        self._dispatch()

    def _break(self, reason: str) -> None:
        """Workers cannot start here (say, a main module the forkserver cannot import): fail
        what waits and what comes, rather than start workers forever."""
        logger.error("extraction worker pool stopped: %s", reason)
        self._broken = reason
        self._fail_pending(lambda: WorkerDied(reason))

    def _fail_pending(self, make_error) -> None:
        while self._pending:
            _, task = self._pending.popleft()
            self._settle(task, make_error())

    def _started(self, task_id: int, task: _Task) -> None:
        """A task's time runs from when its worker starts on it; again from the worker's hello if
        it was sent while the worker started (a fork is slow on a loaded machine), and again in
        full when it is sent again after its worker died. A worker that never gets up is still
        stopped when the time runs out."""
        if task.timeout and task.timer is None:
            task.timer = self._loop.call_later(task.timeout, self._expire, task_id, task)

    @staticmethod
    def _stop_clock(task: _Task) -> None:
        if task.timer is not None:
            task.timer.cancel()
            task.timer = None

    def _expire(self, task_id: int, task: _Task) -> None:
        if task.future.done():
            return
        for w in self._workers:
            if task_id in w.in_flight:
                # A busy worker cannot be interrupted: stop it. The task behind it goes out again.
                w.in_flight.pop(task_id)
                w.stopped = True
                w.process.kill()
                break
        self.on_event("timeout")
        self._settle(task, TaskTimeout(f"took over {task.timeout:g} s; its worker was stopped"))

    def _settle(self, task: _Task, error: BaseException | None = None, result=None, *, cancel: bool = False) -> None:
        if task.timer is not None:
            task.timer.cancel()
        future = task.future
        if future.done() or future.get_loop().is_closed():
            return
        if cancel:
            future.cancel()
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
