"""The output folder of a crawl: the one reader of OUTPUT_DIR and the checks made on it.

Every component that writes there (the WARC writer, the JSON Lines and dedupe pipelines,
the run report, a JOBDIR's recovery) asks `output_dir(settings)`, so they cannot disagree:
an empty `-s OUTPUT_DIR=` once sent the WARC, CDXJ and dedupe state to the working folder
and articles.jsonl to ./output. Empty is now a bad invocation (`error: ...`, exit 2).
No Scrapy import: `settings` is anything with `.get(name)`.
"""

from __future__ import annotations

import os
from pathlib import Path

OUTPUT_FILE_SETTINGS = ("ARTICLES_FILE", "ERRORS_FILE", "DUPLICATES_FILE")


def output_dir(settings) -> Path:
    """OUTPUT_DIR as a path (not created); ValueError when it is empty or blank."""
    value = str(settings.get("OUTPUT_DIR") or "").strip()
    if not value:
        raise ValueError("OUTPUT_DIR is empty: name a folder (the default is output)")
    return Path(value)


def prepare_folder(path: str | os.PathLike, what: str) -> Path:
    """`path` created as a folder; one unusable is a clear error (OSError, no errno) naming
    `what` and the path, not "[Errno 30] ..." from the first file written there."""
    path = Path(path)
    if path.exists() and not path.is_dir():   # mkdir would say "File exists", which reads as fine
        raise OSError(f"{what} {str(path)!r} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"{what} {str(path)!r} cannot be created: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        readonly = os.statvfs(path).f_flag & os.ST_RDONLY
        raise OSError(f"{what} {str(path)!r} is not writable{': read-only file system' if readonly else ''}")
    return path


def prepare_output_dir(settings) -> Path:
    """OUTPUT_DIR, created; an unusable one is a clear error (OSError) naming the path."""
    return prepare_folder(output_dir(settings), "OUTPUT_DIR")


def check_output_files(settings) -> Path:
    """OUTPUT_DIR (see prepare_output_dir) and the *.jsonl files a crawl appends to there: an
    existing one must be a writable file (one line before the crawl, not a traceback per article)."""
    directory = prepare_output_dir(settings)
    for name in OUTPUT_FILE_SETTINGS:
        path = directory / settings.get(name)
        if path.is_dir() or (path.exists() and not os.access(path, os.W_OK)):
            raise OSError(f"{name} {str(path)!r} is not a writable file")
    return directory
