"""Content checks plug into the lab from a feature's own package."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.core.models import DailyPaper, PaperInput, Summary
from pipeline.lab.checks import CHECKS, discover, run_checks
from pipeline.lab.sets import FrozenPaper

PLUGIN = """
from pipeline.lab.checks import register_check
from pipeline.core.models import Flag


@register_check("numbers")
def numbers(summary, frozen):
    if "99%" in summary.performance_highlights and "99%" not in frozen.input.text:
        return [Flag(code="faithfulness_number", detail="99% is not in the paper")]
    return []
"""


@pytest.fixture
def clean_registry() -> Iterator[None]:
    before = dict(CHECKS)
    CHECKS.clear()  # only the plugin's check: a lab run earlier in the session registered others
    yield
    CHECKS.clear()
    CHECKS.update(before)


def test_a_feature_package_registers_its_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None
) -> None:
    (tmp_path / "plugroot" / "feature").mkdir(parents=True)
    (tmp_path / "plugroot" / "other").mkdir()
    for folder in ("plugroot", "plugroot/feature", "plugroot/other"):
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "plugroot" / "feature" / "lab_checks.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    root = importlib.import_module("plugroot")
    assert discover(root) == ["plugroot.feature.lab_checks"]
    frozen = FrozenPaper(
        date="2024-06-13",  # type: ignore[arg-type]
        paper=DailyPaper(arxiv_id="1", title="t", upvotes=0, authors=[], abstract="a"),
        input=PaperInput(text="accuracy rose to 91%", tokens=5, source="pdf"),
    )
    summary = Summary(whats_new="x", technical_details="y", performance_highlights="99%입니다.")
    (flag,) = run_checks(summary, frozen)
    assert flag.code == "faithfulness_number"
    fine = summary.model_copy(update={"performance_highlights": "91%입니다."})
    assert run_checks(fine, frozen) == []
