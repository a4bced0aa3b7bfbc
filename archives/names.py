"""WARC file names: the suffixes the writer gives and every reader recognises, in one place.

The crawl writes `*.warc.gz` files, named `*.warc.gz.open` while they are being written;
a crawl's folder is read back as its closed `*.warc.gz` and `*.warc` files; the archive
readers also take the older ARC format and WACZ packages; a CDXJ index sits beside its WARC
under the WARC's name without the suffix. These used to be spelled out in five modules that
did not agree (a `.warc` file was merged but not packaged or indexed beside its name).
"""

from __future__ import annotations

import os
from pathlib import Path

WARC_SUFFIX = ".warc.gz"                           # what the writer writes
OPEN_SUFFIX = ".open"                              # added while a file is being written
CRAWL_SUFFIXES = (".warc.gz", ".warc")             # a crawl folder's WARC files
READABLE_SUFFIXES = CRAWL_SUFFIXES + (".arc.gz", ".arc")   # what the archive readers take
WACZ_SUFFIX = ".wacz"
CDXJ_SUFFIX = ".cdxj"


def is_warc_path(path) -> bool:
    """A WARC (or ARC) file by its name, in any case."""
    return str(path).lower().endswith(READABLE_SUFFIXES)


def is_wacz_path(path) -> bool:
    return str(path).lower().endswith(WACZ_SUFFIX)


def cdxj_path_for(warc_path: str | os.PathLike) -> Path:
    """`crawl-...-host.warc.gz` -> `crawl-...-host.cdxj` in the same directory."""
    path = Path(warc_path)
    name = path.name
    for suffix in CRAWL_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + CDXJ_SUFFIX)


def closed_warcs(directory: str | os.PathLike) -> list[Path]:
    """The closed WARC files directly in a crawl folder, sorted by name (= by time)."""
    return sorted(p for p in Path(directory).iterdir()
                  if p.is_file() and p.name.endswith(CRAWL_SUFFIXES))


def open_warcs(directory: str | os.PathLike) -> list[Path]:
    """WARC files in `directory` still named as being written (`*.warc.gz.open`, `*.warc.open`)."""
    return sorted(Path(directory).glob("*.warc*" + OPEN_SUFFIX))
