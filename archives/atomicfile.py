"""Replacing a small file whole or not at all: a temp file beside it, fsynced, renamed over it.

Reports, manifests and merged indexes are read by people and tools while crawls run and may be
killed: a reader sees the old file or the new one, never half of one. Standard library only.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically; on failure the old file stays and no temp
    file is left behind."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
