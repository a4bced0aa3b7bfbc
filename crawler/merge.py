"""One index, one manifest (and optionally one WACZ) over the per-process outputs of a run.

A distributed crawl leaves, per process, its own WARC files with their CDXJ, its
`articles-{host}-{pid}.jsonl` and `stats-{host}-{pid}.json`, in one directory or in one
directory per machine. `merge_runs` turns them into what a single-process run leaves:

- `index.cdxj`: every line of every WARC's CDXJ (a WARC without one is indexed), with the
  `filename` made relative to the output directory, sorted as cdxj-indexer sorts;
- `manifest.json`: the run ids found in the warcinfo records, each process's stats file and
  finish reason, summed counts (the job manifest's), and every file with size and sha256;
- with `wacz=True`, `{run_id}.wacz` of all the WARC files.

A `.open` WARC left by a killed process is finalized first (cut back to its last whole
record); one that a live process still holds is an error: the run is not over. Likewise the
articles a killed process held (`articles-held.sqlite3`, each already claimed in the shared
dedupe state, so no other process writes them) are published into `articles-recovered.jsonl`
and `duplicates-recovered.jsonl` of its directory: left there, they were in no articles file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from archives.atomicfile import write_atomic
from crawler.output import prepare_folder
from crawler.jobs.manifest import FORMAT, counts_from_stats, sha256_file, write_manifest

INDEX = "index.cdxj"
RECOVERED = ("articles-recovered.jsonl", "duplicates-recovered.jsonl")


class MergeError(ValueError):
    """The directories cannot be merged; the message is shown to the user as is."""


def _warcs(directories: list[Path]) -> list[Path]:
    from archives.names import closed_warcs, open_warcs
    from archives.recovery import finalize_open_files

    warcs = []
    for directory in directories:
        finalize_open_files(directory)
        still_open = open_warcs(directory)
        if still_open:
            raise MergeError(f"{still_open[0]} is still being written: wait for every process of the run to end")
        warcs += closed_warcs(directory)
    return warcs


def _publish_held(directories: list[Path]) -> int:
    """Publish what killed processes held (see the module's docstring); returns the article
    lines written. A directory a process still crawls into is an error, like a `.open` WARC."""
    from pipelines.held import HELD_FILENAME, LOCK_FILENAME, Output, SharedRun, open_held, publish
    from pipelines.jsonl import JsonLinesFile

    written = 0
    for directory in directories:
        held_left = (directory / HELD_FILENAME).exists()
        if not held_left and not (directory / LOCK_FILENAME).exists():
            continue
        # (a lock file alone: a process killed before it held anything; taken and removed, so
        # the manifest lists no stale lock)
        shared = SharedRun(directory)
        try:
            if not shared.last():
                raise MergeError(f"{directory} is still being crawled into: wait for every process of the run to end")
            if not held_left:
                continue
            held = open_held(directory)
            articles, duplicates = (JsonLinesFile(directory / name) for name in RECOVERED)
            try:
                written += publish(held, Output(articles, duplicates))["lines"]
            finally:
                articles.close()
                duplicates.close()
        finally:
            shared.close()
    return written


def _originals_from(directories: list[Path], warcs: list[Path]):
    """Where the revisits' originals may be, looked at only while some are missing: around
    each merged folder as `scrapy wacz` looks around a run's (archives.wacz.earlier_warcs: the
    folder's other WARCs, then those beside it of the same warcinfo isPartOf, a job's earlier
    runs), each file once."""
    from archives.wacz import earlier_warcs, warcinfo_fields

    seen: set[Path] = set()
    for directory in directories:
        mine = [w for w in warcs if w.parent.resolve() == directory.resolve()]
        part_of = warcinfo_fields(mine[0]).get("isPartOf") if mine else None
        for warc in earlier_warcs(directory, part_of):
            if warc.resolve() not in seen:
                seen.add(warc.resolve())
                yield warc


def _index_lines(warc: Path, output: Path) -> list[str]:
    from archives.cdxj import cdxj_path_for, write_cdxj

    cdxj = cdxj_path_for(warc)
    if not cdxj.exists():
        write_cdxj(warc)
    relative = os.path.relpath(warc, output)
    lines = []
    for line in cdxj.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        key, stamp, fields = line.split(" ", 2)
        data = json.loads(fields)
        data["filename"] = relative
        lines.append(f"{key} {stamp} {json.dumps(data)}")
    return lines


def _articles(directories: list[Path]) -> tuple[int, int]:
    """(article lines, canonical URLs met in more than one line) over every articles*.jsonl."""
    lines, seen, repeated = 0, set(), 0
    for directory in directories:
        for path in sorted(directory.glob("articles*.jsonl")):
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        continue
                    lines += 1
                    url = json.loads(line).get("canonical_url")
                    repeated += url in seen
                    seen.add(url)
    return lines, repeated


def merge_runs(directories, output=None, *, wacz: bool = False) -> dict:
    """Write the merged index and manifest (and WACZ) into `output` (default: the first
    directory); returns the manifest."""
    from archives.wacz import warcinfo_fields

    directories = [Path(d) for d in directories]
    for directory in directories:
        if not directory.is_dir():
            raise MergeError(f"not a directory: {directory}")
    try:
        output = prepare_folder(output or directories[0], "output folder")
    except OSError as exc:
        raise MergeError(f"{exc}{'' if output else '; name another with -o OUT_DIR'}") from None
    warcs = _warcs(directories)
    recovered = _publish_held(directories)
    if not warcs:
        raise MergeError("no WARC files in " + ", ".join(map(str, directories)))
    lines = []
    for warc in warcs:
        lines += _index_lines(warc, output)
    lines.sort()
    write_atomic(output / INDEX, "".join(line + "\n" for line in lines))

    run_ids = sorted({warcinfo_fields(w).get("run-id", "") for w in warcs} - {""})
    processes, totals = [], {}
    for directory in directories:
        for path in sorted(directory.glob("stats-*.json")):
            stats = json.loads(path.read_text(encoding="utf-8"))
            processes.append({"stats": os.path.relpath(path, output),
                              "finish_reason": stats.get("finish_reason"),
                              "start_time": stats.get("start_time"),
                              "pages": counts_from_stats(stats)["pages"]})
            for key, value in stats.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    totals[key] = totals.get(key, 0) + value
    articles, repeated = _articles(directories)
    totals["output/articles"] = totals.get("output/articles", 0) + recovered
    # A killed process's stats stop at its last write (JOB_STATS_INTERVAL): its later pages are
    # only in its WARC. Counted from the WARCs (their CDXJ), so the run's pages are all there.
    from crawler.report.figures import archived_in_stats, warc_totals

    captures, revisits = warc_totals(warcs)
    unreported = max(0, captures - archived_in_stats(totals))
    killed = [p["stats"] for p in processes if not p["finish_reason"]]
    counts = counts_from_stats(totals)
    # revisits from the WARCs, not the stats (another crawler's WARCs have none: a false 0);
    # unknown when one cannot be read whole and the stats do not count every capture
    if revisits is not None or unreported or not processes:
        counts["revisits"] = revisits
    files = []
    for directory in directories:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            if path.parent == output and path.name.startswith(("manifest.json", INDEX + ".")):
                continue
            files.append({"path": os.path.relpath(path, output), "bytes": path.stat().st_size,
                          "sha256": sha256_file(path)})
    if output not in directories:
        files.append({"path": INDEX, "bytes": (output / INDEX).stat().st_size,
                      "sha256": sha256_file(output / INDEX)})
    manifest = {
        "format": FORMAT,
        "kind": "merged-run",
        "run_ids": run_ids,
        "directories": [os.path.relpath(d, output) for d in directories],
        "processes": processes,
        "counts": dict(counts, pages=counts["pages"] + unreported),
        # processes that died before writing their end, and the pages their stats do not count
        "incomplete": {"killed": killed, "unreported_pages": unreported} if killed or unreported else None,
        "articles": {"lines": articles, "repeated_canonical_urls": repeated, "recovered": recovered},
        "warcs": len(warcs),
        "index": {"path": INDEX, "lines": len(lines)},
        "files": files,
    }
    if wacz:
        from archives.wacz import package

        name = f"{run_ids[0] if len(run_ids) == 1 else 'merged'}.wacz"
        package(warcs, output / name, title=f"Crawl {', '.join(run_ids)}" if run_ids else None,
                originals_from=_originals_from(directories, warcs))
        manifest["wacz"] = {"path": name, "bytes": (output / name).stat().st_size,
                            "sha256": sha256_file(output / name)}
    write_manifest(output, manifest)
    return manifest
