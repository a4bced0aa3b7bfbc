"""One `error: ...` line and exit status 2 for every bad invocation of the project's commands.

Scrapy answers a UsageError with its whole usage block and a line prefixed by the program's
file name (`__main__.py: error: ...`); a script or a person reading a cron mail wants the
one line that names the problem. Commands wrap their `run` in `one_line_errors`. (This
module sits outside crawler/commands/ because Scrapy takes every module there for a command.)
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

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
    return path
