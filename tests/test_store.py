"""The store: atomic writes, nothing an earlier run or a person produced is lost."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

import pytest

from pipeline.core.errors import StoreError
from pipeline.core.models import DailyPaper, PaperRecord
from pipeline.store import Store, atomic_write

DAY = dt.date(2024, 6, 13)


def test_atomic_write_leaves_no_temp_files_and_survives_concurrent_writers(tmp_path: Path) -> None:
    target = tmp_path / "x" / "file.json"
    payloads = [json.dumps({"writer": i, "pad": "y" * 50_000}).encode() for i in range(8)]
    threads = [threading.Thread(target=atomic_write, args=(target, p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_bytes() in payloads  # one whole payload, never a mix
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_listing_snapshots_are_kept_when_the_list_changes(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_listing(DAY, [{"a": 1}])
    store.save_listing(DAY, [{"a": 1}])  # unchanged: no extra snapshot
    assert len(list(store.day(DAY).glob("hf_daily_papers*.json"))) == 1
    store.save_listing(DAY, [{"a": 1}, {"b": 2}])
    files = sorted(p.name for p in store.day(DAY).glob("hf_daily_papers*.json"))
    assert len(files) == 2
    assert json.loads((store.day(DAY) / "hf_daily_papers.json").read_text()) == [{"a": 1}, {"b": 2}]


LISTINGS: list[list[object]] = [
    [],
    [{}],
    [{"paper": {"id": "2406.1", "title": "Line\nbreak \"q\" 한국어 \\ \u2028"}, "votes": [1, []]}],
    [[1, [2, [], {}]], "s", 3.5, None, True, {"deep": {"er": {"est": [False]}}}],
]


@pytest.mark.parametrize("raw", LISTINGS)
def test_a_listing_written_page_by_page_is_the_file_earlier_nights_wrote(
    tmp_path: Path, raw: list[object]
) -> None:
    store = Store(tmp_path)
    with store.saving_listing(DAY) as saved:
        for start in range(0, len(raw), 2):  # two entries a page
            saved.add(raw[start : start + 2])
    written = (store.day(DAY) / "hf_daily_papers.json").read_bytes()
    assert written == json.dumps(raw, ensure_ascii=False, indent=1).encode() + b"\n"
    assert json.loads(written) == raw


def test_a_listing_that_fails_half_way_changes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_listing(DAY, [{"a": 1}])
    before = sorted(p.name for p in store.day(DAY).iterdir())
    with pytest.raises(RuntimeError), store.saving_listing(DAY) as saved:
        saved.add([{"b": 2}])
        raise RuntimeError("the second page never came")
    assert sorted(p.name for p in store.day(DAY).iterdir()) == before  # no temp file either
    assert json.loads((store.day(DAY) / "hf_daily_papers.json").read_text()) == [{"a": 1}]


def test_an_earlier_listing_is_kept_byte_for_byte(tmp_path: Path) -> None:
    store = Store(tmp_path)
    path = store.day(DAY) / "hf_daily_papers.json"
    store.save_listing(DAY, [{"a": 1}])
    path.write_bytes(b'[{"a": 1}]  \n')  # an older night's (or a person's) bytes
    store.save_listing(DAY, [{"a": 2}])
    aside = [p for p in store.day(DAY).glob("hf_daily_papers.*.json") if p != path]
    assert [p.read_bytes() for p in aside] == [b'[{"a": 1}]  \n']


def test_hand_edited_digest_is_kept_aside(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.publish(DAY, "digest.md", b"v1") is None
    assert store.publish(DAY, "digest.md", b"v2") is None  # ours: replaced without a copy
    path = store.day(DAY) / "digest.md"
    path.write_bytes(b"edited by an editor")
    kept = store.publish(DAY, "digest.md", b"v3")
    assert kept is not None and kept.read_bytes() == b"edited by an editor"
    assert path.read_bytes() == b"v3"


def test_unreadable_record_is_an_error_naming_it_and_is_left_in_place(tmp_path: Path) -> None:
    store = Store(tmp_path)
    paper = DailyPaper(arxiv_id="2406.1", title="t", upvotes=1, authors=[], abstract="a")
    store.save_record(DAY, PaperRecord(paper=paper))
    path = store.record_path(DAY, "2406.1")
    path.write_text('{"paper": "not a paper"}')
    with pytest.raises(StoreError, match=r"2406\.1\.json") as caught:
        store.load_record(DAY, "2406.1")
    assert caught.value.path == path
    assert path.read_text() == '{"paper": "not a paper"}'  # never renamed away and redone
    assert sorted(p.name for p in path.parent.iterdir()) == ["2406.1.json"]


def test_second_run_of_the_same_day_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock_day(DAY), pytest.raises(StoreError, match="in progress"), store.lock_day(DAY):
        pass
    with store.lock_day(DAY):  # released after the first run ends
        pass


def test_a_write_that_fails_before_the_rename_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path)
    paper = DailyPaper(arxiv_id="2406.1", title="old", upvotes=1, authors=[], abstract="a")
    store.save_record(DAY, PaperRecord(paper=paper))
    path = store.record_path(DAY, "2406.1")
    before = path.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)  # the disk fills up just before the rename
    new = paper.model_copy(update={"title": "new"})
    with pytest.raises(StoreError, match="No space left"):
        store.save_record(DAY, PaperRecord(paper=new))
    with pytest.raises(StoreError):
        store.save_llm("k", {"reply": "x"})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["2406.1.json"]  # no temp left
    assert store.load_llm("k") is None


def test_a_streamed_blob_appears_whole_or_not_at_all_and_scratch_leaves_nothing(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    with store.blob_writer("batch", "a.jsonl") as out:
        out.write(b"one\n")
        out.write(b"two\n")
    with pytest.raises(RuntimeError), store.blob_writer("batch", "b.jsonl") as out:
        out.write(b"half")
        raise RuntimeError("killed mid-write")
    with store.scratch("batch") as spool:
        spool.write(b"lines\n")
        spool.seek(0)
        assert spool.read() == b"lines\n"
    assert store.load_blob("batch", "b.jsonl") is None
    assert [p.name for p in (tmp_path / "batch").iterdir()] == ["a.jsonl"]  # no temp left
    found = store.open_blob("batch", "a.jsonl")
    assert found is not None
    with found:
        assert found.read() == b"one\ntwo\n"
    assert store.open_blob("batch", "missing.jsonl") is None
