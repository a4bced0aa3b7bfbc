"""Appending whole units (WARC records, JSON lines) to a file, or nothing.

Files written through `append_whole` are opened unbuffered: when a write fails part way
(disk full, file size limit) nothing stays queued in a buffer, and the file is cut back to
where the call started, so readers never meet half a record and the next one starts clean.
"""

from __future__ import annotations

from typing import Iterable


def append_whole(fh, chunks: Iterable[bytes]) -> int:
    """Write `chunks` to the unbuffered binary file `fh` (opened with buffering=0);
    returns the offset they start at. On any error the file is truncated back to it."""
    start = fh.tell()
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[fh.write(view):]
    except BaseException:
        fh.truncate(start)
        fh.seek(start)
        raise
    return start
