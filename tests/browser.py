"""A real browser for the replay tests: Debian's chromium, driven by playwright, watched.

`ReplayBrowser.visit()` opens a replay URL and reports what a reader's browser did: every
request that failed (network error or HTTP status >= 400; archived resources apart from the
replay tool's own requests), every request to anything but
the replay server (aborted before it leaves: nothing reaches the live web), and each image
of the replayed page with its naturalWidth (0: not rendered). `ReplayWebPage` serves the
ReplayWeb.page app (npm `replaywebpage`, unpacked into the git-ignored `.replaywebpage/`
by `python -m tests.browser ensure-replaywebpage`) and a WACZ from 127.0.0.1.

Screenshots go to the git-ignored `tests/artifacts/` folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
REPLAYWEBPAGE = "replaywebpage@2.5.3"
REPLAYWEBPAGE_DIR = ROOT / ".replaywebpage"
# What the issue asks of the browser: headless, and no traffic of its own (updates, sync, QUIC).
SETTLE_WAIT = 30.0      # seconds for late requests to finish once every image is complete
FRAME_WAIT = 30.0       # seconds for a replay tool to show the archived page before one reload
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """The system's chromium (Debian's package; .ci/run installs it): playwright downloads none."""
    from tests.system_tools import chromium_binary

    return os.environ.get("CHROMIUM") or chromium_binary()


def ensure_replaywebpage() -> Path:
    """ReplayWeb.page's built app (ui.js, sw.js) from npm, unpacked once into .replaywebpage/.

    `npm pack` rather than `npm install`: the package ships its built files, and installing
    would pull its build dependencies for nothing."""
    stamp = REPLAYWEBPAGE_DIR / f".installed-{REPLAYWEBPAGE}"
    if stamp.exists() and (REPLAYWEBPAGE_DIR / "ui.js").exists() and (REPLAYWEBPAGE_DIR / "sw.js").exists():
        return REPLAYWEBPAGE_DIR
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["npm", "pack", "--silent", REPLAYWEBPAGE], cwd=scratch, check=True,
                       capture_output=True, timeout=300)
        (tarball,) = Path(scratch).glob("*.tgz")
        with tarfile.open(tarball) as tar:
            tar.extractall(scratch, filter="data")
        REPLAYWEBPAGE_DIR.mkdir(exist_ok=True)
        for name in ("ui.js", "sw.js", "LICENSE"):
            shutil.copy(Path(scratch) / "package" / name, REPLAYWEBPAGE_DIR / name)
    stamp.write_text(REPLAYWEBPAGE + "\n")
    return REPLAYWEBPAGE_DIR


# A request for an archived resource: the replay tools' URL scheme, /{14-digit timestamp}{modifier}/{URL}.
ARCHIVED_RESOURCE = re.compile(r"/\d{14}(?:[a-z]{2}_)?/https?:")


@dataclass
class Visit:
    url: str
    failed: list[str] = field(default_factory=list)       # "URL: reason" of each failed request for an archived resource
    app_failed: list[str] = field(default_factory=list)   # the same for the replay tool's own requests
    external: list[str] = field(default_factory=list)     # requests to anything but the replay server
    requests: list[str] = field(default_factory=list)     # every request the browser made
    images: list[tuple[str, int]] = field(default_factory=list)  # (currentSrc, naturalWidth)
    console: list[str] = field(default_factory=list)      # the browser console's errors and warnings
    unsettled: bool = False                               # network still busy after SETTLE_WAIT
    reloads: int = 0                                      # times the replay tool's page had to be reloaded

    @property
    def broken_images(self) -> list[str]:
        return [src for src, width in self.images if width <= 0]


class ReplayBrowser:
    """One headless chromium for several visits; each visit gets a fresh context."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)

    def close(self):
        self.browser.close()
        self._playwright.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def visit(self, url: str, frame_marker: str = "mp_/", screenshot: str | None = None,
              timeout: float = 120.0) -> Visit:
        """Open `url`; find the frame holding the replayed page (its URL contains
        `frame_marker`); wait until it has loaded and its images are done; report."""
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        seen = Visit(url)
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})

        def route(route):
            request_url = route.request.url
            if request_url.startswith(("data:", "blob:", "about:")) or request_url.startswith(origin + "/"):
                route.continue_()
            else:
                seen.external.append(request_url)
                route.abort("blockedbyclient")

        context.route("**/*", route)
        context.on("request", lambda request: seen.requests.append(request.url))

        def failed(request_url, reason):
            kind = seen.failed if ARCHIVED_RESOURCE.search(request_url) else seen.app_failed
            kind.append(f"{request_url}: {reason}")

        context.on("requestfailed", lambda request: failed(request.url, request.failure))
        context.on("response", lambda response: response.status >= 400 and failed(
            response.url, f"HTTP {response.status}"))
        try:
            page = context.new_page()
            page.on("console", lambda message: message.type in ("error", "warning") and seen.console.append(
                f"{message.type}: {message.text}"))
            page.goto(url, wait_until="load", timeout=timeout * 1000)
            frame = self._replay_frame(page, frame_marker, FRAME_WAIT)
            if frame is None:
                # ReplayWeb.page now and then (1 load in 10-15 on a loaded 2-core VM) leaves its
                # app frame empty, no replay frame, no error: a reader would press reload.
                seen.reloads += 1
                page.reload(wait_until="load", timeout=timeout * 1000)
                frame = self._replay_frame(page, frame_marker, timeout)
            if frame is None:
                raise AssertionError(f"no replay frame ({frame_marker}) in {[f.url for f in page.frames]}; "
                                     f"failed: {seen.failed + seen.app_failed}; console: {seen.console}")
            frame.wait_for_load_state("load", timeout=timeout * 1000)
            frame.wait_for_function(
                "Array.from(document.images).every(i => i.complete)", timeout=timeout * 1000)
            from playwright.sync_api import Error as PlaywrightError

            try:    # let late requests finish so failures are seen; ReplayWeb.page's service worker
                    # sometimes keeps a range fetch open and never lets the page reach network idle
                page.wait_for_load_state("networkidle", timeout=SETTLE_WAIT * 1000)
            except PlaywrightError:     # playwright's TimeoutError is one
                seen.unsettled = True
            seen.images = [tuple(pair) for pair in frame.evaluate(
                "Array.from(document.images).map(i => [i.currentSrc || i.src, i.naturalWidth])")]
            if screenshot:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
        finally:
            context.close()
        return seen

    @staticmethod
    def _replay_frame(page, marker: str, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in [page.main_frame, *page.frames]:
                if marker in frame.url:
                    return frame
            page.wait_for_timeout(200)
        return None


class _StaticHandler(SimpleHTTPRequestHandler):
    """Static files with byte ranges: ReplayWeb.page reads a WACZ's index and records by range."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "application/javascript",
                      ".wacz": "application/wacz+zip"}

    def send_head(self):
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        path = Path(self.translate_path(self.path))
        if not match or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start = int(match.group(1))
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        if start > end:
            self.send_error(416)
            return None
        handle = open(path, "rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return _Limited(handle, end - start + 1)

    def end_headers(self):
        if not self.headers.get("Range"):
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def log_message(self, *args):
        pass


class _Limited:
    """A file object that reads at most `left` bytes (copyfile reads to EOF)."""

    def __init__(self, handle, left: int):
        self.handle, self.left = handle, left

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(size)
        self.left -= len(data)
        return data

    def close(self):
        self.handle.close()


class ReplayWebPage:
    """ReplayWeb.page and one WACZ served from 127.0.0.1 (the app, its service worker under
    /replay/, the archive), and the URL that replays one archived page in it."""

    def __init__(self, wacz: str | os.PathLike):
        app = ensure_replaywebpage()
        self.root = Path(tempfile.mkdtemp(prefix="rwp-"))
        shutil.copy(app / "ui.js", self.root / "ui.js")     # the page embedding the app loads it
        (self.root / "replay").mkdir()
        shutil.copy(app / "sw.js", self.root / "replay" / "sw.js")
        shutil.copy(app / "ui.js", self.root / "replay" / "ui.js")  # and so does its replay frame
        shutil.copy(wacz, self.root / "archive.wacz")
        root = str(self.root)

        class Handler(_StaticHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=root, **kwargs)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def page_url(self, archived_url: str) -> str:
        """An HTML page embedding <replay-web-page> on `archived_url` (one file per URL)."""
        name = f"view-{abs(hash(archived_url)) % 10**8}.html"
        (self.root / name).write_text(
            '<!doctype html><html><head><meta charset="utf-8"><script src="/ui.js"></script></head>'
            '<body style="margin:0"><replay-web-page style="height:100vh;display:block" '
            f'source="/archive.wacz" url="{archived_url}" replayBase="/replay/" embed="replayonly">'
            '</replay-web-page></body></html>', encoding="utf-8")
        return f"{self.origin}/{name}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["ensure-replaywebpage"]:
        print(ensure_replaywebpage())
    else:
        sys.exit("usage: python -m tests.browser ensure-replaywebpage")
