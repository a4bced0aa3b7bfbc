"""The run manifest: what one run of a job did and every file it left, with digests.

`manifest.json` in the run's folder is written when the run starts (result
"running") and rewritten, atomically, whenever the run's state changes, so it
is always whole JSON. It is the one record of a run: `scrapy jobs list`
reads the last run and its result from it, and the runner finds an
interrupted run to resume by it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from archives.atomicfile import write_atomic
from archives.records import warc_date as utc_iso  # noqa: F401  (the runner writes its times with it)

MANIFEST = "manifest.json"
FORMAT = 1

RUNNING, OK, INTERRUPTED, FAILED = "running", "ok", "interrupted", "failed"
UNFINISHED = (RUNNING, INTERRUPTED)

# The run's counts, each the sum of these crawl stats (a missing stat counts 0; "-": subtracted);
# articles and duplicates are then counted in the run's files (counts_from_files).
COUNTS = {
    "pages": ("downloader/response_count", "-incremental/resume_replayed"),
    "articles": ("output/articles",),
    "duplicates": ("dedupe/url", "dedupe/exact", "dedupe/near"),
    "revisits": ("warc/revisit_records",),
    "not_modified": ("incremental/not_modified",),
    "skipped_recent": ("incremental/skipped_recent",),
    # a URL dropped because its host's robots.txt never answered (the site down) is an error too
    "errors": ("news/failed_requests", "extract/errors", "log_count/ERROR", "robotstxt/unreachable_forbidden"),
}
BYTES_FETCHED = "downloader/response_bytes"


def counts_from_stats(stats: dict) -> dict:
    def value(key):
        return -int(stats.get(key[1:]) or 0) if key.startswith("-") else int(stats.get(key) or 0)

    return {name: sum(value(key) for key in keys) for name, keys in COUNTS.items()}


def _jsonl_rows(paths):
    for path in paths:
        with open(path, "rb") as f:
            for line in f:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue   # a partial last line of a killed writer, cut by its next start


def counts_from_files(run_dir: Path) -> dict:
    """Articles and duplicates as the run's files hold them: a killed attempt's stats are lost
    or stale, the files are not (an article line is written once, at the end of the run)."""
    run_dir = Path(run_dir)
    counts = {}
    articles = sorted(run_dir.glob("articles*.jsonl"))
    if articles:
        counts["articles"] = sum(1 for row in _jsonl_rows(articles)
                                 if isinstance(row, dict) and row.get("duplicate_of") is None)
    if (run_dir / "duplicates.jsonl").exists():
        counts["duplicates"] = sum(1 for _row in _jsonl_rows([run_dir / "duplicates.jsonl"]))
    return counts


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def list_files(run_dir: Path) -> list[dict]:
    """Every file under the run folder but the manifest itself, with size and sha256."""
    run_dir = Path(run_dir)
    files = []
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(run_dir).as_posix()
        if rel == MANIFEST or rel.startswith(MANIFEST + "."):
            continue
        files.append({"path": rel, "bytes": path.stat().st_size, "sha256": sha256_file(path)})
    return files


def write_manifest(run_dir: Path, manifest: dict) -> Path:
    """Atomically replace run_dir/manifest.json (temp file, fsync, rename)."""
    return write_atomic(Path(run_dir) / MANIFEST,
                        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def read_manifest(run_dir: Path) -> dict | None:
    try:
        return json.loads((Path(run_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_dirs(output_dir: Path) -> list[Path]:
    """The job's run folders (those holding a manifest), oldest first."""
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        return []
    return sorted(p.parent for p in output_dir.glob(f"*/{MANIFEST}"))


def last_run(output_dir: Path) -> tuple[Path, dict] | None:
    """The run started last: the highest `sequence`, then the latest folder name. Folder names
    are start times on the machine's clock: after a clock set ahead was corrected, a new run's
    name sorts before the runs of the wrong dates, and by name alone `scrapy jobs list` would
    show those and the runner would not resume the new run when it is interrupted."""
    best = None
    for run_dir in run_dirs(output_dir):
        manifest = read_manifest(run_dir)
        if manifest is None:
            continue
        key = (_sequence(manifest), run_dir.name)
        if best is None or key > best[0]:
            best = (key, run_dir, manifest)
    return (best[1], best[2]) if best else None


def next_sequence(output_dir: Path) -> int:
    """The `sequence` of a new run: one more than any before (folders written before manifests
    had one count as their number, so the first numbered run comes after them all)."""
    dirs = run_dirs(output_dir)
    last = last_run(output_dir)
    return max(_sequence(last[1]) if last else 0, len(dirs)) + 1


def _sequence(manifest: dict) -> int:
    value = manifest.get("sequence")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def finalize(manifest: dict, run_dir: Path, attempts_stats: list[dict]) -> dict:
    """Fill counts, bytes and files from the stats of every attempt of the run."""
    totals: dict = {}
    for stats in attempts_stats:
        for key, value in stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
    files = list_files(run_dir)
    manifest["counts"] = counts_from_stats(totals)
    manifest["counts"].update(counts_from_files(run_dir))
    manifest["bytes"] = {"fetched": int(totals.get(BYTES_FETCHED, 0)),
                         "written": sum(f["bytes"] for f in files)}
    manifest["files"] = files
    return manifest
