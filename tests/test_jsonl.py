import json

from pipelines.jsonl import JsonLinesFile


def test_partial_last_line_is_cut_on_reopen(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":2}\n{"c":')  # a run killed mid-write
    out = JsonLinesFile(path)
    out.write({"d": 4})
    out.close()
    lines = path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"a": 1}, {"b": 2}, {"d": 4}]


def test_file_of_only_a_partial_line(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b'{"half": "li')
    out = JsonLinesFile(path)
    out.write({"ok": True})
    out.close()
    assert path.read_text() == '{"ok":true}\n'


def test_unicode_is_written_as_utf8(tmp_path):
    out = JsonLinesFile(tmp_path / "x.jsonl")
    out.write({"t": "Zürich – “quoted”"})
    out.close()
    assert "Zürich – “quoted”" in (tmp_path / "x.jsonl").read_text(encoding="utf-8")


def test_an_article_from_the_same_record_is_written_once(tmp_path):
    """A resumed run that replays a page it already archived must not repeat its JSON line."""
    from crawler.items import ArticleItem
    from pipelines.jsonl import JsonLinesPipeline

    def item(record_id, title):
        return ArticleItem(url="http://h.test/a", canonical_url="http://h.test/a", title=title,
                           warc={"filename": "x.warc.gz", "offset": 0, "length": 10, "record_id": record_id})

    first = JsonLinesPipeline(tmp_path, "articles.jsonl", "errors.jsonl")
    first.process_item(item("<urn:uuid:00000000-0000-0000-0000-000000000001>", "v1"))
    first.close_spider()
    (tmp_path / "articles.jsonl").open("ab").write(b'{"half":')  # killed mid-line

    second = JsonLinesPipeline(tmp_path, "articles.jsonl", "errors.jsonl")
    second.process_item(item("<urn:uuid:00000000-0000-0000-0000-000000000001>", "v1"))  # replayed
    second.process_item(item("<urn:uuid:00000000-0000-0000-0000-000000000002>", "v2"))  # an update
    second.close_spider()
    titles = [json.loads(line)["title"] for line in (tmp_path / "articles.jsonl").read_text().splitlines()]
    assert titles == ["v1", "v2"]


def test_a_failed_write_leaves_no_partial_line(tmp_path):
    """Disk full (here: a file size limit) in the middle of a line: the file is cut back to the
    last whole line, and the next line is whole, without waiting for a restart to repair it."""
    import subprocess
    import sys
    import textwrap

    from tests.tools import ROOT

    script = textwrap.dedent(f"""
        import resource, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pipelines.jsonl import JsonLinesFile
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        out = JsonLinesFile({str(tmp_path / "articles.jsonl")!r})
        out.write({{"n": 1, "text": "a" * 1000}})
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (out.path.stat().st_size + 500, hard))
        try:
            out.write({{"n": 2, "text": "b" * 5000}})
        except OSError as exc:
            print("failed:", exc.errno)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        out.write({{"n": 3}})
        out.close()
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "failed: 27" in result.stdout
    lines = (tmp_path / "articles.jsonl").read_text().splitlines()
    assert [json.loads(line)["n"] for line in lines] == [1, 3]
