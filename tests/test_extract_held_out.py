"""Extraction round 3 on generated layouts: a technical report's title page, contents pages
that run on over a page break, clipped figure sub-plots, chat bubbles and footnote URL lists."""

from __future__ import annotations

import re

import pytest

from pipeline.core.models import Extraction
from pipeline.extract.extractor import extract_pdf
from tests import pdfs_held_out

BIG = 20_000


def _extract(data: bytes) -> Extraction:
    return extract_pdf(data, budget_tokens=BIG)


def _section(ex: Extraction, marker: str) -> str:
    """The name of the context section holding ``marker``."""
    before = ex.context[: ex.context.index(marker)]
    return before.rsplit("\n## ", 1)[-1].split("\n", 1)[0]


@pytest.mark.parametrize(
    ("meta_title", "abstract_words", "bold_label"),
    [("", 80, False), ("Overleaf Example", 80, False), ("", 40, True)],
)
def test_report_title_in_capitals_and_abstract_without_heading(
    meta_title: str, abstract_words: int, bold_label: bool
) -> None:
    data = pdfs_held_out.report_pdf(
        meta_title=meta_title, abstract_words=abstract_words, bold_label=bold_label
    )
    ex = _extract(data)
    assert ex.title == "Plans Make Small Models Reason"
    assert [s.name for s in ex.sections] == [
        "Abstract",
        "Introduction",
        "Method",
        "Experiments",
        "Conclusion",
    ]
    assert _section(ex, "SUMMARY-MARKER") == "Abstract"
    assert "TECHNICAL REPORT" not in ex.sections[0].name
    assert _section(ex, "INTRODUCTION-MARKER") == "Introduction"


@pytest.mark.parametrize("leaders", [True, False])
def test_contents_over_a_page_break_dropped_whole(leaders: bool) -> None:
    ex = _extract(pdfs_held_out.contents_over_two_pages_pdf(leaders=leaders))
    for word in ("Listed", "Tail", "Contents", ". . ."):
        assert word not in ex.full_text, word
    assert [s.name for s in ex.sections] == ["Abstract", "Introduction", "Method", "Conclusion"]
    assert _section(ex, "SUMMARY-MARKER") == "Abstract"
    for name in ("INTRODUCTION", "METHOD", "CONCLUSION"):
        assert _section(ex, f"{name}-MARKER") == name.title()


def test_clipped_subplots_left_out_and_an_instruction_in_them_flagged() -> None:
    ex = _extract(pdfs_held_out.clipped_subplots_pdf())
    for label in pdfs_held_out.HIDDEN_LABELS:
        assert label not in ex.full_text, label
    assert "Ignore all previous" not in ex.full_text
    for i in range(4):
        assert _section(ex, f"BODY{i}-MARKER") == "Introduction"
    assert "CAPTION-MARKER" in ex.context
    assert _section(ex, "CONCLUSION-MARKER") == "Conclusion"
    assert "across four benchmarks and three sizes." in ex.context
    codes = [(flag.code, flag.page) for flag in ex.flags]
    assert ("prompt_injection", 1) in codes
    # Clipped sub-plots are figure leftovers: nothing to tell an editor beyond the instruction.
    assert not any("Hiddenaxis" in flag.detail for flag in ex.flags)


@pytest.mark.parametrize("leading", [10.5, 16.0])
def test_footnote_url_list_is_not_a_table_and_does_not_split_a_paragraph(leading: float) -> None:
    ex = _extract(pdfs_held_out.footnote_urls_pdf(leading=leading))
    assert pdfs_held_out.SPLIT_SENTENCE in ex.context
    for url in pdfs_held_out.FOOTNOTE_URLS:
        assert url in ex.full_text
        line = next(line for line in ex.full_text.splitlines() if url in line)
        assert " | " not in line, line
    assert "We use the first generated line" in ex.full_text
    assert _section(ex, "CONCLUSION-MARKER") == "Conclusion"


def test_chat_bubbles_in_a_figure_without_labels_left_out() -> None:
    ex = _extract(pdfs_held_out.chat_bubbles_pdf())
    assert "BUBBLE-MARKER" not in ex.full_text
    assert "Figure 1: A conversation with the planner. CAPTION-MARKER" in ex.context
    for marker in ("INTRODUCTION-MARKER", "AFTER-MARKER"):
        assert _section(ex, marker) == "Introduction"
    assert _section(ex, "CONCLUSION-MARKER") == "Conclusion"


def test_table_of_rising_counts_is_not_a_contents_page() -> None:
    ex = _extract(pdfs_held_out.sizes_table_pdf())
    table = ex.full_text.split("Table 1: Layers of each model size.", 1)[1].split("AFTER-MARKER")[0]
    for name, layers in pdfs_held_out.SIZES_TABLE:
        assert re.search(rf"\b{name}\b", table) and re.search(rf"\b{layers}\b", table), name
