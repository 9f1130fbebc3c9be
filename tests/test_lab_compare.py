"""Paired comparison, per-version aggregates, the metric registry and the --fail-if-worse gate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.lab import metrics
from pipeline.lab.compare import compare, pair_result, summarize_version
from pipeline.lab.html import changed_share
from pipeline.lab.outcomes import PaperOutcome
from pipeline.lab.report import build_report, gate_failures
from pipeline.review.diff import diff_text
from tests.labdata import BASE, CAND, SPECS, manifest, outcome, refs


@pytest.mark.parametrize(
    ("base", "cand", "expected"),
    [
        (("passed", 0), ("passed", 0), "tie"),
        (("needs_review", 1), ("passed", 0), "win"),
        (("passed", 0), ("failed", 0), "loss"),
        (("failed", 0), ("needs_review", 2), "win"),  # a draft beats nothing
        (("passed", 2), ("passed", 1), "win"),  # same status: fewer flags
        (("passed", 0), ("passed", 1), "loss"),
        (("passed", 3), ("needs_review", 0), "loss"),  # status first, flags second
    ],
)
def test_pair_result(base: tuple, cand: tuple, expected: str) -> None:
    b = outcome("p", BASE, base[0], base[1])
    c = outcome("p", CAND, cand[0], cand[1])
    assert pair_result(b, c) == expected


def _pairs(results: list[tuple[str, str]]) -> list[PaperOutcome]:
    out = []
    for i, (b, c) in enumerate(results):
        out += [outcome(f"2406.{i:05d}", BASE, b), outcome(f"2406.{i:05d}", CAND, c)]  # type: ignore[arg-type]
    return out


def test_a_clearly_worse_candidate_is_called_worse_with_its_regressions() -> None:
    results = (
        [("passed", "needs_review")] * 9
        + [("needs_review", "passed")]
        + [("passed", "passed")] * 10
    )
    outcomes = _pairs(results)
    c = compare(BASE, CAND, outcomes, [r.arxiv_id for r in refs(20)])
    assert (c.wins, c.losses, c.ties) == (1, 9, 10)
    assert c.verdict == "worse" and c.p_value == pytest.approx(22 / 1024)
    assert len(c.hard_regressions) == 9
    assert c.per_paper["2406.00009"] == "win"


def test_an_equivalent_candidate_is_no_significant_difference() -> None:
    results = (
        [("passed", "needs_review")] * 2
        + [("needs_review", "passed")] * 2
        + [("passed", "passed")] * 16
    )
    c = compare(BASE, CAND, _pairs(results), [r.arxiv_id for r in refs(20)])
    assert c.verdict == "no significant difference" and c.p_value == 1.0
    assert "only 4 of 20 papers differed" in c.detectable
    assert c.smallest_significant_split == (15, 5)


def test_papers_missing_an_outcome_are_left_out() -> None:
    outcomes = _pairs([("passed", "passed")] * 3)[:-1]  # the last candidate outcome is missing
    c = compare(BASE, CAND, outcomes, [r.arxiv_id for r in refs(3)])
    assert c.ties == 2 and "2406.00002" not in c.per_paper


def test_version_summary_aggregates() -> None:
    outcomes = [
        outcome("a", BASE, "passed", latency=1.0),
        outcome("b", BASE, "needs_review", flags=2, latency=2.0),
        outcome("c", BASE, "failed", latency=9.0),
        outcome("a", CAND, "passed", latency=100.0),
    ]
    v = summarize_version(BASE, BASE, "h", "m", outcomes)
    assert (v.papers, v.passed, v.needs_review, v.failed, v.flagged) == (3, 1, 1, 1, 1)
    assert (v.prompt_tokens, v.completion_tokens, v.reasks) == (3000, 600, 4)
    assert v.cost_usd == pytest.approx(3 * 0.00072)
    assert v.latency_p50_s == 2.0 and v.latency_p95_s == pytest.approx(8.3)
    assert v.metrics["form_flags"] == 2 and v.metrics["reasks_mean"] == pytest.approx(4 / 3)
    assert v.metrics["hangul_share_mean"] == pytest.approx(0.8)  # the failed paper has none
    assert v.flag_codes == {"form": 2}


@pytest.fixture
def extra_metric() -> Iterator[None]:
    before = dict(metrics.METRICS)
    yield
    metrics.METRICS.clear()
    metrics.METRICS.update(before)


def test_new_flag_codes_and_metrics_appear_without_changing_the_lab(extra_metric: None) -> None:
    """Faithfulness flags (another issue's codes) are counted by the built-in registry, and a
    metric registered from outside shows up in the aggregate."""
    metrics.register("numbers_kept", "numbers kept", "sum")(lambda o: float(o.arxiv_id == "a"))
    outcomes = [
        outcome("a", BASE, flags=["faithfulness_number", "faithfulness_entity"]),
        outcome("b", BASE, flags=["faithfulness_number"]),
    ]
    v = summarize_version(BASE, BASE, "h", "m", outcomes)
    assert v.metrics["faithfulness_flags"] == 3
    assert v.metrics["numbers_kept"] == 1
    assert v.flag_codes == {"faithfulness_entity": 1, "faithfulness_number": 2}


def test_gate_fails_on_worse_or_on_a_hard_regression() -> None:
    worse = [("passed", "needs_review")] * 8 + [("passed", "passed")] * 2
    report = build_report(manifest(), SPECS, refs(10), _pairs(worse))
    reasons = gate_failures(report)
    assert any("is worse than" in r for r in reasons)
    assert any("fails 8 paper(s)" in r for r in reasons)
    # Not significantly worse, but one paper the baseline passes is lost: still a failure.
    one = [("passed", "failed")] + [("passed", "passed")] * 9
    report = build_report(manifest(), SPECS, refs(10), _pairs(one))
    assert report.comparisons[0].verdict == "no significant difference"
    assert gate_failures(report) == [f"{CAND} fails 1 paper(s) {BASE} passes: 2406.00000"]
    same = build_report(manifest(), SPECS, refs(10), _pairs([("passed", "passed")] * 10))
    assert gate_failures(same) == []


def test_report_json_has_the_issue_fields() -> None:
    report = build_report(manifest(), SPECS, refs(3), _pairs([("passed", "passed")] * 3))
    data = report.model_dump(mode="json")
    assert data["evalset"] == "june" and data["papers"] == 3
    for key in (
        "passed",
        "needs_review",
        "failed",
        "flagged",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "latency_p50_s",
    ):
        assert key in data["versions"][BASE]
    (c,) = data["comparisons"]
    assert {k: c[k] for k in ("baseline", "candidate", "wins", "losses", "ties", "verdict")} == {
        "baseline": BASE,
        "candidate": CAND,
        "wins": 0,
        "losses": 0,
        "ties": 3,
        "verdict": "no significant difference",
    }
    assert c["p_value"] == 1.0


def test_changed_share_of_a_diff() -> None:
    old = "이 논문은 새로운 학습 전략을 제안합니다. 실험 결과가 좋습니다."
    new = "이 논문은 새로운 학습 전략을 제시했습니다. 실험 결과가 좋습니다."
    assert 0 < changed_share(diff_text(old, new)) < 0.2
    assert changed_share(diff_text("같다", "같다")) == 0.0
    assert changed_share(diff_text("abc def", "xyz")) == 1.0
