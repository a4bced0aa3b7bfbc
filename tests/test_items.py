import jsonschema

from crawler.items import ARTICLE_FIELDS, ArticleItem, load_schema, normalize_text, to_record


def test_schema_and_item_fields_agree():
    schema = load_schema()
    assert tuple(schema["required"]) == ARTICLE_FIELDS
    assert set(schema["properties"]) == set(ARTICLE_FIELDS)
    assert set(ARTICLE_FIELDS) <= set(ArticleItem.fields)


def test_record_is_normalized_and_valid():
    item = ArticleItem(url="http://h.test/a", canonical_url="http://h.test/a", title="  Cafe\u0301  news ",
                       text="First  para\r\nline two\n\n\n\nSecond\u00a0para ", captions=[{"text": " A  cap ", "image_url": None, "credit": "AFP"}])
    record = to_record(item)
    assert record["title"] == "Caf\u00e9 news"  # NFC, spaces folded
    assert record["text"] == "First para\nline two\n\nSecond para"
    assert record["captions"][0]["text"] == "A cap"
    assert record["authors"] == [] and record["tags"] == []
    jsonschema.validate(record, load_schema())


def test_normalize_text_keeps_paragraphs():
    assert normalize_text("a\n\n b \n\nc") == "a\n\nb\n\nc"
    assert normalize_text(None) is None


def _slow_normalize(value):
    """normalize_text without its already-normal shortcut."""
    import re
    import unicodedata

    value = re.sub("[\x00-\x08\x0e-\x1f\x7f]", "", re.sub("[\ud800-\udfff]", "\ufffd", value))
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    blocks = ("\n".join(" ".join(line.split()) for line in block.split("\n") if line.split())
              for block in value.split("\n\n"))
    return "\n\n".join(block for block in blocks if block)


def test_normalize_text_shortcut_agrees_with_the_full_pass():
    import random

    rng = random.Random(8)
    alphabet = ["a", "b", "é", "e\u0301", " ", " ", "\n", "\n", "\t", "\r", "\xa0", "\u2009", "\x1f",
                "\x0b", "\x00", "\ud800", ".", "Ж"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert normalize_text(text) == _slow_normalize(text), repr(text)
        assert normalize_text(normalize_text(text)) == normalize_text(text)


def test_whitespace_list_is_what_str_split_splits_on():
    import re

    from crawler.items import WHITESPACE

    listed = {c for c in map(chr, range(0x110000)) if re.fullmatch(f"[{WHITESPACE}]", c)}
    assert listed == {c for c in map(chr, range(0x110000)) if c.isspace()}
