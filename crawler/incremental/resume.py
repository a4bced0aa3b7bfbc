"""A resumed run's own archive answering the requests it makes again (`ResumeReplay`): the
spider finds the same links without a request going out, and revisit records are resolved
against the job's earlier runs (the sibling folders).
"""

from __future__ import annotations

import logging
from pathlib import Path

from archives.reader import ArchiveError

logger = logging.getLogger(__name__)

RESUME_FLAG = "incremental-resume"  # Response.flags: answered from the resumed run's own WARCs


class ResumeReplay:
    """The archived answer, in the run's own WARCs, to a request a resumed run makes again."""

    def __init__(self, run_dir: str | Path, own: list[Path] | None = None):
        """`own`: the run's WARC files, when `run_dir` holds other runs' too (default: all)."""
        from archives.replay import Archive

        self.run_dir = Path(run_dir).resolve()
        self.own = Archive.open(own or self.run_dir)
        self._earlier = [self.run_dir] if own else None   # None: the job's sibling run folders
        self._with_earlier = None

    def response_for(self, request):
        from archives.replay import ReplayError, scrapy_response

        if request.method != "GET":
            return None
        entries = self.own.captures(request.url)
        if not entries:
            return None
        entry = entries[-1]
        if entry.status is None or entry.status >= 500 or entry.status == 429:
            return None                       # not a final answer: ask the server again
        try:
            replayed = self.own.load(entry)
        except ReplayError:
            replayed = self._load_with_earlier_runs(request.url, entry)
        except (ArchiveError, ValueError, OSError) as exc:
            logger.warning("resume: cannot read the archived %s, fetching it: %s", request.url, exc)
            return None
        if replayed is None or replayed.truncated:
            return None
        request.meta["warc"] = replayed.location
        request.meta["warc_date"] = replayed.date
        return scrapy_response(replayed, request, flags=["replay", RESUME_FLAG])

    def _load_with_earlier_runs(self, url, entry):
        """A revisit whose original an earlier run archived (of the job, or into the folder)."""
        from archives.replay import Archive

        if self._with_earlier is None:
            runs = self._earlier or sorted(
                p for p in self.run_dir.parent.iterdir()
                if p.is_dir() and not p.name.startswith(".") and p.name <= self.run_dir.name)
            self._with_earlier = Archive.open(runs)
        for candidate in self._with_earlier.captures(url):
            if (candidate.source, candidate.offset) == (entry.source, entry.offset):
                try:
                    return self._with_earlier.load(candidate)
                except (ArchiveError, ValueError, OSError):
                    return None
        return None

    def close(self) -> None:
        self.own.close()
        if self._with_earlier is not None:
            self._with_earlier.close()
