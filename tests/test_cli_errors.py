"""Bad invocations: one line naming the problem, non-zero exit, no traceback."""

import pytest

from tests.conftest import run_scrapy


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
    assert "2 failed requests" in result.stdout
    assert "'news/failed_requests': 2" in result.stderr  # the start page and robots.txt
