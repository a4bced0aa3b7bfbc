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
