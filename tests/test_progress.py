"""Live progress: one line redrawn in place on a terminal, plain log lines elsewhere, off
with PROGRESS_ENABLED=False. The terminal case runs the crawl with stderr on a real
pseudo-terminal (pty), as a person at a shell would."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time

from tests.conftest import ROOT, crawl, crawl_args, scrapy_command, scrapy_env

PROGRESS_LINE = re.compile(r"(\d+) pages \([\d.]+/s\), (\d+) articles, \d+ duplicates, \d+ errors, "
                           r"\d+ queued, WARC [\d.]+ [KMG]?B")


def test_progress_line_is_redrawn_in_place_on_a_terminal(demo_site, tmp_path):
    args = scrapy_command(*crawl_args(demo_site.base_url, tmp_path, {
        "PROGRESS_INTERVAL": "0.05",
        # slow enough that the line is drawn several times while pages come in
        "DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}))
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=follower, env=scrapy_env())
    os.close(follower)
    chunks, deadline = [], time.monotonic() + 240
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:          # the crawl closed the terminal: it is done
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    stdout = proc.communicate(timeout=60)[0].decode()
    os.close(leader)
    terminal = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, terminal[-3000:]
    drawn = [m for m in re.finditer(r"\r\x1b\[K" + PROGRESS_LINE.pattern, terminal)]
    assert len(drawn) >= 2, terminal[-3000:]
    pages = [int(m.group(1)) for m in drawn]
    assert pages == sorted(pages) and pages[-1] > 0          # counts only grow
    assert "Progress:" not in terminal                      # no log lines for it on a terminal
    assert "Run summary" in stdout


def test_progress_is_plain_log_lines_without_a_terminal_and_can_be_turned_off(demo_site, tmp_path):
    slow = {"PROGRESS_LOG_INTERVAL": "0.05", "DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    on = crawl(demo_site.base_url, tmp_path / "on", settings=slow)
    assert on.returncode == 0, on.stderr[-3000:]
    lines = [l for l in on.stderr.splitlines() if "Progress: " in l]
    assert len(lines) >= 2 and all(PROGRESS_LINE.search(l) for l in lines), on.stderr[-3000:]
    assert "\r" not in on.stderr
    off = crawl(demo_site.base_url, tmp_path / "off", settings={**slow, "PROGRESS_ENABLED": "False"})
    assert off.returncode == 0, off.stderr[-3000:]
    assert "Progress: " not in off.stderr
