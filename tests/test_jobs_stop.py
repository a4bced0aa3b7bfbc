"""`systemctl stop` of a job's service (`scrapy jobs cron`'s unit) stops its crawl gracefully.

systemd sends SIGTERM as the unit's KillMode says: `control-group` (its default) to every
process of the service, so the crawl gets one from systemd and one passed on by `scrapy jobs
run`, and Scrapy takes the second as "force an unclean shutdown"; `mixed` and `process` to
the main process alone, which passes it on once. The test reads the generated unit and
delivers SIGTERM that way to a real job run crawling a local server that holds a page
open, then checks the crawl stopped cleanly (finish reason `shutdown`, its JOBDIR kept). With
the default KillMode it failed 5 runs in 6 (two SIGTERMs sent at once are sometimes merged
into one pending signal by the kernel).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

from crawler.jobs.config import load_jobs
from crawler.jobs.cron import systemd_units
from tests.conftest import ROOT, LOOPBACK_SETTINGS, scrapy_command, scrapy_env
from tests.rawserver import ARTICLE_PREFIX, RawServer, Route, article_html, ok
from tests.tools import wait_for

SLOW = ARTICLE_PREFIX + "slow.html"


def test_stopping_the_service_stops_the_crawl_gracefully(tmp_path):
    home = f'<html><body><a href="{SLOW}">Slow page</a></body></html>'.encode()
    routes = {"/robots.txt": Route(ok(b"User-agent: *\nAllow: /\n", "text/plain")),
              "/": Route(ok(home)),
              # Its head at once, its body 3 s later: the crawl is busy when the stop comes.
              SLOW: Route(ok(article_html("A slow page", 3)), pause=3.0)}
    with RawServer(routes=routes) as server:
        jobs_file = tmp_path / "jobs.toml"
        jobs_file.write_text(f'[jobs.site]\nurls = ["{server.base_url}/"]\nschedule = "0 3 * * *"\n'
                             'output_dir = "archive"\n[jobs.site.settings]\n'
                             + "".join(f'{k} = "{v}"\n' for k, v in LOOPBACK_SETTINGS.items()), encoding="utf-8")
        job = load_jobs(jobs_file).get("site")
        unit = systemd_units(job, jobs_file, ROOT, sys.executable)
        service = next(text for name, text in unit.items() if name.endswith(".service"))
        kill_mode = (re.findall(r"^KillMode=(\S+)", service, re.M) or ["control-group"])[-1]

        proc = subprocess.Popen(scrapy_command("jobs", "run", "site", "--file", str(jobs_file)), cwd=ROOT,
                                env=scrapy_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)     # the service's processes, alone in a group
        try:
            wait_for(lambda: any(path == SLOW for path, _ in server.requests), what="the crawl to fetch the slow page")
            if kill_mode == "control-group":
                os.killpg(proc.pid, signal.SIGTERM)
            else:
                proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    (manifest_path,) = (tmp_path / "archive").glob("*/manifest.json")
    attempt = json.loads(manifest_path.read_text())["attempts"][-1]
    log = (manifest_path.parent / "crawl.log").read_text()
    assert "forcing unclean shutdown" not in log, log[-2000:]
    assert attempt["finish_reason"] == "shutdown", (kill_mode, out.decode()[-2000:])
    assert proc.returncode == 130
    assert (job.jobdir / "requests.seen").exists()    # Scrapy saved its state: the next run resumes it
