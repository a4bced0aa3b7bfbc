"""The responses a set of WARCs' revisit records stand for, when those WARCs do not hold them.

A revisit record keeps only the head of a response whose payload was archived before; a
replay tool serves the earlier record's payload. Runs that share a digest index across runs
(`WARC_DIGEST_INDEX=sqlite`, every scheduled job) write revisits of records in earlier runs'
files, so a package of one run's WARCs alone (a WACZ) holds pages nothing can replay.
`missing_originals` lists what such revisits point to outside the files, `find_originals`
looks for those records in other WARC files (by their CDXJ index when they have one) and
`copy_records` writes them, byte for byte, one gzip member each, into a WARC of their own
for the package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from archives import records
from archives.index import IndexEntry, cdxj_lines, entry_from_record, normalize_digest, parse_cdxj_line, timestamp14
from archives.names import cdxj_path_for
from archives.reader import GZIP_MAGIC, ArchiveError, Record, WarcReader


@dataclass(frozen=True)
class Wanted:
    """The response a revisit stands for: WARC-Refers-To-Target-URI/-Date, payload digest."""

    uri: str | None
    timestamp: str | None      # 14 digits, as CDXJ keys captures
    digest: str | None

    def matches(self, entry: IndexEntry) -> bool:
        if entry.is_revisit or (self.uri is None and self.digest is None):
            return False
        return ((self.uri is None or entry.url == self.uri)
                and (self.timestamp is None or entry.timestamp == self.timestamp)
                and (self.digest is None or entry.digest is None or entry.digest == self.digest))


class OriginalsSurvey:
    """Fed every record of the packaged WARCs (headers only), in file order; `missing()` then
    says which revisits' originals none of them holds."""

    def __init__(self):
        self._held: list[IndexEntry] = []
        self._wanted: set[Wanted] = set()

    def add(self, record: Record) -> None:
        entry = entry_from_record(record, record.filename, os.path.basename(record.filename))
        if entry is None:
            return
        if record.type != "revisit":
            self._held.append(entry)
            return
        uri = record.warc("WARC-Refers-To-Target-URI")
        date = record.warc("WARC-Refers-To-Date")
        self._wanted.add(Wanted(uri, timestamp14(date) if date else None,
                                normalize_digest(record.payload_digest)))

    def missing(self) -> list[Wanted]:
        candidates = _WantedIndex(self._wanted)
        held = {w for entry in self._held for w in candidates.matching(entry)}
        return sorted((w for w in self._wanted if w not in held),
                      key=lambda w: (w.uri or "", w.timestamp or "", w.digest or ""))


class _WantedIndex:
    """Wanted originals by what an entry must share with them to match (Wanted.matches): its URI,
    or for one wanted by digest alone that digest (an entry without a digest: any of those).
    Each entry is tested against those few, not against every wanted one: a night of a big site
    has tens of thousands of revisits, and earlier runs' files as many captures."""

    def __init__(self, wanted: Iterable[Wanted]):
        self._by_uri: dict[str, list[Wanted]] = {}
        self._by_digest: dict[str, list[Wanted]] = {}
        for w in wanted:
            if w.uri is not None:
                self._by_uri.setdefault(w.uri, []).append(w)
            elif w.digest is not None:
                self._by_digest.setdefault(w.digest, []).append(w)

    def matching(self, entry: IndexEntry) -> list[Wanted]:
        """The wanted ones `entry` is (Wanted.matches)."""
        by_digest = ([w for ws in self._by_digest.values() for w in ws] if entry.digest is None
                     else self._by_digest.get(entry.digest, []))
        return [w for w in (*self._by_uri.get(entry.url, ()), *by_digest) if w.matches(entry)]


def _entries(warc: Path) -> Iterable[IndexEntry]:
    """A WARC's captures: from its CDXJ index when one is as new as the file, else read."""
    cdxj = cdxj_path_for(warc)
    if cdxj.is_file() and cdxj.stat().st_mtime >= warc.stat().st_mtime:
        with open(cdxj, "rb") as fh:
            for line in cdxj_lines(fh, str(cdxj), []):
                entry = parse_cdxj_line(line, str(warc)) if line.strip() else None
                if entry is not None and entry.filename == warc.name:
                    yield entry
        return
    for record in WarcReader(warc).records(payload=False):
        entry = entry_from_record(record, str(warc), warc.name)
        if entry is not None:
            yield entry


def find_originals(wanted: list[Wanted], candidates: Iterable[Path]) -> tuple[list[IndexEntry], list[Wanted]]:
    """The captures in `candidates` (searched in the order given, until nothing is left to
    find) that `wanted` stand for, and the wanted ones found nowhere."""
    index, left, found = _WantedIndex(wanted), set(wanted), []
    for warc in candidates:
        if not left:
            break
        for entry in _entries(warc):
            hits = [w for w in index.matching(entry) if w in left]
            if hits and _member(entry) is not None:   # not a stale index line of a cut file
                found.append(entry)
                left.difference_update(hits)
    return found, [w for w in wanted if w in left]


def _member(entry: IndexEntry) -> bytes | None:
    """The gzip member holding `entry`'s record (a record of an uncompressed WARC gzipped on
    its own), or None when the file does not hold a whole record there."""
    try:
        with open(entry.source, "rb") as fh:
            fh.seek(entry.offset)
            member = fh.read(entry.length)
    except OSError:
        return None
    if len(member) != entry.length or not member.startswith((GZIP_MAGIC, b"WARC/")):
        return None
    return member if member.startswith(GZIP_MAGIC) else records.gzip_member(member, 6)


def copy_records(entries: list[IndexEntry], output: Path, *, description: str) -> Path:
    """Write `entries`' records, each the gzip member it is in its file, into `output`,
    after a warcinfo record saying where they come from."""
    warcinfo = records.warc_fields([("software", "newsarchive (archives.originals)"),
                                    ("format", "WARC File Format 1.1"),
                                    ("description", description),
                                    ("source", ", ".join(sorted({Path(e.source).name for e in entries})))])
    head = [("WARC-Type", "warcinfo"), ("WARC-Record-ID", records.new_record_id()),
            ("WARC-Date", records.warc_date()), ("WARC-Filename", output.name),
            ("WARC-Block-Digest", records.sha1_digest(warcinfo)),
            ("Content-Type", records.WARC_FIELDS)]
    with open(output, "wb") as out:
        out.write(records.gzip_member(records.serialize(records.WARC_1_1, head, warcinfo), 6))
        for entry in sorted(entries, key=lambda e: (e.source, e.offset)):
            member = _member(entry)
            if member is None:   # the file changed since find_originals() read it
                raise ArchiveError(f"{entry.source}: offset {entry.offset}: no whole record of "
                                   f"{entry.length} bytes there any more")
            out.write(member)
    return output
