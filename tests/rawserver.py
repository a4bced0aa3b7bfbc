"""A raw-socket HTTP server that sends exactly the bytes a test gives it, and the spider that crawls it.

http.server would normalize what we want to keep odd (header case, reason
phrases, chunk framing), so each route is the literal response bytes, optionally
in several segments with pauses between them (a head split across packets).
Every request is recorded raw, so tests can compare the WARC request record too.

    python -m tests.rawserver        # serve the standard routes, print the base URL
"""

from __future__ import annotations

import gzip
import json
import random
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import scrapy

from tests.conftest import crawl_args, scrapy_command


@dataclass
class Route:
    segments: list[bytes]            # sent in order, with `pause` seconds between them
    pause: float = 0.0
    close: bool = False              # close the connection after sending (no keep-alive)
    reset: bool = False              # then reset it (RST, as a crashed server or a middlebox)
    then: "Route | None" = None      # served instead from the next request on (503, then 200)
    hold: threading.Event | None = None  # the segments after the first wait until it is set

    @property
    def data(self) -> bytes:
        return b"".join(self.segments)


def chunked(body: bytes, sizes=(7, 1, 300)) -> bytes:
    out, pos, i = b"", 0, 0
    while pos < len(body):
        size = sizes[i % len(sizes)]
        piece = body[pos:pos + size]
        # odd but legal framing: upper-case hex and a chunk extension
        out += f"{len(piece):X};ext=1\r\n".encode() + piece + b"\r\n"
        pos, i = pos + size, i + 1
    return out + b"0\r\n\r\n"


HTML = (b"<!doctype html><html><head><title>Odd head</title></head><body>"
        b"<p>Plain ASCII page served with odd headers.</p></body></html>")
GZIP_HTML = b"<html><body><p>" + b"Compressed paragraph. " * 40 + b"</p></body></html>"
CHUNKED_HTML = b"<html><body><p>" + b"".join(b"Chunked sentence %d. " % i for i in range(60)) + \
    b"</p></body></html>"
TARGET_HTML = b"<p>redirect target</p>"
ROBOTS = b"User-agent: *\nDisallow: /private\n"
# Name case, order, repeated Set-Cookie, odd spacing and a long reason phrase, as a server sent them.
ODD_HEAD = (b"HTTP/1.1 200 Totally Fine Thanks\r\nx-ODD-case: MixedValue\r\n"
            b"Set-Cookie: a=1; Path=/\r\nSERVER: rawserver/1\r\nSet-Cookie: b=2; Path=/\r\n"
            b"content-type: text/html\r\nX-Spaces:   padded  \r\n"
            b"Content-Length: %d\r\n\r\n" % len(HTML))
CP1252_HTML = ("<html><head><meta charset=windows-1252><title>Caf\u00e9</title></head><body>"
               "<p>\u201cQuoted\u201d \u2013 na\u00efve \u20ac5</p></body></html>").encode("cp1252")


def _head(status: str, headers: list[tuple[str, str]], eol: bytes = b"\r\n") -> bytes:
    lines = [status.encode("latin-1")] + [f"{k}: {v}".encode("latin-1") for k, v in headers]
    return eol.join(lines) + eol + eol


ARTICLE_PREFIX = "/news/2024/05/01/"   # an article URL's shape (date path) for article_html pages
WORDS = ("harbour council budget river school bridge market festival railway library election "
         "museum hospital weather farmers orchestra stadium ferry vineyard airport theatre mayor "
         "volunteers planning tunnel coastline bakery harvest parliament").split()


def article_html(title: str, seed: int, *, charset: str = "utf-8", extra: str = "") -> bytes:
    """An article page the crawl recognises (JSON-LD NewsArticle, og:type, long prose)."""
    rng = random.Random(seed)
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(70)).capitalize() + ".</p>" for _ in range(6))
    return (f"<!doctype html><html lang=en><head><meta charset={charset}><title>{title}</title>"
            f'<meta property="og:type" content="article">'
            f'<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{title}",'
            f'"datePublished":"2024-05-0{seed % 9 + 1}T10:00:00Z"}}</script></head>'
            f"<body><article><h1>{title}</h1>{extra}{paragraphs}</article></body></html>").encode()


def ok(body: bytes, content_type: str = "text/html; charset=utf-8", extra=()) -> list[bytes]:
    return [_head("HTTP/1.1 200 OK", [("Content-Type", content_type),
                                      ("Content-Length", str(len(body))), *extra]), body]


def redirect(location: str) -> list[bytes]:
    return [_head("HTTP/1.1 302 Found", [("Location", location), ("Content-Length", "0")])]


def scrapy_crawl_cmd(base_url: str, out: Path, extra_urls=(), **settings) -> list[str]:
    """The crawl of a raw site (and `extra_urls`): short timeout, one retry, stats in OUTPUT_DIR/stats.json."""
    return scrapy_command(*crawl_args(",".join([f"{base_url}/", *extra_urls]), out, {
        "JOB_STATS_FILE": str(out / "stats.json"), "DOWNLOAD_TIMEOUT": "2", "RETRY_TIMES": "1", **settings}))


def standard_routes() -> dict[str, Route]:
    """Path -> exact response bytes. Heads end with the blank line; bodies follow."""
    gz = gzip.compress(GZIP_HTML, mtime=0)
    routes = {
        "/robots.txt": [_head("HTTP/1.1 200 OK", [("Content-Type", "text/plain"),
                                                  ("Content-Length", str(len(ROBOTS)))]), ROBOTS],
        "/odd": [ODD_HEAD, HTML],
        "/gzip": [_head("HTTP/1.1 200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                            ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"),
                                            ("Content-Length", str(len(gz)))]), gz],
        "/chunked": [_head("HTTP/1.1 200 OK", [("Content-Type", "text/html"),
                                               ("Transfer-Encoding", "chunked")]),
                     chunked(CHUNKED_HTML)],
        "/cp1252": [_head("HTTP/1.1 200 OK", [("Content-Type", "text/html; charset=windows-1252"),
                                              ("Content-Length", str(len(CP1252_HTML)))]),
                    CP1252_HTML],
        "/moved": [_head("HTTP/1.1 301 Moved For Good", [("Location", "/moved-target"),
                                                         ("Content-Length", "0")])],
        "/moved-target": [_head("HTTP/1.1 200 OK", [("Content-Type", "text/html"),
                                                    ("Content-Length", str(len(TARGET_HTML)))]),
                          TARGET_HTML],
        "/missing": [_head("HTTP/1.1 404 Nowhere To Be Found", [("Content-Type", "text/plain"),
                                                                ("Content-Length", "9")]),
                     b"not here\n"],
        "/dup": [_head("HTTP/1.1 200 OK", [("Content-Type", "text/html"),
                                           ("Content-Length", str(len(HTML)))]), HTML],
        "/lf": [_head("HTTP/1.1 200 Bare LF", [("Content-Type", "text/plain"),
                                               ("Content-Length", "5")], eol=b"\n"), b"bare\n"],
        "/continue": [_head("HTTP/1.1 100 Continue", []),
                      _head("HTTP/1.1 200 After Continue", [("Content-Type", "text/plain"),
                                                            ("Content-Length", "6")]), b"after\n"],
    }
    out = {path: Route(segments) for path, segments in routes.items()}
    # The same head, cut mid-line and mid-CRLF, in three packets with pauses.
    head = _head("HTTP/1.1 200 Split Head", [("Content-Type", "text/plain"), ("X-Part", "one"),
                                             ("Content-Length", "6")])
    out["/split"] = Route([head[:11], head[11:40], head[40:-1], head[-1:] + b"split\n"], pause=0.05)
    out["/close"] = Route([_head("HTTP/1.1 200 Until Close", [("Content-Type", "text/plain"),
                                                              ("Connection", "close")]),
                           b"read until the connection closes\n"], close=True)
    return out


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a throwaway self-signed certificate for 127.0.0.1."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


@dataclass
class RawServer:
    routes: dict[str, Route] = field(default_factory=standard_routes)
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[tuple[str, bytes]] = field(default_factory=list)  # (path, raw request bytes)
    arrivals: list[tuple[str, float]] = field(default_factory=list)  # (path, time.monotonic() it came)
    tls: ssl.SSLContext | None = None  # serve HTTPS with this context

    def start(self) -> "RawServer":
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def stop(self) -> None:
        self._stop.set()
        try:
            socket.create_connection((self.host, self.port), timeout=1).close()
        except OSError:
            pass
        self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                conn.close()
                return
        try:
            with conn:
                self._exchanges(conn)
        except OSError:  # the client went away mid-exchange
            pass

    def _exchanges(self, conn: socket.socket) -> None:
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            end = buf.index(b"\r\n\r\n") + 4
            head = buf[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(buf) < end + length:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            raw, buf = buf[:end + length], buf[end + length:]
            path = head.split(b" ", 2)[1].decode("latin-1")
            self.requests.append((path, raw))
            self.arrivals.append((path, time.monotonic()))
            route = self.routes.get(path) or self.routes.get(path.split("?")[0]) or Route(
                [_head("HTTP/1.1 404 Not Found", [("Content-Length", "0")])])
            if route.then is not None:
                self.routes[path if path in self.routes else path.split("?")[0]] = route.then
            for i, segment in enumerate(route.segments):
                if i and route.pause:
                    time.sleep(route.pause)
                if i and route.hold is not None:
                    route.hold.wait(300)
                conn.sendall(segment)
            if route.reset:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if route.close or b"connection: close" in head.lower():
                return


PATHS = ["odd", "gzip", "chunked", "cp1252", "moved", "missing", "dup", "lf", "continue",
         "split", "close"]
ROOT = Path(__file__).resolve().parent.parent


def crawl_rawsite(server: RawServer, out: Path, *settings: str, paths=PATHS,
                  headers: dict | None = None, extra_urls=()) -> dict:
    """`scrapy runspider` this module's spider over `paths` into `out`; return the crawl's stats."""
    urls = ",".join([f"{server.base_url}/{p}" for p in paths] + list(extra_urls))
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(Path(__file__)),
           "-a", f"urls={urls}", "-a", f"headers={json.dumps(headers or {})}",
           "-s", f"OUTPUT_DIR={out}"]
    for setting in settings:
        cmd += ["-s", setting]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"crawl failed: {proc.stderr[-3000:]}")
    return json.loads((Path(out) / "stats.json").read_text())


class RawSiteSpider(scrapy.Spider):
    """Fetches `-a urls=...` (comma-separated), follows nothing, logs each response's WARC pointer.

    Writes OUTPUT_DIR/seen.jsonl: url, status, meta warc, meta warc_date.
    """

    name = "rawsite"
    handle_httpstatus_list = [404, 500, 503]
    custom_settings = {
        "ITEM_PIPELINES": {},
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "RETRY_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }

    def __init__(self, urls: str = "", headers: str = "", **kwargs):
        super().__init__(**kwargs)
        self.urls = [u for u in urls.split(",") if u]
        self.extra_headers = json.loads(headers) if headers else {}

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, headers=self.extra_headers, dont_filter=True)

    def parse(self, response):
        out = Path(self.settings.get("OUTPUT_DIR")) / "seen.jsonl"
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"url": response.url, "status": response.status,
                                 "warc": response.meta.get("warc"),
                                 "warc_date": response.meta.get("warc_date")}) + "\n")

    def closed(self, reason):
        out = Path(self.settings.get("OUTPUT_DIR")) / "stats.json"
        out.write_text(json.dumps(self.crawler.stats.get_stats(), default=str, indent=1))


if __name__ == "__main__":
    with RawServer() as server:
        print(server.base_url, flush=True)
        threading.Event().wait()
