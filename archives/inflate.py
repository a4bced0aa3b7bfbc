"""Inflating zlib/gzip data a bounded piece at a time: the one loop over gzip members.

A gzip file may hold several members one after another (as `gzip` and WARC writers make
them); a server or a WARC can hold a few KB that inflate to gigabytes. `inflate_chunks`
yields the output in pieces of at most `chunk_size` bytes, so every caller decides its own
limit (archives.reader raises TooLarge, crawler.discovery cuts a sitemap short) without
holding more than it keeps. Standard library only: the spider's sitemap reading uses it.
"""

from __future__ import annotations

import zlib
from typing import Iterator

GZIP = 16 + zlib.MAX_WBITS       # gzip header and trailer
ZLIB = zlib.MAX_WBITS            # zlib header (HTTP "deflate" as the RFC says)
RAW_DEFLATE = -zlib.MAX_WBITS    # no header (HTTP "deflate" as some servers send it)


def inflate_chunks(data: bytes, wbits: int = GZIP, *, members: bool = True,
                   chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """The inflated bytes of `data`, in pieces of at most `chunk_size` bytes.

    With `members`, a member that ends is followed by the next one, like `gzip -d`; a stream
    cut off (no end of member) yields what it has and stops. Damaged data raises zlib.error
    after the pieces inflated before the damage."""
    while data:
        inflater = zlib.decompressobj(wbits)
        piece = inflater.decompress(data, chunk_size)
        while True:
            if piece:
                yield piece
            if inflater.eof or not inflater.unconsumed_tail and not piece:
                break
            piece = inflater.decompress(inflater.unconsumed_tail, chunk_size)
        if not (members and inflater.eof):
            break
        data = inflater.unused_data
