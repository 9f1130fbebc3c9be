"""From per-paper outcomes to the numbers a researcher decides on: each version's aggregate and
each candidate's paired comparison against the baseline.

A pair is decided by the night's own order of outcomes: passed beats needs_review beats failed;
at the same status, fewer output flags win (style flags left out: they inform, never decide);
anything else is a tie. Ties carry no direction and are left out of the sign test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pipeline.stages.style import STYLE_PREFIX

from . import metrics
from .outcomes import Comparison, PairResult, PaperOutcome, VersionSummary
from .stats import (
    detectable_statement,
    min_wins_for_significance,
    percentile,
    sign_test_p,
    verdict,
)

_STATUS_RANK = {"failed": 0, "needs_review": 1, "passed": 2}


def counted_flags(outcome: PaperOutcome) -> int:
    """The flags a pair is decided on: style flags are for editors, they never decide."""
    return sum(not flag.code.startswith(STYLE_PREFIX) for flag in outcome.flags)


def pair_result(baseline: PaperOutcome, candidate: PaperOutcome) -> PairResult:
    """How the candidate did on one paper against the baseline."""
    base = (_STATUS_RANK[baseline.status], -counted_flags(baseline))
    cand = (_STATUS_RANK[candidate.status], -counted_flags(candidate))
    if cand > base:
        return "win"
    if cand < base:
        return "loss"
    return "tie"


def is_hard_regression(baseline: PaperOutcome, candidate: PaperOutcome) -> bool:
    """The baseline's summary passed the form checks and the candidate's did not."""
    return baseline.passed and not candidate.passed


def compare(
    baseline: str, candidate: str, outcomes: Sequence[PaperOutcome], papers: Sequence[str]
) -> Comparison:
    """The candidate against the baseline on every paper both have an outcome for."""
    by_key = {(o.arxiv_id, o.version): o for o in outcomes}
    per_paper: dict[str, PairResult] = {}
    hard: list[str] = []
    for arxiv_id in papers:
        base, cand = by_key.get((arxiv_id, baseline)), by_key.get((arxiv_id, candidate))
        if base is None or cand is None:
            continue
        per_paper[arxiv_id] = pair_result(base, cand)
        if is_hard_regression(base, cand):
            hard.append(arxiv_id)
    counts = Counter(per_paper.values())
    wins, losses = counts["win"], counts["loss"]
    needed = min_wins_for_significance(len(per_paper))
    return Comparison(
        baseline=baseline,
        candidate=candidate,
        wins=wins,
        losses=losses,
        ties=counts["tie"],
        p_value=sign_test_p(wins, losses),
        verdict=verdict(wins, losses),
        detectable=detectable_statement(len(per_paper), wins, losses),
        smallest_significant_split=None if needed is None else (needed, len(per_paper) - needed),
        hard_regressions=hard,
        per_paper=per_paper,
    )


def summarize_version(
    version: str, prompt: str, prompt_hash: str, model: str, outcomes: Sequence[PaperOutcome]
) -> VersionSummary:
    """One version's outcomes aggregated: counts, tokens, cost, latency and every metric."""
    mine = [o for o in outcomes if o.version == version]
    statuses = Counter(o.status for o in mine)
    latencies = [o.latency_s for o in mine if o.status != "failed" or o.latency_s]
    codes = Counter(flag.code for o in mine for flag in o.flags)
    return VersionSummary(
        version=version,
        prompt=prompt,
        prompt_hash=prompt_hash,
        model=model,
        papers=len(mine),
        passed=statuses["passed"],
        needs_review=statuses["needs_review"],
        failed=statuses["failed"],
        flagged=sum(bool(o.flags) for o in mine),
        pass_rate=round(statuses["passed"] / len(mine), 4) if mine else 0.0,
        reasks=sum(o.reasks for o in mine),
        form_reasks=sum(o.form_reasks for o in mine),
        faithfulness_reasks=sum(o.faithfulness_reasks for o in mine),
        prompt_tokens=sum(o.prompt_tokens for o in mine),
        completion_tokens=sum(o.completion_tokens for o in mine),
        cost_usd=round(sum(o.cost_usd or 0.0 for o in mine), 6),
        cost_known=all(o.cost_usd is not None for o in mine if o.prompt_tokens),
        latency_p50_s=round(percentile(latencies, 50), 3),
        latency_p95_s=round(percentile(latencies, 95), 3),
        llm_calls=sum(o.llm_calls for o in mine),
        metrics=metrics.aggregate(mine),
        flag_codes=dict(sorted(codes.items())),
    )
