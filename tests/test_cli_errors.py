"""Bad invocations: one line naming the problem, non-zero exit, no traceback."""

import io
import json

import pytest

from tests.conftest import ROOT, run_scrapy


def _assert_one_line_error(result, *needles):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    for needle in needles:
        assert needle in error_lines[0]


def test_no_urls(tmp_path):
    result = run_scrapy("crawl", "news", "-s", f"OUTPUT_DIR={tmp_path}")
    _assert_one_line_error(result, "urls=")


@pytest.mark.parametrize("bad", ["ftp://example.com/", "not a url", "http://", "http://h.test:99999999/"])
def test_malformed_url(tmp_path, bad):
    result = run_scrapy("crawl", "news", "-a", f"urls={bad}", "-s", f"OUTPUT_DIR={tmp_path}")
    _assert_one_line_error(result, "URL")


def test_unwritable_output_dir(tmp_path):
    target = tmp_path / "file-not-dir"
    target.write_text("x")
    result = run_scrapy("crawl", "news", "-a", "urls=http://127.0.0.1:9/", "-s", f"OUTPUT_DIR={target}/out")
    _assert_one_line_error(result, "OUTPUT_DIR", str(target))
    # OUTPUT_DIR naming the file itself: said "cannot be created: File exists", as if it were fine
    result = run_scrapy("crawl", "news", "-a", "urls=http://127.0.0.1:9/", "-s", f"OUTPUT_DIR={target}")
    _assert_one_line_error(result, "OUTPUT_DIR", str(target), "is a file, not a folder")


@pytest.mark.parametrize("setting, needle", [("WARC_GZIP_LEVEL=10", "WARC_GZIP_LEVEL"),
                                             ("WARC_GZIP_LEVEL=fast", "WARC_GZIP_LEVEL"),
                                             ("WARC_VERSION=2.0", "WARC_VERSION")])
def test_bad_warc_setting(tmp_path, setting, needle):
    result = run_scrapy("crawl", "news", "-a", "urls=http://127.0.0.1:9/", "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", setting)
    _assert_one_line_error(result, needle)
    assert not list(tmp_path.glob("*.warc.gz*"))


def test_unreachable_site_ends_normally_and_is_reported(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_scrapy("crawl", "news", "-a", f"urls=http://127.0.0.1:{port}/", "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", "RETRY_TIMES=0", "-s", "ROBOTSTXT_OBEY=False")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["stats"]["news/failed_requests"] == 2  # the start page and robots.txt
    # Network failures are told apart from HTTP error statuses, in the table and the report.
    (network,) = [line for line in result.stdout.splitlines() if line.strip().startswith("network")]
    assert "ConnectionRefusedError" in network, result.stdout
    assert report["counts"]["http_errors"] == {}
    assert sum(report["counts"]["network_failures"].values()) >= 2


def _only_line_is_error(result, *needles):
    """Nothing but the one `error:` line: no usage block, no log, no traceback."""
    _assert_one_line_error(result, *needles)
    assert result.stderr.strip().splitlines() == [line for line in result.stderr.splitlines()
                                                  if line.startswith("error:")], result.stderr
    assert result.stdout.strip() == ""


def _warc(tmp_path):
    """A small real WARC (warcio writes it), for commands that need one to get past their inputs."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "one.warc.gz"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("http://a.test/", "response",
                                                      payload=io.BytesIO(b"<p>hi</p>"), http_headers=http))
    return path


def test_unknown_spider(tmp_path):
    result = run_scrapy("crawl", "nwes", "-a", "urls=http://127.0.0.1:9/", "-s", f"OUTPUT_DIR={tmp_path}")
    _only_line_is_error(result, "nwes", "news")


def test_replay_warc_folder_without_warcs(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_scrapy("crawl", "news", "-a", "urls=http://127.0.0.1:9/", "-s", f"OUTPUT_DIR={tmp_path}/out",
                        "-s", f"REPLAY_WARC={tmp_path}/empty")
    _only_line_is_error(result, "REPLAY_WARC", "no WARC")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_replay_warc_that_is_not_a_warc(tmp_path):
    readme = ROOT / "README.md"
    result = run_scrapy("crawl", "news", "-a", "urls=http://127.0.0.1:9/", "-s", f"OUTPUT_DIR={tmp_path}",
                        "-s", f"REPLAY_WARC={readme}")
    _only_line_is_error(result, "REPLAY_WARC", "README.md", "not a WARC")


def test_wacz_output_under_a_file(tmp_path):
    _warc(tmp_path)
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = run_scrapy("wacz", "-o", f"{afile}/x.wacz", str(tmp_path))
    _only_line_is_error(result, "afile")


def test_wacz_output_in_a_folder_nobody_may_write(tmp_path):
    """-o in a folder that exists but cannot be written (a read-only disk; /proc/self is one even
    for root, on every Linux): one error line, exit 2. It used to package the pages list there
    and end in an OSError traceback, exit 1."""
    _warc(tmp_path)
    result = run_scrapy("wacz", "-o", "/proc/self/run.wacz", str(tmp_path))
    _only_line_is_error(result, "/proc/self", "not writable")
    assert not list(tmp_path.glob("*.wacz*"))


def test_reextract_into_a_missing_folder_creates_nothing(tmp_path):
    warc = _warc(tmp_path)
    target = tmp_path / "missing" / "deeper" / "out.jsonl"
    for flag in ("-O", "-o"):
        result = run_scrapy("reextract", str(warc), flag, str(target))
        _only_line_is_error(result, "does not exist")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("args, needle", [
    (["warc-check", "no-such.warc.gz"], "no such file"),
    (["warc-check"], "WARC"),
    (["wacz"], "directory"),
    (["reextract"], "WARC"),
    (["replay-server", "no-such-dir"], "no such file"),
    (["jobs"], "jobs"),
])
def test_commands_answer_a_bad_invocation_with_one_line(tmp_path, args, needle):
    # From a folder with no scrapy.cfg: the project is found by SCRAPY_SETTINGS_MODULE (README).
    result = run_scrapy(*args, cwd=tmp_path, env={"SCRAPY_SETTINGS_MODULE": "crawler.settings"})
    _only_line_is_error(result, needle)


@pytest.mark.parametrize("where", ["a-file", "a-file/job"])
def test_jobdir_that_cannot_hold_state(tmp_path, where):
    """-s JOBDIR naming a file, or a folder under a file (a typo, a read-only disk alike): one
    error line and exit 2, nothing crawled; it used to end in a FileExistsError/NotADirectoryError
    traceback, exit 1."""
    (tmp_path / "a-file").write_text("x")
    result = run_scrapy("crawl", "news", "-a", "urls=http://127.0.0.1:9/", "-s", f"OUTPUT_DIR={tmp_path}/out",
                        "-s", f"JOBDIR={tmp_path / where}")
    _assert_one_line_error(result, "JOBDIR", str(tmp_path / where))
    assert not list(tmp_path.glob("out/*.warc.gz*"))


def test_wacz_on_a_full_disk_leaves_no_partial_package(tmp_path):
    """The disk fills while `scrapy wacz` writes: one error line, exit 1 (a failure, not a bad
    invocation), and no `.wacz.partial` left beside the WARCs. It used to end in a traceback and
    leave the partial package. A real full disk: a small tmpfs (root, as CI runs)."""
    from tests.test_crash_safety import _fill, _mount_tmpfs, _umount

    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_tmpfs(disk, "256k"):
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    try:
        warc = _warc(tmp_path)
        (disk / warc.name).write_bytes(warc.read_bytes())
        _fill(disk)
        result = run_scrapy("wacz", str(disk))
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
            "error: cannot write the WACZ: No space left on device"], result.stderr
        assert sorted(p.name for p in disk.iterdir()) == sorted([warc.name, "filler"])
    finally:
        _umount(disk)


@pytest.mark.parametrize("command", ["wacz", "replay-server"])
def test_packaging_or_serving_a_whole_file_gzip_warc(tmp_path, command):
    """A folder holding a WARC gzipped as one stream (`gzip file.warc`): `scrapy wacz` and
    `scrapy replay-server` used to die in the wacz tool / cdxj-indexer with a traceback. One error
    line naming the file and the fix, exit 1, no package or partial left."""
    import gzip

    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress((ROOT / "tests/data/warc/warcio-example-iana.org-chunked.warc").read_bytes()))
    result = run_scrapy(command, str(tmp_path))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert str(whole) in error and "warcio recompress" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["whole.warc.gz"]


@pytest.mark.parametrize("name, content, needle", [("README.md", b"# notes\n", "not a WARC file"),
                                                   ("empty.warc.gz", b"", "not a WARC file"),
                                                   ("site.wacz", b"<html></html>", "not a WACZ")])
def test_reextract_of_a_file_that_is_no_archive(tmp_path, name, content, needle):
    """`scrapy reextract README.md -o out.jsonl` (a file named by mistake): one error line, exit 2, as
    for REPLAY_WARC. It used to exit 0 after '0 item(s) written; 1 problem(s)', a mistake reported
    as a run that worked."""
    path = tmp_path / name
    path.write_bytes(content)
    result = run_scrapy("reextract", str(path), "-o", str(tmp_path / "out.jsonl"))
    _only_line_is_error(result, str(path), needle)
    assert not (tmp_path / "out.jsonl").exists()


def _cut_in_a_record(tmp_path):
    """A WARC of two records (warcio writes it) cut in the middle of the second record's gzip
    member, as a copy stopped half way leaves it; its offset is warcio's, not our reader's."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "cut.warc.gz"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for n in (1, 2):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            body = io.BytesIO(f"<p>page {n}</p>".encode() + bytes(range(256)) * 40)
            writer.write_record(writer.create_warc_record(f"http://a.test/{n}", "response",
                                                          payload=body, http_headers=http))
    with open(path, "rb") as f:
        offsets = [it.offset for it in [ArchiveIterator(f)] for _ in it]
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: (offsets[1] + size) // 2])
    return path, offsets[1]


@pytest.mark.parametrize("command", [["wacz"], ["merge-runs", "--wacz"]])
def test_packaging_a_warc_cut_in_a_record(tmp_path, command):
    """A folder holding a WARC cut in the middle of a record: `scrapy wacz` (and merge-runs
    --wacz) used to package it without a word, exit 0, and `wacz validate` then died on the
    package (EOFError). One error line naming the file, where and what is cut, exit 1, no
    package or partial left: a package is made whole or not at all."""
    _warc(tmp_path)
    cut, offset = _cut_in_a_record(tmp_path)
    result = run_scrapy(*command, str(tmp_path))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert f"{cut}: offset {offset}: " in error and "truncated" in error, error
    assert "one.warc.gz" not in error
    assert not list(tmp_path.glob("*.wacz*")) and not (tmp_path / "manifest.json").exists()


def test_merge_runs_output_on_a_read_only_disk(tmp_path):
    """`merge-runs -o OUT` on a read-only file system (a real tmpfs mounted read-only; root, as
    CI runs) used to print "error: [Errno 30] Read-only file system: '...'" (the first file it
    wrote): one line naming the folder and why, as crawl's OUTPUT_DIR check words it, exit 2."""
    import subprocess

    from tests.test_crash_safety import _mount_tmpfs, _umount

    _warc(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_tmpfs(disk, "64k"):
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    try:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        for target, why in ((disk, "is not writable: read-only file system"),
                            (disk / "merged", "cannot be created: Read-only file system")):
            result = run_scrapy("merge-runs", "-o", str(target), str(tmp_path))
            _only_line_is_error(result, f"output folder '{target}' {why}")
    finally:
        _umount(disk)
