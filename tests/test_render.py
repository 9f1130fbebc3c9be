"""The digest's Markdown is the published format: a golden file, byte for byte.

Regenerate deliberately with ``UPDATE_GOLDEN=1 pytest tests/test_render.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.core.models import DailyPaper, Digest, PaperRecord, Status, Summary
from pipeline.stages.render import build_digest, render_json, render_markdown
from tests.golden import check_golden

GOLDEN = Path(__file__).parent / "golden" / "render_digest.md"


def _record(
    arxiv_id: str, title: str, votes: int, thumb: str | None, status: Status
) -> PaperRecord:
    summary = Summary(
        whats_new=f"{title}에서 제안하는 새로운 방법을 소개합니다.",
        technical_details="인코더(encoder)와 디코더(decoder)를 함께 학습합니다.",
        performance_highlights="주요 벤치마크에서 기존 방법보다 높은 정확도를 보입니다.",
    )
    return PaperRecord(
        paper=DailyPaper(
            arxiv_id=arxiv_id,
            title=title,
            upvotes=votes,
            authors=["Zoe Zhang", "Adam Abel", "Mina Kim"],
            abstract="An abstract.",
            thumbnail=thumb,
        ),
        status=status,
        summary=summary if status is Status.OK else None,
        draft=summary if status is not Status.OK else None,
    )


RECORDS = [
    _record(
        "2406.00001", "Tokens [and] Images", 52, "https://cdn.example/2406.00001.png", Status.OK
    ),
    _record("2406.00002", "A Video Paper", 40, "https://cdn.example/clip.mp4", Status.OK),
    _record("2406.00003", "Needs Review", 30, None, Status.NEEDS_REVIEW),
    _record("2406.00004", "No Thumbnail", 7, None, Status.OK),
]


def test_markdown_matches_golden() -> None:
    text = render_markdown(build_digest(dt.date(2024, 6, 13), RECORDS))
    check_golden(GOLDEN, text)


def test_digest_shape_rules() -> None:
    text = render_markdown(build_digest(dt.date(2024, 6, 13), RECORDS))
    assert text.startswith("## Daily Papers (2024-06-13)\n\n### [")
    assert text.endswith("\n\n") and not text.endswith("\n\n\n")
    assert "Needs Review" not in text  # only passed summaries are published
    assert "Authors: Zoe Zhang, Adam Abel, Mina Kim\n" in text  # the paper's order, not sorted
    assert '[Watch Video](https://cdn.example/clip.mp4)\n<div><video controls src="' in text
    assert "![](https://cdn.example/clip.mp4)" not in text
    assert "### [Tokens \\[and\\] Images](https://arxiv.org/abs/2406.00001)" in text


def test_json_round_trips() -> None:
    digest = build_digest(dt.date(2024, 6, 13), RECORDS)
    again = Digest.model_validate_json(render_json(digest))
    assert [e.arxiv_id for e in again.papers] == ["2406.00001", "2406.00002", "2406.00004"]


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_json_written_piece_by_piece_is_what_pydantic_writes(count: int) -> None:
    """digest.json is written one entry at a time (a long day is never in memory whole): byte for
    byte what the model itself would write, with no paper, one or several, with and without a
    provenance, with empty lists, and with Korean, quotes and newlines in the text."""
    digest = build_digest(dt.date(2024, 6, 13), RECORDS)
    entries = digest.papers[:count]
    if count >= 2:
        odd = entries[1].model_copy(
            update={"provenance": None, "authors": [], "title": 'A "quoted"\nline 한국어'}
        )
        entries = [entries[0], odd, *entries[2:]]
    whole = Digest(date=digest.date, papers=entries)
    assert render_json(whole) == whole.model_dump_json(indent=2) + "\n"


@pytest.mark.parametrize("value", ["0", "", "yes"])
def test_only_update_golden_1_rewrites_a_golden(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = tmp_path / "g.md"
    golden.write_text("expected\n", encoding="utf-8")
    monkeypatch.setenv("UPDATE_GOLDEN", value)
    with pytest.raises(AssertionError):
        check_golden(golden, "changed\n")
    assert golden.read_text(encoding="utf-8") == "expected\n"
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    check_golden(golden, "changed\n")
    assert golden.read_text(encoding="utf-8") == "changed\n"
