"""`scrapy replay-server OUTPUT_DIR`: browse a run's WARCs in pywb on 127.0.0.1.

Scrapy names a command after its module, so this file name carries the dash.
pywb runs from its own virtualenv (`archives.pywb`), over a collection of
symlinks to the WARCs, so the output directory is never modified.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

from scrapy.exceptions import UsageError

from crawler.cli import FileCommand

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_serving(proc: subprocess.Popen, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pywb exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"pywb did not answer on {url} within {timeout:.0f} s")


class Command(FileCommand):
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}
    usage = "OUTPUT_DIR_OR_WARC [...] [--port N]"
    summary = "Browse a run's WARCs in pywb on 127.0.0.1"
    description = ("Build a pywb collection over the WARC files of OUTPUT_DIR (symlinks and CDXJ "
                   "indexes in a scratch directory; the output is not modified), start pywb from "
                   "its own virtualenv (created on first use) on 127.0.0.1 and print the URL to "
                   "open. Runs until interrupted.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
        parser.add_argument("--collection", default="crawl", help="collection name in URLs (default: crawl)")
        parser.add_argument("--pywb-dir", metavar="DIR",
                            help="build the collection here and keep it (default: a temporary directory)")

    def main(self, args: list[str], opts: argparse.Namespace) -> None:
        from archives.pywb import build_collection, ensure_pywb, wayback_command
        from archives.reader import ArchiveError, warc_files
        from archives.replay import Archive

        if not args:
            raise UsageError("give the output directory (or WARC files) of a run")
        if not opts.collection.isidentifier():
            raise UsageError("--collection must be a simple name (letters, digits, _)")
        try:
            files = warc_files(args)
            if not files:
                raise ArchiveError(f"no WARC files in {' '.join(args)}")
            with Archive.open(files) as archive:
                pages = sorted((e for e in archive.index.entries()
                                if e.status == 200 and e.mime in ("text/html", "application/xhtml+xml")),
                               key=lambda e: (e.timestamp, e.url))
        except ArchiveError as exc:
            raise UsageError(str(exc), print_help=False) from None

        log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
        try:
            ensure_pywb(log=log)
        except (OSError, subprocess.CalledProcessError) as exc:
            log(f"error: could not set up pywb: {exc}")
            self.exitcode = 1
            return
        scratch = None if opts.pywb_dir else tempfile.mkdtemp(prefix="replay-server-")
        root = Path(opts.pywb_dir or scratch)
        try:
            try:
                build_collection(root, files, opts.collection)
            except ArchiveError as exc:   # a WARC pywb's indexer cannot read (`gzip file.warc`)
                log(f"error: {exc}")
                self.exitcode = 1
                return
            port = opts.port or free_port()
            base = f"http://{HOST}:{port}/{opts.collection}/"
            proc = subprocess.Popen(wayback_command(root, port, HOST), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            self.exitcode = self._serve(proc, base, files, pages, log)
        finally:
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)

    def _serve(self, proc, base, files, pages, log) -> int:
        def stop(signum, frame):
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            try:
                wait_until_serving(proc, base, STARTUP_TIMEOUT)
            except RuntimeError as exc:
                proc.terminate()
                err = proc.communicate(timeout=10)[1].decode("utf-8", "replace")
                log(f"error: {exc}\n{err[-2000:]}")
                return 1
            print(f"Replaying {len(files)} WARC file(s), {len(pages)} HTML page(s): open {base}", flush=True)
            for entry in pages[:10]:
                print(f"  {base}{entry.timestamp}/{entry.url}", flush=True)
            if len(pages) > 10:
                print(f"  ... and {len(pages) - 10} more (search the collection page)", flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            proc.wait()
            return proc.returncode or 0
        except KeyboardInterrupt:
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
