"""The store operations the prompt lab adds: report folders never reused, judge cache apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import StoreError
from pipeline.store import Store


def test_an_eval_report_folder_is_never_reused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    paths = store.save_eval_report("june", "run1", {"report.json": b"{}", "report.html": b"<p>"})
    assert paths == [
        tmp_path / "evals/june/run1/report.json",
        tmp_path / "evals/june/run1/report.html",
    ]
    assert paths[1].read_bytes() == b"<p>"
    with pytest.raises(StoreError, match="exists already"):
        store.save_eval_report("june", "run1", {"report.json": b"[]"})
    assert paths[0].read_bytes() == b"{}"
    for bad in ("../x", ".hidden", ""):
        with pytest.raises(ValueError):
            store.save_eval_report(bad, "run2", {"a": b""})


def test_judge_replies_are_cached_apart_from_summaries(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_judge("k", {"reply": {"content": "{}"}})
    assert store.load_judge("k") == {"reply": {"content": "{}"}}
    assert store.load_llm("k") is None and store.load_judge("other") is None
    (tmp_path / "cache/judge/bad.json").write_text("{not json")
    with pytest.raises(StoreError, match="judge cache"):
        store.load_judge("bad")
