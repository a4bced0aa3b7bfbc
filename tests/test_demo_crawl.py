"""`make crawl` twice in a row: each run archives the demo site into its own dated folder and
says what it archived; `latest` points at the newest."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import ROOT


def demo_crawl(output_dir):
    return subprocess.run([sys.executable, "scripts/demo_crawl.py", "--output-dir", str(output_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_make_crawl_twice_tells_what_each_run_archived(tmp_path):
    out = tmp_path / "output"
    first, second = demo_crawl(out), demo_crawl(out)
    for run in (first, second):
        assert run.returncode == 0, run.stderr[-3000:]
    written = [int(re.search(r"articles\s+(\d+) written", run.stdout).group(1)) for run in (first, second)]
    assert written[0] > 0 and written[0] == written[1]
    runs = sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())
    assert len(runs) == 2
    for run_dir, run in zip(runs, (first, second), strict=True):
        report = json.loads((run_dir / "report.json").read_text())
        assert report["run_id"] == run_dir.name                 # the folder is named by the run id
        assert report["counts"]["articles"] == len((run_dir / "articles.jsonl").read_text().splitlines())
        assert str(run_dir) in run.stdout
    assert (out / "latest").resolve() == runs[1].resolve()
    assert "earlier runs" in second.stdout and "earlier runs" not in first.stdout
