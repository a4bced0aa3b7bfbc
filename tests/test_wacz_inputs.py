"""`scrapy reextract` and `scrapy warc-check` read a WACZ like replay does: the WARCs it packs.
The WACZ is made by `scrapy wacz` from a real crawl of the demo site; the expectations come
from running the same commands on the WARC files themselves."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.conftest import crawl, run_scrapy


@pytest.fixture(scope="module")
def packed(demo_site, tmp_path_factory):
    out = tmp_path_factory.mktemp("wacz-inputs")
    result = crawl(demo_site.base_url, out)
    assert result.returncode == 0, result.stderr[-3000:]
    wacz = tmp_path_factory.mktemp("wacz") / "run.wacz"
    made = run_scrapy("wacz", "-o", str(wacz), str(out))
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(wacz) as z:
        assert [n for n in z.namelist() if n.startswith("archive/")]
    return {"out": out, "wacz": wacz, "tmp": tmp_path_factory}


def items(path):
    return sorted((json.loads(line) for line in path.read_text().splitlines()), key=lambda r: r["url"])


def test_reextract_of_a_wacz_gives_the_items_of_its_warcs(packed):
    tmp = packed["tmp"].mktemp("reextract")
    from_warcs = run_scrapy("reextract", str(packed["out"]), "-O", str(tmp / "warcs.jsonl"))
    from_wacz = run_scrapy("reextract", str(packed["wacz"]), "-O", str(tmp / "wacz.jsonl"))
    assert from_warcs.returncode == 0 and from_wacz.returncode == 0, from_wacz.stderr
    expected, got = items(tmp / "warcs.jsonl"), items(tmp / "wacz.jsonl")
    assert expected and got == expected          # same records, same pointers (WARC file names)
    assert "0 problem(s)" in from_wacz.stderr.splitlines()[-1]


def test_warc_check_reads_a_wacz(packed):
    result = run_scrapy("warc-check", "-v", str(packed["wacz"]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{packed['wacz']}#archive/" in result.stdout and "0 bad" in result.stdout


def test_warc_check_finds_a_truncated_warc_inside_a_wacz(packed):
    # Cut each packed WARC in the middle of a response record its CDXJ index locates.
    cuts = {}
    for cdxj in packed["out"].glob("*.cdxj"):
        for line in cdxj.read_text().splitlines():
            fields = json.loads(line.split(" ", 2)[2])
            if fields.get("mime") == "text/html" and fields.get("status") == "200":
                cuts[fields["filename"]] = int(fields["offset"]) + int(fields["length"]) // 2
                break
    assert cuts
    broken = packed["tmp"].mktemp("broken") / "broken.wacz"
    with zipfile.ZipFile(packed["wacz"]) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            name = info.filename.rsplit("/", 1)[-1]
            if info.filename.startswith("archive/") and name in cuts:
                data = data[:cuts[name]]
            dst.writestr(info, data)
    result = run_scrapy("warc-check", str(broken))
    assert result.returncode == 1
    assert "1 bad" in result.stdout.splitlines()[-1]


def test_a_file_that_is_not_a_zip_is_reported(packed):
    fake = packed["tmp"].mktemp("fake") / "fake.wacz"
    fake.write_text("not a zip")
    result = run_scrapy("warc-check", str(fake))
    assert result.returncode == 1 and "not a WACZ" in result.stdout
