"""`scrapy replay-server`: real pywb (own venv) serving a run directory on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archives.cdxj import write_cdxj
from archives.replay import Archive
from tests.conftest import run_scrapy
from tests.tools import replay_server

DATA = Path(__file__).parent / "data" / "warc"
BLOG = "http://data.gov.uk/blog/open-data-case-studies-and-time-machines%E2%80%A6"
MONA = "http://en.wikipedia.org/wiki/Mona_Lisa"


def snapshot(directory: Path) -> dict:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    shutil.copy(DATA / "ukwa-data.gov.uk-crawl1.warc.gz", out)
    write_cdxj(out / "ukwa-data.gov.uk-crawl1.warc.gz")    # a run's WARC with its CDXJ
    shutil.copy(DATA / "ukwa-wikipedia-mona-lisa.warc.gz", out)  # one without
    before = snapshot(out)
    with replay_server(out) as running:
        yield dict(running, out=out, before=before)


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return resp.status, resp.read()


def html_pages(*names) -> list[tuple[str, str]]:
    """(14-digit timestamp, URL) of every 200 text/html response in the WARCs, read with warcio
    (not the project's index), oldest first: what the command lists."""
    pages = []
    for name in names:
        with open(DATA / name, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers is None \
                        or record.http_headers.get_statuscode() != "200":
                    continue
                mime = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip()
                if mime in ("text/html", "application/xhtml+xml"):
                    stamp = "".join(c for c in record.rec_headers.get_header("WARC-Date") if c.isdigit())
                    pages.append((stamp[:14], record.rec_headers.get_header("WARC-Target-URI")))
    return sorted(pages)


def test_prints_where_to_look(server):
    pages = html_pages("ukwa-data.gov.uk-crawl1.warc.gz", "ukwa-wikipedia-mona-lisa.warc.gz")
    assert len(pages) == 34 and pages[0] == ("20130103203542", MONA)     # counted by hand, too
    lines = [line.rstrip("\n") for line in server["lines"]]
    start = lines.index(f"Replaying 2 WARC file(s), {len(pages)} HTML page(s): open {server['base']}")
    assert lines[start + 1:start + 12] == [f"  {server['base']}{stamp}/{url}" for stamp, url in pages[:10]] + \
        [f"  ... and {len(pages) - 10} more (search the collection page)"]


@pytest.mark.parametrize("url", [BLOG, MONA])
def test_serves_archived_articles_as_archived(server, url):
    with Archive.open([server["out"]]) as archive:
        capture = archive.get(url, 0)
        expected = capture.body()
    stamp = capture.record.date.replace("-", "").replace(":", "").replace("T", "").rstrip("Z")
    status, body = fetch(f"{server['base']}{stamp}id_/{url}")
    assert status == 200
    assert body == expected


def test_rewritten_page_is_browsable(server):
    status, body = fetch(f"{server['base']}2014mp_/http://data.gov.uk/about")
    assert status == 200 and b"<title>About | data.gov.uk</title>" in body and b"wbinfo" in body


def test_output_directory_is_untouched(server):
    assert snapshot(server["out"]) == server["before"]


def test_stops_cleanly_and_takes_pywb_with_it(server):
    proc = server["proc"]
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server["port"]), timeout=2).close()


def test_nothing_to_serve_is_a_usage_error(tmp_path):
    result = run_scrapy("replay-server", str(tmp_path))
    assert result.returncode == 2 and "no WARC files" in result.stderr


def test_serves_a_wacz_named_on_the_command_line(tmp_path):
    """`scrapy replay-server site.wacz`: the WARCs it packs are served, as reextract and REPLAY_WARC
    read them. It used to hand the zip to cdxj-indexer as a WARC: a traceback, nothing served."""
    shutil.copy(DATA / "ukwa-wikipedia-mona-lisa.warc.gz", tmp_path)
    wacz = tmp_path / "site.wacz"
    # made by the command, in its own process: importing the wacz library appends "warcinfo" to
    # cdxj-indexer's record types for the rest of the process (wacz/waczindexer.py), which would
    # change what test_cdxj's cdxj-indexer runs write if they came after this test
    made = run_scrapy("wacz", str(tmp_path), "-o", str(wacz))
    assert made.returncode == 0, made.stderr
    (tmp_path / "ukwa-wikipedia-mona-lisa.warc.gz").unlink()        # only the package is left
    with Archive.open([DATA / "ukwa-wikipedia-mona-lisa.warc.gz"]) as archive:
        capture = archive.get(MONA, 0)
        expected = capture.body()
    with replay_server(wacz) as running:
        status, body = fetch(f"{running['base']}20130103203542id_/{MONA}")
    assert status == 200 and body == expected
