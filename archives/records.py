"""WARC record bytes, built by hand so HTTP heads stay exactly as they crossed the wire.

warcio's record builder re-serializes HTTP heads through StatusAndHeaders (it
changes name case and spacing), so records are assembled here and checked with
warcio (`warcio check`, ArchiveIterator) in the tests instead.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Iterable, Sequence

from warcio.utils import Digester

try:  # zlib-ng: standard gzip members (any reader), about a third less CPU at level 6
    from zlib_ng import zlib_ng as _zlib
except ImportError:  # archives/ stays usable with the standard library alone
    import zlib as _zlib

WARC_1_0 = "1.0"
WARC_1_1 = "1.1"
VERSIONS = (WARC_1_0, WARC_1_1)

REVISIT_PROFILES = {
    WARC_1_0: "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
    WARC_1_1: "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
}
NOT_MODIFIED_PROFILES = {
    WARC_1_0: "http://netpreserve.org/warc/1.0/revisit/server-not-modified",
    WARC_1_1: "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}
CONFORMS_TO = {
    WARC_1_0: "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf",
    WARC_1_1: "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
}
HTTP_RESPONSE = "application/http; msgtype=response"
HTTP_REQUEST = "application/http; msgtype=request"
WARC_FIELDS = "application/warc-fields"

# Replay tools keep renamed hop-by-hop headers under this prefix (pywb does the same).
ORIG_PREFIX = b"X-Archive-Orig-"
CREDENTIAL_HEADERS = (b"authorization", b"cookie", b"proxy-authorization")

_HEAD_END = re.compile(rb"\r?\n\r?\n")


def check_version(version: str) -> str:
    version = str(version).removeprefix("WARC/")
    if version not in VERSIONS:
        raise ValueError(f"WARC_VERSION must be one of {', '.join(VERSIONS)}, not {version!r}")
    return version


def warc_date(when: datetime | None = None) -> str:
    """`2026-11-26T19:44:06Z`: UTC, second precision, valid in WARC 1.0 and 1.1; now if no
    `when`, a naive `when` taken as UTC. The project's one timestamp format: manifests,
    reports, job locks, dedupe state and articles' fetched_at use it too, so their times
    compare with the records' WARC-Date as strings.

    (warcio's datetime_to_iso_date turns an aware datetime into `...+00:00Z`.)
    """
    when = when or datetime.now(timezone.utc)
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def sha1_digest(*chunks: bytes) -> str:
    """`sha1:BASE32` as WARC-Block-Digest / WARC-Payload-Digest (warcio's format)."""
    digester = Digester("sha1")
    for chunk in chunks:
        digester.update(chunk)
    return str(digester)


def split_message(message: bytes) -> tuple[bytes, bytes]:
    """Split raw HTTP bytes after the blank line ending the head (CRLF or bare LF)."""
    match = _HEAD_END.search(message)
    if not match:
        return message, b""
    return message[: match.end()], message[match.end():]


def _head_lines(head: bytes) -> list[bytes]:
    return head.splitlines(keepends=True)


def _header_name(line: bytes) -> bytes | None:
    if not line or line[:1] in b" \t" or b":" not in line:
        return None
    return line.split(b":", 1)[0].strip().lower()


def rename_headers(head: bytes, names: Iterable[bytes], prefix: bytes = ORIG_PREFIX) -> bytes:
    """Prefix the named header lines' names, every other byte kept (first line too)."""
    wanted = {n.lower() for n in names}
    lines = _head_lines(head)
    out = lines[:1]
    for line in lines[1:]:
        out.append(prefix + line if _header_name(line) in wanted else line)
    return b"".join(out)


def drop_headers(head: bytes, names: Iterable[bytes]) -> tuple[bytes, list[bytes]]:
    """Remove the named header lines (with their continuation lines); return what went."""
    wanted = {n.lower() for n in names}
    lines = _head_lines(head)
    out, dropped, dropping = lines[:1], [], False
    for line in lines[1:]:
        name = _header_name(line)
        if line[:1] in b" \t" and line.strip():
            if not dropping:
                out.append(line)
            continue
        dropping = name in wanted
        if dropping:
            dropped.append(name)
        else:
            out.append(line)
    return b"".join(out), dropped


def has_header(head: bytes, name: bytes) -> bool:
    name = name.lower()
    return any(_header_name(line) == name for line in _head_lines(head)[1:])


def header_values(head: bytes, name: bytes) -> list[bytes]:
    name = name.lower()
    return [line.split(b":", 1)[1].strip() for line in _head_lines(head)[1:]
            if _header_name(line) == name]


def status_code(head: bytes) -> int | None:
    parts = head.split(b"\n", 1)[0].split()
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return None


def warc_fields(fields: Iterable[tuple[str, object]]) -> bytes:
    """application/warc-fields: `name: value` CRLF lines; None/empty values skipped."""
    lines = []
    for name, value in fields:
        if value is None or value == "":
            continue
        text = " ".join(str(value).split())  # no line breaks inside a field
        text = _CONTROL.sub("?", text)       # nor other control characters (a hostile hostname)
        lines.append(f"{name}: {text}\r\n")
    return "".join(lines).encode("utf-8")


def serialize(version: str, headers: list[tuple[str, str]], block: bytes) -> bytes:
    """One uncompressed WARC record: version line, headers, Content-Length, block, CRLFCRLF."""
    return b"".join(record_parts(version, headers, [block]))


def record_parts(version: str, headers: list[tuple[str, str]], block: Sequence[bytes]) -> list[bytes]:
    """`serialize` as a list of parts, the block given (and returned) as its parts: a 60 MiB
    body is neither joined to its HTTP head nor copied into the record."""
    lines = [f"WARC/{version}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in headers if value is not None]
    lines.append(f"Content-Length: {sum(len(part) for part in block)}\r\n\r\n")
    return ["".join(lines).encode("utf-8"), *block, b"\r\n\r\n"]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_prefix(prefix: str) -> str:
    """A WARC file-name prefix is one plain name part: `../../x` would write outside the
    output directory, `a/b` into a folder the writer does not own."""
    if not _PREFIX.fullmatch(str(prefix)):
        raise ValueError(f"WARC_PREFIX must be a file-name prefix (letters, digits, '.', '_', '-', "
                         f"not starting with '.' or '-'), not {prefix!r}")
    return str(prefix)


def check_gzip_level(level) -> int:
    try:
        value = int(level)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 9:
        raise ValueError(f"WARC_GZIP_LEVEL must be 0-9 (zlib levels), not {level!r}")
    return value


def gzip_member(data: bytes, level: int) -> bytes:
    """A complete gzip member: one per record, so each record is readable on its own."""
    return b"".join(gzip_parts([data], level))


# Input slice for gzip_parts: zlib's output for a big input is collected in blocks and joined
# (a second copy of a 60 MiB record for an incompressible body); per slice it stays small.
_GZIP_SLICE = 1 << 20


def gzip_parts(parts: Iterable[bytes], level: int) -> list[bytes]:
    """`gzip_member` of the parts' concatenation, as chunks (never joined: the caller writes
    them one after the other). What they inflate to is the same whatever the cut; the deflate
    bytes are too with zlib, and with zlib-ng for these 1 MiB slices at levels 1-9 (its levels
    5-6 can differ for pieces of a few KB; level 0 cuts its stored blocks at each piece)."""
    compressor = _zlib.compressobj(level, _zlib.DEFLATED, _zlib.MAX_WBITS + 16)
    out = []
    for part in parts:
        view = memoryview(part)
        for start in range(0, len(view), _GZIP_SLICE):
            chunk = compressor.compress(view[start:start + _GZIP_SLICE])
            if chunk:
                out.append(chunk)
    out.append(compressor.flush())
    return out
