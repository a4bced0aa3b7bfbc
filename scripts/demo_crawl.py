"""`make crawl` without URLS: serve the bundled demo news site on 127.0.0.1 and crawl it.

Each run gets its own folder, OUTPUT_DIR/<run id>/ (UTC start time + 8 hex digits, the id
its warcinfo, report and WACZ carry), and OUTPUT_DIR/latest points at the newest. The demo
site starts on a new port every time, so in one shared folder a second run would find every
page an exact copy of the first run's and write 0 articles; a fresh folder makes every
`make crawl` a complete, self-explaining demo. (Crawls of real sites into one OUTPUT_DIR do
share their dedupe state: their summary says how many articles were already archived.)

The demo site is on loopback, so politeness delays are turned off for this run only; the
shipped defaults stay polite for real sites.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.runid import new_run_id  # noqa: E402
from demosite import DemoSite  # noqa: E402


def point_latest(output_dir: Path, run_dir: Path) -> None:
    """OUTPUT_DIR/latest -> the newest run folder (replaced atomically; skipped where
    symlinks cannot be made)."""
    link = output_dir / "latest"
    tmp = output_dir / f".latest.{os.getpid()}"
    try:
        os.symlink(run_dir.name, tmp)
        os.replace(tmp, link)
    except OSError:
        if tmp.is_symlink():
            tmp.unlink()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output-dir", default="output")
    args = parser.parse_args(argv)
    output_dir = Path(args.output_dir).resolve()
    run_id = new_run_id()
    run_dir = output_dir / run_id
    try:
        run_dir.mkdir(parents=True)
    except OSError as exc:
        print(f"error: cannot create the run folder {run_dir}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with DemoSite() as site:
        print(f"Demo news site serving at {site.base_url}; this run's files go to {run_dir}/", flush=True)
        command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={site.base_url}",
                   "-s", f"OUTPUT_DIR={run_dir}", "-s", f"RUN_ID={run_id}", "-s", "DOWNLOAD_DELAY=0",
                   "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"]
        code = subprocess.call(command, cwd=ROOT)
    point_latest(output_dir, run_dir)
    earlier = sorted(p.name for p in output_dir.iterdir() if p.is_dir() and not p.is_symlink() and p.name != run_id
                     and (p / "report.json").is_file())
    if earlier:
        print(f"  {'earlier runs':<13}  {len(earlier)} in {output_dir}/ (newest: {earlier[-1]}); "
              f"{output_dir}/latest is this one", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
