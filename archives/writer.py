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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

from archives import records
from archives.digests import DigestIndex, Original

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"


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
    """What write_exchange() wrote: `response` is a revisit record when `is_revisit`."""

    response: RecordLocation
    request: RecordLocation
    payload_digest: str
    date: str
    is_revisit: bool = False
    refers_to: Original | None = None


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
        gzip_level: int = 6,
        recover: bool = True,
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = int(max_size)
        self.version = records.check_version(warc_version)
        self.keep_credentials = keep_credentials
        self.digest_index = digest_index
        self.cdxj = cdxj
        self.hostname = hostname or socket.gethostname()
        self.gzip_level = gzip_level
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
        self._warcinfo_id = ""
        self._lock = threading.Lock()
        self._closed = False
        if recover:
            from archives.recovery import finalize_open_files

            self.recovered = finalize_open_files(self.directory, cdxj=cdxj)

    # -- files ---------------------------------------------------------------
    @property
    def current_path(self) -> Path | None:
        return self.directory / (self._name + OPEN_SUFFIX) if self._fh else None

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
                fh = open(str(path) + OPEN_SUFFIX, "xb")
            except FileExistsError:
                continue
            break
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fh, self._name = fh, name
        self._warcinfo_id = records.new_record_id()
        block = records.warc_fields(self.warcinfo.items())
        self._append([self._record("warcinfo", self._warcinfo_id, records.warc_date(), block,
                                   content_type=records.WARC_FIELDS,
                                   extra=[("WARC-Filename", name)], warcinfo=False)])
        logger.info("Writing WARC %s", path)

    def _close_file(self) -> None:
        fh, name = self._fh, self._name
        if fh is None:
            return
        self._fh = None
        final = self.directory / name
        try:
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(str(final) + OPEN_SUFFIX, final)
        finally:
            fh.close()
        self.closed_files.append(final)
        logger.info("Closed WARC %s (%d bytes)", final, final.stat().st_size)
        if self.cdxj:
            from archives.cdxj import write_cdxj

            try:
                write_cdxj(final)
            except Exception:
                logger.exception("Could not index %s", final)

    def rotate_if_full(self) -> None:
        if self._fh is not None and self._fh.tell() >= self.max_size:
            self._close_file()

    # -- records -------------------------------------------------------------
    def _record(self, rtype, record_id, date, block, *, content_type, url=None, extra=(),
                payload=None, warcinfo=True) -> bytes:
        headers = [("WARC-Type", rtype), ("WARC-Record-ID", record_id), ("WARC-Date", date)]
        if url is not None:
            headers.append(("WARC-Target-URI", url))
        headers += list(extra)
        if warcinfo:
            headers.append(("WARC-Warcinfo-ID", self._warcinfo_id))
        headers.append(("WARC-Block-Digest", records.sha1_digest(block)))
        if payload is not None:
            headers.append(("WARC-Payload-Digest", payload))
        headers.append(("Content-Type", content_type))
        return records.gzip_member(records.serialize(self.version, headers, block),
                                   self.gzip_level)

    def _append(self, members: list[bytes]) -> list[tuple[int, int]]:
        """Write whole members in one call and flush; return (offset, length) of each."""
        offset = self._fh.tell()
        spans = []
        for member in members:
            spans.append((offset, len(member)))
            offset += len(member)
        self._fh.write(b"".join(members))
        self._fh.flush()
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
        """
        date = date if isinstance(date, str) else records.warc_date(date)
        head = records.rename_headers(response_head, [b"transfer-encoding"])
        payload_digest = records.sha1_digest(response_body)
        req_head = request_head
        if not self.keep_credentials:
            req_head, _ = records.drop_headers(request_head, records.CREDENTIAL_HEADERS)
        resp_id, req_id = records.new_record_id(), records.new_record_id()
        ip = [("WARC-IP-Address", ip_address)] if ip_address else []

        with self._lock:
            self._ensure_open()
            original, profile = not_modified, records.NOT_MODIFIED_PROFILES[self.version]
            if original is None and self.digest_index is not None and response_body and not truncated:
                original = self._digest_index_call("lookup", payload_digest)
                profile = records.REVISIT_PROFILES[self.version]
            if original:
                extra = ip + [("WARC-Concurrent-To", req_id),
                              ("WARC-Profile", profile),
                              ("WARC-Refers-To-Target-URI", original.uri),
                              ("WARC-Refers-To-Date", original.date),
                              ("WARC-Refers-To", original.record_id)]
                response = self._record("revisit", resp_id, date, head, url=url, extra=extra,
                                        payload=None if not_modified else payload_digest,
                                        content_type=records.HTTP_RESPONSE)
            else:
                extra = ip + [("WARC-Concurrent-To", req_id)]
                if truncated:
                    extra.append(("WARC-Truncated", truncated))
                response = self._record("response", resp_id, date, head + response_body,
                                        url=url, extra=extra, payload=payload_digest,
                                        content_type=records.HTTP_RESPONSE)
            request = self._record("request", req_id, date, req_head + request_body, url=url,
                                   extra=ip + [("WARC-Concurrent-To", resp_id)],
                                   payload=records.sha1_digest(request_body),
                                   content_type=records.HTTP_REQUEST)
            (r_off, r_len), (q_off, q_len) = self._append([response, request])
            if self.digest_index is not None and not original and response_body and not truncated:
                self._digest_index_call("add", payload_digest, url, date, resp_id)
            capture = Capture(
                response=RecordLocation(self._name, r_off, r_len, resp_id),
                request=RecordLocation(self._name, q_off, q_len, req_id),
                payload_digest=payload_digest, date=date,
                is_revisit=original is not None, refers_to=original)
            self.rotate_if_full()
        return capture

    def _digest_index_call(self, method: str, *args):
        """The digest index only saves space (revisits): when it fails (a corrupt or locked
        file), write full records without it rather than lose the exchange."""
        try:
            return getattr(self.digest_index, method)(*args)
        except Exception:
            logger.exception("Digest index failed: full response records from now on, no revisits")
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
                                  content_type=ctype)
            [(offset, length)] = self._append([member])
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
