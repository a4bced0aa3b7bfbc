"""Content-Encoding decoding that a gzip bomb cannot pin in memory.

Scrapy's HttpCompressionMiddleware stops inflating a body at DOWNLOAD_MAXSIZE (Scrapy's
default 1 GB; 64 MiB here) and raises IgnoreRequest chained to the size error. That error's traceback holds
the frame of the decoder, and the frame its output buffer: up to a gigabyte per bomb page,
kept alive through the Failure Scrapy builds around the IgnoreRequest until a full garbage
collection finds the cycle (four bomb pages took a crawl to 4.2 GB).

This subclass caps decoding at DECOMPRESS_MAX_SIZE (64 MiB; a news page that inflates past
that is a bomb) and replaces the size error with a fresh one after clearing the decoder's
frames, so the buffer is freed the moment decoding stops. The response is archived as
sent either way (the capture middleware sits closer to the downloader); the page is
counted (`httpcompression/too_large`) and not parsed.
"""

from __future__ import annotations

import traceback

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.utils._compression import _DecompressionMaxSizeExceeded


class _TooLarge(_DecompressionMaxSizeExceeded):
    """The size error, raised anew without the decoder's frames."""


class BoundedHttpCompressionMiddleware(HttpCompressionMiddleware):
    def __init__(self, stats=None, *, crawler=None):
        super().__init__(stats, crawler=crawler)
        limit = crawler.settings.getint("DECOMPRESS_MAX_SIZE") if crawler else 0
        if limit > 0:
            self._max_size = min(self._max_size, limit) if self._max_size else limit

    def _handle_encoding(self, body, content_encoding, max_size):
        try:
            return super()._handle_encoding(body, content_encoding, max_size)
        except _DecompressionMaxSizeExceeded as exc:
            size = exc.decompressed_size
            traceback.clear_frames(exc.__traceback__)   # drops the decoder's output buffer now
        if self.stats:
            self.stats.inc_value("httpcompression/too_large")
        raise _TooLarge(size, max_size)
