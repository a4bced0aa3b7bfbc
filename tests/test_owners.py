"""One owner per shared object of a crawl: the output folder, the run id, the WARC writer.

- An empty `-s OUTPUT_DIR=` is a bad invocation (it once sent the WARC, CDXJ and dedupe state
  to the working folder and articles.jsonl to ./output).
- One run id in every file of a run: each WARC's warcinfo, report.json, manifest.json, the
  dedupe state, the JOBDIR marker, the WACZ name and the log line all name the same id.
- A replay crawl answered from its archive makes no WARC writer: a killed crawl's `.open`
  file in its OUTPUT_DIR is left as it was (for the next crawl that writes), no WARC appears.

Two real crawls of the demo site, ten pages each (about 10-20 s together on a quiet machine).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from tests.conftest import ROOT, crawl, run_scrapy
from tests.tools import read_jsonl, read_records

PAGES = "10"   # CLOSESPIDER_PAGECOUNT: enough for articles, listings and robots.txt


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_output_dir_is_a_bad_invocation(tmp_path, value):
    env = {"SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONPATH": str(ROOT)}
    result = run_scrapy("crawl", "news", "-a", "urls=http://127.0.0.1:9/", "-s", f"OUTPUT_DIR={value}",
                        cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "OUTPUT_DIR" in errors[0] and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []      # nothing in the working folder, no ./output


def _warcinfo_run_ids(warc: Path) -> list[str]:
    ids = []
    for record in read_records(warc):
        if record.type == "warcinfo":
            ids += re.findall(r"^run-id: (.*?)\r?$", record.block.decode("utf-8"), re.MULTILINE)
    return ids


def _article_urls(out: Path) -> set[str]:
    return {row["url"] for row in read_jsonl(out / "articles.jsonl")}


@pytest.fixture(scope="module")
def live(demo_site, tmp_path_factory):
    base = tmp_path_factory.mktemp("owners")
    out, jobdir = base / "live", base / "job"
    result = crawl(demo_site.base_url, out, settings={
        "CLOSESPIDER_PAGECOUNT": PAGES, "JOBDIR": str(jobdir), "WARC_WACZ": "True",
        "WARC_MAX_SIZE": "20000"})     # several WARC files, each with its warcinfo
    assert result.returncode == 0, result.stderr[-3000:]
    return {"out": out, "jobdir": jobdir, "result": result, "base": base}


def test_one_run_id_in_every_file_of_a_run(live):
    out = live["out"]
    marker = json.loads((live["jobdir"] / "newsarchive.json").read_text())
    run_id = marker["run_id"]
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", run_id)   # made by the crawl (README: run id)

    warcs = sorted(out.glob("*.warc.gz"))
    assert len(warcs) >= 2
    for warc in warcs:
        assert _warcinfo_run_ids(warc) == [run_id], warc.name
    assert json.loads((out / "report.json").read_text())["run_id"] == run_id
    assert json.loads((out / "manifest.json").read_text())["run_id"] == run_id
    with sqlite3.connect(out / "dedupe.sqlite3") as db:
        dedupe_ids = {row[0] for row in db.execute("SELECT DISTINCT run_id FROM urls")}
    assert dedupe_ids == {run_id}
    assert [p.name for p in out.glob("*.wacz")] == [f"{run_id}.wacz"]
    assert re.findall(r"Run id (\S+):", live["result"].stderr) == [run_id]


def test_a_replay_crawl_writes_and_recovers_nothing(demo_site, live):
    out = live["base"] / "replay"
    out.mkdir()
    # What a killed crawl leaves: an `.open` WARC whose last record is cut short.
    first = sorted(live["out"].glob("*.warc.gz"))[0].read_bytes()
    killed = out / "crawl-20260101000000000-00000-host.warc.gz.open"
    killed.write_bytes(first[: len(first) * 2 // 3])
    before = killed.read_bytes()
    live_urls = _article_urls(live["out"])

    result = crawl(demo_site.base_url, out, settings={"REPLAY_WARC": str(live["out"])})
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads((out / "report.json").read_text())["stats"]
    assert stats.get("replay/hit", 0) > 0 and "warc/response_records" not in stats
    assert "warc/recovered_files" not in stats
    replayed = _article_urls(out)
    assert replayed and replayed <= live_urls                # the replay made articles, all archived ones
    assert killed.read_bytes() == before                     # left for the next crawl that writes
    assert not [p.name for p in out.iterdir() if ".warc" in p.name and p != killed]
    assert not list(out.glob("*.cdxj")) and not (out / "warc-digests.sqlite3").exists()
    with gzip.open(killed) as fh:   # still the same gzip members (cut: reading stops with an error)
        with pytest.raises((EOFError, OSError)):
            fh.read()
    assert os.path.getsize(killed) == len(before)


def _project_settings(**overrides) -> dict:
    from crawler import settings as project

    values = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    return {**values, **overrides}


def test_library_defaults_agree_with_the_settings():
    """archives/ and the dedupe store take plain arguments (no Scrapy); where they have defaults
    of their own, those are crawler/settings.py's (records.py once gzipped at 6, settings said 5)."""
    import inspect

    from archives import reader
    from archives.writer import WarcWriter
    from crawler import settings as project
    from pipelines.dedupe.store import RedisStore, SQLiteStore

    writer = inspect.signature(WarcWriter).parameters
    pairs = {"prefix": "WARC_PREFIX", "max_size": "WARC_MAX_SIZE", "warc_version": "WARC_VERSION",
             "keep_credentials": "WARC_KEEP_CREDENTIALS", "cdxj": "WARC_CDXJ", "gzip_level": "WARC_GZIP_LEVEL"}
    assert {arg: writer[arg].default for arg in pairs} == {arg: getattr(project, name) for arg, name in pairs.items()}
    store = inspect.signature(SQLiteStore).parameters
    assert store["commit_interval"].default == project.DEDUPE_COMMIT_INTERVAL
    assert inspect.signature(RedisStore).parameters["prefix"].default == project.DEDUPE_REDIS_PREFIX
    assert reader.DEFAULT_MAX_BYTES == project.ARCHIVE_READ_MAX_SIZE   # every archive reader's cap


def test_one_url_canonicalizer_per_crawl(tmp_path):
    from scrapy.utils.test import get_crawler

    from crawler.urls import url_canonicalizer
    from pipelines.dedupe.pipeline import DedupePipeline

    crawler = get_crawler(settings_dict=_project_settings(
        OUTPUT_DIR=str(tmp_path), URL_TRACKING_PARAMS="session,ref"))
    shared = url_canonicalizer(crawler)
    assert url_canonicalizer(crawler) is shared
    assert crawler.request_fingerprinter._canonicalize is shared
    assert DedupePipeline(crawler).canonicalize is shared
    # the setting replaces the default list: utm_source stays, session and ref go
    assert shared("HTTP://News.Test:80/a/?utm_source=x&session=1&ref=y#top") == "http://news.test/a?utm_source=x"


def test_run_id_aliases_give_one_id(tmp_path):
    """RUN_ID's older names are read by crawler.runid alone, in its documented order: two of them
    set differently once gave the WARC one id and the dedupe state another."""
    from scrapy.utils.test import get_crawler

    from crawler.archiving import WarcArchive
    from pipelines.dedupe.pipeline import DedupePipeline

    crawler = get_crawler(settings_dict=_project_settings(
        OUTPUT_DIR=str(tmp_path), WARC_RUN_ID="from-warc", DEDUPE_RUN_ID="from-dedupe",
        INCREMENTAL_RUN_ID="from-incremental"))
    assert crawler.get_extension(WarcArchive).run_id == "from-warc"
    assert DedupePipeline(crawler)._run_id() == "from-warc"
    assert crawler.get_extension(WarcArchive).warcinfo()["run-id"] == "from-warc"


@pytest.mark.parametrize("name", ["RUN_ID", "WARC_RUN_ID", "DEDUPE_RUN_ID", "INCREMENTAL_RUN_ID"])
def test_a_job_cannot_set_its_own_run_id(tmp_path, name):
    """The job runner names the run (its folder); a job's [settings] giving any name of the run id
    is refused, not silently outvoted by RUN_ID."""
    from crawler.jobs.config import JobsConfigError, load_jobs

    path = tmp_path / "jobs.toml"
    path.write_text("[jobs.x]\nurls=['https://a.example/']\nschedule='0 3 * * *'\noutput_dir='o'\n"
                    f"[jobs.x.settings]\n{name}='mine'\n", encoding="utf-8")
    with pytest.raises(JobsConfigError, match=f"{name} is set by the job runner"):
        load_jobs(path)
