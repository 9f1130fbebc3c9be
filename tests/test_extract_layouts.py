"""Extraction round 2 on generated layouts: headings without numbers, papers without headings,
tables, figures, line-end hyphens, running headers, contents pages and front-matter notes."""

from __future__ import annotations

import re

import pytest

from pipeline.core.models import Extraction
from pipeline.extract.extractor import extract_pdf
from tests import pdfs_cases

BIG = 20_000


def _extract(data: bytes) -> Extraction:
    return extract_pdf(data, budget_tokens=BIG)


def _section(ex: Extraction, marker: str) -> str:
    """The name of the context section holding ``marker``."""
    before = ex.context[: ex.context.index(marker)]
    return before.rsplit("\n## ", 1)[-1].split("\n", 1)[0]


def test_unnumbered_bold_headings_become_sections() -> None:
    ex = _extract(pdfs_cases.unnumbered_headings_pdf())
    assert [s.name for s in ex.sections] == [
        "Abstract",
        "Introduction",
        "Related Work",
        "Methodology",
        "Theory",
        "Results",
        "Conclusion",
        "Limitations",
        "Ethics Statement",
        "References",
    ]
    assert _section(ex, "LIMITATIONS-MARKER") == "Limitations"
    assert _section(ex, "ETHICS-MARKER") == "Ethics Statement"
    assert _section(ex, "THEORY-MARKER") == "Theory"
    assert _section(ex, "SUBSECTION-MARKER") == "Methodology"
    assert "REFERENCE-MARKER" not in ex.context


def test_short_prose_lines_at_body_size_are_kept() -> None:
    ex = _extract(pdfs_cases.unnumbered_headings_pdf())
    assert ex.context.count("Trailing words stay here.") == 5


@pytest.mark.parametrize("abstract_heading", [True, False])
def test_paper_without_headings_keeps_its_body(abstract_heading: bool) -> None:
    ex = _extract(pdfs_cases.no_headings_pdf(abstract_heading=abstract_heading))
    assert [s.name for s in ex.sections] == ["Abstract", "Body"]
    assert _section(ex, "SUMMARY-MARKER") == "Abstract"
    # Paragraphs set this close may be read as one: the first body paragraph may stay with
    # the abstract, but nothing is lost and the rest is body.
    assert "BODY0-MARKER" in ex.context
    for i in range(1, 8):
        assert _section(ex, f"BODY{i}-MARKER") == "Body"
    abstract, body = ex.sections
    assert body.tokens > 4 * abstract.tokens


def test_table_rows_with_header_first_and_separate_cells() -> None:
    ex = _extract(pdfs_cases.table_pdf())
    rows = [line for line in ex.context.splitlines() if " | " in line]
    assert rows == [
        "Model | GSM8K | MATH | Avg.",
        "Dense 1.3B | 53.8 | - | 56.5",
        "RouteLM | 61.2 | 25.5 | 91.55 (0.29)",
        "Sparse 7B | 1128.0 | - | 56.5",
    ]
    caption = ex.context.index("Table 1: Accuracy (%) of the models")
    assert caption < ex.context.index(rows[0]) < ex.context.index("EXPERIMENT-MARKER")


def test_figure_labels_left_out_and_caption_kept() -> None:
    ex = _extract(pdfs_cases.figure_pdf())
    assert "Figure 1: Accuracy during training. CAPTION-MARKER" in ex.context
    for label in pdfs_cases.FIGURE_LABELS:
        assert label not in ex.context, label
    assert not re.search(r"^(?:\d+k?\s*\|?\s*)+$", ex.context, re.M)  # no tick rows
    assert "RESULTS-MARKER" in ex.context


def test_line_end_hyphens_keep_compounds_and_join_syllables() -> None:
    ex = _extract(pdfs_cases.hyphen_pdf())
    assert (
        "We fine-tune the released DeepSeek-R1 model and a human-written reference with "
        "self-attention over the whole context, then convert each table with a data-to-text "
        "model and report the results for every benchmark we tried." in ex.context
    )


def test_springer_running_headers_removed() -> None:
    ex = _extract(pdfs_cases.springer_pdf())
    assert pdfs_cases.SPRINGER_AUTHOR not in ex.context
    assert ex.context.count(pdfs_cases.SPRINGER_TITLE) == 1  # the title line, not the headers
    assert ex.title == pdfs_cases.SPRINGER_TITLE + ": A Study"
    assert "CONCLUSION-MARKER" in ex.context
    assert not re.search(r"^\d{1,2}$", ex.context, re.M)


def test_contents_page_dropped() -> None:
    ex = _extract(pdfs_cases.contents_pdf())
    assert ". . ." not in ex.context
    assert "Contents" not in ex.context
    assert "Overview" not in ex.context and "Contributions" not in ex.context
    assert [s.name for s in ex.sections] == [
        "Abstract",
        "Introduction",
        "Approach",
        "Experiments",
        "Conclusion",
    ]
    for name in ("INTRODUCTION", "APPROACH", "EXPERIMENTS", "CONCLUSION"):
        assert _section(ex, f"{name}-MARKER") == name.title()


def test_front_notes_author_blocks_and_control_characters_removed() -> None:
    ex = _extract(pdfs_cases.front_notes_pdf())
    assert "Manuscript received" not in ex.context
    assert "Personal use" not in ex.context and "©" not in ex.context
    assert "ada@example.edu" not in ex.context and "Department of Computing" not in ex.context
    assert "Grace Hopper" not in ex.context
    assert "\x10" not in ex.context
    assert "INTRO-MARKER Large models (LLMs) plan with MoBA." in ex.context
    assert "The loss can be written as:" in ex.context
    assert _section(ex, "CONCLUSION-MARKER") == "Conclusion"


def test_title_in_capitals_cleaned_and_spelled_as_the_paper_does() -> None:
    ex = _extract(pdfs_cases.front_notes_pdf())
    assert ex.title == "Plans Make LLMs Reason: A Study of MoBA"
