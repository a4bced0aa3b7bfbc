"""A child process that gets each stop signal exactly once, and dies with its parent.

`scrapy jobs run` starts its crawl, and `scrapy jobs serve` its runs, as child processes.
Scrapy stops gracefully on its first SIGINT/SIGTERM and takes a second as "force an unclean
shutdown", so a child must get one signal per stop asked for. When the child shared its
parent's process group, a signal sent to the whole group (`kill -INT -- -PGID`,
supervisord's `stopasgroup`, systemd's default KillMode) reached it twice, once directly and
once passed on by the parent; a terminal's Ctrl-C did the same. So the child runs in a
process group of its own, which no group signal and no keyboard reaches, and the parent
passes on every stop signal it gets (SignalRelay), once.

The price of the own group: `kill -9 -- -PGID` of the parent no longer reaches the child.
On Linux the child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG), so a
parent killed outright takes the child with it, as the group kill did; elsewhere it outlives
it (and keeps the job lock until it ends, as before).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading

PR_SET_PDEATHSIG = 1    # <linux/prctl.h>


def _die_with_parent():
    """A preexec_fn giving the child SIGKILL when this process dies; None where prctl is missing.

    The prctl function is looked up here, before the fork: the child only calls it.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:       # the parent died before the prctl: nobody will signal us
            os._exit(1)
    return preexec


def start_child(command: list[str], **popen_kwargs) -> subprocess.Popen:
    """Popen(command) in its own process group, stdin closed, killed if this process dies.

    stdin is /dev/null: a process outside the terminal's foreground group that reads the
    terminal is stopped (SIGTTIN).
    """
    popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(command, process_group=0, preexec_fn=_die_with_parent(), **popen_kwargs)


class SignalRelay:
    """While active, SIGINT and SIGTERM this process gets are passed on to `child`, one for one.

    A second Ctrl-C is passed on as well: Scrapy's fast stop. SIGHUP (the terminal closed) is
    passed on as one SIGTERM, a graceful stop, unless a stop was already passed on (a hang-up
    comes from the kernel and the shell both); when SIGHUP is ignored (`nohup`), it stays
    ignored. Signals that come before the child exists are passed on once it is attached.
    Handlers can only be set in the main thread: elsewhere the relay does nothing (the
    caller's own handlers decide).
    """

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

    def __init__(self) -> None:
        self.received: list[int] = []     # every stop signal, in order
        self._pending: list[int] = []
        self._passed = 0
        self._child: subprocess.Popen | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "SignalRelay":
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                if signal.getsignal(sig) is signal.SIG_IGN:
                    continue
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def attach(self, child: subprocess.Popen) -> None:
        self._child = child
        self._pass_on()

    def _handle(self, signum, frame) -> None:
        self.received.append(signum)
        self._pending.append(signum)
        self._pass_on()

    def _pass_on(self) -> None:
        # A handler runs between two bytecodes of the main thread, possibly in this very loop:
        # list.pop is one step, so each signal is taken (and sent) once.
        while self._child is not None:
            try:
                signum = self._pending.pop(0)
            except IndexError:
                return
            if signum == getattr(signal, "SIGHUP", None):
                if self._passed:
                    continue
                signum = signal.SIGTERM
            self._passed += 1
            self._child.send_signal(signum)     # a no-op once the child has exited
