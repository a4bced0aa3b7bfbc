"""Replay the crawl's WARCs in real pywb (own venv, see tests/tools.py) and validate the WACZ.

Collection `crawl` uses our WARCs with our CDXJ indexes as they are; collection
`wacz` is the WACZ written at the end of the crawl (WARC_WACZ), unpacked by
`wb-manager add --unpack-wacz`.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
import zipfile

import pytest

from tests.rawserver import (CHUNKED_HTML, CP1252_HTML, GZIP_HTML, HTML, RawServer, crawl_rawsite)
from tests.tools import BIN, ROOT, ensure_pywb, free_port

PAGES = {"odd": HTML, "gzip": GZIP_HTML, "chunked": CHUNKED_HTML, "cp1252": CP1252_HTML,
         "dup": HTML, "split": b"split\n", "lf": b"bare\n", "close": b"read until the connection closes\n"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str) -> tuple[int, dict, bytes]:
    """GET without following redirects or decoding content-encoding."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    bin_dir = ensure_pywb()
    out = tmp_path_factory.mktemp("crawl")
    with RawServer() as server:
        crawl_rawsite(server, out, "WARC_WACZ=True")
        base = server.base_url
    root = tmp_path_factory.mktemp("pywb")
    coll = root / "collections" / "crawl"
    (coll / "archive").mkdir(parents=True)
    (coll / "indexes").mkdir()
    for warc in out.glob("*.warc.gz"):
        shutil.copy(warc, coll / "archive")
    for i, cdxj in enumerate(sorted(out.glob("*.cdxj"))):
        shutil.copy(cdxj, coll / "indexes" / f"index{i}.cdxj")
    [wacz] = out.glob("*.wacz")
    subprocess.run([str(bin_dir / "wb-manager"), "init", "wacz"], cwd=root, check=True,
                   capture_output=True)
    subprocess.run([str(bin_dir / "wb-manager"), "add", "--unpack-wacz", "wacz", str(wacz)],
                   cwd=root, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([str(bin_dir / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # wait for it to listen (bounded)
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-2000:])
            try:
                fetch(f"{url}/crawl/")
                break
            except OSError:
                time.sleep(0.25)
        yield {"wayback": url, "base": base, "out": out, "wacz": wacz, "bin": bin_dir}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("coll", ["crawl", "wacz"])
@pytest.mark.parametrize("path", sorted(PAGES))
def test_raw_replay_serves_the_original_body(replay, coll, path):
    status, headers, body = fetch(f"{replay['wayback']}/{coll}/2026id_/{replay['base']}/{path}")
    assert status == 200
    if path == "gzip":
        # pywb hands out the content decoded and keeps the original header aside
        assert headers.get("X-Archive-Orig-Content-Encoding") == "gzip"
    assert body == PAGES[path]


def test_raw_replay_keeps_reason_phrase_and_header_case(replay):
    status, headers, _ = fetch(f"{replay['wayback']}/crawl/2026id_/{replay['base']}/odd")
    assert status == 200
    assert headers["x-ODD-case"] == "MixedValue"
    assert headers["content-type"] == "text/html"


def test_redirect_replays_as_a_redirect(replay):
    status, headers, _ = fetch(f"{replay['wayback']}/crawl/2026id_/{replay['base']}/moved")
    assert status == 301
    assert headers["Location"].endswith("/moved-target")


@pytest.mark.parametrize("path", ["odd", "gzip", "chunked", "cp1252", "dup"])
def test_rewritten_replay_serves_the_original_body(replay, path):
    status, _, body = fetch(f"{replay['wayback']}/crawl/2026mp_/{replay['base']}/{path}")
    assert status == 200
    assert b"wbinfo" in body  # pywb's rewriting ran
    original_body = PAGES[path].split(b"<body>", 1)[1]  # what follows the inserted head script
    assert original_body in body


def test_wacz_is_valid(replay):
    result = subprocess.run([str(replay["bin"] / "wacz"), "validate", "-f", str(replay["wacz"])],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout


def test_scrapy_wacz_command_packages_the_directory(replay, tmp_path):
    target = tmp_path / "run.wacz"
    proc = subprocess.run([str(BIN / "scrapy"), "wacz", "-o", str(target),
                           str(replay["out"])], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(target)
    result = subprocess.run([str(replay["bin"] / "wacz"), "validate", "-f", str(target)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        pages = zf.read("pages/pages.jsonl").decode().splitlines()
    assert any(n.startswith("archive/crawl-") and n.endswith(".warc.gz") for n in names)
    assert any(f"{replay['base']}/odd" in line for line in pages)
    assert not any("/missing" in line or "/moved\"" in line for line in pages)
