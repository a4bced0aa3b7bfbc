"""Which pages become JSON lines, and what a line says about its record: a real `scrapy crawl news`
of a raw local server, then `scrapy reextract` of the WARCs it wrote.

- an article page whose body is empty (a live-blog shell: headline, byline, a script-filled
  container) gives no item, and is counted;
- an article whose response stopped short of its Content-Length gives an item marked
  `"truncated": true`, in the crawl and again when re-extracted from the WARC;
- every line validates against the schema.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from crawler.items import ARTICLE_FIELDS, load_schema
from tests.conftest import crawl, run_scrapy
from tests.rawserver import RawServer, Route, _head

STORY_PARAS = [
    "The harbour authority approved the new ferry timetable on Tuesday after a two-hour session.",
    "Boats will leave every twenty minutes at peak hours, up from every half hour, the board said.",
    "Residents of the outer islands had asked for earlier morning crossings for three years.",
]
CUT_PARAS = [
    "Flood defences along the river held overnight as the water rose to its highest level since 1998.",
    "Engineers walked the embankment at dawn and found two seepage points, both repaired by noon.",
    "The council said the sandbag stations would stay open until the weekend at the earliest.",
]


def _article(path: str, headline: str, paragraphs: list[str], kind: str = "NewsArticle") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{headline} | The Ledger</title>
<meta property="og:type" content="article"><meta property="og:title" content="{headline}">
<meta property="og:site_name" content="The Ledger">
<link rel="canonical" href="{path}">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "{kind}",
 "headline": "{headline}", "datePublished": "2024-11-05T18:00:00Z",
 "author": {{"@type": "Person", "name": "Ada Lindqvist"}}}}</script>
</head><body><header><a href="/">The Ledger</a></header>
<main><article><h1>{headline}</h1><p class="byline">By Ada Lindqvist</p>
<div class="story-body">{body}</div>
<div class="liveblog-entries" data-src="{path}/entries.json"></div>
</article></main><footer><a href="/about">About us</a></footer></body></html>""".encode()


def _ok(body: bytes, *, declared: int | None = None) -> list[bytes]:
    head = _head("HTTP/1.1 200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                     ("Content-Length", str(declared or len(body))),
                                     ("Connection", "close")])
    return [head, body]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    story = _article("/2024/11/05/ferry-timetable", "Ferry timetable approved", STORY_PARAS)
    live = _article("/2024/11/05/election-night-live", "Election night live", [], "LiveBlogPosting")
    flood = _article("/2024/11/05/flood-defences-hold", "Flood defences hold", CUT_PARAS)
    # the server sends the flood page up to the middle of its second paragraph, then closes
    cut_at = flood.index(CUT_PARAS[1].encode()) + 30
    home = (b"<!doctype html><html><head><title>The Ledger</title></head><body><ul>"
            b"<li><a href='/2024/11/05/ferry-timetable'>Ferry timetable approved</a></li>"
            b"<li><a href='/2024/11/05/election-night-live'>Election night live</a></li>"
            b"<li><a href='/2024/11/05/flood-defences-hold'>Flood defences hold</a></li>"
            b"</ul></body></html>")
    routes = {
        "/": Route(_ok(home), close=True),
        "/robots.txt": Route(_ok(b"User-agent: *\nAllow: /\n"), close=True),
        "/2024/11/05/ferry-timetable": Route(_ok(story), close=True),
        "/2024/11/05/election-night-live": Route(_ok(live), close=True),
        "/2024/11/05/flood-defences-hold": Route(_ok(flood[:cut_at], declared=len(flood)), close=True),
    }
    out = tmp_path_factory.mktemp("emission")
    with RawServer(routes=routes) as server:
        result = crawl(server.base_url + "/", out, settings={
            "DOWNLOAD_FAIL_ON_DATALOSS": "False", "RETRY_ENABLED": "False",
            "JOB_STATS_FILE": str(out / "stats.json")})
        base = server.base_url
    assert result.returncode == 0, result.stderr[-3000:]
    lines = (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    stats = json.loads((out / "stats.json").read_text())
    return {"out": out, "base": base, "items": [json.loads(line) for line in lines], "stats": stats}


def _by_path(items, base):
    return {item["url"][len(base):]: item for item in items}


def test_every_line_validates(run):
    schema = load_schema()
    assert run["items"]
    for item in run["items"]:
        jsonschema.validate(item, schema)
        assert tuple(item) == ARTICLE_FIELDS
        assert item["text"]


def test_empty_article_is_not_emitted_but_counted(run):
    got = _by_path(run["items"], run["base"])
    assert "/2024/11/05/election-night-live" not in got
    assert run["stats"].get("news/empty_articles") == 1
    story = got["/2024/11/05/ferry-timetable"]
    assert story["text"] == "\n\n".join(STORY_PARAS)
    assert story["truncated"] is False


def test_cut_short_response_is_marked_truncated(run):
    flood = _by_path(run["items"], run["base"])["/2024/11/05/flood-defences-hold"]
    assert flood["truncated"] is True
    assert CUT_PARAS[0] in flood["text"]
    assert CUT_PARAS[2] not in flood["text"]


def test_reextract_says_the_same(run, tmp_path):
    out = tmp_path / "again.jsonl"
    result = run_scrapy("reextract", str(run["out"]), "-O", str(out), "-s", "EXTRACT_WORKERS=1")
    assert result.returncode == 0, result.stderr[-3000:]
    again = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    schema = load_schema()
    for item in again:
        jsonschema.validate(item, schema)
    crawled = {i["url"]: (i["truncated"], i["text"]) for i in run["items"]}
    assert {i["url"]: (i["truncated"], i["text"]) for i in again} == crawled
    assert "1 article page(s) without body text skipped" in result.stderr.splitlines()[-1]
