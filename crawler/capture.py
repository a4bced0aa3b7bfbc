"""Raw HTTP capture for the WARC: the bytes sent and the response head as received.

Scrapy's Response has lost what an archive needs (header case and order,
repeated headers, the reason phrase), so this download handler records them one
layer down, in Twisted's HTTP/1.1 client protocol:

- request bytes: the Twisted request is written through a tee on the transport;
- response head: every line the parser receives, delimiter included, until the
  blank line of the final (non-1xx) response, so a head split over packets or
  preceded by `100 Continue` is still exact.

The agent copies both into `request.meta[RAW_META_KEY]` for WarcCaptureMiddleware, which
writes them with the crawl's writer (crawler.archiving owns it; nothing here writes).
This reaches into Scrapy 2.19 / Twisted 26.10 internals (hence the exact pins);
tests/test_capture*.py fail if an upgrade breaks it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import scrapy
from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ScrapyAgent,
)
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions

logger = logging.getLogger(__name__)

RAW_META_KEY = "_warc_raw"


@dataclass
class RawExchange:
    """What went over the wire for one request (request body included in `sent`)."""

    sent: bytearray
    head: bytes
    started: datetime
    interim: tuple[bytes, ...] = ()  # 1xx heads received before the final one
    body_reader: object = None       # Scrapy's _ResponseReader, while the body arrives

    def partial_body(self) -> bytes:
        """What arrived of the body when the download failed (timeout, connection reset):
        Scrapy's reader still holds it; the archive keeps it, marked WARC-Truncated."""
        buffer = getattr(self.body_reader, "_bodybuf", None)
        return buffer.getvalue() if buffer is not None else b""

    @property
    def ip_address(self) -> str | None:
        address = getattr(self.body_reader, "_ip_address", None)
        return str(address) if address else None


class _TeeTransport:
    """Passes everything to the real transport, copying what is written."""

    def __init__(self, transport, sink: bytearray):
        self._transport = transport
        self._sink = sink

    def write(self, data: bytes) -> None:
        self._sink += data
        self._transport.write(data)

    def writeSequence(self, seq) -> None:
        seq = list(seq)
        for data in seq:
            self._sink += data
        self._transport.writeSequence(seq)

    def __getattr__(self, name):
        return getattr(self._transport, name)


class _TeeRequest:
    """A Twisted Request whose writeTo() goes through a _TeeTransport (the original is untouched,
    so the pool's automatic retry on a stale connection starts a fresh copy)."""

    def __init__(self, request, sink: bytearray):
        self._request = request
        self._sink = sink

    def writeTo(self, transport):
        return self._request.writeTo(_TeeTransport(transport, self._sink))

    def __getattr__(self, name):
        return getattr(self._request, name)


# Chromium refuses a response whose head passes 256 KiB (ERR_RESPONSE_HEADERS_TOO_BIG): no
# reader ever saw such a page. Twisted bounds each header line (16 KiB) but not their number,
# so without this a server sending header lines forever filled the crawl's memory (5.6 GB in
# 90 s: the head is kept twice, as bytes here and as Twisted's parsed headers).
MAX_HEAD_BYTES = 262_144


class HeadTooLarge(Exception):
    """The response head (1xx heads included) passed MAX_HEAD_BYTES: the connection is dropped."""


class _CapturingParser(_LenientHTTPClientParser):
    """Keeps every head line as received; the final head goes on the response object."""

    _warc_head: bytearray
    _warc_interim: list
    _warc_head_bytes: int

    def lineReceived(self, line: bytes) -> None:
        # (head lines only: the body comes through rawDataReceived)
        self._warc_head_bytes += len(line) + len(self.delimiter)
        if self._warc_head_bytes > MAX_HEAD_BYTES:
            # Raised out of dataReceived: the protocol drops the connection and fails the request.
            raise HeadTooLarge(f"response head larger than {MAX_HEAD_BYTES} bytes")
        self._warc_head += line + self.delimiter
        super().lineReceived(line)

    def allHeadersReceived(self) -> None:
        head = bytes(self._warc_head)
        self._warc_head = bytearray()
        if 100 <= self.response.code < 200:
            self._warc_interim.append(head)
        else:
            self.response._warc_head = head
            self.response._warc_interim = tuple(self._warc_interim)
        super().allHeadersReceived()


class _CapturingHTTP11ClientProtocol(_LenientHTTP11ClientProtocol):
    def request(self, request):
        sent = bytearray()
        started = datetime.now(timezone.utc)
        d = super().request(_TeeRequest(request, sent))
        # The lenient parent swapped the parser's class the same way, for the same reason.
        parser = self._parser
        parser.__class__ = _CapturingParser
        parser._warc_head = bytearray()
        parser._warc_interim = []
        parser._warc_head_bytes = 0

        def _attach(response):
            response._warc_sent = sent
            response._warc_started = started
            return response

        d.addCallback(_attach)
        return d


class _CapturingHTTP11ClientFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr):
        return _CapturingHTTP11ClientProtocol(self._quiescentCallback)


class _CapturingScrapyAgent(_ScrapyAgent):
    def _cb_bodyready(self, txresponse, request):
        head = getattr(txresponse, "_warc_head", None)
        raw = None
        if head is not None:
            raw = request.meta[RAW_META_KEY] = RawExchange(
                sent=txresponse._warc_sent, head=head, started=txresponse._warc_started,
                interim=txresponse._warc_interim)
        result = super()._cb_bodyready(txresponse, request)
        if raw is not None:  # Twisted hands the body to this reader; a failure leaves it there
            raw.body_reader = getattr(txresponse, "_bodyProtocol", None)
        return result


class CapturingHTTP11DownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, plus raw capture (see module docstring)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._pool._factory = _CapturingHTTP11ClientFactory

    async def download_request(self, request: scrapy.Request) -> scrapy.http.Response:
        # As HTTP11DownloadHandler.download_request (Scrapy 2.19), with our agent.
        agent = _CapturingScrapyAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=getattr(self._crawler.spider, "download_maxsize", self._default_maxsize),
            warnsize=getattr(self._crawler.spider, "download_warnsize", self._default_warnsize),
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
