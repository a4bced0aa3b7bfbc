"""What the reader saw, replayed: a crawl of tests/requisite_site.py opened in headless Chromium
through pywb (`scrapy replay-server`) and through ReplayWeb.page (the run's WACZ).

The site and its CDN are stopped before the browser starts: whatever the page shows comes
from the archive. Each replayed page must make no failed request, no request to anything but
the replay server, and render every image (naturalWidth > 0). One screenshot per replay tool
is kept in tests/artifacts/.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.browser import REPLAYWEBPAGE_DIR, ReplayBrowser, ReplayWebPage, chromium_path
from tests.conftest import crawl, run_scrapy
from tests.requisite_site import EXPECTED, RequisiteSite
from tests.system_tools import missing, require_chromium
from tests.tools import replay_server

# The lighthouse page loads an image the CDN's robots.txt forbids: it is not archived, so its
# replay would rightly show one missing image. Every other page replays whole.
PAGES = ["/news/2026/12/01/harbour-road", "/news/2026/12/02/ferry-timetable", "/"]
# Images each page shows (<img> elements; a browser running scripts leaves <noscript> as text), by hand.
IMAGE_COUNT = {"/news/2026/12/01/harbour-road": 5, "/news/2026/12/02/ferry-timetable": 2, "/": 1}


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """Crawl the site, then stop it and its CDN; return the run and the archived page URLs."""
    if not chromium_path():
        require_chromium()      # skips with the reason (fails under CI=true)
    out = tmp_path_factory.mktemp("browser-run")
    with RequisiteSite() as site:
        result = crawl(site.url("/"), out)
        assert result.returncode == 0, result.stderr[-3000:]
        urls = {path: site.url(path) for path in PAGES}
        cdn = site.cdn.origin
    assert set(PAGES) <= set(EXPECTED)
    return {"out": out, "urls": urls, "cdn": cdn}


@pytest.fixture(scope="module")
def browser():
    with ReplayBrowser() as opened:
        yield opened


@pytest.fixture(scope="module")
def pywb(archived):
    with replay_server(archived["out"]) as running:     # `scrapy replay-server OUTPUT_DIR`
        yield running["base"]


@pytest.fixture(scope="module")
def replaywebpage(archived):
    if not (REPLAYWEBPAGE_DIR / "ui.js").exists() and not shutil.which("npm"):
        missing("npm", "Debian: apt-get install -y npm (fetches ReplayWeb.page, `npm pack replaywebpage`)")
    result = run_scrapy("wacz", str(archived["out"]), "-o", str(archived["out"] / "run.wacz"))
    assert result.returncode == 0, result.stderr[-2000:]
    with ReplayWebPage(archived["out"] / "run.wacz") as served:
        yield served


# ReplayWeb.page's own housekeeping, not the replayed page: its UI asks the service worker for
# the collection before the worker has loaded it (404, asked again), and wabac.js drops its
# first whole-file GET of the WACZ once it sees the server answers byte ranges.
RWP_APP_NOISE = re.compile(r"/replay/w/api/c/[^ ]*: HTTP 404$|/archive\.wacz: net::ERR_ABORTED$")


def check(visit, path):
    assert visit.failed == [], "\n".join(visit.failed)
    assert visit.external == [], visit.external
    assert len(visit.images) == IMAGE_COUNT[path], visit.images
    assert visit.broken_images == [], visit.images


@pytest.mark.parametrize("path", PAGES)
def test_pywb_replays_page_whole(archived, pywb, browser, path):
    shot = "replay-pywb-harbour-road.png" if path == PAGES[0] else None
    visit = browser.visit(pywb + archived["urls"][path], screenshot=shot)
    check(visit, path)
    assert visit.app_failed == [], visit.app_failed
    assert visit.reloads == 0
    # The CDN's images were asked for, from the replay server, under their CDN URLs.
    if path == PAGES[0]:
        assert any(archived["cdn"] + "/img/lazy-bus.png" in url for url in visit.requests)


@pytest.mark.parametrize("path", PAGES)
def test_replaywebpage_replays_page_whole(archived, replaywebpage, browser, path):
    shot = "replay-replaywebpage-harbour-road.png" if path == PAGES[0] else None
    visit = browser.visit(replaywebpage.page_url(archived["urls"][path]), screenshot=shot)
    check(visit, path)
    assert [f for f in visit.app_failed if not RWP_APP_NOISE.search(f)] == []
    assert visit.reloads <= 1       # its UI's occasional empty first load (tests/browser.py)
    if path == PAGES[0]:
        assert any(archived["cdn"] + "/img/lazy-bus.png" in url for url in visit.requests)
