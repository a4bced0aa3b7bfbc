"""Shared fixtures and runners; where the other test helpers live.

Fixtures: `demo_site` (the demo news site on 127.0.0.1, one per session), `redis_server` (a real
redis-server per module), `dedupe_backend` (each test once per dedupe state backend),
`warc_responses` (archives.testing). Runners: `run_scrapy`, `crawl` (and `crawl_args`,
`scrapy_command`, `scrapy_env` for a crawl a test must start, watch or kill itself).

Helpers by job: tests/tools.py (warcio check, WARC record reader, JSON-lines reader, pywb's
venv, wait_for, free_port), tests/rawserver.py (a raw-socket site and page builders),
tests/requisite_site.py, tests/redis_server.py, tests/dedupe_support.py (the dedupe fixture),
tests/hostile.py (hostile archives, RSS probe), tests/browser.py (chromium),
tests/system_tools.py (a missing system program: skip, or fail under CI). A helper used by two
test modules lives in one of these, never in a test module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.extract import readings

ROOT = Path(__file__).resolve().parent.parent

# archives.testing's warc_responses fixture for every test module (asked for by name: importing
# a fixture into a test module is an import a linter rightly calls unused, then redefined).
pytest_plugins = ["archives.testing"]

# Every step trafilatura's readings share is also run again in the tests (readings.VERIFY): a body
# rule that changes the tree between readings without telling them fails here.
readings.VERIFY = True

# Fast settings for crawls of sites on loopback; shipped defaults stay polite.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "EXTRACT_WORKERS": "1",
    "LOG_LEVEL": "INFO",
}


def scrapy_env(extra=None) -> dict:
    """The environment of a `scrapy` subprocess: this one's, with this checkout first on the path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.update(extra or {})
    return env


def scrapy_command(*args) -> list[str]:
    """argv of the real `scrapy` command line of this project (run it with cwd=ROOT)."""
    return [sys.executable, "-m", "scrapy", *args]


def crawl_args(urls, output_dir, settings=None) -> list[str]:
    """`crawl news` arguments: start URLs (none: a distributed crawl's frontier has them), the
    output folder, LOOPBACK_SETTINGS overridden by `settings`, each as `-s NAME=VALUE`."""
    args = ["crawl", "news", *(["-a", f"urls={urls}"] if urls else []), "-s", f"OUTPUT_DIR={output_dir}"]
    for name, value in {**LOOPBACK_SETTINGS, **(settings or {})}.items():
        args += ["-s", f"{name}={value}"]
    return args


def run_scrapy(*args, cwd=ROOT, timeout=300, env=None) -> subprocess.CompletedProcess:
    """Run the real `scrapy` command line of this project."""
    return subprocess.run(scrapy_command(*args), cwd=cwd, env=scrapy_env(env),
                          capture_output=True, text=True, timeout=timeout)


def crawl(urls, output_dir, *, settings=None, timeout=300, extra_args=()) -> subprocess.CompletedProcess:
    return run_scrapy(*crawl_args(urls, output_dir, settings), *extra_args, timeout=timeout)


def group_canonical_urls(base_url: str, group) -> set[str]:
    """The canonical URLs a demo-site duplicate group's pages stand for, from the site's own
    list, not crawler.urls (under test): a "url" group's members are variants of its first
    member (tracking parameters, trailing slash, fragment, AMP twin); an "exact" or "near"
    group's members are pages of their own."""
    members = group["members"][:1] if group["kind"] == "url" else group["members"]
    return {base_url.rstrip("/") + path for path in members}


@pytest.fixture(scope="session")
def demo_site():
    from demosite import DemoSite

    with DemoSite() as site:
        yield site


@pytest.fixture
def scrapy_crawl():
    return crawl


# Fixtures of the helper modules (their classes stay there): a test asks for them by name.
@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server on 127.0.0.1 for the module's tests (tests/redis_server.py)."""
    from tests.redis_server import RedisServer

    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(params=["sqlite", "redis"])
def dedupe_backend(request, tmp_path):
    """Each test once per dedupe state backend: a function opening (and reopening: same state)
    that backend's store, with `.backend` and `.settings`; every store it opened is closed."""
    from tests.dedupe_support import open_backend

    server = request.getfixturevalue("redis_server") if request.param == "redis" else None
    yield from open_backend(request.param, tmp_path, server)
