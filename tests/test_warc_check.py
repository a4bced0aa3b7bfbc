"""`scrapy warc-check`: what `warcio check` verifies, plus truncation it lets through."""

from __future__ import annotations

import shutil
from pathlib import Path

from archives.check import check_paths, summary
from tests.conftest import run_scrapy
from tests.tools import warcio_check

DATA = Path(__file__).parent / "data" / "warc"
CLIPPED = DATA / "resiliparse-clipped-houstonpress.warc.gz"
WHOLE = sorted(p for p in DATA.glob("*.warc*") if p != CLIPPED)


def test_warcio_check_misses_the_clipped_file_but_we_do_not():
    # The reason this command exists: the real warcio check exits 0 on a cut WARC.
    assert warcio_check(CLIPPED).returncode == 0
    (report,) = check_paths([CLIPPED])
    assert not report.ok and report.records == 1
    assert "truncated" in report.problems[0].message


def test_command_passes_whole_files():
    result = run_scrapy("warc-check", "-v", *map(str, WHOLE))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(WHOLE) + 1
    assert all(line.endswith("records)") for line in lines[:-1])
    assert lines[-1] == f"checked {len(WHOLE)} file(s), 471 record(s): 5 ok, 0 bad, 0 problem(s)"


def test_command_on_directory_flags_only_the_clipped_file():
    result = run_scrapy("warc-check", str(DATA))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith(f"{CLIPPED}: offset 0: response http://www.houstonpress.com/")
    assert "truncated: block has 75207 of 88275 bytes" in lines[0]
    assert lines[1] == "checked 6 file(s), 472 record(s): 5 ok, 1 bad, 1 problem(s)"


def test_digest_failure_agrees_with_warcio_check(tmp_path):
    data = (DATA / "warcio-example-iana.org-chunked.warc").read_bytes()
    at = data.index(b"<title>") + 7
    edited = tmp_path / "edited.warc"
    edited.write_bytes(data[:at] + b"X" + data[at + 1:])
    assert warcio_check(edited).returncode == 1
    result = run_scrapy("warc-check", str(edited))
    assert result.returncode == 1
    problems = result.stdout.splitlines()[:-1]
    assert len(problems) == 2  # block and payload digest, one line each
    assert all(line.startswith(f"{edited}: offset 405: response http://www.iana.org/: digest: ")
               for line in problems)


def test_one_line_per_problem_across_files(tmp_path):
    good = tmp_path / "good.warc.gz"
    shutil.copy(DATA / "warcio-example.warc.gz", good)
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes((DATA / "warcio-example.warc.gz").read_bytes()[:2008])
    result = run_scrapy("warc-check", str(good), str(cut))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{cut}: offset 784: response http://example.com/: truncated: gzip stream ends unexpectedly "
        "(<urn:uuid:a9c51e3e-0221-11e7-bf66-0242ac120005>)",
        "checked 2 file(s), 9 record(s): 1 ok, 1 bad, 1 problem(s)",
    ]


def test_a_missing_input_is_a_bad_invocation(tmp_path):
    good = tmp_path / "good.warc.gz"
    shutil.copy(DATA / "warcio-example.warc.gz", good)
    result = run_scrapy("warc-check", str(good), str(tmp_path / "missing.warc"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"error: {tmp_path / 'missing.warc'}: no such file or directory"]


def test_usage_error_without_paths():
    result = run_scrapy("warc-check")
    assert result.returncode == 2
    assert "give at least one WARC" in result.stderr


def test_summary_counts():
    reports = check_paths([CLIPPED, DATA / "warcio-example.warc.gz"])
    assert summary(reports) == "checked 2 file(s), 7 record(s): 1 ok, 1 bad, 1 problem(s)"
