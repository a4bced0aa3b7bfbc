"""Raw HTTP capture for the WARC: the bytes sent and the response head as received.

Scrapy's Response has lost what an archive needs (header case and order,
repeated headers, the reason phrase), so this download handler records them one
layer down, in Twisted's HTTP/1.1 client protocol:

- request bytes: the Twisted request is written through a tee on the transport;
- response head: every line the parser receives, delimiter included, until the
  blank line of the final (non-1xx) response, so a head split over packets or
  preceded by `100 Continue` is still exact.

The agent copies both into `request.meta[RAW_META_KEY]` for WarcCaptureMiddleware.
This reaches into Scrapy 2.19 / Twisted 26.10 internals (hence the exact pins);
tests/test_capture*.py fail if an upgrade breaks it.
"""

from __future__ import annotations

import logging
import socket
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone

import scrapy
from scrapy import signals
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

from crawler.runid import run_id as run_id_of

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


class _CapturingParser(_LenientHTTPClientParser):
    """Keeps every head line as received; the final head goes on the response object."""

    _warc_head: bytearray
    _warc_interim: list

    def lineReceived(self, line: bytes) -> None:
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


# -- one writer per crawl ------------------------------------------------------

_writers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _software() -> str:
    import twisted
    import warcio

    from importlib.metadata import PackageNotFoundError, version

    try:
        warcio_version = version("warcio")
    except PackageNotFoundError:  # pragma: no cover
        warcio_version = getattr(warcio, "__version__", "?")
    import crawler

    own = getattr(crawler, "__version__", "")
    return (f"newsarchive{'/' + own if own else ''} (Scrapy/{scrapy.__version__} "
            f"Twisted/{twisted.__version__} warcio/{warcio_version})")


def warcinfo_for(crawler, run_id: str) -> dict:
    settings = crawler.settings
    spider = getattr(crawler, "spider", None)
    return {
        "software": _software(),
        "hostname": socket.gethostname(),
        "operator": settings.get("WARC_OPERATOR") or None,
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "http-header-user-agent": settings.get("USER_AGENT"),
        "isPartOf": settings.get("JOB_NAME") or (spider.name if spider else settings.get("BOT_NAME")),
        "run-id": run_id,
    }


def check_warc_settings(settings) -> None:
    """WARC settings a writer would reject, as one error before the crawl starts."""
    from archives import records

    records.check_version(str(settings.get("WARC_VERSION")))
    records.check_gzip_level(settings.get("WARC_GZIP_LEVEL"))
    records.check_prefix(str(settings.get("WARC_PREFIX")))


def current_writer(crawler):
    """The crawl's open WarcWriter, or None before its first record and after it closed."""
    return _writers.get(crawler)


def warc_writer_for(crawler):
    """The crawl's one WarcWriter, made on first use and closed when the spider closes."""
    writer = _writers.get(crawler)
    if writer is not None:
        return writer
    from archives.digests import make_digest_index
    from archives.writer import WarcWriter

    settings = crawler.settings
    out = settings.get("OUTPUT_DIR") or "."
    run_id = run_id_of(crawler)
    index_path = settings.get("WARC_DIGEST_INDEX_PATH") or f"{out}/warc-digests.sqlite3"
    try:
        digest_index = make_digest_index(settings.get("WARC_DIGEST_INDEX"), index_path)
    except Exception as exc:  # a corrupt file must not stop the archiving, only cross-run revisits
        logger.error("Digest index %s unusable (%s): revisits within this run only", index_path, exc)
        crawler.stats.inc_value("warc/digest_index_errors")
        digest_index = make_digest_index("memory", index_path)
    writer = WarcWriter(
        out,
        prefix=settings.get("WARC_PREFIX"),
        max_size=settings.getint("WARC_MAX_SIZE"),
        warc_version=str(settings.get("WARC_VERSION")),
        warcinfo=warcinfo_for(crawler, run_id),
        keep_credentials=settings.getbool("WARC_KEEP_CREDENTIALS"),
        digest_index=digest_index,
        cdxj=settings.getbool("WARC_CDXJ"),
        gzip_level=settings.get("WARC_GZIP_LEVEL"),
    )
    writer.run_id = run_id
    for item in writer.recovered:
        crawler.stats.inc_value("warc/recovered_files")
        crawler.stats.inc_value("warc/recovered_cut_bytes", item.cut_bytes)
    _writers[crawler] = writer

    def _close(*args, **kwargs):
        if _writers.pop(crawler, None) is None:
            return
        closed = writer.close()
        crawler.stats.set_value("warc/files", len(closed))
        if settings.getbool("WARC_WACZ") and closed:
            from archives.wacz import package_run

            try:
                path = package_run(out, closed, run_id=run_id)
                logger.info("Wrote %s", path)
            except Exception as exc:   # asked for and not made: the crawl fails (exit status 1)
                crawler.stats.inc_value("warc/wacz_errors")
                logger.error("Could not package %s as WACZ: %s", out, exc)

    crawler.signals.connect(_close, signal=signals.spider_closed, weak=False)
    crawler.signals.connect(_close, signal=signals.engine_stopped, weak=False)
    return writer
