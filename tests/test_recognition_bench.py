"""bench/recognition_body.py: the evidence it reads from an extracted article, by hand-counted
examples (the bench's figures rest on these)."""

from bench.recognition_body import body_features

FILLER = " ".join(["data"] * 99) + " data."        # 100 words, no pronoun, one sentence


def test_body_features_count_what_the_extracted_text_holds():
    paragraphs = [
        "We help you grow. Our team builds what you need, every day of the year.",  # 15 words: we, our; you x2
        "Our services",                                                             # heading-like line
        "- Audits",
        "- Plans from $ 99",
        "Ready to start?",
        FILLER,
    ]
    text = "\n\n".join(paragraphs)
    f = body_features({"text": text, "title": "Our Growth Services", "published": None, "authors": []}, 1000)
    words = 15 + 2 + 1 + 3 + 3 + 100      # "$" is no word
    assert f["list-items"] == 2 / 6
    assert f["questions"] == 1 / 6
    assert f["short-share"] == 4 / 6
    assert f["sentence-share"] == (len(paragraphs[0]) + len(paragraphs[4]) + len(FILLER)) / sum(map(len, paragraphs))
    assert f["we"] == 3 / words * 20 and f["you"] == 2 / words * 20
    assert f["heads-per-100-words"] == 3 / words * 20
    assert f["prices"] == 1 / words * 100
    assert f["title-case"] == 1.0 and f["published"] == 0.0 and f["authors"] == 0.0
    assert f["holds-page-prose"] == min(1.0, len(text) / 1001)


def test_a_story_reads_as_one():
    story = ("The council voted on Tuesday to close the bridge. " * 6).strip()
    f = body_features({"text": story + "\n\n" + story, "title": "Council votes to close the bridge",
                       "published": "2024-03-05", "authors": ["Ann Lee"]}, 2 * len(story))
    assert f["sentence-share"] == 1.0 and f["short-share"] == 0.0 and f["list-items"] == 0.0
    assert f["title-opens-body"] == 1.0 and f["title-case"] == 1 / 4  # Council; votes, close, bridge
    assert f["published"] == 1.0 and f["authors"] == 1.0 and f["we"] == 0.0 and f["you"] == 0.0
