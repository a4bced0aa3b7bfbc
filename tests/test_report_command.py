"""`scrapy report DIR...`: one report over the files several crawl processes left side by side
(as a distributed crawl's processes do: their own articles-*, duplicates-*, report-* files).
Expected figures are counted from those files and the per-process reports directly."""

from __future__ import annotations

import json

from tests.conftest import crawl, run_scrapy
from tests.tools import read_jsonl, read_records


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


def test_report_over_processes_one_of_which_was_killed(demo_site, tmp_path):
    """Two processes of a run report; a third is killed (kill -9) before its end and leaves no
    report, its WARC finalized afterwards (as merge-runs, `scrapy wacz` or the next crawl into
    the folder do). Each keeps a stats file as distributed processes do (JOB_STATS_FILE). The
    folder's report said "ok" with the two reports' pages only: its result is "interrupted"
    (the victim's stats file has no finish reason) and its pages count the killed process's
    captures (read here by warcio)."""
    import signal
    import subprocess

    from archives.recovery import finalize_open_files
    from tests.conftest import crawl_args, scrapy_command, scrapy_env
    from tests.tools import read_records, wait_for

    out = tmp_path / "run"
    victim = subprocess.Popen(scrapy_command(*crawl_args(demo_site.base_url, out, {
        **process_settings("c"), "DOWNLOAD_DELAY": "0.1", "JOB_STATS_FILE": str(out / "stats-c.json")})),
        env=scrapy_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: sum(p.stat().st_size for p in out.glob("*.warc.gz.open")) > 20_000,
                 what="the victim to archive pages")
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    finalize_open_files(out)
    killed = [w for w in out.glob("*.warc.gz")]
    captures = sum(1 for warc in killed for r in read_records(warc) if r.type in ("response", "revisit"))
    for tag in ("a", "b"):
        result = crawl(demo_site.base_url, out, settings={**process_settings(tag),
                                                          "JOB_STATS_FILE": str(out / f"stats-{tag}.json")})
        assert result.returncode == 0, result.stderr[-3000:]
    per_process = [json.loads((out / f"report-{t}.json").read_text()) for t in ("a", "b")]
    result = run_scrapy("report", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["incomplete"]["unfinished_stats"] == [str(out / "stats-c.json")]
    assert captures > 0 and not (out / "report-c.json").exists()
    assert report["counts"]["pages"] == sum(r["counts"]["pages"] for r in per_process) + captures
    assert report["result"] == "interrupted" and all(r["result"] == "ok" for r in per_process)
    (row,) = [line for line in result.stdout.splitlines() if line.strip().startswith("result")]
    assert "a process was killed before its end" in row, result.stdout


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
    names = ("warcio-example.warc.gz", "ukwa-wikipedia-mona-lisa.warc.gz", "ukwa-data.gov.uk-crawl2-revisits.warc.gz")
    for name in names:
        shutil.copy(ROOT / "tests" / "data" / "warc" / name, warcs)
    result = run_scrapy("report", str(warcs), "-o", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["result"] == "unknown" and report["stats_from"] == []
    assert report["warc"]["files"] == 3 and report["warc"]["folders"] == [str(warcs.resolve())]
    # "revisits 0": the figure came from our crawl stats, which these WARCs have none of
    revisits = sum(1 for name in names for r in read_records(warcs / name) if r.type == "revisit")
    assert revisits == 56 and report["counts"]["revisits"] == revisits
    rows = dict(line.strip().split(None, 1) for line in result.stdout.splitlines()
                if line.startswith("  ") and line.strip().split(None, 1)[0] in ("result", "WARC", "revisits"))
    assert rows["result"] == "unknown (no crawl report among these folders)"
    assert rows["WARC"].endswith(f" in {warcs.resolve()}/")
    assert rows["revisits"].startswith(f"{revisits} ")
    # a WARC that cannot be read whole (cut mid-record) may hide revisits: unknown, not a count
    shutil.copy(ROOT / "tests" / "data" / "warc" / "resiliparse-clipped-houstonpress.warc.gz", warcs)
    result = run_scrapy("report", str(warcs), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "report.json").read_text())["counts"]["revisits"] is None
    assert "  revisits       unknown (a WARC could not be read whole)" in result.stdout.splitlines()
