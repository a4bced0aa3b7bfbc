"""`-s JOBDIR=DIR`: a crawl stopped with Ctrl-C resumes where it stopped.

Nothing is fetched twice across the two runs (bar the start page, which is
re-read by design), and the two runs' JSON lines together hold every article
exactly once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter

from tests.conftest import ROOT, crawl, crawl_args, scrapy_command, scrapy_env
from tests.dedupe_support import held_count


def test_interrupted_crawl_resumes_without_loss_or_repeat(tmp_path):
    from demosite import DemoSite

    out, jobdir = tmp_path / "out", tmp_path / "job"
    settings = {"DOWNLOAD_DELAY": "0.15", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "JOBDIR": str(jobdir)}
    with DemoSite() as site:
        args = scrapy_command(*crawl_args(site.base_url, out, settings))
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=scrapy_env())
        articles = out / "articles.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if held_count(out) >= 3:    # articles are written when the crawl stops; held till then
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops gracefully and keeps JOBDIR
        _, stderr = proc.communicate(timeout=120)
        assert "shutdown" in stderr, stderr[-2000:]
        first_run = [json.loads(line) for line in articles.read_text().splitlines()]
        first_log = list(site.request_log)
        site.clear_log()

        result = crawl(site.base_url, out, settings={"JOBDIR": str(jobdir)})
        assert result.returncode == 0, result.stderr[-2000:]
        second_log = list(site.request_log)
        retried = site.expected["faults"]["once_503"]  # its retry may be the request still queued

    all_items = [json.loads(line) for line in articles.read_text().splitlines()]
    assert 0 < len(first_run) < len(all_items)
    urls = Counter(item["canonical_url"] for item in all_items)
    assert max(urls.values()) == 1, urls
    refetched = ({p for _m, p, _h in first_log} & {p for _m, p, _h in second_log}) - {"/", "/robots.txt", retried}
    assert not refetched
