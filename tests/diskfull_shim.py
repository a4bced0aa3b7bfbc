"""Run `scrapy` with a simulated full disk, where a small tmpfs cannot be mounted (not root).

    DISKFULL_AFTER=BYTES python -m tests.diskfull_shim crawl news ...

Run before anything else is imported, it replaces archives.appendfile.append_whole, through which
every WARC record and JSON line is written, with one that raises OSError(ENOSPC) once the
process has written DISKFULL_AFTER bytes in all, after writing what still fits of the unit,
as a real full disk does (append_whole then cuts the unit back). SQLite files and indexes are
not affected: the tmpfs variant of the test covers those.
"""

import errno
import os
import sys

from archives import appendfile

_real = appendfile.append_whole
_left = [int(os.environ["DISKFULL_AFTER"])]


class _FullDisk:
    """The file object as a full disk presents it: writes stop at the remaining space."""

    def __init__(self, fh):
        self._fh = fh

    def write(self, data):
        if _left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = min(len(data), _left[0])
        written = self._fh.write(data[:n])
        _left[0] -= written
        return written

    def __getattr__(self, name):
        return getattr(self._fh, name)


def append_whole(fh, chunks):
    return _real(_FullDisk(fh), chunks)


appendfile.append_whole = append_whole

if __name__ == "__main__":
    from scrapy.cmdline import execute

    sys.argv = ["scrapy", *sys.argv[1:]]
    execute()
