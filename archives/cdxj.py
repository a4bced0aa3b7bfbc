"""CDXJ index of one WARC file, written next to it by cdxj-indexer (the tool pywb and WACZ use)."""

from __future__ import annotations

import os
from pathlib import Path


WARC_EXTENSIONS = (".warc.gz", ".warc")


def cdxj_path_for(warc_path: str | os.PathLike) -> Path:
    """`crawl-...-host.warc.gz` -> `crawl-...-host.cdxj` in the same directory."""
    path = Path(warc_path)
    name = path.name
    for ext in WARC_EXTENSIONS:
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    return path.with_name(name + ".cdxj")


def write_cdxj(warc_path: str | os.PathLike, output: str | os.PathLike | None = None) -> Path:
    """Index `warc_path` (sorted, filenames relative to its directory); atomic rename."""
    output = Path(output) if output else cdxj_path_for(warc_path)
    partial = output.with_name(output.name + ".partial")
    from cdxj_indexer.main import write_cdx_index  # ~6 MB (pkg_resources, pyamf): at close only

    write_cdx_index(str(partial), [str(warc_path)], {"sort": True})
    os.replace(partial, output)
    return output
