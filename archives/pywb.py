"""pywb, the replay tool archivists browse WARCs with, kept in its own virtualenv.

pywb pins old redis/werkzeug and pulls brotlipy (shadowing brotli), so it cannot
share the project's venv. `ensure_pywb()` makes `.venv-pywb/` at the repo root
(or $PYWB_VENV) once, pinned, and reuses it; the tests and `scrapy replay-server`
both go through it. `build_collection()` lays out a pywb collection over existing
WARCs (symlinked, never copied or modified) with their CDXJ indexes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from archives.cdxj import cdxj_path_for, write_cdxj
from archives.names import is_wacz_path
from archives.reader import ArchiveError, warc_files

ROOT = Path(__file__).resolve().parent.parent
PYWB_PINS = ["pywb==2.10.0", "wacz==0.6.0"]


def pywb_venv() -> Path:
    return Path(os.environ.get("PYWB_VENV") or ROOT / ".venv-pywb")


def pywb_bin() -> Path:
    return pywb_venv() / "bin"


def ensure_pywb(log=None) -> Path:
    """Make the pywb venv (pywb + wacz, pinned) unless it already works; return its bin dir."""
    home = pywb_venv()
    bin_dir = home / "bin"
    stamp = home / (".installed-" + "_".join(PYWB_PINS))
    if stamp.exists() and (bin_dir / "wayback").exists() and (bin_dir / "wacz").exists():
        return bin_dir
    if log:
        log(f"setting up pywb in {home} (once; needs the package index)")
    if not (bin_dir / "python").exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *PYWB_PINS],
                   check=True)
    stamp.write_text("\n".join(PYWB_PINS) + "\n")
    return bin_dir


def build_collection(root: str | os.PathLike, warcs, name: str = "crawl") -> Path:
    """`root/collections/<name>/{archive,indexes}` over `warcs` (files or directories).

    WARCs are symlinked; each gets its own CDXJ (the writer's when it has one, else
    one made with cdxj-indexer inside the collection). Returns the collection dir.
    """
    from archives.inputs import wacz_members

    files = warc_files(warcs if isinstance(warcs, (list, tuple)) else [warcs])
    if not files:
        raise ArchiveError(f"no WARC files in {warcs}")
    # A .wacz named on the command line stands for the WARCs it packs (as for reextract and
    # REPLAY_WARC); pywb reads plain WARC files, so those are copied out of the zip.
    sources = []
    for file in files:
        if is_wacz_path(file) and file.is_file():
            sources += [(member.name, member) for member in wacz_members(file)]
        else:
            sources.append((file.name, file))
    names = [file_name for file_name, _ in sources]
    if len(set(names)) != len(names):
        raise ArchiveError("two WARC files share a name; pywb indexes them by file name")
    collection = Path(root) / "collections" / name
    if collection.exists():
        shutil.rmtree(collection)
    archive, indexes = collection / "archive", collection / "indexes"
    archive.mkdir(parents=True)
    indexes.mkdir()
    for i, (file_name, warc) in enumerate(sources):
        link = archive / file_name
        if not isinstance(warc, Path):               # a WACZ member
            with warc.open() as packed, open(link, "wb") as out:
                shutil.copyfileobj(packed, out)
            write_cdxj(link, indexes / f"index{i:05d}.cdxj")
            continue
        try:
            link.symlink_to(warc.resolve())
        except OSError:
            shutil.copy2(warc, link)
        ours = cdxj_path_for(warc)
        target = indexes / f"index{i:05d}.cdxj"
        if ours.is_file() and ours.stat().st_mtime >= warc.stat().st_mtime:
            shutil.copy(ours, target)
        else:
            write_cdxj(warc, target)
    return collection


def wayback_command(root: str | os.PathLike, port: int, host: str = "127.0.0.1") -> list[str]:
    return [str(pywb_bin() / "wayback"), "-b", host, "-p", str(port), "-d", str(root)]


if __name__ == "__main__":
    if sys.argv[1:] == ["ensure"]:
        print(ensure_pywb(log=lambda m: print(m, file=sys.stderr)))
    else:
        sys.exit("usage: python -m archives.pywb ensure")
