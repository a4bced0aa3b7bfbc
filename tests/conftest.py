"""Shared fixtures: the demo news site on 127.0.0.1 and a `scrapy crawl` runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Fast settings for crawls of sites on loopback; shipped defaults stay polite.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "EXTRACT_WORKERS": "1",
    "LOG_LEVEL": "INFO",
}


def run_scrapy(*args, cwd=ROOT, timeout=300, env=None) -> subprocess.CompletedProcess:
    """Run the real `scrapy` command line of this project."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("PYTHONPATH", str(ROOT))
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def crawl(urls, output_dir, *, settings=None, timeout=300, extra_args=()) -> subprocess.CompletedProcess:
    merged = dict(LOOPBACK_SETTINGS)
    merged.update(settings or {})
    args = ["crawl", "news", "-a", f"urls={urls}", "-s", f"OUTPUT_DIR={output_dir}"]
    for name, value in merged.items():
        args += ["-s", f"{name}={value}"]
    return run_scrapy(*args, *extra_args, timeout=timeout)


@pytest.fixture(scope="session")
def demo_site():
    from demosite import DemoSite

    with DemoSite() as site:
        yield site


@pytest.fixture
def scrapy_crawl():
    return crawl
