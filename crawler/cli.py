"""One `error: ...` line and exit status 2 for every bad invocation of the project's commands.

Scrapy answers a UsageError with its whole usage block and a line prefixed by the program's
file name (`__main__.py: error: ...`); a script or a person reading a cron mail wants the
one line that names the problem. Commands wrap their `run` in `one_line_errors`, or derive
from `FileCommand`, which does it and holds what the commands over files share. (This
module sits outside crawler/commands/ because Scrapy takes every module there for a command.)
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

BAD_INVOCATION = 2


def error_exit(command, message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    command.exitcode = BAD_INVOCATION


def one_line_errors(run):
    """Turn a UsageError with a message raised by `run` into one `error:` line, exit 2."""
    @functools.wraps(run)
    def wrapper(self, args, opts):
        try:
            return run(self, args, opts)
        except UsageError as exc:
            if not str(exc):          # a bare UsageError asks for the help text: Scrapy prints it
                raise
            error_exit(self, str(exc))
    return wrapper


def check_output_file(path, *, what: str = "output file") -> Path:
    """UsageError unless `path` can be created where it is: its folder must already exist
    (never made here: a typo must not leave folders behind) and the path must not be a folder."""
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise UsageError(f"{what} {path} is a directory")
    if not parent.exists():
        raise UsageError(f"{what} {path}: folder {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"{what} {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):     # a read-only disk, a folder not ours
        raise UsageError(f"{what} {path}: folder {parent} is not writable")
    return path


class FileCommand(ScrapyCommand):
    """A command over files (WARCs, crawl folders), not a crawl: no project needed, no crawler
    process, warnings only in the log. A subclass sets `usage`, `summary` and `description`
    (Scrapy's syntax, short and long description), adds its arguments in `add_arguments`, and
    does its work in `main`; a UsageError with a message from `main` is one `error:` line."""

    requires_project = False
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}
    usage = ""
    summary = ""
    description = ""

    def syntax(self) -> str:
        return self.usage

    def short_desc(self) -> str:
        return self.summary

    def long_desc(self) -> str:
        return self.description or self.summary

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        self.add_arguments(parser)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The command's own options."""

    @one_line_errors
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        self.main(args, opts)

    def main(self, args: list[str], opts: argparse.Namespace) -> None:
        raise NotImplementedError
