"""The socket side of the demo site: a stdlib threading HTTP/1.1 server on 127.0.0.1.

Responses are written by hand (Content-Length or hand-made chunked framing), so what a test
reads off the wire is exactly what the site meant to send.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin

from .app import Response, SiteApp
from .catalog import Catalog

CHUNK_SIZES = (1000, 4096, 17, 2500)   # uneven on purpose: parsers must not assume aligned chunks


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "MeridianCMS/4.2"
    sys_version = ""
    timeout = 30                       # idle keep-alive connections close eventually

    def do_GET(self):
        self._serve(head=False)

    def do_HEAD(self):
        self._serve(head=True)

    def _serve(self, head: bool):
        site = self.server.site
        site._log(self.command, self.path, dict(self.headers.items()))
        response = site.app.handle(self.command, self.path, self.headers)
        self._write(response, head)

    def _write(self, r: Response, head: bool):
        self.send_response(r.status, r.reason)
        if r.content_type:
            self.send_header("Content-Type", r.content_type)
        for name, value in r.headers:
            self.send_header(name, value)
        if r.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif r.status != 304:
            self.send_header("Content-Length", str(len(r.body)))
        self.end_headers()
        if head or r.status == 304:
            return
        if not r.chunked:
            self.wfile.write(r.body)
            return
        pos, n = 0, 0
        while pos < len(r.body):
            piece = r.body[pos:pos + CHUNK_SIZES[n % len(CHUNK_SIZES)]]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            pos, n = pos + len(piece), n + 1
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format, *args):  # the request log is kept in DemoSite.request_log
        pass


class DemoSite:
    """The bundled demo news site. `expected` is the ground truth a crawl is compared with."""

    def __init__(self, port: int = 0, synthetic_articles: int = 0, seed: int = 1, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.catalog = Catalog(synthetic_articles=synthetic_articles, seed=seed)
        self.app = SiteApp(self.catalog)
        self._log_lock = threading.Lock()
        self._request_log: list[tuple[str, str, dict]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> "DemoSite":
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.site = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"demosite:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- addresses and ground truth -------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def url(self, path: str) -> str:
        """Absolute URL of a site path ("/world/" or "world/" alike)."""
        return urljoin(self.base_url, path.lstrip("/"))

    @property
    def expected(self) -> dict:
        return self.catalog.expected()

    # --- request log ----------------------------------------------------------------------

    def _log(self, method, path, headers):
        with self._log_lock:
            self._request_log.append((method, path, headers))

    @property
    def request_log(self) -> list[tuple[str, str, dict]]:
        """A snapshot: (method, path with query, headers) per request received, in order."""
        with self._log_lock:
            return list(self._request_log)

    def clear_log(self) -> None:
        with self._log_lock:
            self._request_log.clear()

    # --- content changes between crawls ---------------------------------------------------

    def publish(self, slug, **fields):
        """Add an article (see Catalog.publish for fields); returns its path."""
        return self.catalog.publish(slug, **fields).path

    def edit(self, slug, **fields):
        """Change an article's body/title/description; bumps its Last-Modified and ETag."""
        return self.catalog.edit(slug, **fields).path
