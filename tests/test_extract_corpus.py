"""Extraction targets on the real papers in ../shared/corpus (beside the checkout), measured by
benchmarks/extraction.py without its timings. Skipped, saying so, when the corpus is absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.extraction import HEADINGS, Quality, quality
from pipeline.extract.extractor import extract_pdf

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
BUDGET = 6000

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus PDFs not found at {CORPUS}")


@pytest.fixture(scope="module")
def results() -> dict[str, Quality]:
    expected: dict[str, list[str]] = json.loads(HEADINGS.read_text())["papers"]
    out = {}
    for path in sorted(CORPUS.glob("*.pdf")):
        if path.name in expected:
            data = path.read_bytes()
            ex = extract_pdf(data, budget_tokens=BUDGET, label=path.name)
            out[path.name] = quality(data, ex, BUDGET, expected[path.name])
    assert out, f"no corpus PDF listed in {HEADINGS}"
    return out


def test_headings_found(results: dict[str, Quality]) -> None:
    found = sum(q.heads[0] for q in results.values())
    expected = sum(q.heads[1] for q in results.values())
    missing = {name: q.heads for name, q in results.items() if q.heads[0] < q.heads[1]}
    assert found >= 0.98 * expected, missing


def test_no_paper_loses_its_body(results: dict[str, Quality]) -> None:
    assert {name: q.ctx_share for name, q in results.items() if not q.ctx_ok} == {}


def test_no_furniture_contents_or_control_characters(results: dict[str, Quality]) -> None:
    leaks = {
        name: (q.furniture, q.contents, q.control)
        for name, q in results.items()
        if q.furniture or q.contents or q.control
    }
    assert leaks == {}


def test_compounds_keep_their_hyphens(results: dict[str, Quality]) -> None:
    assert {name: q.joined for name, q in results.items() if len(q.joined) > 3} == {}


def test_tables_arrive_as_rows(results: dict[str, Quality]) -> None:
    tables = sum(q.tables[0] for q in results.values())
    headed = sum(q.tables[1] for q in results.values())
    assert tables >= 50 and headed >= 0.7 * tables, (tables, headed)
