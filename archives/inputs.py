"""The WARCs a command reads record by record (`reextract`, `warc-check`): WARC files, folders
of them, and the WARCs inside a WACZ package, each with a way to open it.

Replay reads WACZ (`archives.replay.Archive`); these commands must read the same inputs, so a
WACZ named on the command line stands for the WARC members of its `archive/` folder, read
straight from the zip (WACZ stores them uncompressed, so seeking within one is cheap). A WACZ
found inside a folder is not expanded: crawl folders hold the WACZ beside the WARCs it packs.
"""

from __future__ import annotations

import contextlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, ContextManager

from archives.names import is_wacz_path, is_warc_path
from archives.reader import ArchiveError, warc_files


WARC_MAGIC = (b"\x1f\x8b", b"WARC/", b"filed")  # a gzip member, a plain WARC's first record, an ARC's filedesc
ZIP_MAGIC = b"PK\x03\x04"


def not_an_archive(path) -> str | None:
    """What is wrong with a file named as an archive (README.md by mistake), or None: its first
    bytes are neither a WARC's (gzip, `WARC/`, an ARC's `filedesc`) nor, for a .wacz, a zip's.
    Only for files named on a command line: a folder's files are picked by their names."""
    try:
        with open(path, "rb") as f:
            head = f.read(5)
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    if is_wacz_path(path):
        return None if head.startswith(ZIP_MAGIC) else f"{path}: not a WACZ (zip) file"
    return None if head.startswith(WARC_MAGIC) else f"{path}: not a WARC file (neither gzip nor 'WARC/' at its start)"


@dataclass(frozen=True)
class WarcInput:
    path: str                                     # a file, or "PACKAGE.wacz#archive/NAME.warc.gz"
    name: str                                     # the WARC's own file name, as pointers give it
    opener: Callable[[], ContextManager[BinaryIO]]

    def open(self) -> ContextManager[BinaryIO]:
        return self.opener()


@contextlib.contextmanager
def _open_file(path: Path):
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise ArchiveError(f"{path}: {exc.strerror or exc}") from exc
    with fh:
        yield fh


@contextlib.contextmanager
def _open_member(package: Path, member: str):
    with zipfile.ZipFile(package) as archive, archive.open(member) as fh:
        yield fh


def wacz_members(package) -> list[WarcInput]:
    package = Path(package)
    try:
        with zipfile.ZipFile(package) as archive:
            members = sorted(n for n in archive.namelist() if n.startswith("archive/") and is_warc_path(n))
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{package}: not a WACZ (zip) file: {exc}") from exc
    return [WarcInput(f"{package}#{member}", member.rsplit("/", 1)[-1],
                      lambda member=member: _open_member(package, member)) for member in members]


def warc_inputs(paths) -> list[WarcInput]:
    """Every WARC named by `paths`, in order; ArchiveError names a missing path or a broken WACZ."""
    found: list[WarcInput] = []
    for path in paths:
        path = Path(path)
        if path.is_file() and is_wacz_path(path):
            found += wacz_members(path)
            continue
        for file in warc_files([path]):
            found.append(WarcInput(str(file), file.name, lambda file=file: _open_file(file)))
    return found
