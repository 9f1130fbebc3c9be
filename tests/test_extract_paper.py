"""Sections, reading order, cleaning and the budgeted context of generated papers."""

from __future__ import annotations

import re

import pytest

from pipeline.core.models import Extraction
from pipeline.core.tokens import count_tokens
from pipeline.extract.extractor import EXTRACTOR_VERSION, extract_pdf
from tests import pdfs

BIG = 20_000
MARKERS = ("INTRO-MARKER", "METHOD-MARKER", "EXPERIMENT-MARKER", "CONCLUSION-MARKER")


@pytest.fixture(scope="module")
def one() -> Extraction:
    return extract_pdf(pdfs.one_column(), budget_tokens=BIG, label="one")


@pytest.fixture(scope="module")
def two() -> Extraction:
    return extract_pdf(pdfs.two_column(stamp=True), budget_tokens=BIG, label="two")


@pytest.mark.parametrize("name", ["one", "two"])
def test_sections_found_in_order(name: str, request: pytest.FixtureRequest) -> None:
    ex: Extraction = request.getfixturevalue(name)
    names = [s.name for s in ex.sections]
    assert names == [
        "Abstract",
        "Introduction",
        "Related Work",
        "Method",
        "Experiments",
        "Conclusion",
        "References",
    ]
    assert ex.title == pdfs.TITLE
    assert all(s.tokens > 0 and s.chars > s.tokens for s in ex.sections)


@pytest.mark.parametrize("name", ["one", "two"])
def test_context_reads_sections_in_order_without_references(
    name: str, request: pytest.FixtureRequest
) -> None:
    ex: Extraction = request.getfixturevalue(name)
    positions = [ex.context.index(m) for m in MARKERS]
    assert positions == sorted(positions)
    assert "REFERENCE-MARKER" not in ex.context
    assert ex.dropped == ["References"]
    assert ex.kept[0] == "Abstract"
    assert ex.context.startswith(f"# {pdfs.TITLE}\n\n## Abstract\n")
    assert "\n## Introduction\n" in ex.context


def test_two_columns_read_left_column_first(two: Extraction) -> None:
    # On page one the introduction fills the left column and continues at the top of the right
    # one, above "2 Related Work": the right column must not be read across the left one.
    intro = two.context.index("## Introduction")
    related = two.context.index("## Related Work")
    assert intro < two.context.index("what remains open") < related
    assert "Mixtures of experts" not in two.context[intro:related]


@pytest.mark.parametrize("name", ["one", "two"])
def test_furniture_removed(name: str, request: pytest.FixtureRequest) -> None:
    ex: Extraction = request.getfixturevalue(name)
    assert "Preprint. Under review" not in ex.context
    assert "arXiv:2406" not in ex.context
    assert not re.search(r"\n\d{1,2}\n", ex.context)  # no stray page numbers


def test_review_line_numbers_removed() -> None:
    ex = extract_pdf(pdfs.one_column(line_numbers=True), budget_tokens=BIG)
    assert [s.name for s in ex.sections][:3] == ["Abstract", "Introduction", "Related Work"]
    assert not re.search(r"\b(1[0-9]|2[0-9]) (Small|Mixtures|We|RouteLM)\b", ex.context)
    assert "step-level router" in ex.context


def test_table_caption_and_rows_kept(one: Extraction) -> None:
    assert "Table 1: Accuracy (%) on four reasoning benchmarks." in one.context
    assert re.search(r"RouteLM \| 61\.2 \| 25\.5 \| 67\.3", one.context)


@pytest.mark.parametrize("outline", [True, False])
def test_sections_with_and_without_outline(outline: bool) -> None:
    ex = extract_pdf(pdfs.two_column(outline=outline), budget_tokens=BIG)
    assert [s.name for s in ex.sections][1:4] == ["Introduction", "Related Work", "Method"]


@pytest.mark.parametrize("columns", [1, 2])
def test_ligatures_expanded_and_hyphens_joined(columns: int) -> None:
    ex = extract_pdf(pdfs.hyphen_ligature_pdf(columns), budget_tokens=BIG)
    assert not re.search("[ﬀﬁﬂﬃﬄ]", ex.context)
    assert "The first configuration flows through every benefit of the reflection" in ex.context
    assert not re.search(r"[a-z]- [a-z]", ex.context)
    assert not re.search(r"[a-z]-\n", ex.context)
    assert "consistency" in ex.context and "experiments" in ex.context


def test_budget_is_respected_and_keeps_priorities() -> None:
    ex = extract_pdf(pdfs.one_column(), budget_tokens=400)
    assert ex.context_tokens == count_tokens(ex.context) <= 400
    assert "## Abstract" in ex.context and pdfs.ABSTRACT in ex.context
    # Sentences with results come before plain ones in the experiments section.
    assert "61.2%" in ex.context
    assert "References" in ex.dropped
    assert set(ex.kept) | set(ex.dropped) == {s.name for s in ex.sections}


def test_budget_cuts_at_sentence_boundaries() -> None:
    ex = extract_pdf(pdfs.one_column(), budget_tokens=600)
    for line in ex.context.splitlines():
        if line and not line.startswith("#") and " | " not in line:
            assert line.rstrip().endswith((".", "%")), line


def test_tiny_budget_keeps_title_and_abstract_only() -> None:
    ex = extract_pdf(pdfs.one_column(), budget_tokens=120)
    assert ex.context_tokens <= 120
    assert ex.kept == ["Abstract"]
    assert "Introduction" in ex.dropped


def test_extraction_metadata(one: Extraction) -> None:
    import hashlib

    data = pdfs.one_column()
    ex = extract_pdf(data, budget_tokens=BIG)
    assert ex.pdf_sha256 == hashlib.sha256(data).hexdigest()
    assert ex.extractor_version == EXTRACTOR_VERSION
    assert ex.pages == 3 and ex.usable and ex.flags == []


def test_path_source(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "paper.pdf"
    path.write_bytes(pdfs.one_column())
    assert extract_pdf(path, budget_tokens=BIG).title == pdfs.TITLE


def test_a_section_cut_to_fit_the_budget_is_marked_shortened() -> None:
    """A kept section is either in the context whole or marked shortened, never silently cut."""
    roomy = extract_pdf(pdfs.one_column(), budget_tokens=BIG)
    assert roomy.shortened == []
    for budget in (300, 400, 600, 900):
        ex = extract_pdf(pdfs.one_column(), budget_tokens=budget)
        assert set(ex.shortened) <= set(ex.kept)
        for name in ex.kept:
            start = roomy.context.index(f"## {name}\n")  # the section whole, from the roomy one
            end = roomy.context.find("\n## ", start + 1)
            block = roomy.context[start : end if end > 0 else None]
            assert (block in ex.context) == (name not in ex.shortened), (budget, name)
    tight = extract_pdf(pdfs.one_column(), budget_tokens=400)
    assert tight.shortened  # the experiments section keeps only its sentences with results
    from pipeline.extract.report import format_report

    report = format_report(tight)
    assert "shortened to fit" in report
    assert any(line.endswith("shortened") for line in report.splitlines())
