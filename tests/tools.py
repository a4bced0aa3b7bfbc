"""Real archive tools for the tests: `warcio check`, a record reader, and pywb/wacz in their own venv.

pywb pins old redis/werkzeug and pulls brotlipy (shadowing brotli), so it lives in
.venv-pywb/ at the repo root, made once and reused:

    python -m tests.tools ensure-pywb     # what make/CI call; prints the venv's bin dir
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYWB_VENV = Path(os.environ.get("PYWB_VENV", ROOT / ".venv-pywb"))
PYWB_PINS = ["pywb==2.10.0", "wacz==0.6.0"]


def warcio_check(path: str | os.PathLike) -> subprocess.CompletedProcess:
    """Run the `warcio check -v` CLI on one file (exit 0 = every digest passed)."""
    return subprocess.run([str(BIN / "warcio"), "check", "-v", str(path)],
                          capture_output=True, text=True)


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


def tools_bin() -> Path:
    return PYWB_VENV / "bin"


def ensure_pywb() -> Path:
    """Make .venv-pywb (pywb + wacz, pinned) unless it already works; return its bin dir."""
    bin_dir = tools_bin()
    stamp = PYWB_VENV / (".installed-" + "_".join(PYWB_PINS))
    if stamp.exists() and (bin_dir / "wayback").exists() and (bin_dir / "wacz").exists():
        return bin_dir
    if not (bin_dir / "python").exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(PYWB_VENV)
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *PYWB_PINS],
                   check=True)
    stamp.write_text("\n".join(PYWB_PINS) + "\n")
    return bin_dir


if __name__ == "__main__":
    if sys.argv[1:] == ["ensure-pywb"]:
        print(ensure_pywb())
    else:
        sys.exit("usage: python -m tests.tools ensure-pywb")
