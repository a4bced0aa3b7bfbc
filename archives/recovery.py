"""Finish `*.warc.gz.open` files left by a crashed writer (kill -9, power loss).

Each record is one gzip member, so the file is good up to the last member that
inflates completely into a whole WARC record; anything after it is cut off (and
logged), the file is renamed to its final name and indexed. Files another live
writer holds (flock) are left alone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from archives.names import OPEN_SUFFIX, open_warcs

logger = logging.getLogger(__name__)

_HEAD_KEEP = 64 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Recovered:
    path: Path            # final path ("" if nothing was left and the file was removed)
    records: int          # whole records kept
    kept_bytes: int
    cut_bytes: int
    cut: str              # what the cut-off tail looked like, for the log


def _record_complete(head: bytes, total: int) -> bool:
    """Does an inflated member of `total` bytes starting with `head` hold one whole record?"""
    if not head.startswith(b"WARC/"):
        return False
    end = head.find(b"\r\n\r\n")
    if end < 0:
        return False
    match = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head[:end])
    if not match:
        return False
    return total == end + 4 + int(match.group(1)) + 4


def _describe(head: bytes) -> str:
    fields = dict(re.findall(rb"(?im)^(WARC-Type|WARC-Target-URI):\s*(.*?)\s*$",
                             head[: head.find(b"\r\n\r\n") if b"\r\n\r\n" in head else None]))
    if not fields:
        return "unreadable bytes"
    return " ".join(f"{k.decode()}={v.decode('utf-8', 'replace')}" for k, v in fields.items())


def scan_members(fh) -> tuple[int, int, str]:
    """Return (end of the last whole record, records, description of what follows it)."""
    size = os.fstat(fh.fileno()).st_size
    pos = good_end = count = 0
    while pos < size:
        fh.seek(pos)
        inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
        head, total, consumed, done = bytearray(), 0, 0, False
        while not done:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            try:
                out = inflater.decompress(chunk)
            except zlib.error:
                break
            total += len(out)
            if len(head) < _HEAD_KEEP:
                head += out[: _HEAD_KEEP - len(head)]
            if inflater.eof:
                consumed += len(chunk) - len(inflater.unused_data)
                done = True
            else:
                consumed += len(chunk)
        if not done or not _record_complete(bytes(head), total):
            return good_end, count, _describe(bytes(head))
        pos += consumed
        good_end, count = pos, count + 1
    return good_end, count, ""


def finalize_open_file(path: str | os.PathLike, *, cdxj: bool = True) -> Recovered | None:
    """Cut `path` (a `.open` file) back to its last whole record and give it its final name.

    Returns None when another process holds the file.
    """
    path = Path(path)
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    with open(path, "r+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("Leaving %s alone: another writer holds it", path)
            return None
        size = os.fstat(fh.fileno()).st_size
        good_end, count, cut = scan_members(fh)
        if good_end < size:
            fh.truncate(good_end)
            fh.flush()
            os.fsync(fh.fileno())
            logger.warning("Recovered %s: kept %d records (%d bytes), cut %d bytes at the end "
                           "(%s)", path, count, good_end, size - good_end, cut)
        if count == 0:
            path.unlink()
            logger.warning("Removed %s: no whole record in it", path)
            return Recovered(Path(""), 0, 0, size, cut)
        if final.exists():
            raise FileExistsError(f"cannot finalize {path}: {final} already exists")
        os.replace(path, final)
    logger.info("Finalized %s (%d records)", final, count)
    if cdxj:
        from archives.cdxj import write_cdxj

        try:
            write_cdxj(final)
        except Exception:
            logger.exception("Could not index %s", final)
    return Recovered(final, count, good_end, size - good_end, cut)


def finalize_open_files(directory: str | os.PathLike, *, cdxj: bool = True) -> list[Recovered]:
    """Finalize every `*.warc.gz.open` / `*.warc.open` in `directory` no one is writing."""
    done = []
    for path in open_warcs(directory):
        try:
            result = finalize_open_file(path, cdxj=cdxj)
        except OSError as exc:
            logger.error("Could not finalize %s: %s", path, exc)
            continue
        if result is not None:
            done.append(result)
    return done
