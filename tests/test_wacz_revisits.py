"""A WACZ of one run whose revisit records stand for an earlier run's responses.

Runs sharing a digest index across runs (`WARC_DIGEST_INDEX=sqlite`, every scheduled job)
write revisits of records in earlier runs' files. The runs here are written by the crawl's
own WarcWriter into one folder, and into sibling folders as `scrapy jobs run` lays them out;
the package is read back by `wacz validate`-checked py-wacz output, the replay index and
reextract.
"""

from __future__ import annotations

import json
import logging
import zipfile

import pytest

from archives.digests import SqliteDigestIndex
from archives.replay import Archive
from archives.wacz import package_run
from archives.writer import WarcWriter
from tests.test_foreign_archives import article_html, reextract_items

URLS = [f"http://news.test/2024/05/{day:02d}/story" for day in (1, 2)]
REQUEST = b"GET / HTTP/1.1\r\nHost: news.test\r\n\r\n"


def write_run(folder, run_id, digests):
    """One run: the two story pages, answered with the same bodies every run."""
    with WarcWriter(folder, warcinfo={"isPartOf": "nightly", "run-id": run_id},     # as a job's crawl
                    digest_index=SqliteDigestIndex(str(digests)),
                    hostname="h") as writer:
        for number, url in enumerate(URLS):
            body = article_html(f"Story number {number}")
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
            writer.write_exchange(url=url, request_head=REQUEST, response_head=head, response_body=body)


@pytest.mark.parametrize("layout", ["one folder", "a job's run folders"])
def test_the_package_holds_the_responses_its_revisits_stand_for(tmp_path, layout):
    digests = tmp_path / "digests.sqlite3"
    first = tmp_path / "runs" / ("out" if layout == "one folder" else "20240501T000000Z")
    second = first if layout == "one folder" else tmp_path / "runs" / "20240502T000000Z"
    write_run(first, "run-1", digests)
    write_run(second, "run-2", digests)
    wacz = package_run(second, run_id="run-2", output=tmp_path / "run-2.wacz")

    with zipfile.ZipFile(wacz) as z:
        names = z.namelist()
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert "archive/run-2-originals.warc.gz" in names
    assert len([n for n in names if n.startswith("archive/crawl-")]) == 1     # the run's own WARC only
    assert sorted(p["url"] for p in pages) == URLS and all(p["ts"].startswith("20") for p in pages)
    with Archive.open([wacz]) as archive:
        for url in URLS:
            captures = archive.captures(url)     # both runs wrote theirs within one second
            assert sorted(c.is_revisit for c in captures) == [False, True]
            replayed = archive.load(next(c for c in captures if c.is_revisit))
            assert replayed.original is not None and b"Story number" in replayed.body()
    items, worker = reextract_items(tmp_path, wacz)
    assert not worker.problems
    assert sorted(item["title"] for item in items) == ["Story number 0", "Story number 1"]


def test_revisits_whose_originals_are_nowhere_are_said(tmp_path, caplog):
    digests = tmp_path / "digests.sqlite3"
    write_run(tmp_path / "a", "run-1", digests)
    write_run(tmp_path / "b", "run-2", digests)
    for old in (tmp_path / "a").iterdir():
        old.unlink()
    with caplog.at_level(logging.WARNING, logger="archives.wacz"):
        wacz = package_run(tmp_path / "b", run_id="run-2", output=tmp_path / "b.wacz")
    assert "2 revisit record(s)" in caplog.text and "do not replay from b.wacz alone" in caplog.text
    with zipfile.ZipFile(wacz) as z:
        assert not [n for n in z.namelist() if n.endswith("-originals.warc.gz")]


def test_an_earlier_file_cut_after_it_was_indexed_is_no_source(tmp_path, caplog):
    """The earlier run's WARC was cut (a copy stopped part way) after its CDXJ was written:
    its index lines point past its end. Packaging died with a traceback; the revisits now
    count as without their originals, and the package is made."""
    digests = tmp_path / "digests.sqlite3"
    write_run(tmp_path / "out", "run-1", digests)
    (old,) = (tmp_path / "out").glob("*.warc.gz")
    write_run(tmp_path / "out", "run-2", digests)
    with open(old, "r+b") as fh:
        fh.truncate(300)
    cdxj = old.with_name(old.name.removesuffix(".warc.gz") + ".cdxj")
    cdxj.touch()                 # as new as the file: the index is believed
    with caplog.at_level(logging.WARNING, logger="archives.wacz"):
        wacz = package_run(tmp_path / "out", run_id="run-2", output=tmp_path / "run-2.wacz")
    assert "2 revisit record(s)" in caplog.text
    assert wacz.is_file()


def test_merge_runs_wacz_packs_the_originals_an_earlier_run_holds(tmp_path):
    """`merge-runs --wacz` over a run whose revisits stand for an earlier night's responses
    (a job's run folders side by side) packed the run's WARCs alone and warned: the pages
    replayed from nothing. Its manifest also said "revisits 0" (no stats files: the count came
    from crawl stats). Both from the real command."""
    from tests.conftest import run_scrapy
    from tests.tools import read_records

    digests = tmp_path / "digests.sqlite3"
    first, second = tmp_path / "runs" / "20240501T000000Z", tmp_path / "runs" / "20240502T000000Z"
    write_run(first, "run-1", digests)
    write_run(second, "run-2", digests)
    out = tmp_path / "merged"
    result = run_scrapy("merge-runs", str(second), "-o", str(out), "--wacz")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "do not replay" not in result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    revisits = sum(1 for warc in second.glob("*.warc.gz") for r in read_records(warc) if r.type == "revisit")
    assert revisits == len(URLS) and manifest["counts"]["revisits"] == revisits
    with zipfile.ZipFile(out / "run-2.wacz") as z:
        assert "archive/run-2-originals.warc.gz" in z.namelist()
    with Archive.open([out / "run-2.wacz"]) as archive:
        for url in URLS:
            revisit = next(c for c in archive.captures(url) if c.is_revisit)
            assert b"Story number" in archive.load(revisit).body()
