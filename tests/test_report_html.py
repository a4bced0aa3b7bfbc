"""report.html renders in a real headless Chromium (Debian's /usr/bin/chromium, driven by
playwright; no browser is downloaded): its charts and its articles table are drawn, the
console stays clean and the page asks the network for nothing. A screenshot is kept in
tests/artifacts/ (git-ignored) for a person to look at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import crawl
from tests.system_tools import require_chromium

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def crawled(demo_site, tmp_path_factory):
    out = tmp_path_factory.mktemp("report-html")
    result = crawl(demo_site.base_url, out)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_report_html_renders_charts_and_table_offline(crawled):
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    report = json.loads((crawled / "report.json").read_text())
    expected_rows = len(report["articles"])
    assert expected_rows > 0
    console, requests, page_errors = [], [], []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.on("request", lambda req: requests.append(req.url))
            page.goto((crawled / "report.html").as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=15000)   # the inline script ran
            bars_days = page.locator("#chart-days svg rect.bar").count()
            bars_sections = page.locator("#chart-sections svg rect.bar").count()
            first_bar_width = page.locator("#chart-days svg rect.bar").first.bounding_box()["width"]
            rows = page.locator("#articles tbody tr").count()
            titles = page.locator("#articles tbody tr td:first-child").all_inner_texts()
            page.fill("#filter", report["articles"][0]["title"][:25])
            visible = page.locator("#articles tbody tr:visible").count()
            page.fill("#filter", "")
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert bars_days == len(report["articles_per_day"]) and bars_sections == len(report["articles_per_section"])
    assert first_bar_width > 0
    assert rows == expected_rows
    assert any(report["articles"][0]["title"] in t for t in titles)
    assert 1 <= visible < rows
    assert not page_errors, page_errors
    assert not [m for m in console if m.startswith(("error", "warning"))], console
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == [], requests
