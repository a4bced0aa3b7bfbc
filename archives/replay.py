"""Answer "what did URL X look like?" from WARC files, directories and WACZ packages.

`Archive.open(paths)` indexes its inputs (`archives.index`) and `Archive.load(entry)`
returns the archived exchange as `Replayed`: status, headers and payload as the
crawler received them, with revisit records resolved to the payload they stand
for. `scrapy_response()` turns that into the Scrapy Response a spider would have
seen; it is the only function here that needs Scrapy (imported when called).
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import logging
import os
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Callable

from archives.names import cdxj_path_for, is_wacz_path, is_warc_path
from archives.index import ArchiveIndex, IndexEntry, PlausibleEntries, cdxj_lines, parse_cdxj_line
from archives.reader import (DEFAULT_MAX_BYTES, ArchiveError, Problem, Record, decode_content,
                             named_values, read_record, stored_decoded)

logger = logging.getLogger(__name__)

# Headers a live Scrapy response never has: Twisted's HTTP/1.1 client keeps connection
# control headers apart (twisted.web._newclient.HTTPParser.CONNECTION_CONTROL_HEADERS),
# and our writer stores Transfer-Encoding renamed (archives.records.ORIG_PREFIX).
CONNECTION_HEADERS = {"content-length", "connection", "keep-alive", "te", "trailers",
                      "transfer-encoding", "upgrade", "proxy-connection",
                      "x-archive-orig-transfer-encoding"}
# WARC-Truncated values our writer derives from Scrapy's response flags.
_TRUNCATION_FLAGS = {"disconnect": "dataloss", "unspecified": "download_stopped"}


class ReplayError(ArchiveError):
    """An indexed capture cannot be served (stale index, revisit without its original)."""


@dataclass
class Replayed:
    """One archived HTTP response, ready to hand back to a crawler."""

    url: str                       # WARC-Target-URI
    status: int
    protocol: str                  # "HTTP/1.1"
    headers: list[tuple[str, str]]
    payload: bytes                 # transfer coding undone, Content-Encoding kept
    record: Record                 # the record the index points at (response or revisit)
    original: Record | None = None  # for a revisit: the response whose payload is served

    @property
    def location(self) -> dict:
        return self.record.location

    @property
    def date(self) -> str | None:
        return self.record.date

    @property
    def truncated(self) -> bool:
        source = self.original or self.record
        return source.truncated or bool(source.warc("WARC-Truncated"))

    def header(self, name: str) -> list[str]:
        return named_values(self.headers, name)

    def body(self) -> bytes:
        """The payload with Content-Encoding undone (TooLarge past the record's max_bytes)."""
        source = self.original or self.record
        return decode_content(self.payload, self.header("Content-Encoding"), source.max_bytes)


def replayed_from(record: Record, original: Record | None = None) -> Replayed:
    """Status and headers from `record`; payload from `original` when it is a revisit."""
    source = original if original is not None else record
    http = record.http_headers or source.http_headers
    if http is None or source.payload is None:
        raise ReplayError(f"{record.filename}: offset {record.offset}: not an HTTP response record")
    headers = list(http.headers)
    return Replayed(url=record.target_uri, status=int(http.get_statuscode()),
                    protocol=http.protocol or "HTTP/1.1", headers=headers,
                    payload=source.payload, record=record, original=original)


class Sources:
    """Openers for every WARC named by the inputs: files, files in directories, WACZ members."""

    def __init__(self):
        self.openers: dict[str, Callable[[], BinaryIO]] = {}
        self._zips: list[zipfile.ZipFile] = []

    def add_file(self, path: Path) -> str:
        key = str(path)
        self.openers[key] = lambda: open(path, "rb")
        return key

    def add_zip_member(self, archive: zipfile.ZipFile, wacz: Path, member: str) -> str:
        key = f"{wacz}#{member}"
        self.openers[key] = lambda: archive.open(member)
        return key

    def open(self, key: str) -> BinaryIO:
        return self.openers[key]()

    def close(self) -> None:
        for archive in self._zips:
            archive.close()
        self._zips.clear()


class Archive:
    """An index over WARCs/WACZs plus the means to read what it points at."""

    def __init__(self, index: ArchiveIndex, sources: Sources, max_bytes: int = DEFAULT_MAX_BYTES):
        self.index = index
        self.sources = sources
        self.max_bytes = max_bytes  # ARCHIVE_READ_MAX_SIZE: per record payload, decoded body, index
        self.files = 0
        self.indexed_from_cdxj = 0

    @classmethod
    def open(cls, paths, max_bytes: int = DEFAULT_MAX_BYTES) -> "Archive":
        """Index `paths` (WARC files, directories of them, .wacz files); raise ArchiveError
        if one does not exist or nothing at all is found. No record payload, decoded body or
        index over `max_bytes` is read (each is a problem)."""
        archive = cls(ArchiveIndex(), Sources(), max_bytes)
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        for path in paths:
            path = Path(path)
            if path.is_dir():
                found = sorted(p for p in path.rglob("*")
                               if p.is_file() and (is_warc_path(p) or is_wacz_path(p)))
                for file in found:
                    archive._add(file)
            elif path.is_file():
                archive._add(path)
            else:
                raise ArchiveError(f"{path}: no such file or directory")
        if not archive.files:
            raise ArchiveError(f"no WARC or WACZ files in {', '.join(map(str, paths))}")
        return archive

    def _add(self, path: Path) -> None:
        if is_wacz_path(path):
            self._add_wacz(path)
            return
        key = self.sources.add_file(path)
        self.files += 1
        cdxj = cdxj_path_for(path)
        if cdxj.is_file() and cdxj.stat().st_mtime >= path.stat().st_mtime:
            with open(cdxj, "rb") as fh:
                lines = (line for line in cdxj_lines(fh, str(cdxj), self.index.problems, self.max_bytes)
                         if _cdxj_filename_is(line, path.name))
                self.index.add_cdxj_checked(lines, key, path.stat().st_size)
            self.indexed_from_cdxj += 1
        else:
            self.index.add_warc(key, path.name)

    def _add_wacz(self, path: Path) -> None:
        try:
            package = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ArchiveError(f"{path}: not a WACZ (zip) file: {exc}") from exc
        self.sources._zips.append(package)
        members = {name.rsplit("/", 1)[-1]: name for name in package.namelist()
                   if name.startswith("archive/") and is_warc_path(name)}
        keys = {}
        for filename, member in sorted(members.items()):
            keys[filename] = self.sources.add_zip_member(package, path, member)
            self.files += 1
        indexed = set()
        for name in ("indexes/index.cdxj", "indexes/index.cdx", "indexes/index.cdx.gz"):
            if name in package.namelist():
                plausible = {filename: PlausibleEntries(package.getinfo(member).file_size)
                             for filename, member in members.items()}
                where = f"{path}#{name}"
                try:
                    with package.open(name) as fh:
                        # ZipNum: gzip members of CDXJ lines
                        stream = gzip.GzipFile(fileobj=fh) if name.endswith(".gz") else fh
                        for line in cdxj_lines(stream, where, self.index.problems, self.max_bytes):
                            entry = parse_cdxj_line(line, "") if line.strip() else None
                            if entry is not None and entry.filename in keys:
                                plausible[entry.filename].add(replace(entry, source=keys[entry.filename]))
                except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                    self.index.problems.append(Problem(where, None, f"unreadable index: {exc}"))
                for filename, entries in plausible.items():
                    kept = entries.entries()
                    if entries.dropped:
                        self.index.problems.append(Problem(where, None, f"{entries.dropped} index line(s) for "
                                                   f"{filename} pointing outside it or into another record ignored"))
                    for entry in kept:
                        self.index.add(entry)
                    if kept:
                        indexed.add(filename)
                break
        for filename, key in keys.items():
            if filename not in indexed:
                self.index.add_warc(key, filename, opener=self.sources.openers[key])
            else:
                self.indexed_from_cdxj += 1

    @property
    def problems(self):
        return self.index.problems

    def captures(self, url: str) -> list[IndexEntry]:
        return self.index.lookup(url)

    def read(self, entry: IndexEntry) -> Record:
        with self.sources.open(entry.source) as fh:
            record = read_record(entry.source, entry.offset, fileobj=fh, max_bytes=self.max_bytes)
        if record.target_uri != entry.url:
            raise ReplayError(f"{entry.source}: offset {entry.offset}: index says {entry.url}, "
                              f"record is {record.target_uri} (stale index?)")
        return record

    def load(self, entry: IndexEntry) -> Replayed:
        record = self.read(entry)
        if record.type != "revisit":
            return replayed_from(record)
        original_entry = self.index.resolve_revisit(record)
        if original_entry is None:
            raise ReplayError(f"{entry.source}: offset {entry.offset}: revisit of {entry.url} "
                              f"({record.payload_digest}): original response not in the archive")
        return replayed_from(record, self.read(original_entry))

    def get(self, url: str, which: int = -1) -> Replayed | None:
        """Capture number `which` of `url` in time order (default: the latest), or None."""
        entries = self.captures(url)
        return self.load(entries[which]) if entries else None

    def close(self) -> None:
        self.sources.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _cdxj_field(line: str, name: str):
    try:
        return json.loads(line.split(" ", 2)[2]).get(name)
    except (IndexError, ValueError, AttributeError):
        return None


def _cdxj_filename_is(line: str, filename: str) -> bool:
    value = _cdxj_field(line, "filename")
    return value is None or os.path.basename(value) == filename


def scrapy_response(replayed: Replayed, request=None, *, url: str | None = None,
                    decode: bool = False, flags=()):
    """The Scrapy Response for an archived exchange.

    `decode=False` gives the body as the download handler would (content-encoded;
    HttpCompressionMiddleware decodes it); `decode=True` gives what a callback sees
    after that middleware (body decoded, Content-Encoding header dropped).
    """
    from scrapy.http import Headers
    from scrapy.responsetypes import responsetypes

    url = url or (request.url if request is not None else replayed.url)
    head_request = request is not None and request.method == "HEAD"
    length, chunked = _framing(replayed, head_request)
    pairs = [(k, v) for k, v in replayed.headers if k.lower() not in CONNECTION_HEADERS
             or (head_request and k.lower() == "content-length")]
    if length is not None and not (head_request and replayed.header("Content-Length")):
        pairs.insert(0, ("Content-Length", str(length)))  # as Scrapy's handler adds it
    headers = Headers(pairs)
    flags = list(flags) + _live_flags(replayed, length, chunked)
    body = replayed.payload
    if head_request:
        body = b""
    elif decode and headers.getlist("Content-Encoding"):
        body = replayed.body()
        del headers["Content-Encoding"]
    elif headers.getlist("Content-Encoding") and stored_decoded(body, replayed.header("Content-Encoding")):
        del headers["Content-Encoding"]  # archived decoded: served as it is, as pywb does
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    ip = replayed.record.warc("WARC-IP-Address")
    try:
        ip = ipaddress.ip_address(ip) if ip else None
    except ValueError:
        ip = None
    return cls(url=url, status=replayed.status, headers=headers, body=body, request=request,
               flags=flags, protocol=replayed.protocol, ip_address=ip)


def _framing(replayed: Replayed, head_request: bool) -> tuple[int | None, bool]:
    """(body length as Twisted parsed it, chunked?): Content-Length is re-added from it."""
    status = replayed.status
    if head_request or status in (204, 304) or 100 <= status < 200:
        return 0, False
    coding = replayed.header("Transfer-Encoding") + replayed.header("X-Archive-Orig-Transfer-Encoding")
    if any("chunked" in v.lower() for v in coding):
        return None, True
    for value in replayed.header("Content-Length"):
        try:
            return int(value.split(",")[0].strip()), False
        except ValueError:
            continue
    return None, False


def _live_flags(replayed: Replayed, length: int | None, chunked: bool) -> list[str]:
    """The flags Scrapy's HTTP/1.1 handler put on the live response."""
    source = replayed.original or replayed.record
    flag = _TRUNCATION_FLAGS.get((source.warc("WARC-Truncated") or "").lower())
    if flag:
        return [flag]
    if source.truncated or source.warc("WARC-Truncated") or (
            length is not None and not chunked and len(replayed.payload) < length):
        # cut short without a reason we know (another crawler's WARC-Truncated value, a record
        # shorter than its WARC Content-Length, a body shorter than its HTTP Content-Length):
        # what Scrapy's handler flags a body that stopped early with
        return ["dataloss"]
    if length is None and not chunked:
        return ["partial"]  # body read until the server closed the connection
    return []
