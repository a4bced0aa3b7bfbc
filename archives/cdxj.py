"""CDXJ index of one WARC file, in the format cdxj-indexer writes (the tool pywb and WACZ use).

A crawl indexes its files as it writes them (`CdxjEntries`); a file found unfinished after a
crash, or one holding a record the writer cannot index itself, is read back by cdxj-indexer
(`write_cdxj`).
"""

from __future__ import annotations

import json
import os
import re
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeadersParser
from warcio.timeutils import iso_date_to_timestamp

from archives.names import cdxj_path_for  # noqa: F401  (where callers have always found it)

# As warcio's record loader reads the HTTP head of a response or revisit record.
_HTTP_HEAD = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False)
_MIME_END = re.compile(r"[;\s]")            # cdxj-indexer's RE_SPACE
# The record types cdxj-indexer indexes by default (CDXJIndexer.DEFAULT_RECORDS), pinned: that
# default is a class attribute, and py-wacz's import appends "warcinfo" to it for the whole
# process, so once `scrapy wacz` (or a crawl's WARC_WACZ) had run, every later index held
# warcinfo lines our writer's index (its mirror) does not. Passing `records` instead would not
# do: cdxj-indexer leaves warc-fields metadata out only when its list *is* the default.
CDXJ_RECORDS = ("response", "revisit", "resource", "metadata")


def write_cdxj(warc_path: str | os.PathLike, output: str | os.PathLike | None = None) -> Path:
    """Index `warc_path` (sorted, filenames relative to its directory); atomic rename."""
    output = Path(output) if output else cdxj_path_for(warc_path)
    from cdxj_indexer.main import CDXJIndexer  # ~6 MB (pkg_resources, pyamf): at close only

    class Indexer(CDXJIndexer):     # cdxj-indexer's write_cdx_index, with its own default pinned
        DEFAULT_RECORDS = list(CDXJ_RECORDS)

    try:
        return _write_atomically(output, lambda partial: Indexer(str(partial), [str(warc_path)], sort=True).process_all())
    except OSError:
        raise
    except Exception as exc:   # cdxj-indexer's own failures (a WARC it cannot read): one line
        from archives.reader import NOT_PER_RECORD_GZIP, ArchiveError, describe_error

        reason = NOT_PER_RECORD_GZIP if "non-chunked gzip" in str(exc) else describe_error(exc)
        raise ArchiveError(f"{warc_path}: cannot be indexed: {reason}") from exc


def _write_atomically(output: Path, write) -> Path:
    """`write(partial)` then rename to `output`; a failed write (disk full) leaves neither
    a `.partial` nor a half index behind (the WARC can be indexed again from itself)."""
    partial = output.with_name(output.name + ".partial")
    try:
        write(partial)
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return output


class CdxjEntries:
    """The index lines of one WARC file, collected while its records are appended.

    Reading a closed file back with cdxj-indexer decompresses and parses every record again
    (0.9 ms of CPU a page, more than any other archiving step but gzip); the writer knows
    every field already. The lines are the ones cdxj-indexer writes for the same file
    (tests/test_cdxj.py compares the two on real crawls). A record this does not mirror
    (not an http(s) response or revisit, a URI warcio would rewrite) clears `exact`: the
    file is then indexed by cdxj-indexer after all.
    """

    def __init__(self):
        self.exact = True
        self._entries: list[tuple] = []

    def add(self, rec_type: str, url: str, date: str, http_head: bytes, payload_digest: str | None,
            offset: int, length: int) -> None:
        """A `response` or `revisit` record: its target URI, WARC-Date, HTTP head as stored,
        WARC-Payload-Digest (None: the record has none), and the offset and length of its
        gzip member."""
        if rec_type not in ("response", "revisit") or not http_head or not url.isascii() \
                or " " in url or not url.startswith(("http:", "https:")):
            # warcio rewrites (spaces) or skips (other schemes) such URIs: leave it to cdxj-indexer
            self.exact = False
            return
        if not http_head.endswith((b"\n\r\n", b"\n\n")):
            self.exact = False  # warcio would read on into the body for the rest of the head
            return
        try:
            http = _HTTP_HEAD.parse(BytesIO(http_head))
        except Exception:       # warcio would fail on this record too: let cdxj-indexer say how
            self.exact = False
            return
        if rec_type == "revisit":
            mime = "warc/revisit"
        else:
            mime = http.get_header("Content-Type")
            if mime:
                mime = _MIME_END.split(mime, 1)[0].strip()
        self._entries.append((url, iso_date_to_timestamp(date), mime, http.get_statuscode(),
                              payload_digest, str(length), str(offset)))

    def write(self, warc_path: str | os.PathLike, output: str | os.PathLike | None = None) -> Path:
        """Sorted lines for `warc_path` (written under its final name); atomic rename."""
        import surt  # with tldextract and requests, ~8 MB: at close only, as cdxj-indexer

        filename = os.path.basename(warc_path)
        lines = []
        for url, timestamp, mime, status, digest, length, offset in self._entries:
            fields = {"url": url}
            if mime is not None:
                fields["mime"] = mime
            if status is not None:
                fields["status"] = status
            if digest is not None:
                fields["digest"] = digest
            fields.update(length=length, offset=offset, filename=filename)
            try:
                key = surt.surt(url)
            except Exception:   # cdxj-indexer keys such a URL by itself
                key = url
            lines.append(f"{key} {timestamp} {json.dumps(fields)}\n")
        lines.sort()
        output = Path(output) if output else cdxj_path_for(warc_path)

        def write(partial):
            with open(partial, "w", encoding="utf-8") as fh:
                fh.writelines(lines)

        return _write_atomically(output, write)
