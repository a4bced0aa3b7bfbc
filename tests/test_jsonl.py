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
