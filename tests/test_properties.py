"""Property-based tests (hypothesis): arbitrary bytes never raise out of the WARC reader, URL
canonicalization or the extractor, beyond the one documented exception each may raise.

Example counts are modest (the suite stays fast); `derandomize` keeps runs reproducible.
"""

from __future__ import annotations

import gzip
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archives.reader import WarcReader, decode_content, read_record, ArchiveError
from crawler.extract.html import ExtractionError
from crawler.extract.page import analyze_page
from crawler.urls import canonicalize_url
from tests.hostile import article_page, http_response, response_record

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
GOOD = response_record("http://example.com/a", http_response(b"<p>hello</p>"))
GOOD_PLAIN = response_record("http://example.com/a", http_response(b"<p>hello</p>"), gz=False)


def read_everything(data: bytes) -> list:
    reader = WarcReader("fuzz.warc", fileobj=io.BytesIO(data))
    records = list(reader.records())
    for record in records:
        try:
            record.body()
        except ValueError:
            pass  # a body that is not what its Content-Encoding says: documented
        assert record.offset >= 0 and record.length >= 0
    return records


@settings(max_examples=150, **SETTINGS)
@given(st.binary(max_size=2000))
def test_reader_never_raises_on_arbitrary_bytes(data):
    read_everything(data)
    read_everything(gzip.compress(data))
    read_everything(b"WARC/1.1\r\n" + data)


@settings(max_examples=150, **SETTINGS)
@given(st.data())
def test_reader_never_raises_on_a_damaged_warc(data):
    base = data.draw(st.sampled_from([GOOD + GOOD, GOOD_PLAIN + GOOD_PLAIN]))
    position = data.draw(st.integers(0, len(base)))
    action = data.draw(st.sampled_from(["cut", "insert", "replace"]))
    junk = data.draw(st.binary(min_size=1, max_size=40))
    if action == "cut":
        damaged = base[:position]
    elif action == "insert":
        damaged = base[:position] + junk + base[position:]
    else:
        damaged = base[:position] + junk + base[position + len(junk):]
    read_everything(damaged)
    try:
        read_record("fuzz.warc", 0, fileobj=io.BytesIO(damaged))
    except ArchiveError:
        pass  # the one exception read_record documents


HEADER_VALUES = st.one_of(st.integers(-2**70, 2**70).map(str), st.text(max_size=30),
                          st.sampled_from(["", " 12", "0x10", "1e3", "١٢", "12\x00"]))


@settings(max_examples=150, **SETTINGS)
@given(length=HEADER_VALUES, date=HEADER_VALUES, uri=st.text(max_size=40), kind=st.text(max_size=12))
def test_reader_never_raises_on_arbitrary_header_values(length, date, uri, kind):
    head = ("WARC/1.1\r\nWARC-Type: {}\r\nWARC-Target-URI: {}\r\nWARC-Date: {}\r\n"
            "Content-Length: {}\r\n\r\n").format(kind, uri, date, length)
    try:
        record = head.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates: not bytes anyone can write
    block = http_response(b"<p>x</p>")
    for data in (record + block + b"\r\n\r\n" + GOOD_PLAIN, gzip.compress(record + block) + GOOD):
        records = read_everything(data)
        assert records and records[-1].target_uri == "http://example.com/a"   # the next one is read


@settings(max_examples=200, **SETTINGS)
@given(st.one_of(st.text(max_size=200),
                 st.builds(lambda scheme, host, path: f"{scheme}://{host}/{path}",
                           st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
                           st.text(max_size=30), st.text(max_size=60))))
def test_canonicalize_url_returns_or_refuses_cleanly_and_is_idempotent(url):
    try:
        canonical = canonicalize_url(url)
    except ValueError:
        return  # "http://[::1": the spider counts these as bad URLs
    assert canonicalize_url(canonical) == canonical


@settings(max_examples=40, **SETTINGS)
@given(st.one_of(st.binary(max_size=3000),
                 st.builds(lambda page, cut, junk: page[:cut] + junk + page[cut:],
                           st.just(article_page("A fuzzed article", 300)),
                           st.integers(0, 4000), st.binary(max_size=200))),
       st.sampled_from([None, "utf-8", "latin-1", "utf-16", "foobar"]))
def test_extractor_returns_a_result_or_an_extraction_error(body, encoding):
    try:
        result = analyze_page(body, "http://example.com/news/2024/05/01/a-story", encoding)
    except ExtractionError:
        return
    assert isinstance(result["kind"], str) and (result["article"] is None) == (result["kind"] != "article")
    assert isinstance(result["links"], list)


@settings(max_examples=100, **SETTINGS)
@given(st.binary(max_size=500), st.sampled_from(["gzip", "deflate", "br", "gzip, gzip", "x-gzip",
                                                  "identity", "compress"]))
def test_decode_content_raises_only_value_error(body, coding):
    try:
        decode_content(body, coding)
    except ValueError:
        pass
