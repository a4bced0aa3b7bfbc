"""The crawl's one WARC writer: its owner, which makes it, hands it out and closes it.

`WarcArchive` is an extension (EXTENSIONS_BASE, so a project's EXTENSIONS cannot drop it by
accident). It reads the WARC settings once, in from_crawler, where a bad value stops the
crawl before anything is fetched. The writer itself (archives.writer.WarcWriter) is made at
the first record, not when the crawl opens: making it finalizes `.open` files left in
OUTPUT_DIR by a killed crawl, and a crawl that writes nothing (a replay answered wholly
from its archive) must leave that folder as it found it. Components that write records
(the capture middleware, the metadata pipeline, requisites) get it with `warc_archive(crawler)`;
those that only ask (`wrote`, `bytes_written`) never make it. Closed on spider_closed (or
engine_stopped, when the spider never opened), then packaged as a WACZ when WARC_WACZ asks.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archives import records
from crawler.output import output_dir
from crawler.runid import run_id as run_id_of

logger = logging.getLogger(__name__)

DIGEST_INDEX_FILE = "warc-digests.sqlite3"   # the "sqlite" digest index, in OUTPUT_DIR unless WARC_DIGEST_INDEX_PATH names one


def software() -> str:
    """warcinfo `software`: this project's and the libraries' versions that shaped the bytes."""
    from importlib.metadata import PackageNotFoundError, version

    import scrapy
    import twisted
    import warcio

    import crawler

    try:
        warcio_version = version("warcio")
    except PackageNotFoundError:  # pragma: no cover
        warcio_version = getattr(warcio, "__version__", "?")
    own = getattr(crawler, "__version__", "")
    return (f"newsarchive{'/' + own if own else ''} (Scrapy/{scrapy.__version__} "
            f"Twisted/{twisted.__version__} warcio/{warcio_version})")


@dataclass(frozen=True)
class WarcSettings:
    """The WARC settings of one crawl, read and checked once."""

    directory: Path
    prefix: str
    max_size: int
    version: str
    keep_credentials: bool
    cdxj: bool
    gzip_level: int
    digest_index: str
    digest_index_path: str
    wacz: bool
    offload_min_bytes: int
    operator: str | None
    robots: str
    user_agent: str
    part_of: str      # JOB_NAME, else (at the first record) the spider's name, else BOT_NAME
    bot_name: str

    @classmethod
    def from_settings(cls, settings) -> WarcSettings:
        """ValueError names the first bad setting (the crawl command prints it as `error:`)."""
        directory = output_dir(settings)
        return cls(
            directory=directory,
            prefix=records.check_prefix(str(settings.get("WARC_PREFIX"))),
            max_size=settings.getint("WARC_MAX_SIZE"),
            version=records.check_version(str(settings.get("WARC_VERSION"))),
            keep_credentials=settings.getbool("WARC_KEEP_CREDENTIALS"),
            cdxj=settings.getbool("WARC_CDXJ"),
            gzip_level=records.check_gzip_level(settings.get("WARC_GZIP_LEVEL")),
            digest_index=str(settings.get("WARC_DIGEST_INDEX")),
            digest_index_path=settings.get("WARC_DIGEST_INDEX_PATH") or str(directory / DIGEST_INDEX_FILE),
            wacz=settings.getbool("WARC_WACZ"),
            offload_min_bytes=settings.getint("WARC_OFFLOAD_MIN_BYTES"),
            operator=settings.get("WARC_OPERATOR") or None,
            robots="obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            user_agent=settings.get("USER_AGENT"),
            part_of=settings.get("JOB_NAME") or "",
            bot_name=settings.get("BOT_NAME"),
        )


def check_warc_settings(settings) -> None:
    """WARC settings a writer would reject, as one error before the crawl starts."""
    WarcSettings.from_settings(settings)


class WarcArchive:
    """Owns the crawl's WarcWriter (see the module docstring)."""

    def __init__(self, crawler, config: WarcSettings):
        self.crawler = crawler
        self.config = config
        self.stats = crawler.stats
        self._writer = None
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler):
        archive = cls(crawler, WarcSettings.from_settings(crawler.settings))
        crawler.signals.connect(archive.close, signal=signals.spider_closed)
        crawler.signals.connect(archive.close, signal=signals.engine_stopped)
        return archive

    # -- asking: never makes the writer -------------------------------------------
    @property
    def run_id(self) -> str:
        """crawler.runid's decision, asked when needed, not in from_crawler: the JOBDIR guard,
        another extension, sets RUN_ID while the extensions are being built."""
        return run_id_of(self.crawler)

    def wrote(self, filename: str) -> bool:
        """Whether this crawl wrote `filename` (a replayed page's record is another crawl's)."""
        return self._writer is not None and self._writer.wrote(filename)

    def bytes_written(self) -> int:
        return self._writer.bytes_written() if self._writer is not None else 0

    # -- writing -------------------------------------------------------------------
    @property
    def writer(self):
        """The WarcWriter, made on first use. After the crawl closed, a record is an error
        (the closed writer's, or this one), never a stray file."""
        if self._writer is None:
            if self._closed:
                raise RuntimeError("the crawl's WARC writer is closed")
            self._writer = self._make_writer()
        return self._writer

    def warcinfo(self) -> dict:
        spider = getattr(self.crawler, "spider", None)
        return {
            "software": software(),
            "hostname": socket.gethostname(),
            "operator": self.config.operator,
            "robots": self.config.robots,
            "http-header-user-agent": self.config.user_agent,
            "isPartOf": self.config.part_of or (spider.name if spider else self.config.bot_name),
            "run-id": self.run_id,
        }

    def _make_writer(self):
        from archives.digests import make_digest_index
        from archives.writer import WarcWriter

        config = self.config
        try:
            digest_index = make_digest_index(config.digest_index, config.digest_index_path)
        except Exception as exc:  # a corrupt file must not stop the archiving, only cross-run revisits
            logger.error("Digest index %s unusable (%s): revisits within this run only",
                         config.digest_index_path, exc)
            self.stats.inc_value("warc/digest_index_errors")
            digest_index = make_digest_index("memory", config.digest_index_path)
        writer = WarcWriter(
            config.directory,
            prefix=config.prefix,
            max_size=config.max_size,
            warc_version=config.version,
            warcinfo=self.warcinfo(),
            keep_credentials=config.keep_credentials,
            digest_index=digest_index,
            cdxj=config.cdxj,
            gzip_level=config.gzip_level,
        )
        writer.run_id = self.run_id
        for item in writer.recovered:
            self.stats.inc_value("warc/recovered_files")
            self.stats.inc_value("warc/recovered_cut_bytes", item.cut_bytes)
        return writer

    def close(self, *args, **kwargs) -> None:
        """Close the writer (if one was made) and package the run as a WACZ if asked."""
        if self._closed:
            return
        self._closed = True
        if self._writer is None:
            return
        closed = self._writer.close()
        self.stats.set_value("warc/files", len(closed))
        if self.config.wacz and closed:
            from archives.wacz import package_run

            try:
                path = package_run(self.config.directory, closed, run_id=self.run_id)
                logger.info("Wrote %s", path)
            except Exception as exc:   # asked for and not made: the crawl fails (exit status 1)
                self.stats.inc_value("warc/wacz_errors")
                logger.error("Could not package %s as WACZ: %s", self.config.directory, exc)


def warc_archive(crawler) -> WarcArchive:
    """The crawl's WarcArchive, for a component's from_crawler (extensions are built first).
    NotConfigured (the component is left out, Scrapy says why) when EXTENSIONS disables it."""
    archive = crawler.get_extension(WarcArchive)
    if archive is None:
        raise NotConfigured("no WARC writer: crawler.archiving.WarcArchive is disabled in EXTENSIONS")
    return archive
