"""Where is URL X in these WARCs? A CDXJ-shaped index for replay and revisit resolution.

Entries come from the `.cdxj` file the writer puts next to each closed WARC
(`archives.cdxj.cdxj_path_for`) when there is one, else from reading the WARC
once (headers only) through `archives.reader`, which also reports damage. Both
paths give the same fields cdxj-indexer writes (SURT key, 14-digit timestamp,
url, mime, status, digest, offset, length, filename), so lookups do not care
where an entry came from.

A "source" is anything `open()`-able that yields a seekable binary file: a WARC
path, or a WARC inside a WACZ (`archives.replay` builds those).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterable, Iterator

from w3lib.url import safe_url_string

from archives.reader import DEFAULT_MAX_BYTES, Problem, Record, WarcReader

logger = logging.getLogger(__name__)

REVISIT_MIME = "warc/revisit"


def url_key(url: str) -> str:
    """SURT form, as cdxj-indexer and pywb key their indexes."""
    import surt  # (with requests) only where an index is read: a crawl alone never needs it

    try:
        return surt.surt(url)
    except Exception:
        return url


def exact_key(url: str) -> str:
    """The URL as Scrapy would request it (percent-encoding made uniform, no fragment)."""
    try:
        return safe_url_string(url.split("#", 1)[0])
    except Exception:
        return url


def timestamp14(warc_date: str | None) -> str:
    """`2014-03-25T12:12:28Z` (or with fractions) -> `20140325121228`."""
    digits = re.sub(r"\D", "", warc_date or "")
    return (digits + "0" * 14)[:14]


def normalize_digest(value: str | None) -> str | None:
    """`sha1:BASE32` and `sha1:hex` (warcio writes both in the wild) -> `sha1:BASE32`."""
    if not value:
        return None
    algo, _, encoded = value.strip().partition(":")
    if not encoded:
        return value.strip()
    algo = algo.lower()
    raw = None
    if re.fullmatch(r"[0-9a-fA-F]+", encoded) and len(encoded) % 2 == 0 and len(encoded) >= 32:
        try:
            raw = bytes.fromhex(encoded)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b32decode(encoded.upper() + "=" * (-len(encoded) % 8))
        except (binascii.Error, ValueError):
            return f"{algo}:{encoded}"
    return f"{algo}:{base64.b32encode(raw).decode('ascii').rstrip('=')}"


@dataclass(frozen=True)
class IndexEntry:
    """One response or revisit record, as a CDXJ line describes it."""

    urlkey: str
    timestamp: str
    url: str
    status: int | None
    mime: str | None
    digest: str | None
    offset: int
    length: int
    source: str           # key of the source the record is in (see Sources)
    filename: str         # as written in CDXJ: relative to the WARC's directory

    @property
    def is_revisit(self) -> bool:
        return self.mime == REVISIT_MIME


def entry_from_record(record: Record, source: str, filename: str) -> IndexEntry | None:
    """The index entry of a response/revisit record with an HTTP status (or of a resource
    record of a web URL, a 200), else None."""
    if record.type not in ("response", "revisit", "resource") or record.status is None \
            or not record.target_uri:
        return None
    if record.type == "revisit":
        mime = REVISIT_MIME
    else:
        mime = (record.header("Content-Type") or "").split(";")[0].strip() or None
    return IndexEntry(url_key(record.target_uri), timestamp14(record.date), record.target_uri,
                      record.status, mime, normalize_digest(record.payload_digest),
                      record.offset, record.length, source, filename)


def parse_cdxj_line(line: str, source: str) -> IndexEntry | None:
    """An entry from a CDXJ line (None for lines that are not HTTP responses/revisits)."""
    try:
        key, timestamp, blob = line.rstrip("\n").split(" ", 2)
        fields = json.loads(blob)
        status = int(fields["status"]) if fields.get("status") not in (None, "", "-") else None
        if status is None or not fields.get("url"):
            return None
        return IndexEntry(key, timestamp, fields["url"], status, fields.get("mime"),
                          normalize_digest(fields.get("digest")), int(fields["offset"]),
                          int(fields["length"]), source, fields.get("filename", ""))
    except (ValueError, KeyError, TypeError):
        return None


MAX_CDXJ_LINE = 64 * 1024  # cdxj-indexer's lines are a few hundred bytes; a URL may be long


def cdxj_lines(stream: BinaryIO, where: str, problems: list, max_bytes: int = DEFAULT_MAX_BYTES
               ) -> Iterator[str]:
    """Lines of a CDXJ index read in blocks: a line past MAX_CDXJ_LINE is skipped and the
    index past `max_bytes` ignored, each with one problem (an index in a WACZ is a zip member
    or a gzip stream that can inflate to any size, in one line or billions)."""
    carry, total, long_lines, skipping = b"", 0, 0, False
    while chunk := stream.read(1 << 16):
        total += len(chunk)
        if max_bytes and total > max_bytes:
            problems.append(Problem(where, None, f"index larger than {max_bytes} bytes: the rest "
                                                 "is not read (ARCHIVE_READ_MAX_SIZE)"))
            break
        if skipping:  # the rest of an over-long line
            if b"\n" not in chunk:
                continue
            chunk, skipping = chunk.split(b"\n", 1)[1], False
        parts = (carry + chunk).split(b"\n")
        carry = parts.pop()
        yield from (part.decode("utf-8", "replace") for part in parts)
        if len(carry) > MAX_CDXJ_LINE:
            long_lines, carry, skipping = long_lines + 1, b"", True
    else:
        if carry and not skipping:
            yield carry.decode("utf-8", "replace")
    if long_lines:
        problems.append(Problem(where, None, f"{long_lines} index line(s) longer than "
                                             f"{MAX_CDXJ_LINE} bytes skipped"))


class PlausibleEntries:
    """Entries of one WARC of `size` bytes from index lines, kept only if they can point at a
    record: inside the file, one per offset, not inside the record before them. An index
    (a WACZ member can inflate to gigabytes of one line repeated) then costs at most one
    entry per record start, however many lines it has."""

    def __init__(self, size: int | None):
        self.size = size
        self.by_offset: dict[int, IndexEntry] = {}
        self.dropped = 0

    def add(self, entry: IndexEntry) -> None:
        inside = entry.offset >= 0 and entry.length > 0 and (
            self.size is None or entry.offset + entry.length <= self.size)
        if not inside or entry.offset in self.by_offset:
            self.dropped += 1
            return
        self.by_offset[entry.offset] = entry

    def entries(self) -> list[IndexEntry]:
        kept, end = [], -1
        for offset in sorted(self.by_offset):
            entry = self.by_offset[offset]
            if offset < end:
                self.dropped += 1
                continue
            kept.append(entry)
            end = offset + entry.length
        return kept


class ArchiveIndex:
    """Entries by URL (exact, then SURT) and by payload digest, captures in time order."""

    def __init__(self):
        self._exact: dict[str, list[IndexEntry]] = defaultdict(list)
        self._surt: dict[str, list[IndexEntry]] = defaultdict(list)
        self._digest: dict[str, list[IndexEntry]] = defaultdict(list)
        self.problems: list[Problem] = []
        self._sorted = True
        self.size = 0

    def add(self, entry: IndexEntry) -> None:
        self._exact[exact_key(entry.url)].append(entry)
        self._surt[entry.urlkey].append(entry)
        if entry.digest and not entry.is_revisit:
            self._digest[entry.digest].append(entry)
        self._sorted = False
        self.size += 1

    def _sort(self) -> None:
        if not self._sorted:
            for table in (self._exact, self._surt, self._digest):
                for entries in table.values():
                    entries.sort(key=lambda e: e.timestamp)  # stable: file order breaks ties
            self._sorted = True

    def add_cdxj(self, lines: Iterable[str], source: str) -> int:
        count = 0
        for line in lines:
            entry = parse_cdxj_line(line, source) if line.strip() else None
            if entry is not None:
                self.add(entry)
                count += 1
        return count

    def add_cdxj_checked(self, lines: Iterable[str], source: str, size: int | None) -> int:
        """Entries of `source` from CDXJ lines, only those PlausibleEntries keeps."""
        plausible = PlausibleEntries(size)
        for line in lines:
            entry = parse_cdxj_line(line, source) if line.strip() else None
            if entry is not None:
                plausible.add(entry)
        kept = plausible.entries()
        if plausible.dropped:
            self.problems.append(Problem(source, None, f"{plausible.dropped} index line(s) pointing outside "
                                                       "the file or into another record ignored"))
        for entry in kept:
            self.add(entry)
        return len(kept)

    def add_warc(self, source: str, filename: str, opener: Callable | None = None) -> int:
        """Index one WARC by reading it (headers only); its problems land in `self.problems`."""
        count = 0
        fileobj = opener() if opener else None
        try:
            reader = WarcReader(source, fileobj=fileobj)
            for record in reader.records(payload=False):
                entry = entry_from_record(record, source, filename)
                if entry is not None:
                    self.add(entry)
                    count += 1
            self.problems += reader.problems
        finally:
            if fileobj is not None:
                fileobj.close()
        return count

    def lookup(self, url: str) -> list[IndexEntry]:
        """Captures of `url`, oldest first: exact URL matches if any, else same SURT key."""
        self._sort()
        return list(self._exact.get(exact_key(url)) or self._surt.get(url_key(url)) or [])

    def urls(self) -> list[str]:
        return sorted({e.url for entries in self._exact.values() for e in entries})

    def entries(self) -> list[IndexEntry]:
        self._sort()
        return [e for entries in self._exact.values() for e in entries]

    def resolve_revisit(self, record: Record) -> IndexEntry | None:
        """The response whose payload a revisit record stands for.

        By WARC-Refers-To-Target-URI/-Date when present (WARC 1.1, warcio, our writer),
        else by (URI, payload digest) as Heritrix writes them, else by digest alone
        (uri-agnostic revisits).
        """
        self._sort()
        digest = normalize_digest(record.payload_digest)
        candidates = self._digest.get(digest, []) if digest else []
        refers_uri = record.warc("WARC-Refers-To-Target-URI")
        refers_date = record.warc("WARC-Refers-To-Date")
        if refers_uri:
            same_uri = [e for e in self.lookup(refers_uri) if not e.is_revisit]
            if refers_date:
                when = timestamp14(refers_date)
                dated = [e for e in same_uri if e.timestamp == when]
                if dated:
                    matching = [e for e in dated if digest and e.digest == digest]
                    return (matching or dated)[0]
            matching = [e for e in same_uri if digest and e.digest == digest]
            if matching:
                return matching[-1]
        if not candidates:
            return None
        target = exact_key(record.target_uri or "")
        same = [e for e in candidates if exact_key(e.url) == target]
        before = [e for e in (same or candidates) if e.timestamp <= timestamp14(record.date)]
        return (before or same or candidates)[-1]
