"""Reading WARC files, ours or anyone's, without trusting them.

A thin layer over warcio that adds what replay, re-extraction and checking all
need and warcio leaves to the caller:

- every record comes with its place in the file (gzip member offset/length),
  so it can be read again later by seeking;
- HTTP payloads are de-chunked (Heritrix, wget and warcio store
  `Transfer-Encoding: chunked` bodies as sent); `Record.body()` also undoes
  `Content-Encoding`;
- damage is reported, not raised and not ignored: a block shorter than its
  Content-Length, a gzip member that ends mid-stream (warcio check passes both),
  a failed digest, or a record warcio cannot parse (reading then resumes at the
  next record start found in the file);
- nothing in the file decides how much memory reading it takes: a Content-Length
  that is not a plain number (2^63+5, -5) makes the record unreadable instead of
  reaching warcio's arithmetic, header lines and heads are capped, and a payload
  or decoded body past `max_bytes` (ARCHIVE_READ_MAX_SIZE) is reported and
  skipped: a 2 MB file can hold a record that inflates to 2 GiB, and a
  `Content-Encoding: gzip, gzip` body can inflate a thousand times more again.

No Scrapy imports: the crawl, the commands and plain scripts share this.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader, DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser, StatusAndHeadersParserException

from archives.inflate import GZIP, RAW_DEFLATE, ZLIB, inflate_chunks
from archives.names import is_warc_path

GZIP_MAGIC = b"\x1f\x8b\x08"
_BUFSIZE = 1 << 16
# The largest payload or decoded body a reader holds in memory (ARCHIVE_READ_MAX_SIZE).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# The largest WARC or HTTP head (all its lines) and the longest line read: a crawl archives
# heads of 10,000 headers or a 200 KB header line as received, far below these.
MAX_HEAD_BYTES = 4 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
# Content-Length values beyond this are not a length (2^62: no disk holds such a record).
_MAX_CONTENT_LENGTH = 1 << 62
_DIGITS = re.compile(r"[0-9]{1,19}")
# WARC-Date: W3C-ISO8601 in UTC, to any precision WARC 1.0/1.1 allow.
_WARC_DATE = re.compile(r"\d{4}(-\d\d(-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?Z)?)?)?")


class MalformedRecord(ValueError):
    """A record header no reader should act on (a Content-Length that is not a length, a head
    without end)."""


class TooLarge(ValueError):
    """A payload or decoded body larger than the reader's `max_bytes`."""


# Everything warcio (and zlib underneath) raises on malformed input.
NOT_PER_RECORD_GZIP = ("one gzip stream for the whole file, not one per record (as `gzip file.warc` "
                       "makes): not read; `warcio recompress FILE NEW.warc.gz` makes a readable copy")
_PARSE_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, zlib.error, EOFError,
                 ValueError, IndexError, KeyError, AttributeError, TypeError, UnicodeDecodeError,
                 OverflowError)


class ArchiveError(Exception):
    """A WARC cannot be read at all (missing, not a WARC)."""


@dataclass(frozen=True)
class Problem:
    """Something wrong in a WARC, in one line: `file: offset N: message`."""

    filename: str
    offset: int | None
    message: str
    record_id: str | None = None

    def __str__(self) -> str:
        where = f"offset {self.offset}: " if self.offset is not None else ""
        rid = f" ({self.record_id})" if self.record_id else ""
        return f"{self.filename}: {where}{self.message}{rid}"


@dataclass
class Record:
    """One WARC record, read to its end. `payload` is None when not asked for."""

    filename: str
    offset: int
    length: int
    type: str
    warc_headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None
    payload: bytes | None = None
    problems: list[str] = field(default_factory=list)
    truncated: bool = False
    oversize: bool = False          # payload larger than max_bytes: not read (payload is None)
    max_bytes: int = DEFAULT_MAX_BYTES

    def warc(self, name: str, default: str | None = None) -> str | None:
        return self.warc_headers.get_header(name, default)

    def header(self, name: str, default: str | None = None) -> str | None:
        """An HTTP header of the archived message (first of its name)."""
        if self.http_headers is None:
            return default
        return self.http_headers.get_header(name, default)

    @property
    def record_id(self) -> str | None:
        return self.warc("WARC-Record-ID")

    @property
    def target_uri(self) -> str | None:
        return self.warc("WARC-Target-URI")

    @property
    def date(self) -> str | None:
        """WARC-Date as written, or None when it is not a WARC date (a problem of the record)."""
        value = self.warc("WARC-Date")
        return value if value is not None and _WARC_DATE.fullmatch(value) else None

    @property
    def payload_digest(self) -> str | None:
        return self.warc("WARC-Payload-Digest")

    @property
    def status(self) -> int | None:
        """HTTP status of a response/revisit record (200 for a web resource record), None for
        anything else."""
        if self.http_headers is None or self.type not in ("response", "revisit", "resource"):
            return None
        try:
            return int(self.http_headers.get_statuscode())
        except (TypeError, ValueError):
            return None

    @property
    def is_http_response(self) -> bool:
        return self.status is not None

    @property
    def location(self) -> dict:
        """The pointer items carry: {filename, offset, length, record_id}."""
        return {"filename": os.path.basename(self.filename), "offset": self.offset,
                "length": self.length, "record_id": self.record_id}

    def body(self) -> bytes:
        """The payload with Content-Encoding undone (what a browser would render)."""
        if self.payload is None:
            raise ValueError("record was read without its payload")
        return decode_content(self.payload, self.header_list("Content-Encoding"), self.max_bytes)

    def header_list(self, name: str) -> list[str]:
        if self.http_headers is None:
            return []
        return named_values(self.http_headers.headers, name)


# --- content decoding ------------------------------------------------------------
# Each decoder stops with TooLarge once its output passes `limit` bytes: a server can send,
# and a WARC keep, a few KB that inflate to gigabytes.

def _check(size: int, limit: int) -> None:
    if limit and size > limit:
        raise TooLarge(f"decodes to more than {limit} bytes")


def _zlib_stream(data: bytes, wbits: int, limit: int, *, members: bool) -> bytes:
    out = bytearray()
    for piece in inflate_chunks(data, wbits, members=members, chunk_size=_BUFSIZE):
        out += piece
        _check(len(out), limit)
    return bytes(out)


def _gunzip(data: bytes, limit: int = 0) -> bytes:
    # Several members may follow each other, as gzip writes them.
    return _zlib_stream(data, GZIP, limit, members=True)


def _inflate(data: bytes, limit: int = 0) -> bytes:
    try:
        return _zlib_stream(data, ZLIB, limit, members=False)
    except zlib.error:  # raw deflate, as some servers send it
        return _zlib_stream(data, RAW_DEFLATE, limit, members=False)


def _unbrotli(data: bytes, limit: int = 0) -> bytes:
    import brotli

    decompressor = brotli.Decompressor()
    out = bytearray(decompressor.process(data, output_buffer_limit=_BUFSIZE))
    _check(len(out), limit)
    while not decompressor.is_finished():
        chunk = decompressor.process(b"", output_buffer_limit=_BUFSIZE)
        if not chunk:
            break
        out += chunk
        _check(len(out), limit)
    return bytes(out)


def _unzstd(data: bytes, limit: int = 0) -> bytes:
    try:
        from compression import zstd
    except ImportError:
        from backports import zstd
    out = bytearray()
    with zstd.ZstdFile(io.BytesIO(data)) as stream:
        while chunk := stream.read(_BUFSIZE):
            out += chunk
            _check(len(out), limit)
    return bytes(out)


DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate, "br": _unbrotli, "zstd": _unzstd,
}


# Registered codings nobody here decodes: the body is unreadable, not plain.
UNDECODABLE = frozenset({"compress", "x-compress", "pack200-gzip", "exi"})


def _starts_like_markup(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def stored_decoded(payload: bytes, encodings) -> bool:
    """True when a body declared content-encoded was archived already decoded (a recorder
    kept the browser's decoded body and the server's headers): it starts like markup and
    the declared coding does not undo it. warcio and pywb read such a body as it is."""
    if not encodings or not _starts_like_markup(payload):
        return False
    try:
        decode_content(payload, encodings, 0, strict=True)
    except TooLarge:
        return False
    except ValueError:
        return True
    return False


def decode_content(payload: bytes, encodings, max_bytes: int = DEFAULT_MAX_BYTES, *,
                   strict: bool = False) -> bytes:
    """Undo `Content-Encoding` (a header value or a list of them), last applied first.

    A name that is no coding (`none`, `utf-8`) ends decoding, as it does in a browser and
    in the crawl; unless `strict`, so does a step that fails on a body starting like markup
    (no gzip, deflate or zstd stream does: it was stored decoded). Raises ValueError for a
    coding that cannot be undone or a body that is not what it claims, and
    TooLarge (a ValueError) when a step's output would pass `max_bytes` (0: no limit).
    """
    if isinstance(encodings, (str, bytes)):
        encodings = [encodings]
    names = []
    for value in encodings or ():
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        names += [v.strip().lower() for v in value.split(",") if v.strip()]
    for name in reversed(names):
        if name == "identity":
            continue
        decoder = DECODERS.get(name)
        if decoder is None:
            if name in UNDECODABLE:
                raise ValueError(f"unsupported Content-Encoding {name!r}")
            # Not a coding at all ("none", a charset): browsers and Scrapy's
            # HttpCompressionMiddleware stop decoding there and use the body as it is.
            break
        try:
            payload = decoder(payload, max_bytes)
        except TooLarge as exc:
            raise TooLarge(f"{name} body {exc} (ARCHIVE_READ_MAX_SIZE)") from None
        except Exception as exc:
            if not strict and _starts_like_markup(payload):
                break
            raise ValueError(f"body is not valid {name}: {exc}") from exc
    return payload


def dechunk(raw: bytes) -> bytes:
    """Undo HTTP chunked transfer coding; a body that is not really chunked is kept as is."""
    return ChunkedDataReader(io.BytesIO(raw)).read()


def named_values(pairs, name: str) -> list[str]:
    """Every value of header `name` (in any case) among `(name, value)` pairs, in order:
    warcio's `get_header` gives only the first, and a message may repeat a header."""
    name = name.lower()
    return [v for k, v in pairs if k.lower() == name]


# --- reading ------------------------------------------------------------------

def warc_files(paths) -> list[Path]:
    """WARC files named by `paths`: files as given, directories searched (sorted)."""
    found = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and is_warc_path(p))
        elif path.is_file():
            found.append(path)
        else:
            raise ArchiveError(f"{path}: no such file or directory")
    return found


def _read_all(stream, limit: int = 0) -> bytes | None:
    """The rest of `stream`, or None (the rest drained) if it is longer than `limit` bytes."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(_BUFSIZE)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if limit and size > limit:
            chunks.clear()
            _drain(stream)
            return None
        chunks.append(chunk)


def _drain(stream) -> None:
    while stream.read(_BUFSIZE):
        pass


def _resource_head(raw) -> StatusAndHeaders | None:
    """The head a `resource` record of an http(s) URL stands for: a 200 of its Content-Type.

    Such a record is a document kept without its HTTP exchange (warcit's saved pages); pywb
    serves it as that URL's response, and so do replay and reextract."""
    if raw.rec_type != "resource":
        return None
    uri = (raw.rec_headers.get_header("WARC-Target-URI") or "").lower()
    if not uri.startswith(("http://", "https://")):
        return None
    content_type = raw.rec_headers.get_header("Content-Type")
    return StatusAndHeaders("200 OK", [("Content-Type", content_type)] if content_type else [],
                            protocol="HTTP/1.1")


def _is_chunked(http_headers) -> bool:
    te = http_headers.get_header("Transfer-Encoding") if http_headers else None
    return bool(te) and "chunked" in te.lower()


class _HeadReader:
    """A stream seen by a head parser: at most MAX_HEAD_BYTES of lines, then MalformedRecord.

    warcio reads WARC and HTTP heads line by line until a blank line, keeping every
    line: a head of a billion short lines would otherwise be kept whole."""

    def __init__(self, stream, what: str):
        self._stream = stream
        self._what = what
        self._room = MAX_HEAD_BYTES

    def readline(self, length=None):
        if self._room <= 0:
            raise MalformedRecord(f"{self._what} head longer than {MAX_HEAD_BYTES} bytes")
        length = self._room if length is None or length < 0 else min(length, self._room)
        line = self._stream.readline(length)
        self._room -= len(line)
        return line

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _HttpStatusParser(StatusAndHeadersParser):
    """warcio's HTTP response head parser, taking any `HTTP/<major>[.<minor>]` version.

    Zeno/gowarc and curl-style captures keep the `HTTP/2 200` line of an HTTP/2 answer;
    warcio's own readers (`warcio check`/`index`, cdxj-indexer, pywb's indexer) do not check
    the version at all and read such a record as a 200 (pywb 2's replay refuses it). A first
    line that is no HTTP status line stays an unreadable record."""

    _VERSION = re.compile(r"HTTP/[0-9](?:\.[0-9])?(?= |$)", re.IGNORECASE)

    def split_prefix(self, key, prefixes):
        match = self._VERSION.match(key)
        if match is None:
            return None
        return key[:match.end()].upper(), key[match.end():]


class _StrictLoader(ArcWarcRecordLoader):
    """warcio's record loader with heads capped and Content-Length checked before use."""

    def __init__(self):
        super().__init__()
        self.http_parser = _HttpStatusParser(self.HTTP_TYPES)

    def _detect_type_load_headers(self, stream, statusline=None, known_format=None):
        the_format, headers = super()._detect_type_load_headers(
            _HeadReader(stream, "WARC"), statusline, known_format)
        name = "length" if the_format == "arc" else "Content-Length"
        value = headers.get_header(name)
        if value is None:
            raise MalformedRecord(f"no {name}")
        if not _DIGITS.fullmatch(value.strip()) or int(value) > _MAX_CONTENT_LENGTH:
            raise MalformedRecord(f"bad {name} {value[:40]!r}")
        return the_format, headers

    def load_http_headers(self, rec_type, uri, stream, length):
        if uri is None and rec_type in self.HTTP_RECORDS:
            raise MalformedRecord("no WARC-Target-URI")
        return super().load_http_headers(rec_type, uri, _HeadReader(stream, "HTTP"), length)


class _LineCappedReader(DecompressingBufferedReader):
    """warcio's reader, with no line longer than MAX_LINE_BYTES: between records warcio reads
    whole lines looking for the next head, and a line can be gigabytes of junk."""

    def readline(self, length=None):
        if length is None or length < 0 or length > MAX_LINE_BYTES:
            length = MAX_LINE_BYTES
        return super().readline(length)


def _archive_iterator(fh, check_digests: bool) -> ArchiveIterator:
    it = ArchiveIterator(fh, check_digests=check_digests)
    # Swapped before the iteration starts: the iterator looks both up as it goes.
    it.reader = _LineCappedReader(it.fh, block_size=it.reader.block_size)
    it.loader = _StrictLoader()
    return it


class WarcReader:
    """Iterate a WARC (gzip or plain) record by record, collecting problems on the way.

    `payload` decides which records have their payload kept in memory: True, False,
    or a function of the (header-only) Record; a payload past `max_bytes` (0: no limit)
    is not kept (`record.oversize`, a problem). Problems found while reading are in
    `record.problems` (record-level) and `reader.problems` (all of them).
    """

    def __init__(self, path, *, fileobj: BinaryIO | None = None, check_digests: bool = False,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        self.path = str(path)
        self._fileobj = fileobj
        self.check_digests = check_digests
        self.max_bytes = max_bytes
        self.problems: list[Problem] = []
        self.damaged: list[Problem] = []   # of those, bytes missing or unreadable: the file is not whole
        self.records_read = 0

    @contextlib.contextmanager
    def _open(self):
        if self._fileobj is not None:
            yield self._fileobj
            return
        try:
            fh = open(self.path, "rb")
        except OSError as exc:
            raise ArchiveError(f"{self.path}: {exc.strerror or exc}") from exc
        with fh:
            yield fh

    def _problem(self, offset, message, record_id=None) -> Problem:
        problem = Problem(self.path, offset, message, record_id)
        self.problems.append(problem)
        return problem

    def __iter__(self) -> Iterator[Record]:
        return self.records()

    def records(self, payload: bool | Callable[[Record], bool] = True) -> Iterator[Record]:
        with self._open() as fh:
            fh.seek(0)
            head = fh.read(4)
            if not head:
                self._problem(0, "empty file")
                return
            gzipped = head[:3] == GZIP_MAGIC
            start: int | None = 0
            while start is not None:
                fh.seek(start)
                it = _archive_iterator(fh, self.check_digests)
                try:
                    records = iter(it)
                    resume = None
                    while True:
                        with contextlib.redirect_stderr(io.StringIO()):
                            try:
                                raw = next(records)
                            except StopIteration:
                                break
                        record = self._record(it, raw, payload, gzipped)
                        if gzipped and record.length <= 0:
                            # The gzip member goes on past the record: `gzip crawl.warc` made one
                            # stream of the whole file. Nothing in it has an offset to point at.
                            self._problem(record.offset, NOT_PER_RECORD_GZIP)
                            return
                        yield record
                        if record.truncated and not gzipped:
                            # An uncompressed block that claimed more bytes than the file
                            # holds swallowed what followed it: look for the next head in it.
                            resume = _next_record_start(fh, record.offset + 1, gzipped)
                            break
                    start = resume
                except _PARSE_ERRORS as exc:
                    bad = it.offset if it.offset is not None and it.offset >= start else start
                    start = _next_record_start(fh, bad + 1, gzipped)
                    after = (f"skipped {start - bad} bytes to the next record at offset {start}"
                             if start is not None else "nothing readable after it")
                    self.damaged.append(self._problem(bad, f"unreadable record ({describe_error(exc)}); {after}"))

    def _record(self, it, raw, payload, gzipped) -> Record:
        offset = it.offset
        http = raw.http_headers or _resource_head(raw)
        record = Record(filename=self.path, offset=offset, length=0, type=raw.rec_type,
                        warc_headers=raw.rec_headers, http_headers=http, max_bytes=self.max_bytes)
        keep = payload(record) if callable(payload) else payload
        stream = raw.raw_stream
        if keep:
            data = _read_all(stream, self.max_bytes)
            if data is None:
                record.oversize = True
                record.problems.append(f"payload larger than {self.max_bytes} bytes: not read "
                                       "(ARCHIVE_READ_MAX_SIZE)")
            else:
                record.payload = dechunk(data) if _is_chunked(http) else data
        else:
            _drain(stream)
        missing = getattr(stream, "limit", 0) or 0
        errors_before = it.err_count
        with contextlib.redirect_stderr(io.StringIO()):
            it.read_to_end()
        record.offset, record.length = it.member_info
        self.records_read += 1

        declared = raw.rec_headers.get_header("Content-Length")
        cut = []
        if missing > 0:
            cut.append(f"block has {int(declared) - missing} of {declared} bytes (Content-Length)")
        decompressor = it.reader.decompressor if it.reader else None
        if gzipped and decompressor is not None and not decompressor.eof and not it.next_line:
            cut.append("gzip stream ends unexpectedly")
        date = record.warc("WARC-Date")
        if date is not None and record.date is None:
            record.problems.append(f"bad WARC-Date {date[:40]!r}")
        cut_note = "truncated: " + "; ".join(cut) if cut else None
        if cut_note:
            record.truncated = True
            record.problems.append(cut_note)
        elif record.type != "continuation" and record.warc("WARC-Segment-Number") is not None:
            # WARC 1.1 section 5.14: the rest of the block is in `continuation` records, maybe in
            # another file; warcio, pywb and this reader do not join them.
            record.truncated = True
            record.problems.append("first segment of a segmented record (WARC-Segment-Number): its "
                                   "continuation records are not joined, so it is read as cut short")
        if it.err_count > errors_before:
            record.problems.append("record not followed by a blank line: Content-Length may be wrong")
        checker = raw.digest_checker
        if checker is not None and checker.passed is False:
            record.problems += [f"digest: {p}" for p in checker.problems]
        for message in record.problems:
            problem = self._problem(record.offset, f"{record.type} {record.target_uri or ''}: {message}"
                                    .replace("  ", " "), record.record_id)
            if message is cut_note:
                self.damaged.append(problem)
        return record


def describe_error(exc: Exception) -> str:
    """An exception as one short printable line (warcio quotes raw bytes in messages)."""
    text = " ".join(str(exc).split())
    if sum(not (c.isascii() and c.isprintable()) for c in text) > len(text) // 10:
        text = text.split(":", 1)[0] + ": binary data (corrupt compressed data?)"
    text = "".join(c if c.isascii() and c.isprintable() else "?" for c in text)
    if len(text) > 120:
        text = text[:117] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _next_record_start(fh, position: int, gzipped: bool) -> int | None:
    """Offset of the next plausible record start at or after `position`, if any."""
    needle = GZIP_MAGIC if gzipped else b"WARC/"
    fh.seek(position)
    carry = b""
    base = position
    while True:
        chunk = fh.read(_BUFSIZE)
        if not chunk:
            return None
        data = carry + chunk
        index = data.find(needle)
        while index != -1:
            candidate = base - len(carry) + index
            if gzipped or index == 0 and candidate == position or data[index - 1:index] == b"\n":
                return candidate
            index = data.find(needle, index + 1)
        carry = data[-(len(needle) - 1):]
        base += len(chunk)


def read_record(path, offset: int, *, fileobj: BinaryIO | None = None,
                check_digests: bool = False, max_bytes: int = DEFAULT_MAX_BYTES) -> Record:
    """The one record starting at `offset` (as an index gives it), payload included.

    ArchiveError if there is none, it cannot be parsed or its payload is over `max_bytes`."""
    reader = WarcReader(path, fileobj=fileobj, check_digests=check_digests, max_bytes=max_bytes)
    with reader._open() as fh:
        fh.seek(offset)
        head = fh.read(3)
        fh.seek(offset)
        it = _archive_iterator(fh, check_digests)
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                raw = next(iter(it))
            record = reader._record(it, raw, True, head == GZIP_MAGIC)
        except StopIteration:
            raise ArchiveError(f"{path}: no record at offset {offset}") from None
        except _PARSE_ERRORS as exc:
            raise ArchiveError(f"{path}: offset {offset}: unreadable record ({describe_error(exc)})") from None
    if record.oversize:
        raise ArchiveError(f"{path}: offset {offset}: {record.problems[-1]}")
    return record


def iter_records(paths, *, payload: bool | Callable[[Record], bool] = True,
                 problems: list | None = None, check_digests: bool = False,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Record]:
    """Records of every WARC in `paths` (files or directories), in file order."""
    for path in warc_files(paths):
        reader = WarcReader(path, check_digests=check_digests, max_bytes=max_bytes)
        try:
            yield from reader.records(payload)
        finally:
            if problems is not None:
                problems.extend(reader.problems)
