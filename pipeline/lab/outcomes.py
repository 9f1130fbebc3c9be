"""The prompt lab's records: one paper under one version, a version's aggregate, a paired
comparison, a judge's tally, the run manifest and the whole report. Pure data.

A *version* is one (prompt version x model) pair, labelled ``summarize@v2`` when the eval uses
one model and ``summarize@v2 (gpt-4.1-mini)`` when it compares several.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from pipeline.core.models import Flag, Model

from .stats import Verdict

PaperStatus = Literal["passed", "needs_review", "failed"]
PairResult = Literal["win", "loss", "tie"]


def version_label(prompt: str, model: str, several_models: bool) -> str:
    return f"{prompt} ({model})" if several_models else prompt


class PaperOutcome(Model):
    """One paper under one version, as the night would have seen it."""

    arxiv_id: str
    version: str
    status: PaperStatus
    reason: str | None = None
    reasks: int = 0
    form_reasks: int = 0
    """Re-asks about the reply's form (empty, cut off, Markdown, not Korean, ...)."""
    faithfulness_reasks: int = 0
    """Re-asks naming numbers or names the paper does not contain (the ``review`` policy)."""
    flags: list[Flag] = Field(default_factory=list)
    """What the output earned: form problems left after the re-asks, faithfulness, ... (the
    input's own flags, identical for every version, are on the set, not here)."""
    sections: dict[str, str] = Field(default_factory=dict)
    """The summary, or the draft an editor would see when it needs review."""
    hangul_share: float | None = None
    terms_kept: int = 0
    """English technical terms of the paper the sections keep in English (``stages.style``)."""
    terms_transliterated: int = 0
    """... and those they write only in Hangul."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    llm_calls: int = 0
    """Calls this run made for it: 0 when every reply came from the cache."""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def section_chars(self) -> dict[str, int]:
        return {name: len(text) for name, text in self.sections.items()}


class VersionSummary(Model):
    version: str
    prompt: str
    prompt_hash: str
    model: str
    papers: int
    passed: int
    needs_review: int
    failed: int
    flagged: int
    """Papers whose output carries at least one flag."""
    pass_rate: float
    """passed / papers: the share the night would publish without an editor."""
    reasks: int
    form_reasks: int = 0
    faithfulness_reasks: int = 0
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cost_known: bool
    """False when the model has no price: cost_usd then counts only what could be priced."""
    latency_p50_s: float
    latency_p95_s: float
    llm_calls: int
    metrics: dict[str, float] = Field(default_factory=dict)
    """Every registered metric (see ``pipeline.lab.metrics``), aggregated over the papers."""
    flag_codes: dict[str, int] = Field(default_factory=dict)
    """How many flags of each code the outputs carry: new codes appear here by themselves."""


class Comparison(Model):
    """A candidate against the baseline, paper by paper."""

    baseline: str
    candidate: str
    wins: int
    losses: int
    ties: int
    p_value: float
    verdict: Verdict
    detectable: str
    """The smallest split the set could have called significant, in a sentence."""
    smallest_significant_split: tuple[int, int] | None
    """(wins, losses) the fewest a verdict needs if every paper differed; None: no verdict is
    possible with this many papers."""
    hard_regressions: list[str] = Field(default_factory=list)
    """Papers the baseline passes and the candidate does not (what --fail-if-worse gates on)."""
    per_paper: dict[str, PairResult] = Field(default_factory=dict)


class JudgeVote(Model):
    """The judge on one paper, asked with the candidate second and then first."""

    arxiv_id: str
    baseline_first: Literal["A", "B", "tie"]
    candidate_first: Literal["A", "B", "tie"]
    preferred: Literal["candidate", "baseline", "inconsistent", "tie"]
    reasons: list[str] = Field(default_factory=list)


class JudgeSummary(Model):
    baseline: str
    candidate: str
    judge_model: str
    judge_prompt: str
    candidate_wins: int
    baseline_wins: int
    ties: int
    inconsistent: int
    win_rate: float | None
    """Candidate wins / consistent preferences; None when the judge never preferred either."""
    ci_low: float
    ci_high: float
    votes: list[JudgeVote] = Field(default_factory=list)


class RunManifest(Model):
    """What makes a run reproducible: the frozen inputs, the exact prompts, models, settings."""

    evalset: str
    set_hash: str
    run_id: str
    created_at: dt.datetime
    git_commit: str | None
    prompts: dict[str, str]
    """Prompt spec -> sha256 of its file."""
    models: list[str]
    params: dict[str, Any] = Field(default_factory=dict)
    judge_model: str | None = None
    judge_prompt: str | None = None
    judge_prompt_hash: str | None = None


class PaperRef(Model):
    arxiv_id: str
    title: str
    input_source: str = "pdf"
    input_flags: list[Flag] = Field(default_factory=list)


class EvalReport(Model):
    evalset: str
    papers: int
    run_id: str
    baseline: str
    versions: dict[str, VersionSummary]
    comparisons: list[Comparison]
    judge: list[JudgeSummary] = Field(default_factory=list)
    manifest: RunManifest
    paper_list: list[PaperRef]
    outcomes: list[PaperOutcome]

    def outcome(self, arxiv_id: str, version: str) -> PaperOutcome | None:
        for outcome in self.outcomes:
            if outcome.arxiv_id == arxiv_id and outcome.version == version:
                return outcome
        return None
