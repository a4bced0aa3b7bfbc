"""`scrapy report DIR...`: one report over the files several crawl processes left side by side
(as a distributed crawl's processes do: their own articles-*, duplicates-*, report-* files).
Expected figures are counted from those files and the per-process reports directly."""

from __future__ import annotations

import json

from tests.conftest import crawl, run_scrapy
from tests.tools import read_jsonl


def process_settings(tag):
    return {"ARTICLES_FILE": f"articles-{tag}.jsonl", "DUPLICATES_FILE": f"duplicates-{tag}.jsonl",
            "ERRORS_FILE": f"errors-{tag}.jsonl", "REPORT_NAME": f"report-{tag}", "RUN_ID": "shared-run"}


def test_report_over_the_files_of_several_processes(demo_site, tmp_path):
    out = tmp_path / "run"
    for tag in ("a", "b"):
        result = crawl(demo_site.base_url, out, settings=process_settings(tag))
        assert result.returncode == 0, result.stderr[-3000:]
        assert (out / f"report-{tag}.json").is_file() and (out / f"report-{tag}.html").is_file()
    per_process = [json.loads((out / f"report-{t}.json").read_text()) for t in ("a", "b")]
    result = run_scrapy("report", str(out))
    assert result.returncode == 0, result.stderr
    merged = json.loads((out / "report.json").read_text())
    articles = [row for p in sorted(out.glob("articles-*.jsonl")) for row in read_jsonl(p)]
    dups = [row for p in sorted(out.glob("duplicates-*.jsonl")) for row in read_jsonl(p)]
    assert merged["counts"]["articles"] == len(articles) > 0
    assert sum(merged["counts"]["duplicates"].values()) == len(dups)
    assert merged["counts"]["pages"] == sum(r["counts"]["pages"] for r in per_process)
    assert merged["warc"]["files"] == len(list(out.glob("*.warc.gz")))
    assert merged["run_id"] == "shared-run" and merged["run_ids"] == ["shared-run"]
    assert sorted(merged["stats_from"]) == sorted(str(out / f"report-{t}.json") for t in ("a", "b"))
    assert (out / "report.html").read_text().count("<tr><td>") >= len(articles)
    assert "run id         shared-run" in result.stdout


def test_report_of_a_folder_without_crawl_output(tmp_path):
    result = run_scrapy("report", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: no crawl output in {tmp_path} "
                                                  "(no WARC or articles/duplicates/errors file)"]


def test_report_over_someone_elses_warcs(tmp_path):
    """A folder of third-party WARCs (no crawl of ours wrote a report there), reported into another
    folder: how those crawls ended is not known, and the WARCs are where they are. It used to say
    `result failed (None), None s` (and "failed" in report.json) and place the WARCs in the -o folder."""
    import shutil

    from tests.conftest import ROOT

    warcs, out = tmp_path / "warcs", tmp_path / "out"
    warcs.mkdir()
    out.mkdir()
    for name in ("warcio-example.warc.gz", "ukwa-wikipedia-mona-lisa.warc.gz"):
        shutil.copy(ROOT / "tests" / "data" / "warc" / name, warcs)
    result = run_scrapy("report", str(warcs), "-o", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["result"] == "unknown" and report["stats_from"] == []
    assert report["warc"]["files"] == 2 and report["warc"]["folders"] == [str(warcs.resolve())]
    rows = dict(line.strip().split(None, 1) for line in result.stdout.splitlines()
                if line.startswith("  ") and line.strip().split(None, 1)[0] in ("result", "WARC"))
    assert rows["result"] == "unknown (no crawl report among these folders)"
    assert rows["WARC"].endswith(f" in {warcs.resolve()}/")
