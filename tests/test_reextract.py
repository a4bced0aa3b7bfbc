"""`scrapy reextract` on third-party WARCs (tests/data/warc): offline, one item per canonical URL."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from archives.index import exact_key
from archives.reader import read_record
from crawler.items import ARTICLE_FIELDS, load_schema
from crawler.urls import canonicalize_url
from tests.conftest import run_scrapy

DATA = Path(__file__).parent / "data" / "warc"


def reextract(*args, workers=1):
    return run_scrapy("reextract", *map(str, args), "-s", f"EXTRACT_WORKERS={workers}")


def read_items(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def corpus_items(tmp_path_factory):
    out = tmp_path_factory.mktemp("reextract") / "articles.jsonl"
    # --all-pages: what is tested here is reading, dedupe and pointers, not which pages are stories
    # (the corpus's "about" and policy pages are not; tests/test_classify.py covers recognition)
    result = reextract(DATA, "-O", out, "--all-pages", workers=2)
    assert result.returncode == 0, result.stderr
    return read_items(out), result


def test_items_are_schema_valid_records(corpus_items):
    items, _ = corpus_items
    schema = load_schema()
    assert items
    for item in items:
        jsonschema.validate(item, schema)
        assert tuple(item) == ARTICLE_FIELDS


def test_each_item_points_at_its_own_record(corpus_items):
    items, _ = corpus_items
    for item in items:
        pointer = item["warc"]
        record = read_record(DATA / pointer["filename"], pointer["offset"])
        assert record.record_id == pointer["record_id"]
        assert record.length == pointer["length"]
        # The URL as Scrapy requests it (`[` -> `%5B`), like the crawl's items.
        assert exact_key(record.target_uri) == item["url"]
        assert item["fetched_at"] == record.date


def test_one_item_per_canonical_url(corpus_items):
    items, result = corpus_items
    keys = [canonicalize_url(i["url"]) for i in items]
    assert len(keys) == len(set(keys))
    # The Mona Lisa article is archived twice (same digest) and comes out once.
    mona = [i for i in items if i["url"] == "http://en.wikipedia.org/wiki/Mona_Lisa"]
    assert len(mona) == 1 and "Leonardo" in mona[0]["text"]
    assert "duplicate(s) skipped" in result.stderr.splitlines()[-1]


def test_first_capture_wins_across_crawls(corpus_items):
    # data.gov.uk/about changed between crawl1 and crawl2; crawl1 (first file) is kept.
    items, _ = corpus_items
    (about,) = [i for i in items if i["url"] == "http://data.gov.uk/about"]
    assert about["warc"]["filename"] == "ukwa-data.gov.uk-crawl1.warc.gz"


def test_truncated_input_is_reported_not_fatal(corpus_items):
    items, result = corpus_items
    lines = result.stderr.splitlines()
    clipped = [line for line in lines if "resiliparse-clipped-houstonpress.warc.gz" in line]
    assert len(clipped) == 1 and "truncated" in clipped[0]
    assert lines[-1].startswith("reextract: 6 file(s), 472 records, ")
    assert lines[-1].endswith("; 1 problem(s)")


def test_all_pages_adds_non_article_html(tmp_path):
    only = tmp_path / "articles.jsonl"
    every = tmp_path / "all.jsonl"
    names = ["warcio-example.warc.gz", "warcio-example-iana.org-chunked.warc"]
    assert reextract(*(DATA / n for n in names), "-O", only).returncode == 0
    result = reextract(*(DATA / n for n in names), "-O", every, "--all-pages")
    assert result.returncode == 0, result.stderr
    urls = {i["url"]: i for i in read_items(every)}
    assert set(urls) == {"http://example.com/", "http://www.iana.org/"}
    assert len(read_items(only)) < len(urls)
    # gzip Content-Encoding undone before extraction; example.com is served once
    # (its revisit resolves to the same page and is a duplicate).
    assert "illustrative examples" in urls["http://example.com/"]["text"]
    # chunked transfer coding undone before extraction.
    assert urls["http://www.iana.org/"]["title"].startswith("Internet Assigned Numbers Authority")


def test_workers_do_not_change_the_output(tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert reextract(DATA / "ukwa-data.gov.uk-crawl1.warc.gz", "-O", one, workers=1).returncode == 0
    assert reextract(DATA / "ukwa-data.gov.uk-crawl1.warc.gz", "-O", two, workers=2).returncode == 0
    assert one.read_text() == two.read_text() and one.read_text()


def test_revisits_resolve_to_earlier_file(tmp_path):
    # crawl2 alone: its revisits' originals are missing -> reported, not fatal.
    alone = tmp_path / "alone.jsonl"
    result = reextract(DATA / "ukwa-data.gov.uk-crawl2-revisits.warc.gz", "-O", alone, "--all-pages")
    assert result.returncode == 0
    assert "original response not in the inputs" in result.stderr
    # With crawl1 given after it, every revisit resolves (index built on demand).
    both = tmp_path / "both.jsonl"
    result = reextract(DATA / "ukwa-data.gov.uk-crawl2-revisits.warc.gz",
                       DATA / "ukwa-data.gov.uk-crawl1.warc.gz", "-O", both, "--all-pages", workers=2)
    assert result.returncode == 0, result.stderr
    assert "original response not in the inputs" not in result.stderr
    from_crawl2 = [i for i in read_items(both)
                   if i["warc"]["filename"] == "ukwa-data.gov.uk-crawl2-revisits.warc.gz"]
    assert len(from_crawl2) > len(read_items(alone))
    revisited = [i for i in from_crawl2 if i["url"] == "http://data.gov.uk/moderation-policy"]
    assert revisited and "moderat" in revisited[0]["text"].lower()


def test_damaged_file_keeps_the_rest(tmp_path):
    data = bytearray((DATA / "ukwa-data.gov.uk-crawl1.warc.gz").read_bytes())
    bad = 277097  # the blog post response
    for i in range(bad + 300, bad + 340):
        data[i] ^= 0x55
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(bytes(data))
    out = tmp_path / "out.jsonl"
    result = reextract(damaged, "-O", out, "--all-pages")
    assert result.returncode == 0, result.stderr
    assert f"{damaged}: offset {bad}: unreadable record" in result.stderr
    urls = {i["url"] for i in read_items(out)}
    assert "http://data.gov.uk/about" in urls
    assert not any("time-machines" in u for u in urls)


def test_append_and_overwrite(tmp_path):
    out = tmp_path / "out.jsonl"
    warc = DATA / "warcio-example.warc.gz"
    assert reextract(warc, "-o", out, "--all-pages").returncode == 0
    assert reextract(warc, "-o", out, "--all-pages").returncode == 0
    assert len(read_items(out)) == 2
    assert reextract(warc, "-O", out, "--all-pages").returncode == 0
    assert len(read_items(out)) == 1


@pytest.mark.parametrize("args, message", [
    ((), "give at least one WARC"),
    ((DATA,), "-o (append) or -O (overwrite)"),
    (("missing-dir", "-o", "x.jsonl"), "missing-dir: no such file or directory"),
])
def test_usage_errors(args, message, tmp_path):
    result = run_scrapy("reextract", *map(str, args), cwd=Path(__file__).parent.parent)
    assert result.returncode == 2
    assert message in result.stderr


def test_directory_without_warcs(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(DATA / "PROVENANCE.md", empty)
    result = run_scrapy("reextract", str(empty), "-o", str(tmp_path / "x.jsonl"))
    assert result.returncode == 2 and "no WARC files" in result.stderr


def test_undecodable_body_is_reported_and_progress_is_shown(tmp_path):
    from archives.writer import WarcWriter
    from crawler.reextract import Reextractor
    from pipelines.jsonl import JsonLinesFile

    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n"
    with WarcWriter(tmp_path / "warcs", prefix="t") as writer:
        writer.write_exchange(url="http://site.test/bad", request_head=b"GET /bad HTTP/1.1\r\n\r\n",
                              response_head=head, response_body=gzip.compress(b"<html>")[:10] + b"\x00garbage" * 8)
    shutil.copy(DATA / "warcio-example.warc.gz", tmp_path / "warcs")
    output = JsonLinesFile(tmp_path / "out.jsonl")
    messages = []
    worker = Reextractor([tmp_path / "warcs"], output, all_pages=True, progress=messages.append,
                         progress_every=0)
    stats = worker.run()
    output.close()
    (problem,) = worker.problems
    assert problem.message.startswith("cannot replay: body is not valid gzip")
    assert stats["errors"] == 1 and stats["items"] == 1  # example.com still extracted
    assert messages and messages[-1].startswith("reextract: file 2/2 (warcio-example.warc.gz), ")


# What the two real WARCs' pages print (read off the archived HTML, 2013 and 2014 captures).
MONA_LISA_CAPTIONS = [
    "A note by Agostino Vespucci 1503", "Self-portrait by Leonardo da Vinci", "Vacant wall in the Salon Carré",
    "Detail of the background (right side)", "Detail of Lisa's hands", "2010: Mona Lisa is among the greatest",
    "US President John F. Kennedy", "Le rire (The laugh)", "L.H.O.O.Q. by Marcel Duchamp",
]


def test_wikipedia_thumbcaptions_once_each_with_their_image(corpus_items):
    items, _ = corpus_items
    (mona,) = [i for i in items if i["url"] == "http://en.wikipedia.org/wiki/Mona_Lisa"]
    captions = mona["captions"]
    assert [next(i for i, c in enumerate(captions) if c["text"].startswith(start))
            for start in MONA_LISA_CAPTIONS] == list(range(9))
    assert len(captions) == 9
    # each with its own picture (the last two share a table row of two pictures)
    urls = [c["image_url"] for c in captions]
    assert all(u and u.startswith("http://upload.wikimedia.org/") for u in urls) and len(set(urls)) == 9
    assert "Sapeck" in urls[7] and "Duchamp" in urls[8]
    # footnote markers are not caption text; captions are not body text
    assert not any("[" in c["text"] for c in captions)
    assert "Vacant wall in the Salon Carré" not in mona["text"]


def test_data_gov_uk_post_titles_are_the_posts(corpus_items):
    items, _ = corpus_items
    posts = {i["url"]: i["title"] for i in items if "/blog/" in i["url"]}
    assert posts["http://data.gov.uk/blog/open-data-vision-leeds"] == "Open Data, a vision from Leeds"
    assert posts["http://data.gov.uk/blog/introducing-hampshire-hub-0"] == "Introducing the Hampshire Hub"
    # the section heading ("Blogs") and the site name are nobody's title
    assert not [t for t in posts.values() if t == "Blogs" or "data.gov.uk" in t]


def test_reading_holds_no_index_of_every_record(tmp_path):
    """Reading streams: what reextract keeps per record read (to resolve revisits) is on disk,
    not in Python objects, so a WARC of millions of records does not cost its size in RAM
    (an in-memory index of every response grew ~1 KB per record). A revisit of a page read
    earlier still gets that page's body."""
    import tracemalloc

    from archives.digests import make_digest_index
    from archives.writer import WarcWriter
    from crawler.reextract import Reextractor
    from pipelines.jsonl import JsonLinesFile

    def exchange(writer, url, body, content_type):
        path = url.split("example", 1)[1]
        return writer.write_exchange(
            url=url, request_head=f"GET {path} HTTP/1.1\r\nHost: news.example\r\n\r\n".encode(),
            response_head=(f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n").encode(), response_body=body)

    page = b"<html><head><title>Story</title></head><body><p>" + b"A sentence of the story. " * 40 + b"</p></body></html>"
    images = 2000
    with WarcWriter(tmp_path / "warcs", digest_index=make_digest_index("memory", ""), cdxj=False) as writer:
        exchange(writer, "http://news.example/story", page, "text/html")
        for n in range(images):
            exchange(writer, f"http://news.example/img/{n}.png", b"\x89PNG%d" % n, "image/png")
        copy = exchange(writer, "http://news.example/story-again", page, "text/html")
    assert copy.is_revisit

    warm = Reextractor([tmp_path / "warcs"], JsonLinesFile(tmp_path / "out.jsonl"))
    list(warm._pages())     # once before measuring: what the first read imports is no per-record cost
    reextractor = Reextractor([tmp_path / "warcs"], JsonLinesFile(tmp_path / "out.jsonl"))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        pages = [(response.url, response.body) for response in reextractor._pages()]
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert pages == [("http://news.example/story", page), ("http://news.example/story-again", page)]
    assert reextractor.stats["records"] == 2 * (images + 2) + 1     # request + response each, warcinfo
    assert kept < 100 * images, f"{kept} bytes kept after reading {images} records"
