"""The same archive gives the same articles (issue 19).

- Two live crawls of one unchanged site, one request at a time and 16 at once, keep the same
  page for every duplicate group, and write the same articles.
- A replay of a crawl's WARCs, 16 requests at once, writes the live crawl's articles.jsonl and
  duplicates.jsonl byte for byte; `scrapy reextract` of the same WARCs gives the same articles.
- The page the rule prefers is kept even when it arrives last (a server that answers it late).
"""

from __future__ import annotations

import json
import socket

import pytest

from archives.reader import iter_records
from tests.conftest import crawl, group_canonical_urls, run_scrapy
from tests.rawserver import RawServer, Route
from tests.tools import read_jsonl

SERIAL = {"CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
PARALLEL = {"CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "EXTRACT_WORKERS": "2"}


def without_fetch(rows):
    """An article minus where and when this crawl fetched it (differs between two live crawls)."""
    return [{k: v for k, v in row.items() if k not in ("fetched_at", "warc")} for row in rows]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from demosite import DemoSite

    dirs = {name: tmp_path_factory.mktemp(name) for name in ("serial", "parallel", "replay", "reextract")}
    with DemoSite(synthetic_articles=200, seed=3) as site:
        base, expected = site.base_url, site.expected
        # AMP twins are linked only by <link rel=amphtml>: start from them too, so URL variants
        # reach the dedupe (query and slash variants are folded before they are fetched)
        twins = [site.url(path) for group in expected["duplicate_groups"] if group["kind"] == "url"
                 for path in group["members"] if path.endswith("/amp")]
        assert twins
        urls = ",".join([base, *twins])
        for name, settings in (("serial", SERIAL), ("parallel", PARALLEL)):
            result = crawl(urls, dirs[name], settings=settings)
            assert result.returncode == 0, result.stderr[-3000:]
    host, port = base.split("//")[1].rstrip("/").split(":")
    with pytest.raises(ConnectionRefusedError):  # the site is gone: the replay gets nothing from it
        socket.create_connection((host, int(port)), timeout=2).close()
    result = crawl(urls, dirs["replay"], settings={**PARALLEL, "REPLAY_WARC": str(dirs["parallel"])})
    assert result.returncode == 0, result.stderr[-3000:]
    result = run_scrapy("reextract", str(dirs["parallel"]), "-O", str(dirs["reextract"] / "articles.jsonl"),
                        "-s", "EXTRACT_WORKERS=2")
    assert result.returncode == 0, result.stderr[-3000:]
    return dirs, base, expected


def test_the_site_has_every_kind_of_duplicate(runs):
    dirs, base, expected = runs
    kinds = {group["kind"] for group in expected["duplicate_groups"]}
    assert kinds == {"url", "exact", "near"}
    duplicates = read_jsonl(dirs["parallel"] / "duplicates.jsonl")
    assert {d["kind"] for d in duplicates} == {"url", "exact", "near"}
    assert len(read_jsonl(dirs["parallel"] / "articles.jsonl")) >= 180


def test_two_concurrencies_keep_the_same_page_of_every_group(runs):
    dirs, base, expected = runs
    serial, parallel = read_jsonl(dirs["serial"] / "articles.jsonl"), read_jsonl(dirs["parallel"] / "articles.jsonl")
    assert [a["url"] for a in parallel] == [a["url"] for a in serial]
    assert without_fetch(parallel) == without_fetch(serial)
    for group in expected["duplicate_groups"]:
        members = group_canonical_urls(base, group)
        kept = [a["url"] for a in parallel if a["canonical_url"] in members]
        assert len(kept) == 1, group
    # the duplicates are the same too, pointing at the same kept pages
    assert read_jsonl(dirs["serial"] / "duplicates.jsonl") == read_jsonl(dirs["parallel"] / "duplicates.jsonl")


def test_the_crawl_order_did_vary(runs):
    """Not the point, but what makes the point: 16 requests at once archive pages in another
    order than one at a time."""
    dirs, _base, _expected = runs

    def order(directory):
        return [r.target_uri for r in iter_records([directory], payload=False) if r.type == "response"]
    assert order(dirs["serial"]) != order(dirs["parallel"])


def test_replay_writes_the_live_files_byte_for_byte(runs):
    dirs, _base, _expected = runs
    live = (dirs["parallel"] / "articles.jsonl").read_bytes()
    assert len(live.splitlines()) >= 180
    assert (dirs["replay"] / "articles.jsonl").read_bytes() == live
    assert (dirs["replay"] / "duplicates.jsonl").read_bytes() == (dirs["parallel"] / "duplicates.jsonl").read_bytes()


def test_reextract_gives_the_run_articles(runs):
    dirs, _base, _expected = runs
    live = read_jsonl(dirs["parallel"] / "articles.jsonl")
    again = read_jsonl(dirs["reextract"] / "articles.jsonl")
    # same articles, same order, duplicates left out as the crawl left them out; reextract
    # dates an item by its response record, as the crawl does
    assert [a["url"] for a in again] == [a["url"] for a in live]
    assert again == live


# --- the preferred page arrives last -------------------------------------------------------

WORDS = ("The regional water board approved a plan on Tuesday to rebuild the aging reservoir dam "
         "after engineers warned that heavy rain could overwhelm the spillway within a decade. ").split()


def body(seed: int, n: int = 120) -> list[str]:
    """Paragraphs of prose, different for each seed."""
    words = [f"{w}{seed}" if i % 7 == 0 else w for i, w in enumerate(WORDS * (n // len(WORDS) + 1))][:n]
    return [" ".join(words[i:i + 40]) + "." for i in range(0, n, 40)]


def article(title: str, paragraphs: list[str], canonical: str | None, published: str, amp=False) -> bytes:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
          "datePublished": published, "author": {"@type": "Person", "name": "Ana Ortiz"}}
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    paras = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!doctype html><html lang="en"{" amp" if amp else ""}><head><title>{title}</title>{link}'
            f'<meta property="og:type" content="article">'
            f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
            f'<body><article><h1>{title}</h1>{paras}</article></body></html>').encode()


def ok(data: bytes, ctype: str = "text/html; charset=utf-8") -> list[bytes]:
    return [f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(data)}\r\n\r\n".encode(), data]


LATE = 2.0   # seconds the preferred pages take: everything else has arrived by then


def late_site() -> tuple[dict[str, Route], dict]:
    """Two stories, each copied under other URLs that answer at once, while the page the rule
    keeps answers LATE seconds later.

    Story 1: /news/dam-plan (its own canonical, declared by its AMP twin too) vs its AMP twin,
    an exact copy at /news/dam-plan-2 and a near copy on /wire/. Rule 1 and 2.
    Story 2: two self-canonical exact copies, no twins: the earlier published one wins over a
    shorter URL published later. Rule 3."""
    one, two = body(1), body(2)
    near = [one[0], one[1].replace("approved", "endorsed").replace("engineers", "inspectors"), one[2]]
    pages = {
        "/news/dam-plan": (article("Board backs dam rebuild", one, "/news/dam-plan", "2024-05-01T08:00:00Z"), LATE),
        "/news/dam-plan/amp": (article("Board backs dam rebuild", one, "/news/dam-plan", "2024-05-01T08:00:00Z",
                                       amp=True), 0),
        "/news/dam-plan-2": (article("Board backs dam rebuild", one, "/news/dam-plan-2", "2024-05-01T08:00:00Z"), 0),
        "/wire/reservoir-dam-to-be-rebuilt": (
            article("Reservoir dam to be rebuilt", near, "/wire/reservoir-dam-to-be-rebuilt",
                    "2024-05-01T09:30:00Z"), 0),
        "/local/2024/bridge-closure-announced-for-repairs": (
            article("Bridge to close for repairs", two, None, "2024-05-02T07:00:00Z"), LATE),
        "/b/bridge": (article("Bridge to close for repairs", two, None, "2024-05-03T07:00:00Z"), 0),
    }
    routes = {"/robots.txt": Route(ok(b"User-agent: *\nAllow: /\n", "text/plain"))}
    home = "".join(f'<li><a href="{path}">{path}</a></li>' for path in pages)
    routes["/"] = Route(ok(f"<html><body><h1>Home</h1><ul>{home}</ul></body></html>".encode()))
    for path, (html, pause) in pages.items():
        head, data = ok(html)
        routes[path] = Route([head, data[:200], data[200:]], pause=pause)
    return routes, {"kept": ["/local/2024/bridge-closure-announced-for-repairs", "/news/dam-plan"],
                    "duplicates": {"/news/dam-plan/amp": ("url", "/news/dam-plan"),
                                   "/news/dam-plan-2": ("exact", "/news/dam-plan"),
                                   "/wire/reservoir-dam-to-be-rebuilt": ("near", "/news/dam-plan"),
                                   "/b/bridge": ("exact", "/local/2024/bridge-closure-announced-for-repairs")}}


def test_the_rule_holds_when_the_preferred_page_arrives_last(tmp_path):
    routes, want = late_site()
    out = tmp_path / "out"
    with RawServer(routes=routes) as server:
        result = crawl(server.base_url + "/", out, settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "8"})
        base = server.base_url
    assert result.returncode == 0, result.stderr[-3000:]
    # the scenario: both preferred pages were archived after all their copies
    order = [r.target_uri[len(base):] for r in iter_records([out], payload=False)
             if r.type in ("response", "revisit")]
    pages = [path for path in order if path not in ("/", "/robots.txt")]
    assert sorted(pages) == sorted(want["kept"] + list(want["duplicates"]))
    assert set(pages[-2:]) == set(want["kept"]), pages
    articles = read_jsonl(out / "articles.jsonl")
    assert [a["url"] for a in articles] == [base + path for path in want["kept"]]
    duplicates = {d["url"][len(base):]: (d["kind"], d["duplicate_of"][len(base):])
                  for d in read_jsonl(out / "duplicates.jsonl")}
    assert duplicates == want["duplicates"]
