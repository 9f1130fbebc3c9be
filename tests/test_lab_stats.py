"""The prompt lab's statistics against values worked out by hand or published."""

from __future__ import annotations

import math

import pytest

from pipeline.lab.stats import (
    detectable_statement,
    min_wins_for_significance,
    percentile,
    sign_test_p,
    verdict,
    wilson_interval,
)


def test_sign_test_is_exact_binomial_two_sided() -> None:
    # 15-5: 2 * (C(20,0)+...+C(20,5)) / 2^20 = 2 * 21700 / 1048576
    assert sign_test_p(15, 5) == pytest.approx(2 * 21700 / 2**20, rel=1e-15)
    assert sign_test_p(5, 15) == sign_test_p(15, 5)
    assert sign_test_p(6, 0) == 2 / 64  # 0.03125: the smallest all-one-way split below 0.05
    assert sign_test_p(5, 0) == 2 / 32  # 0.0625: five papers can never be significant
    assert sign_test_p(10, 10) == 1.0  # the two tails overlap at the middle: capped at 1
    assert sign_test_p(0, 0) == 1.0


def test_sign_test_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        sign_test_p(-1, 3)


@pytest.mark.parametrize(
    ("wins", "losses", "expected"),
    [
        (15, 5, "better"),
        (5, 15, "worse"),
        (14, 6, "no significant difference"),
        (6, 0, "better"),
        (0, 6, "worse"),
        (5, 0, "no significant difference"),
        (0, 0, "no significant difference"),
    ],
)
def test_verdict_at_005(wins: int, losses: int, expected: str) -> None:
    assert verdict(wins, losses) == expected


@pytest.mark.parametrize("n", [6, 7, 10, 20, 30, 37, 50])
def test_min_wins_is_the_threshold(n: int) -> None:
    k = min_wins_for_significance(n)
    assert k is not None
    assert sign_test_p(k, n - k) < 0.05
    assert k - 1 <= n / 2 or sign_test_p(k - 1, n - k + 1) >= 0.05


def test_min_wins_known_values_and_too_small_sets() -> None:
    assert [min_wins_for_significance(n) for n in (0, 1, 5)] == [None, None, None]
    assert min_wins_for_significance(20) == 15
    assert min_wins_for_significance(50) == 33


def test_detectable_statement_is_honest_about_small_sets() -> None:
    text = detectable_statement(20, 3, 1)
    assert "only 4 of 20 papers differed" in text
    assert "smallest split this set can detect is 15-5" in text
    text = detectable_statement(30, 12, 6)
    assert "a verdict needs at least 14 of them" in text and "split 12-6" in text
    assert "too small for any verdict" in detectable_statement(4, 2, 1)


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(50, 100)
    assert math.isclose(low + high, 1.0)  # symmetric around one half


def test_percentile_interpolates_like_numpy() -> None:
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 50) == 5.5
    assert percentile(values, 95) == pytest.approx(9.55)
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 50) == 0.0
    assert percentile([5.0, 1.0], 0) == 1.0
