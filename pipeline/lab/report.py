"""Assemble an :class:`EvalReport` from the outcomes of a run, and the gate on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .compare import compare, summarize_version
from .outcomes import EvalReport, JudgeSummary, PaperOutcome, PaperRef, RunManifest


@dataclass(frozen=True)
class VersionSpec:
    """One (prompt version x model) pair of an eval; the first of a run is the baseline."""

    label: str
    prompt: str
    prompt_hash: str
    model: str


def build_report(
    manifest: RunManifest,
    specs: Sequence[VersionSpec],
    papers: Sequence[PaperRef],
    outcomes: Sequence[PaperOutcome],
    judge: Sequence[JudgeSummary] = (),
) -> EvalReport:
    if not specs:
        raise ValueError("an eval needs at least one version")
    ids = [p.arxiv_id for p in papers]
    baseline = specs[0].label
    return EvalReport(
        evalset=manifest.evalset,
        papers=len(papers),
        run_id=manifest.run_id,
        baseline=baseline,
        versions={
            s.label: summarize_version(s.label, s.prompt, s.prompt_hash, s.model, outcomes)
            for s in specs
        },
        comparisons=[compare(baseline, s.label, outcomes, ids) for s in specs[1:]],
        judge=list(judge),
        manifest=manifest,
        paper_list=list(papers),
        outcomes=list(outcomes),
    )


def gate_failures(report: EvalReport) -> list[str]:
    """Why ``--fail-if-worse`` fails this report: a ``worse`` verdict, or a paper the baseline
    passes and a candidate does not. Empty when the gate passes."""
    reasons: list[str] = []
    for c in report.comparisons:
        if c.verdict == "worse":
            reasons.append(
                f"{c.candidate} is worse than {c.baseline} "
                f"({c.wins} wins, {c.losses} losses, p = {c.p_value:.4g})"
            )
        if c.hard_regressions:
            reasons.append(
                f"{c.candidate} fails {len(c.hard_regressions)} paper(s) {c.baseline} passes: "
                + ", ".join(c.hard_regressions)
            )
    return reasons
