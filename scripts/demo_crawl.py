"""`make crawl` without URLS: serve the bundled demo news site on 127.0.0.1 and crawl it.

The demo site is on loopback, so politeness delays are turned off for this run
only; the shipped defaults stay polite for real sites.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demosite import DemoSite  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output-dir", default="output")
    args = parser.parse_args(argv)
    with DemoSite() as site:
        print(f"Demo news site serving at {site.base_url}", flush=True)
        command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={site.base_url}",
                   "-s", f"OUTPUT_DIR={args.output_dir}", "-s", "DOWNLOAD_DELAY=0",
                   "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"]
        return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
