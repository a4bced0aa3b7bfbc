"""Archives made by someone else, or by an attacker: every reader (warc-check, reextract,
replay / archives.testing, WACZ indexes) reports each bad record in one line, skips it, and
reads the next record and the next file; nothing in a file decides how much memory it costs.

The WARCs are built here (tests/hostile.py): each record's offset is known from the lengths
of the gzip members before it, so every expected problem line is computed, not copied.
"""

from __future__ import annotations

import gzip
import json
import zipfile

import pytest

from archives.check import check_paths
from archives.reader import DEFAULT_MAX_BYTES, ArchiveError, TooLarge, WarcReader, decode_content
from archives.replay import Archive
from archives.testing import WarcResponses
from tests.conftest import run_scrapy
from tests.hostile import (MIB, ZipBombMember, article_page, double_gzip, gzip_members,
                           head_bomb_member, http_response, record_member_inflating_to,
                           response_record, wacz_with_index)

U = "http://news.example/news/2024/05/01/"
GOOD = {"first": "First good story", "bad-date": "Bad date story", "last": "Last good story"}
# name -> (record bytes, the problem reported for it, or None for a good record)
SMALL_CAP = 8 * MIB   # tests pass ARCHIVE_READ_MAX_SIZE this low to keep the bombs small


def hostile_records() -> list[tuple[str, bytes, str | None]]:
    page = http_response
    return [
        ("first", response_record(U + "first", page(article_page(GOOD["first"])), number=1), None),
        ("bomb-member", record_member_inflating_to(U + "bomb-member", 4 * SMALL_CAP, 2),
         f"payload larger than {SMALL_CAP} bytes: not read (ARCHIVE_READ_MAX_SIZE)"),
        ("head-line", head_bomb_member(U + "head-line", 8 * MIB, 3),
         "unreadable record (MalformedRecord: HTTP head longer than 4194304 bytes)"),
        ("head-lines", head_bomb_member(U + "head-lines", 8 * MIB, 4, one_line=False),
         "unreadable record (MalformedRecord: HTTP head longer than 4194304 bytes)"),
        ("double-gzip", response_record(U + "double-gzip", page(
            double_gzip(4 * SMALL_CAP), extra=[("Content-Encoding", "gzip, gzip")]), number=5),
         f"gzip body decodes to more than {SMALL_CAP} bytes"),
        ("huge-cl", response_record(U + "huge-cl", page(b"x"), content_length=str(2**63 + 5), number=6),
         "unreadable record (MalformedRecord: bad Content-Length '9223372036854775813')"),
        ("neg-cl", response_record(U + "neg-cl", page(b"x"), content_length="-5", number=7),
         "unreadable record (MalformedRecord: bad Content-Length '-5')"),
        ("no-cl", response_record(U + "no-cl", page(b"x"), drop=("Content-Length",), number=8),
         "unreadable record (MalformedRecord: no Content-Length)"),
        ("bad-date", response_record(U + "bad-date", page(article_page(GOOD["bad-date"])),
                                     date="yesterday", number=9),
         "bad WARC-Date 'yesterday'"),
        ("no-uri", response_record(U + "no-uri", page(b"x"), drop=("WARC-Target-URI",), number=10),
         "unreadable record (MalformedRecord: no WARC-Target-URI)"),
        ("last", response_record(U + "last", page(article_page(GOOD["last"])), number=11), None),
    ]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(directory, hostile WARC, good second WARC, {name: offset}, {name: problem})."""
    root = tmp_path_factory.mktemp("hostile")
    records = hostile_records()
    offsets, position = {}, 0
    for name, data, _problem in records:
        offsets[name] = position
        position += len(data)
    warc = root / "a-hostile.warc.gz"
    warc.write_bytes(b"".join(data for _n, data, _p in records))
    second = root / "b-good.warc.gz"
    second.write_bytes(response_record(U + "second-file", http_response(article_page("Second file story"))))
    return root, warc, second, offsets, {name: problem for name, _d, problem in records if problem}


def test_reader_reports_each_bad_record_once_and_reads_the_rest(hostile):
    _root, warc, _second, offsets, problems = hostile
    reader = WarcReader(warc, max_bytes=SMALL_CAP)
    records = list(reader.records())
    read = {r.target_uri.removeprefix(U) for r in records}
    # A record whose head could be parsed is still yielded (bomb, double gzip, bad date)...
    assert read == {"first", "bomb-member", "double-gzip", "bad-date", "last"}
    # ... and every bad record is one problem at its own offset.
    by_offset = {p.offset: p.message for p in reader.problems}
    for name, problem in problems.items():
        if name == "double-gzip":
            continue  # its payload is within the cap: the decoded body is what is too large
        assert problem in by_offset[offsets[name]], (name, by_offset)
    assert len(reader.problems) == len(problems) - 1
    bomb = next(r for r in records if r.target_uri.endswith("bomb-member"))
    assert bomb.oversize and bomb.payload is None
    double = next(r for r in records if r.target_uri.endswith("double-gzip"))
    with pytest.raises(TooLarge):
        double.body()


def test_warc_check_reports_every_problem_and_checks_the_next_file(hostile):
    _root, warc, second, offsets, problems = hostile
    proc = run_scrapy("warc-check", "-v", str(warc), str(second))
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    # warc-check reads no payloads: the payload and decoding caps are not its problems.
    expected = {name: p for name, p in problems.items() if name not in ("bomb-member", "double-gzip")}
    for name, problem in expected.items():
        want = f"{warc}: offset {offsets[name]}: "
        assert any(line.startswith(want) and problem in line for line in lines), (name, lines)
    assert f"{second}: ok (1 records)" in lines
    assert lines[-1] == f"checked 2 file(s), 6 record(s): 1 ok, 1 bad, {len(expected)} problem(s)"


def test_reextract_skips_bad_records_and_keeps_the_good_pages(hostile, tmp_path):
    _root, warc, second, offsets, problems = hostile
    out = tmp_path / "articles.jsonl"
    # the good pages share one body: without DEDUPE_ENABLED=False reextract keeps one, as a crawl would
    proc = run_scrapy("reextract", str(warc), str(second), "-O", str(out),
                      "-s", f"ARCHIVE_READ_MAX_SIZE={SMALL_CAP}", "-s", "EXTRACT_WORKERS=1",
                      "-s", "DEDUPE_ENABLED=False")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    items = {json.loads(line)["url"].removeprefix(U): json.loads(line) for line in out.read_text().splitlines()}
    assert set(items) == {*GOOD, "second-file"}
    for name, title in GOOD.items():
        assert items[name]["title"] == title
    assert items["bad-date"]["fetched_at"] is None            # never the unparseable string
    assert items["first"]["fetched_at"] == "2024-05-01T10:00:00Z"
    for name, problem in problems.items():
        assert sum(problem in line and f"offset {offsets[name]}:" in line
                   for line in proc.stderr.splitlines()) == 1, (name, proc.stderr)


def test_replay_serves_the_good_records_and_refuses_the_bombs(hostile):
    _root, warc, second, _offsets, _problems = hostile
    with WarcResponses(warc, second, max_bytes=SMALL_CAP) as pages:
        for name, title in GOOD.items():
            assert f"<title>{title}</title>" in pages.response(U + name).text
        assert "Second file story" in pages.response(U + "second-file").text
        with pytest.raises(ArchiveError, match="payload larger than"):
            pages.response(U + "bomb-member")
        with pytest.raises(TooLarge):
            pages.response(U + "double-gzip")
        assert not pages.urls().count(U + "huge-cl")


def test_uncompressed_warc_with_a_lying_length_still_reads_the_next_record(tmp_path):
    path = tmp_path / "plain.warc"
    first = response_record(U + "one", http_response(b"<p>one</p>"), gz=False,
                            content_length=str(10**15))
    second = response_record(U + "two", http_response(b"<p>two</p>"), gz=False, number=2)
    path.write_bytes(first + second)
    reader = WarcReader(path)
    records = list(reader.records())
    assert [r.target_uri for r in records] == [U + "one", U + "two"]
    assert records[0].truncated and not records[1].problems
    assert records[1].payload.endswith(b"<p>two</p>")


def test_decode_content_caps_every_coding():
    import brotli

    size = 3 * MIB
    bodies = {"gzip": gzip_members(size), "deflate": __import__("zlib").compress(b"a" * size, 9),
              "br": brotli.compress(b"a" * size)}
    for coding, body in bodies.items():
        assert decode_content(body, coding, 0) == b"a" * size
        with pytest.raises(TooLarge):
            decode_content(body, coding, MIB)
    assert DEFAULT_MAX_BYTES == 64 * MIB


def test_wacz_index_bomb_is_cut_and_the_warc_read_instead(tmp_path):
    warc = response_record(U + "in-wacz", http_response(article_page("In a WACZ")))
    path = tmp_path / "bomb.wacz"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("archive/data.warc.gz", warc, compress_type=zipfile.ZIP_STORED)
        ZipBombMember.add(package, "indexes/index.cdxj", 4 * SMALL_CAP)      # one endless line
    archive = Archive.open([path], SMALL_CAP)
    messages = [p.message for p in archive.problems]
    assert any("index larger than" in m for m in messages), messages
    assert "In a WACZ" in archive.get(U + "in-wacz").body().decode()


def test_wacz_index_of_repeated_and_impossible_lines_keeps_only_plausible_entries(tmp_path):
    warc = response_record(U + "in-wacz", http_response(article_page("In a WACZ")))
    line = (f'news,example)/news/2024/05/01/in-wacz 20240501100000 {{"url": "{U}in-wacz", '
            f'"status": "200", "offset": "0", "length": "{len(warc)}", "filename": "data.warc.gz"}}\n')
    outside = line.replace(f'"length": "{len(warc)}"', f'"length": "{len(warc) + 10**9}"')
    index = gzip.compress((line * 100_000 + outside).encode())
    path = wacz_with_index(tmp_path / "dup.wacz", "data.warc.gz", warc, index,
                           index_name="indexes/index.cdx.gz")
    archive = Archive.open([path])
    assert archive.index.size == 1
    assert any("100000 index line(s)" in p.message for p in archive.problems)
    assert "In a WACZ" in archive.get(U + "in-wacz").body().decode()


def test_check_paths_survives_a_file_of_junk(tmp_path):
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"\x1f\x8b\x08" + bytes(range(256)) * 40)
    good = tmp_path / "good.warc.gz"
    good.write_bytes(response_record(U + "x", http_response(b"<p>x</p>")))
    reports = check_paths([junk, good])
    assert not reports[0].ok and reports[1].ok and reports[1].records == 1
