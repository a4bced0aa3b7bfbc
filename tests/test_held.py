"""pipelines.held: the rule choosing a group's page, and publishing that survives a crash part way."""

from __future__ import annotations

import json
import random

import pytest

from pipelines.held import HeldArticles, Output, Page, publish, representative
from pipelines.jsonl import JsonLinesFile

E = "https://news.example"


def test_rule_prefers_the_page_fetched_at_its_own_canonical_url():
    pages = [Page(f"{E}/a?utm_source=x", f"{E}/a", "2024-01-01"), Page(f"{E}/a", f"{E}/a", "2024-01-02"),
             Page(f"{E}/a/amp", f"{E}/a", "2024-01-01")]
    assert representative(pages).url == f"{E}/a"


def test_rule_then_prefers_the_canonical_more_pages_declare():
    pages = [Page(f"{E}/b", f"{E}/b", "2024-01-01"), Page(f"{E}/long-original", f"{E}/long-original", "2024-01-02"),
             Page(f"{E}/long-original/amp", f"{E}/long-original", "2024-01-02")]
    assert representative(pages).url == f"{E}/long-original"


def test_rule_then_prefers_the_earliest_published_then_the_shortest_url():
    dated = [Page(f"{E}/bb", f"{E}/bb", "2024-03-01T10:00:00Z"), Page(f"{E}/a-longer", f"{E}/a-longer",
                                                                     "2024-03-01T09:00:00Z")]
    assert representative(dated).url == f"{E}/a-longer"
    undated = [Page(f"{E}/a", f"{E}/a", None), Page(f"{E}/zzzz", f"{E}/zzzz", "2024-03-02")]
    assert representative(undated).url == f"{E}/zzzz"        # a date beats none
    # dates keep the page's offset: the earlier moment wins, not the smaller string
    offsets = [Page(f"{E}/b", f"{E}/b", "2025-12-18T20:00:00Z"), Page(f"{E}/a-longer", f"{E}/a-longer",
                                                                      "2025-12-19T01:00:00+05:30")]
    assert representative(offsets).url == f"{E}/a-longer"   # 19:30 UTC, half an hour earlier
    same = [Page(f"{E}/bbb", f"{E}/bbb"), Page(f"{E}/aaaa", f"{E}/aaaa"), Page(f"{E}/ccc", f"{E}/ccc")]
    assert representative(same).url == f"{E}/bbb"            # shortest, then smallest


def test_rule_puts_a_capture_cut_short_after_a_complete_one():
    pages = [Page(f"{E}/a", f"{E}/a", "2024-01-01", truncated=True), Page(f"{E}/a/amp", f"{E}/a", "2024-01-02")]
    assert representative(pages).url == f"{E}/a/amp"


@pytest.mark.parametrize("seed", range(5))
def test_rule_ignores_the_order_pages_come_in(seed):
    pages = [Page(f"{E}/s{i}" + "x" * (i % 3), f"{E}/s{i % 4}", f"2024-01-0{1 + i % 3}") for i in range(12)]
    shuffled = list(pages)
    random.Random(seed).shuffle(shuffled)
    assert representative(shuffled) == representative(pages)


def record(url, canonical, text="body", published=None):
    return {"url": url, "canonical_url": canonical, "title": url, "text": text, "published": published,
            "fetched_at": "2024-01-01T00:00:00Z", "warc": {"filename": "x.warc.gz", "offset": 0},
            "duplicate_of": None}


def fill(held: HeldArticles):
    """Three stories: one with a URL variant and an exact copy, one alone, one with a near copy
    (its group as the dedupe state would have put it)."""
    rows = [(record(f"{E}/one?ref=x", f"{E}/one"), f"{E}/one", "fp1"),
            (record(f"{E}/one", f"{E}/one"), f"{E}/one", "fp1"),
            (record(f"{E}/one-2", f"{E}/one-2"), f"{E}/one", "fp1"),
            (record(f"{E}/two", f"{E}/two"), f"{E}/two", "fp2"),
            (record(f"{E}/three-copy", f"{E}/three-copy", published="2024-01-01"), f"{E}/three-copy", "fp3"),
            (record(f"{E}/three", f"{E}/three", published="2024-01-02"), f"{E}/three-copy", "fp4")]
    for rec, group, fp in rows:
        held.hold(rec, rec["canonical_url"], fp, None)
        held.link(rec["url"], group, "new" if group == rec["canonical_url"] else "exact")


KEPT = [f"{E}/one", f"{E}/three-copy", f"{E}/two"]      # in canonical-URL order


class DiesAfter(JsonLinesFile):
    """A writer whose process dies (here: raises) after `n` lines, as kill -9 would stop it."""

    def __init__(self, path, n):
        super().__init__(path)
        self.left = n

    def write(self, obj):
        if self.left == 0:
            raise KeyboardInterrupt("killed")
        self.left -= 1
        super().write(obj)


def read(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


def test_publish_writes_one_line_per_story_and_removes_the_held_file(tmp_path):
    held = HeldArticles(tmp_path / "held.sqlite3")
    fill(held)
    out = Output(JsonLinesFile(tmp_path / "articles.jsonl"), JsonLinesFile(tmp_path / "duplicates.jsonl"))
    counts = publish(held, out)
    assert counts == {"articles": 3, "duplicates": 3, "groups": 3, "lines": 3}
    assert [a["url"] for a in read(tmp_path / "articles.jsonl")] == KEPT
    duplicates = {d["url"]: (d["kind"], d["duplicate_of"]) for d in read(tmp_path / "duplicates.jsonl")}
    assert duplicates == {f"{E}/one?ref=x": ("url", f"{E}/one"), f"{E}/one-2": ("exact", f"{E}/one"),
                          f"{E}/three": ("near", f"{E}/three-copy")}
    assert not (tmp_path / "held.sqlite3").exists()


@pytest.mark.parametrize("which", ["articles", "duplicates"])
@pytest.mark.parametrize("dies_after", [0, 1, 2])
def test_publish_cut_short_is_finished_by_the_next_start_without_repeats(tmp_path, which, dies_after):
    before = record(f"{E}/earlier-run", f"{E}/earlier-run")
    (tmp_path / "articles.jsonl").write_text(json.dumps(before) + "\n", "utf-8")
    held = HeldArticles(tmp_path / "held.sqlite3")
    fill(held)
    files = {name: (DiesAfter if name == which else JsonLinesFile)(tmp_path / f"{name}.jsonl", *(
        [dies_after] if name == which else [])) for name in ("articles", "duplicates")}
    dying = Output(files["articles"], files["duplicates"])
    with pytest.raises(KeyboardInterrupt):
        publish(held, dying)
    held.close()
    with open(tmp_path / "articles.jsonl", "ab") as f:
        f.write(b'{"url": "half a li')                      # and a line cut in the middle
    again = HeldArticles(tmp_path / "held.sqlite3")           # the next start
    assert again.publishing() is not None
    publish(again, Output(JsonLinesFile(tmp_path / "articles.jsonl"), JsonLinesFile(tmp_path / "duplicates.jsonl")))
    assert [a["url"] for a in read(tmp_path / "articles.jsonl")] == [before["url"], *KEPT]
    assert sorted(d["url"] for d in read(tmp_path / "duplicates.jsonl")) == \
        sorted([f"{E}/one?ref=x", f"{E}/one-2", f"{E}/three"])
    assert not (tmp_path / "held.sqlite3").exists()


def test_a_stale_verdict_left_by_a_crash_still_joins_the_group(tmp_path):
    """x was linked to y before a crash lost y's state; on the restart y joined z: one story."""
    held = HeldArticles(tmp_path / "held.sqlite3")
    for url in ("x", "y", "zz"):
        held.hold(record(f"{E}/{url}", f"{E}/{url}"), f"{E}/{url}", "fp", None)
    held.link(f"{E}/x", f"{E}/y", "exact")
    held.link(f"{E}/y", f"{E}/zz", "exact")
    held.link(f"{E}/zz", f"{E}/zz", "new")
    ((pages, outside),) = held.groups()
    assert outside is None and {p.url for p in pages} == {f"{E}/x", f"{E}/y", f"{E}/zz"}


def test_the_last_process_out_removes_the_lock_file_and_a_waiter_locks_the_new_one(tmp_path):
    """A finished run leaves no `articles-held.lock`. A process that opened the file just before
    the last one deleted it, and waited for its lock, must not hold a lock on the deleted file:
    a third process would then take itself for the only one and publish what the second still
    adds to. (Each SharedRun opens its own file description: flocks conflict within one process.)"""
    import os
    import threading

    from pipelines.held import LOCK_FILENAME, SharedRun

    lock = tmp_path / LOCK_FILENAME
    first, second = SharedRun(tmp_path), SharedRun(tmp_path)
    first.close()
    assert lock.exists()                        # the second still runs
    second.close()
    assert not lock.exists()

    last = SharedRun(tmp_path)
    assert last.last()                          # publishing: exclusive
    opened = threading.Event()
    waiter: list[SharedRun] = []
    real_open = os.open

    def noting_open(*args, **kwargs):
        fd = real_open(*args, **kwargs)
        opened.set()
        return fd

    os.open = noting_open                       # (only this thread opens files meanwhile)
    try:
        thread = threading.Thread(target=lambda: waiter.append(SharedRun(tmp_path)))
        thread.start()
        assert opened.wait(10)                  # it has the old file open and waits for its lock
        last.close()                            # deletes the file it opened
        thread.join(10)
    finally:
        os.open = real_open
    assert waiter and lock.exists()
    third = SharedRun(tmp_path)
    assert not third.last()                     # it sees the waiter, now crawling
    waiter[0].close()
    assert third.last()
    third.close()
    assert not lock.exists()


def test_merge_runs_removes_the_lock_a_process_killed_before_holding_anything_left(tmp_path):
    """A process killed (kill -9) before it held an article leaves `articles-held.lock` and no
    held file: merge-runs listed the stale lock among the run's files. It takes it (no process
    crawls there any more) and removes it; one still held by a live process is refused."""
    import fcntl
    import os

    from archives.writer import WarcWriter
    from crawler.merge import MergeError, merge_runs
    from pipelines.held import LOCK_FILENAME

    run = tmp_path / "run"
    with WarcWriter(run) as writer:
        writer.write_exchange(url="http://example.org/", request_head=b"GET / HTTP/1.1\r\n\r\n",
                              response_head=b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", response_body=b"ok")
    (run / LOCK_FILENAME).touch()
    live = os.open(run / LOCK_FILENAME, os.O_RDONLY)
    fcntl.flock(live, fcntl.LOCK_SH)                  # as a crawling process holds it
    try:
        with pytest.raises(MergeError, match="still being crawled into"):
            merge_runs([run], tmp_path / "merged")
    finally:
        os.close(live)                                # the process is killed: its lock goes
    manifest = merge_runs([run], tmp_path / "merged")
    assert not (run / LOCK_FILENAME).exists()
    assert not [f for f in manifest["files"] if f["path"].endswith(LOCK_FILENAME)]
