"""The judge's prompt and its vote logic, without a server."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pipeline.core.errors import UsageError
from pipeline.core.models import DailyPaper, PaperInput
from pipeline.lab.judge import (
    Judgement,
    combine,
    entry_text,
    judge_messages,
    parse_judgement,
    tally,
)
from pipeline.stages.llm import LLMReply
from pipeline.stages.prompts import list_names, load_prompt, render_messages, summary_names
from tests.labdata import BASE, CAND, outcome

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "prompt_judge_v1.txt"
PAPER = DailyPaper(
    arxiv_id="2406.12345",
    title="Sparse Cats: {braces} stay literal",
    upvotes=3,
    authors=["Mina Kim"],
    abstract="We study sparse cats.",
)


def test_judge_v1_renders_as_golden() -> None:
    template = load_prompt(ROOT / "prompts", "judge@v1")
    inp = PaperInput(text="## Method\nCats are sparse.", tokens=8, source="pdf")
    messages = judge_messages(
        template,
        PAPER,
        inp,
        entry_text(outcome("p", BASE)),
        entry_text(outcome("p", CAND, text="이 논문은 다른 방법을 제시합니다.")),
    )
    rendered = "".join(f"--- {m['role']} ---\n{m['content']}\n" for m in messages)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN.read_text(encoding="utf-8"), (
        "rendered judge prompt differs from tests/golden/prompt_judge_v1.txt; if intended, "
        "rerun with UPDATE_GOLDEN=1 and review the diff"
    )


def test_summary_prompts_cannot_use_the_judge_variables(tmp_path: Path) -> None:
    folder = tmp_path / "summarize"
    folder.mkdir()
    (folder / "v1.yaml").write_text(
        "description: d\nparams: {}\nsystem: s\nuser: 'Title: {title} {summary_a}'\n"
    )
    with pytest.raises(UsageError, match=re.escape("unknown variable {summary_a}")):
        load_prompt(tmp_path, "summarize")
    template = load_prompt(ROOT / "prompts", "summarize@v1")
    with pytest.raises(TypeError, match="summary_a"):
        render_messages(template, title="t", summary_a="x")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("B", "A", "candidate"),  # candidate shown second, then first: chosen both times
        ("A", "B", "baseline"),
        ("A", "A", "inconsistent"),  # always the first entry: position, not quality
        ("B", "B", "inconsistent"),
        ("tie", "tie", "tie"),
        ("tie", "A", "inconsistent"),  # a preference in one order only does not count
    ],
)
def test_only_a_preference_that_survives_the_swap_counts(
    first: str, second: str, expected: str
) -> None:
    vote = combine("p", Judgement(preferred=first), Judgement(preferred=second))  # type: ignore[arg-type]
    assert vote.preferred == expected


def test_an_unreadable_judge_reply_is_no_preference() -> None:
    assert parse_judgement(LLMReply(content="B is better")).preferred == "tie"
    assert parse_judgement(LLMReply(content=None)).preferred == "tie"
    reply = LLMReply(content='{"preferred": "B", "reason": "numbers right"}')
    assert parse_judgement(reply) == Judgement(preferred="B", reason="numbers right")


def test_tally_reports_win_rate_with_wilson_interval() -> None:
    votes = [combine(str(i), Judgement(preferred="B"), Judgement(preferred="A")) for i in range(8)]
    votes += [combine("x", Judgement(preferred="A"), Judgement(preferred="B"))] * 2
    votes += [combine("y", Judgement(preferred="A"), Judgement(preferred="A"))]
    summary = tally(BASE, CAND, "judge-model", "judge@v1", votes)
    assert (summary.candidate_wins, summary.baseline_wins, summary.inconsistent) == (8, 2, 1)
    assert summary.win_rate == 0.8
    assert (round(summary.ci_low, 4), round(summary.ci_high, 4)) == (0.4902, 0.9433)
    empty = tally(BASE, CAND, "m", "judge@v1", [])
    assert empty.win_rate is None and (empty.ci_low, empty.ci_high) == (0.0, 1.0)


def test_the_judge_is_not_offered_as_a_summary_prompt() -> None:
    assert "judge" in list_names(ROOT / "prompts")
    assert "judge" not in summary_names(ROOT / "prompts")
    assert "summarize" in summary_names(ROOT / "prompts")
