"""The policy as pure functions: what a flag does to a record, and the versioned re-ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import UsageError
from pipeline.core.models import DailyPaper, Flag, PaperRecord, Status, Summary
from pipeline.faithfulness import index_source
from pipeline.faithfulness.policy import Policy, apply_policy, content_check, reask_message
from pipeline.stages.prompts import load_prompt

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
SOURCE = index_source("OrcaNet has 236B parameters and scores 71.4% on GSM8K.", "OrcaNet")
GOOD = Summary(
    whats_new="OrcaNet은 2,360억 개의 파라미터를 가집니다.",
    technical_details="OrcaNet은 희소 전문가 구조입니다.",
    performance_highlights="OrcaNet은 GSM8K에서 71.4%를 기록했습니다.",
)
SLIP = GOOD.model_copy(update={"whats_new": "OrcaNet은 236억 개의 파라미터를 가집니다."})


def record(summary: Summary) -> PaperRecord:
    paper = DailyPaper(arxiv_id="2406.1", title="OrcaNet", upvotes=1, authors=[], abstract="")
    flag = Flag(code="abstract_fallback", detail="kept")
    return PaperRecord(paper=paper, status=Status.OK, summary=summary, flags=[flag])


def test_review_holds_a_flagged_summary_as_a_draft_and_keeps_earlier_flags() -> None:
    rec = record(SLIP)
    flags = apply_policy(Policy.REVIEW, rec, SOURCE)
    assert [f.span for f in flags] == ["236억"]
    assert rec.status is Status.NEEDS_REVIEW and rec.summary is None and rec.draft == SLIP
    assert [f.code for f in rec.flags] == ["abstract_fallback", "faithfulness_number"]
    assert rec.reason == "numbers or names not found in the paper: 236억"


def test_flag_publishes_with_the_flags_and_off_does_nothing() -> None:
    flagged, untouched = record(SLIP), record(SLIP)
    apply_policy(Policy.FLAG, flagged, SOURCE)
    assert flagged.status is Status.OK and flagged.summary == SLIP and len(flagged.flags) == 2
    assert apply_policy(Policy.OFF, untouched, SOURCE) == [] and len(untouched.flags) == 1


def test_a_faithful_summary_is_left_as_it_is() -> None:
    rec = record(GOOD)
    assert apply_policy(Policy.REVIEW, rec, SOURCE) == [] and rec.status is Status.OK


def test_the_reask_is_the_prompt_versions_text_naming_each_span() -> None:
    v2 = load_prompt(PROMPTS, "summarize@v2")
    check = content_check(Policy.REVIEW, v2, SOURCE)
    assert check is not None and check(GOOD) is None
    message = check(SLIP)
    assert message is not None and message.startswith("이 숫자나 이름은 논문에 없습니다")
    assert "- 236억 (What's New)" in message
    # v1 has no re-ask text: nothing is hard-coded in its place.
    v1 = load_prompt(PROMPTS, "summarize@v1")
    assert content_check(Policy.REVIEW, v1, SOURCE) is None
    assert reask_message(v1, [Flag(code="faithfulness_number", detail="x", span="1")]) is None
    assert content_check(Policy.FLAG, v2, SOURCE) is None  # flag publishes; no re-ask


def test_a_reask_with_an_unknown_placeholder_is_refused_at_load(tmp_path: Path) -> None:
    folder = tmp_path / "summarize"
    folder.mkdir()
    (folder / "v1.yaml").write_text(
        "description: d\nparams: {}\nsystem: s\nuser: 'Title: {title}'\n"
        "faithfulness_reask: 'fix {problems} in {paper}'\n",
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match="unknown variable"):
        load_prompt(tmp_path, "summarize")
