"""archives.replay / archives.index / archives.testing on third-party WARCs (tests/data/warc)."""

from __future__ import annotations

import gzip
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, TextResponse

from archives.cdxj import write_cdxj
from archives.index import normalize_digest
from archives.reader import ArchiveError
from archives.replay import Archive, ReplayError, scrapy_response
from archives.testing import WarcResponses, warc_response

DATA = Path(__file__).parent / "data" / "warc"
CRAWL1 = DATA / "ukwa-data.gov.uk-crawl1.warc.gz"
CRAWL2 = DATA / "ukwa-data.gov.uk-crawl2-revisits.warc.gz"


def index_rows(name: str) -> list[dict]:
    text = (DATA / "index" / f"{name}.index.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def corpus():
    with Archive.open([DATA]) as archive:
        yield archive


def test_every_http_response_of_every_file_is_indexed(corpus):
    want = sorted((row["warc-target-uri"], int(row["offset"]), int(row["http:status"]))
                  for name in (p.name for p in DATA.glob("*.warc*")) for row in index_rows(name)
                  if "http:status" in row)
    got = sorted((e.url, e.offset, e.status) for e in corpus.index.entries())
    assert got == want
    assert corpus.files == 6


def test_the_clipped_file_is_reported_while_indexing(corpus):
    (problem,) = corpus.problems
    assert "resiliparse-clipped-houstonpress" in problem.filename and "truncated" in problem.message
    replayed = corpus.get("http://www.houstonpress.com/music/a-humble-chance-the-rapper-leads-a-"
                          "spiritual-awakening-at-revention-8866723")
    assert replayed.truncated and replayed.status == 200


def test_all_55_heritrix_revisits_resolve_by_uri_and_digest(corpus):
    revisits = [e for e in corpus.index.entries() if e.is_revisit and e.source == str(CRAWL2)]
    assert len(revisits) == 55
    for entry in revisits:
        replayed = corpus.load(entry)
        assert replayed.record.warc("WARC-Refers-To-Target-URI") is None
        original = replayed.original
        assert original.type == "response" and original.filename == str(CRAWL1)
        assert original.target_uri == entry.url
        assert normalize_digest(original.payload_digest) == entry.digest
        assert replayed.status == entry.status  # status line from the revisit itself


def test_warcio_revisit_resolves_by_refers_to(corpus):
    captures = corpus.captures("http://example.com/")
    assert [e.is_revisit for e in captures] == [False, True]
    replayed = corpus.load(captures[1])
    assert replayed.record.warc("WARC-Refers-To-Date") == "2017-03-06T04:02:06Z"
    assert replayed.original.date == "2017-03-06T04:02:06Z"
    assert b"Example Domain" in replayed.body()
    assert replayed.location["offset"] == 2621  # the revisit record itself


def test_revisit_without_its_original_is_a_clear_error():
    with Archive.open([CRAWL2]) as archive:
        entry = next(e for e in archive.index.entries() if e.is_revisit)
        with pytest.raises(ReplayError, match="original response not in the archive"):
            archive.load(entry)


def test_chunked_and_content_encoded_payloads(corpus):
    iana = corpus.get("http://www.iana.org/")
    assert len(iana.payload) == 7223
    response = scrapy_response(iana)
    assert "Transfer-Encoding" not in response.headers and "Content-Length" not in response.headers
    assert response.flags == []  # chunked framing is not a "partial" body
    example = scrapy_response(corpus.get("http://example.com/"))
    assert example.headers[b"Content-Encoding"] == b"gzip" and example.body[:2] == b"\x1f\x8b"
    decoded = scrapy_response(corpus.get("http://example.com/"), decode=True)
    assert b"Content-Encoding" not in decoded.headers and b"Example Domain" in decoded.body


def test_capture_order(corpus):
    url = "http://data.gov.uk/about"  # changed between the crawls: two full responses
    first, second = corpus.captures(url)
    assert first.timestamp < second.timestamp
    assert corpus.get(url, 0).record.filename == str(CRAWL1)
    assert corpus.get(url).record.filename == str(CRAWL2)


def test_lookup_tolerates_url_spelling(corpus):
    archived = "http://data.gov.uk/library/?f[0]=im_field_document_type%3A85"
    as_scrapy_requests_it = "http://data.gov.uk/library/?f%5B0%5D=im_field_document_type%3A85"
    assert corpus.captures(archived) == corpus.captures(as_scrapy_requests_it) != []
    assert corpus.captures("http://DATA.gov.uk/about") == corpus.captures("http://data.gov.uk/about")
    assert corpus.captures("http://data.gov.uk/not-archived") == []


def test_cdxj_next_to_the_warc_is_used_and_agrees(tmp_path):
    warc = tmp_path / CRAWL1.name
    shutil.copy(CRAWL1, warc)
    with Archive.open([warc]) as read:
        assert read.indexed_from_cdxj == 0
        by_reading = sorted((e.url, e.timestamp, e.offset, e.length, e.status, e.digest)
                            for e in read.index.entries())
    write_cdxj(warc)
    with Archive.open([tmp_path]) as indexed:
        assert indexed.indexed_from_cdxj == 1
        by_cdxj = sorted((e.url, e.timestamp, e.offset, e.length, e.status, e.digest)
                         for e in indexed.index.entries())
        assert b"data.gov.uk" in indexed.get("http://data.gov.uk/").body()
    assert by_cdxj == by_reading


def test_stale_cdxj_is_detected(tmp_path):
    warc = tmp_path / CRAWL1.name
    shutil.copy(CRAWL1, warc)
    cdxj = write_cdxj(warc)
    lines = cdxj.read_text().splitlines()
    about = next(i for i, line in enumerate(lines) if '"url": "http://data.gov.uk/about"' in line)
    other = next(line for line in lines if '"url": "http://data.gov.uk/faq"' in line)
    offset = json.loads(other.split(" ", 2)[2])["offset"]
    key, ts, blob = lines[about].split(" ", 2)
    fields = json.loads(blob)
    fields["offset"] = offset
    lines[about] = f"{key} {ts} {json.dumps(fields)}"
    cdxj.write_text("\n".join(lines) + "\n")
    with Archive.open([warc]) as archive:
        with pytest.raises(ReplayError, match="stale index"):
            archive.get("http://data.gov.uk/about")


def test_wacz_package_replays(tmp_path):
    from archives.wacz import package

    wacz = package([CRAWL1, DATA / "warcio-example.warc.gz"], tmp_path / "run.wacz")
    with zipfile.ZipFile(wacz) as zf:
        assert "indexes/index.cdx.gz" in zf.namelist()
    with Archive.open([wacz]) as archive:
        assert archive.files == 2 and archive.indexed_from_cdxj == 2
        replayed = archive.get("http://example.com/")
        assert replayed.original is not None and b"Example Domain" in replayed.body()
        assert b"data.gov.uk" in archive.get("http://data.gov.uk/").body()


def test_wacz_without_index_is_read(tmp_path):
    wacz = tmp_path / "bare.wacz"
    with zipfile.ZipFile(wacz, "w") as zf:
        zf.write(DATA / "warcio-example-iana.org-chunked.warc", "archive/iana.warc")
    with Archive.open([wacz]) as archive:
        assert archive.indexed_from_cdxj == 0
        assert len(archive.get("http://www.iana.org/").payload) == 7223


def test_open_errors(tmp_path):
    with pytest.raises(ArchiveError, match="no such file"):
        Archive.open([tmp_path / "missing.warc.gz"])
    with pytest.raises(ArchiveError, match="no WARC or WACZ files"):
        Archive.open([tmp_path])
    bad = tmp_path / "bad.wacz"
    bad.write_bytes(gzip.compress(b"not a zip"))
    with pytest.raises(ArchiveError, match="not a WACZ"):
        Archive.open([bad])


# --- the spider-test helper ---------------------------------------------------

def parse_title(response):
    """Stands in for a spider callback."""
    yield {"url": response.url, "title": response.css("title::text").get(),
           "warc": response.meta["warc"]}


def test_fixture_hands_out_callback_ready_responses(warc_responses):
    pages = warc_responses(DATA / "warcio-example-iana.org-chunked.warc")
    response = pages.response("http://www.iana.org/", callback=parse_title)
    assert isinstance(response, HtmlResponse)
    assert response.request.url == "http://www.iana.org/" and response.request.callback is parse_title
    (item,) = response.request.callback(response)
    assert item["title"].startswith("Internet Assigned Numbers Authority")
    assert item["warc"] == {"filename": "warcio-example-iana.org-chunked.warc", "offset": 405,
                            "length": 7970, "record_id": "<urn:uuid:a96ae1a5-931d-4c45-96f3-98576d155f8b>"}
    assert response.meta["warc_date"] == "2017-03-06T16:54:09Z"


def test_helper_decodes_and_picks_the_response_class():
    with WarcResponses(DATA) as pages:
        example = pages["http://example.com/"]
        assert isinstance(example, HtmlResponse) and b"Content-Encoding" not in example.headers
        assert example.css("h1::text").get() == "Example Domain"
        robots = pages["http://data.gov.uk/robots.txt"]
        assert type(robots) is TextResponse and "Disallow" in robots.text
        assert "http://www.iana.org/" in pages and "http://nowhere.example/" not in pages
        with pytest.raises(KeyError, match="not in the archive"):
            pages.response("http://nowhere.example/")
        assert len(pages.responses("http://en.wikipedia.org/wiki/Mona_Lisa")) == 2


def test_helper_follows_archived_redirects():
    with WarcResponses(CRAWL1) as pages:
        response = pages.response("http://data.gov.uk/data")
        assert response.status == 200 and response.url == "http://data.gov.uk/data/search"
        assert response.meta["redirect_urls"] == ["http://data.gov.uk/data"]
        assert response.request.url == response.url
        raw = pages.response("http://data.gov.uk/data", follow_redirects=False)
        assert raw.status == 302 and raw.headers[b"Location"] == b"http://data.gov.uk/data/search"


def test_helper_stops_at_redirects_leaving_the_archive(tmp_path):
    from archives.writer import WarcWriter

    with WarcWriter(tmp_path, prefix="t") as writer:
        writer.write_exchange(url="http://site.test/old", request_head=b"GET /old HTTP/1.1\r\n\r\n",
                              response_head=b"HTTP/1.1 301 Moved\r\nLocation: /gone\r\n"
                                            b"Content-Length: 0\r\n\r\n")
    response = warc_response(tmp_path, "http://site.test/old")
    assert response.status == 301 and response.headers[b"Location"] == b"/gone"
    assert "redirect_urls" not in response.meta
