"""Append-only WARC files: request/response pairs, revisits, metadata, rotation.

Every record is one gzip member, written whole and flushed, so a crash loses at
most the record being written (archives.recovery cuts it off on the next start).
A file being written is named `*.warc.gz.open` and holds an exclusive flock, so a
second writer in the same directory never finalizes a file still in use.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

from archives import cdxj as cdxj_index
from archives import records
from archives.appendfile import append_whole
from archives.digests import DigestIndex, Original
from archives.names import OPEN_SUFFIX, WARC_SUFFIX

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class RecordLocation:
    """Where one record lives: the gzip member at `offset` of `length` bytes (as CDXJ has it)."""

    filename: str
    offset: int
    length: int
    record_id: str

    def as_meta(self) -> dict:
        return {"filename": self.filename, "offset": self.offset,
                "length": self.length, "record_id": self.record_id}


@dataclass(frozen=True)
class Capture:
    """What write_exchange() or commit() wrote: `response` is a revisit record when `is_revisit`."""

    response: RecordLocation
    request: RecordLocation
    payload_digest: str
    date: str
    is_revisit: bool = False
    refers_to: Original | None = None


@dataclass
class PreparedExchange:
    """An exchange made ready by prepare_exchange() outside the writer's lock, for commit().

    `response`/`request` are the gzip members built for the file whose warcinfo
    record is `warcinfo_id` (None: left for commit() to build).
    """

    url: str
    date: str
    head: bytes                  # response head, Transfer-Encoding renamed
    body: bytes
    request_block: bytes         # request head (credentials dropped) + body
    payload_digest: str
    request_payload_digest: str
    response_id: str
    request_id: str
    ip: list = field(default_factory=list)
    truncated: str | None = None
    not_modified: Original | None = None
    warcinfo_id: str = ""
    response: list[bytes] | None = None      # a gzip member as its chunks (records.gzip_parts)
    request: list[bytes] | None = None


def _timestamp17(now: datetime) -> str:
    return now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"


def _safe_host(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-") or "localhost"


class WarcWriter:
    """Writes WARC files named `{prefix}-{timestamp17}-{serial:05d}-{host}.warc.gz`."""

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        prefix: str = "crawl",
        max_size: int = 1_000_000_000,
        warc_version: str = records.WARC_1_1,
        warcinfo: Mapping[str, object] | Iterable[tuple[str, object]] | None = None,
        keep_credentials: bool = False,
        digest_index: DigestIndex | None = None,
        cdxj: bool = True,
        hostname: str | None = None,
        gzip_level: int = 5,
        recover: bool = True,
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = records.check_prefix(prefix)
        self.max_size = int(max_size)
        self.version = records.check_version(warc_version)
        self.keep_credentials = keep_credentials
        self.digest_index = digest_index
        self.cdxj = cdxj
        self.hostname = hostname or socket.gethostname()
        self.gzip_level = records.check_gzip_level(gzip_level)
        info = dict(warcinfo.items() if isinstance(warcinfo, Mapping) else warcinfo or ())
        info.setdefault("hostname", self.hostname)
        info.setdefault("format", f"WARC File Format {self.version}")
        info.setdefault("conformsTo", records.CONFORMS_TO[self.version])
        self.warcinfo = info
        self.closed_files: list[Path] = []
        self.recovered: list = []
        self._serial = 0
        self._fh = None
        self._name = ""
        self._index: cdxj_index.CdxjEntries | None = None    # the open file's lines (with cdxj)
        # The open file's warcinfo record id, or the next file's while none is open, so
        # prepare_exchange() knows which WARC-Warcinfo-ID its records will most likely carry.
        self._warcinfo_id = records.new_record_id()
        self._lock = threading.Lock()
        self._closed = False
        if recover:
            from archives.recovery import finalize_open_files

            self.recovered = finalize_open_files(self.directory, cdxj=cdxj)

    # -- files ---------------------------------------------------------------
    @property
    def current_path(self) -> Path | None:
        return self.directory / (self._name + OPEN_SUFFIX) if self._fh else None

    def bytes_written(self) -> int:
        """Bytes in this writer's files so far, closed and open (for progress reports)."""
        total = 0
        for path in self.closed_files:
            try:
                total += path.stat().st_size
            except OSError:
                pass
        fh = self._fh
        if fh is not None:
            try:
                total += fh.tell()
            except (OSError, ValueError):   # closed by another thread meanwhile
                pass
        return total

    def wrote(self, filename: str) -> bool:
        """Whether `filename` is one of this writer's files (open or closed)."""
        return (bool(self._name) and filename == self._name) or any(
            path.name == filename for path in self.closed_files)

    def _open_file(self) -> None:
        host = _safe_host(self.hostname)
        stamp = _timestamp17(datetime.now(timezone.utc))
        while True:
            name = f"{self.prefix}-{stamp}-{self._serial:05d}-{host}{WARC_SUFFIX}"
            self._serial += 1
            path = self.directory / name
            if path.exists():
                continue
            try:
                fh = open(str(path) + OPEN_SUFFIX, "xb", buffering=0)  # see _append
            except FileExistsError:
                continue
            break
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fh, self._name = fh, name
        self._index = cdxj_index.CdxjEntries() if self.cdxj else None
        block = records.warc_fields(self.warcinfo.items())
        try:
            self._append([self._record("warcinfo", self._warcinfo_id, records.warc_date(), block,
                                       content_type=records.WARC_FIELDS,
                                       extra=[("WARC-Filename", name)], warcinfo_id=None)])
        except BaseException:   # disk full before its first record: no empty file left behind
            self._fh, self._name, self._index = None, "", None
            fh.close()
            os.unlink(str(path) + OPEN_SUFFIX)
            raise
        logger.info("Writing WARC %s", path)

    def _close_file(self) -> None:
        fh, name = self._fh, self._name
        if fh is None:
            return
        self._fh = None
        self._warcinfo_id = records.new_record_id()
        final = self.directory / name
        try:
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(str(final) + OPEN_SUFFIX, final)
        finally:
            fh.close()
        self.closed_files.append(final)
        logger.info("Closed WARC %s (%d bytes)", final, final.stat().st_size)
        index, self._index = self._index, None
        if self.cdxj:
            try:
                if index is not None and index.exact:
                    index.write(final)
                else:
                    cdxj_index.write_cdxj(final)
            except OSError as exc:   # disk full: the WARC is whole; `cdxj-indexer` can index it later
                logger.error("Could not index %s: %s", final, exc)
            except Exception:
                logger.exception("Could not index %s", final)

    def rotate_if_full(self) -> None:
        if self._fh is not None and self._fh.tell() >= self.max_size:
            self._close_file()

    # -- records -------------------------------------------------------------
    def _record(self, rtype, record_id, date, block, *, content_type, warcinfo_id, url=None,
                extra=(), payload=None) -> list[bytes]:
        """One gzip member, as chunks; pure (no file, no lock), so prepare_exchange() can run it
        in a thread. `block` is bytes or a list of parts (a response's head and body): digested
        and compressed part by part, so a big body is never copied whole; what is held is the
        body and its compressed chunks (session 12 measured 4 more copies of a 60 MiB body)."""
        block = [block] if isinstance(block, (bytes, bytearray, memoryview)) else block
        headers = [("WARC-Type", rtype), ("WARC-Record-ID", record_id), ("WARC-Date", date)]
        if url is not None:
            headers.append(("WARC-Target-URI", url))
        headers += list(extra)
        if warcinfo_id:
            headers.append(("WARC-Warcinfo-ID", warcinfo_id))
        headers.append(("WARC-Block-Digest", records.sha1_digest(*block)))
        if payload is not None:
            headers.append(("WARC-Payload-Digest", payload))
        headers.append(("Content-Type", content_type))
        return records.gzip_parts(records.record_parts(self.version, headers, block), self.gzip_level)

    def _append(self, members: list[list[bytes]]) -> list[tuple[int, int]]:
        """Write whole members (or none: archives.appendfile); return (offset, length) of each.
        Not joined first: a 20 MB member copied again would hold the GIL (and the reactor)."""
        offset = append_whole(self._fh, [chunk for member in members for chunk in member])
        spans = []
        for member in members:
            length = sum(len(chunk) for chunk in member)
            spans.append((offset, length))
            offset += length
        return spans

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("WarcWriter is closed")
        if self._fh is None:
            self._open_file()

    def write_exchange(
        self,
        *,
        url: str,
        request_head: bytes,
        request_body: bytes = b"",
        response_head: bytes,
        response_body: bytes = b"",
        ip_address: str | None = None,
        date: datetime | str | None = None,
        truncated: str | None = None,
        not_modified: Original | None = None,
    ) -> Capture:
        """Archive one exchange as a response (or revisit) record plus its request record.

        `not_modified`: the response is the server's 304 to a conditional request
        for `original`; it becomes a revisit record (profile server-not-modified).

        `response_head` is the status line and header lines exactly as received,
        blank line included; `response_body` is the body after transfer decoding
        (content-encoding kept). A Transfer-Encoding header is therefore renamed to
        X-Archive-Orig-Transfer-Encoding; no Content-Length is invented.

        The same as `commit(prepare_exchange(...))`; records are built under the lock,
        after the digest lookup, so a duplicate's body is never gzipped.
        """
        return self.commit(self.prepare_exchange(
            url=url, request_head=request_head, request_body=request_body,
            response_head=response_head, response_body=response_body, ip_address=ip_address,
            date=date, truncated=truncated, not_modified=not_modified, build=False))

    def prepare_exchange(
        self,
        *,
        url: str,
        request_head: bytes,
        request_body: bytes = b"",
        response_head: bytes,
        response_body: bytes = b"",
        ip_address: str | None = None,
        date: datetime | str | None = None,
        truncated: str | None = None,
        not_modified: Original | None = None,
        build: bool = True,
    ) -> PreparedExchange:
        """The CPU half of write_exchange() (same arguments): digests, header edits and,
        with `build`, the gzipped records. Touches no file or index and takes no lock, so
        a large body can be prepared in a thread (hashlib and zlib release the GIL) while
        commit() stays on the thread that owns the writer."""
        if self._closed:
            raise RuntimeError("WarcWriter is closed")
        req_head = request_head
        if not self.keep_credentials:
            req_head, _ = records.drop_headers(request_head, records.CREDENTIAL_HEADERS)
        prepared = PreparedExchange(
            url=url,
            date=date if isinstance(date, str) else records.warc_date(date),
            head=records.rename_headers(response_head, [b"transfer-encoding"]),
            body=response_body,
            request_block=req_head + request_body,
            payload_digest=records.sha1_digest(response_body),
            request_payload_digest=records.sha1_digest(request_body),
            response_id=records.new_record_id(),
            request_id=records.new_record_id(),
            ip=[("WARC-IP-Address", ip_address)] if ip_address else [],
            truncated=truncated,
            not_modified=not_modified,
        )
        if build:
            # The file may rotate before commit(); commit() then rebuilds with the new id.
            warcinfo_id = self._warcinfo_id
            prepared.response = self._response_member(
                prepared, warcinfo_id, not_modified, records.NOT_MODIFIED_PROFILES[self.version])
            prepared.request = self._request_member(prepared, warcinfo_id)
            prepared.warcinfo_id = warcinfo_id
        return prepared

    def commit(self, prepared: PreparedExchange) -> Capture:
        """Append a prepared exchange: the revisit lookup, both records, the index, rotation.

        A payload the digest index already holds becomes a (small) revisit record built
        here, and records prepared for a file that has since rotated are rebuilt, so
        every record carries the WARC-Warcinfo-ID of the file it lands in.
        """
        p = prepared
        with self._lock:
            self._ensure_open()
            warcinfo_id = self._warcinfo_id
            stale = p.warcinfo_id != warcinfo_id  # never built, or built for a closed file
            original, profile = p.not_modified, records.NOT_MODIFIED_PROFILES[self.version]
            if original is None and self.digest_index is not None and p.body and not p.truncated:
                original = self._digest_index_call("lookup", p.payload_digest)
                profile = records.REVISIT_PROFILES[self.version]
            response, request = p.response, p.request
            if stale or original is not p.not_modified:
                response = self._response_member(p, warcinfo_id, original, profile)
            if stale:
                request = self._request_member(p, warcinfo_id)
            (r_off, r_len), (q_off, q_len) = self._append([response, request])
            if self._index is not None:
                digest = None if original is not None and p.not_modified else p.payload_digest
                self._index.add("revisit" if original is not None else "response", p.url, p.date,
                                p.head, digest, r_off, r_len)
            if self.digest_index is not None and not original and p.body and not p.truncated:
                self._digest_index_call("add", p.payload_digest, p.url, p.date, p.response_id)
            capture = Capture(
                response=RecordLocation(self._name, r_off, r_len, p.response_id),
                request=RecordLocation(self._name, q_off, q_len, p.request_id),
                payload_digest=p.payload_digest, date=p.date,
                is_revisit=original is not None, refers_to=original)
            self.rotate_if_full()
        return capture

    def _response_member(self, p: PreparedExchange, warcinfo_id: str,
                         original: Original | None, profile: str) -> list[bytes]:
        """The response record, or a revisit of `original` (head only) with `profile`."""
        if original:
            extra = p.ip + [("WARC-Concurrent-To", p.request_id),
                            ("WARC-Profile", profile),
                            ("WARC-Refers-To-Target-URI", original.uri),
                            ("WARC-Refers-To-Date", original.date),
                            ("WARC-Refers-To", original.record_id)]
            return self._record("revisit", p.response_id, p.date, p.head, url=p.url, extra=extra,
                                payload=None if p.not_modified else p.payload_digest,
                                content_type=records.HTTP_RESPONSE, warcinfo_id=warcinfo_id)
        extra = p.ip + [("WARC-Concurrent-To", p.request_id)]
        if p.truncated:
            extra.append(("WARC-Truncated", p.truncated))
        return self._record("response", p.response_id, p.date, [p.head, p.body], url=p.url,
                            extra=extra, payload=p.payload_digest,
                            content_type=records.HTTP_RESPONSE, warcinfo_id=warcinfo_id)

    def _request_member(self, p: PreparedExchange, warcinfo_id: str) -> list[bytes]:
        return self._record("request", p.request_id, p.date, p.request_block, url=p.url,
                            extra=p.ip + [("WARC-Concurrent-To", p.response_id)],
                            payload=p.request_payload_digest,
                            content_type=records.HTTP_REQUEST, warcinfo_id=warcinfo_id)

    def _digest_index_call(self, method: str, *args):
        """The digest index only saves space (revisits): when it fails (a corrupt or locked
        file), write full records without it rather than lose the exchange."""
        try:
            return getattr(self.digest_index, method)(*args)
        except Exception as exc:   # one line: a Redis outage is reported (once) by the crawl
            logger.warning("Digest index failed (%s: %s): full response records from now on, no revisits",
                           type(exc).__name__, exc)
            self.digest_index = None
            return None

    def write_metadata(
        self,
        *,
        url: str,
        concurrent_to: str | None = None,
        fields: Iterable[tuple[str, object]] | None = None,
        payload: bytes | Mapping[str, object] | None = None,
        content_type: str | None = None,
        date: datetime | str | None = None,
    ) -> RecordLocation:
        """A metadata record about `url`, concurrent to the record `concurrent_to`.

        Give `fields` (name/value pairs, repeated names allowed) or `payload`: a
        dict (list values become repeated fields) or raw bytes with `content_type`.
        """
        if isinstance(payload, Mapping):
            pairs = []
            for name, value in payload.items():
                values = value if isinstance(value, (list, tuple)) else [value]
                pairs += [(name, v) for v in values]
            fields, payload = pairs, None
        if fields is not None:
            block, ctype = records.warc_fields(fields), content_type or records.WARC_FIELDS
        elif isinstance(payload, (bytes, bytearray)):
            block, ctype = bytes(payload), content_type or "application/octet-stream"
        else:
            raise TypeError("write_metadata() needs fields=, or payload= as bytes or a dict")
        date = date if isinstance(date, str) else records.warc_date(date)
        record_id = records.new_record_id()
        extra = [("WARC-Concurrent-To", concurrent_to)] if concurrent_to else []
        with self._lock:
            self._ensure_open()
            member = self._record("metadata", record_id, date, block, url=url, extra=extra,
                                  content_type=ctype, warcinfo_id=self._warcinfo_id)
            [(offset, length)] = self._append([member])
            if self._index is not None and ctype != records.WARC_FIELDS:
                self._index.exact = False      # cdxj-indexer lists such a record: let it
            location = RecordLocation(self._name, offset, length, record_id)
            self.rotate_if_full()
        return location

    def close(self) -> list[Path]:
        """Finish the open file (rename, index); later writes raise. Returns closed files."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._close_file()
                if self.digest_index is not None:
                    self._digest_index_call("close")
        return list(self.closed_files)

    def __enter__(self) -> "WarcWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
