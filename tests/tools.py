"""Real archive tools for the tests: `warcio check`, a record reader, and pywb/wacz in their own venv.

pywb pins old redis/werkzeug and pulls brotlipy (shadowing brotli), so it lives in
.venv-pywb/ at the repo root, made once and reused:

    python -m tests.tools ensure-pywb     # what make/CI call; prints the venv's bin dir
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# One pywb venv for the tests and `scrapy replay-server` (archives/pywb.py).
from archives.pywb import PYWB_PINS, ensure_pywb, pywb_venv  # noqa: E402,F401

PYWB_VENV = pywb_venv()


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (for servers that need it up front)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> bool:
    """Poll `condition` every 50 ms; True once it holds, AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def warcio_check(*paths: str | os.PathLike) -> subprocess.CompletedProcess:
    """Run the `warcio check -v` CLI on the files (exit 0 = every digest passed)."""
    return subprocess.run([str(BIN / "warcio"), "check", "-v", *map(str, paths)],
                          capture_output=True, text=True, timeout=300)


def read_jsonl(path: str | os.PathLike, *, missing_ok: bool = False) -> list[dict]:
    """The rows of a JSON-lines output file (articles.jsonl, errors.jsonl, ...); blank lines
    are not rows. A missing file is an error unless `missing_ok` (then no rows)."""
    path = Path(path)
    if missing_ok and not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Record:
    type: str
    headers: dict          # WARC header name -> value (last wins), as parsed by warcio
    block: bytes           # the record block exactly as stored
    offset: int
    length: int

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def get(self, name, default=None):
        return self.headers.get(name, default)


def read_records(path: str | os.PathLike) -> list[Record]:
    """Every record of a WARC file with its raw block, read by warcio (no HTTP parsing)."""
    out = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh, no_record_parse=True)
        for rec in it:
            block = rec.raw_stream.read()
            headers = dict(rec.rec_headers.headers)
            out.append(Record(rec.rec_type, headers, block, 0, 0))
            it.read_to_end(rec)
            out[-1].offset, out[-1].length = it.get_record_offset(), it.get_record_length()
    return out


@contextmanager
def replay_server(*paths):
    """`scrapy replay-server PATH...` running (pywb made first): yields {base, port, lines, proc}
    once it prints where to look; stopped on exit."""
    ensure_pywb()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", "replay-server", *map(str, paths)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in proc.stdout:  # ends if the command dies before serving
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        match = re.search(r"open (http://127\.0\.0\.1:(\d+)/crawl/)", "".join(lines))
        assert match, "".join(lines) + proc.stderr.read() if proc.poll() is not None else "".join(lines)
        yield {"base": match.group(1), "port": int(match.group(2)), "lines": lines, "proc": proc}
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def tools_bin() -> Path:
    return PYWB_VENV / "bin"


if __name__ == "__main__":
    if sys.argv[1:] == ["ensure-pywb"]:
        print(ensure_pywb())
    else:
        sys.exit("usage: python -m tests.tools ensure-pywb")
