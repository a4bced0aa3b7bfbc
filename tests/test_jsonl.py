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
