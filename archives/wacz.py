"""Package WARC files as a WACZ (what ReplayWeb.page opens), with the `wacz` tool's own creator.

A run's files are found by the `run-id` in their warcinfo record, so one output
directory can hold many runs and still give one WACZ per run.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
from pathlib import Path
from typing import Iterable, Iterator

from archives.names import closed_warcs

logger = logging.getLogger(__name__)


def warcinfo_fields(warc: str | os.PathLike) -> dict[str, str]:
    """The warcinfo block of a WARC's first record as a dict (empty if it has none)."""
    from warcio.archiveiterator import ArchiveIterator

    with open(warc, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "warcinfo":
                return {}
            # a few fields: a warcinfo record inflating to gigabytes is not read whole
            text = record.raw_stream.read(1 << 16).decode("utf-8", "replace")
            return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    return {}


def run_warcs(directory: str | os.PathLike, run_id: str | None = None) -> list[Path]:
    """Closed WARC files in `directory` (sorted by name = time), only `run_id`'s if given."""
    warcs = closed_warcs(directory)
    if run_id:
        warcs = [w for w in warcs if warcinfo_fields(w).get("run-id") == run_id]
    return warcs


def _damage(reader) -> str | None:
    """What makes a WARC unfit to package, in words, or None: a record cut short (a file copied
    or written only in part) or bytes that are no record. The wacz tool packs such a file
    without a word and `wacz validate` then dies on the package; other problems (a bad date,
    a digest) leave the file readable and are warc-check's to report."""
    bad = reader.damaged
    if not bad:
        return None
    more = f" (and {len(bad) - 1} more damaged place(s))" if len(bad) > 1 else ""
    return f"{bad[0]}{more}"


def html_pages(warcs: list[str | os.PathLike], survey=None) -> list[dict]:
    """ReplayWeb.page's page list: every HTML 200 response (or revisit), first capture per URL.
    `survey` (an archives.originals.OriginalsSurvey) is shown every record on the way.

    Read with archives.reader (heads only, capped, lying lengths skipped), like every reader.
    A damaged WARC is an ArchiveError naming every damaged file: a package is the run's
    archive, so it is made whole or not at all (the archivist decides what to do with the file).
    """
    from archives.reader import NOT_PER_RECORD_GZIP, ArchiveError, WarcReader

    pages, seen, damaged = [], set(), []
    for warc in warcs:
        reader = WarcReader(warc)
        for record in reader.records(payload=False):
            if survey is not None:
                survey.add(record)
            url = record.target_uri
            mime = (record.header("Content-Type") or "").split(";")[0]
            if (record.status != 200 or url in seen
                    or mime.strip().lower() not in ("text/html", "application/xhtml+xml")):
                continue
            seen.add(url)
            pages.append({"url": url, "ts": record.warc("WARC-Date"), "title": url})
        if any(p.message == NOT_PER_RECORD_GZIP for p in reader.problems):   # the wacz tool dies on it
            raise ArchiveError(f"{warc}: {NOT_PER_RECORD_GZIP}")
        damage = _damage(reader)
        if damage:
            damaged.append(damage)
    if damaged:
        raise ArchiveError(f"damaged WARC, no WACZ made: {'; '.join(damaged)}; move the damaged "
                           "file out of the folder to package the rest (`scrapy warc-check` lists "
                           "every problem)")
    return pages


def package(warcs: list[str | os.PathLike], output: str | os.PathLike, *,
            title: str | None = None, description: str | None = None,
            originals_from: Iterable[Path] = ()) -> Path:
    """Write `output` (.wacz) from `warcs`: index, HTML pages list, datapackage.

    The responses that revisit records in `warcs` stand for and `warcs` do not hold (an
    earlier run's, with a digest index shared across runs) are looked for in
    `originals_from` and packed too, copied into `archive/<name>-originals.warc.gz`, so
    every page of the package replays from it; any not found are logged."""
    from wacz.main import main as wacz_main

    from archives.originals import OriginalsSurvey, copy_records, find_originals

    if not warcs:
        raise ValueError("no WARC files to package")
    output = Path(output)
    partial = output.with_name(output.name + ".partial")
    pages_file = output.with_name(output.name + ".pages.jsonl")
    originals = output.with_name(output.stem + "-originals.warc.gz")
    survey = OriginalsSurvey()
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": "Pages"}] + html_pages(warcs, survey)
    packed = {Path(w).resolve() for w in warcs}
    found, left = find_originals(survey.missing(), (c for c in originals_from if c.resolve() not in packed))
    if left:
        logger.warning("%d revisit record(s) in %s stand for responses in none of the WARC files "
                       "found: their pages do not replay from %s alone", len(left),
                       ", ".join(os.path.basename(w) for w in warcs), output.name)
    args = ["create", "-o", str(partial), "--pages", str(pages_file), "--copy-pages"]
    if title:
        args += ["--title", title]
    if description:
        args += ["--desc", description]
    args += [str(w) for w in warcs] + ([str(originals)] if found else [])
    chatter = io.StringIO()
    try:
        if found:
            copy_records(found, originals, description=f"the responses revisit records of "
                         f"{output.name} stand for, copied from earlier WARC files")
        pages_file.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        with contextlib.redirect_stdout(chatter):
            code = wacz_main(args)
    except BaseException:   # a full disk, Ctrl-C: no half-written package left behind
        partial.unlink(missing_ok=True)
        raise
    finally:
        pages_file.unlink(missing_ok=True)
        originals.unlink(missing_ok=True)
    logger.debug("wacz create: %s", chatter.getvalue())
    if code:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"wacz create failed ({code}): {chatter.getvalue()[-500:]}")
    os.replace(partial, output)
    return output


def package_run(directory: str | os.PathLike, warcs: list[Path] | None = None, *,
                run_id: str | None = None, output: str | os.PathLike | None = None) -> Path:
    """One WACZ for a run: `warcs`, or the run's files found in `directory`."""
    directory = Path(directory)
    warcs = list(warcs) if warcs is not None else run_warcs(directory, run_id)
    if output is None:   # a job's run id is "job/run": one file name, in `directory`
        output = directory / (re.sub(r"[^A-Za-z0-9._-]+", "-", run_id or "").strip(".-") or "archive")
        output = output.with_name(output.name + ".wacz")
    part_of = warcinfo_fields(warcs[0]).get("isPartOf") if warcs else None
    return package(warcs, output, title=f"Crawl {run_id}" if run_id else None,
                   originals_from=earlier_warcs(directory, part_of))


def earlier_warcs(directory: Path, part_of: str | None) -> Iterator[Path]:
    """Where the originals of a run's revisits are, newest first, looked at only as needed:
    the other WARC files of its folder (runs into one OUTPUT_DIR), then those beside it whose
    warcinfo `isPartOf` is `part_of` (a job's earlier runs; no other tool's or job's files)."""
    here = directory.resolve()
    yield from reversed(closed_warcs(here))
    if not part_of:
        return
    for folder in sorted(here.parent.iterdir(), reverse=True):
        if folder == here or not folder.is_dir():
            continue
        try:
            warcs = closed_warcs(folder)
        except OSError:   # a folder we may not read holds nothing we can pack
            continue
        for warc in reversed(warcs):
            try:
                if warcinfo_fields(warc).get("isPartOf") == part_of:
                    yield warc
            except Exception:   # not a WARC we can read: not where our records are
                continue
