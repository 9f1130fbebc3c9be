"""The statistics of a paired comparison: pure functions, no I/O, no models.

A prompt lab compares two prompt versions on the same papers, so each paper is a pair and the
question is whether one side wins more often than chance would allow. The exact sign test
answers it without assuming anything about how big a win is; with the 20-50 papers a set
usually holds it is also honest about how little such a set can tell apart
(:func:`min_wins_for_significance`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

ALPHA = 0.05
Z_95 = 1.959963984540054
"""The standard normal quantile for a two-sided 95% interval."""

Verdict = Literal["better", "worse", "no significant difference"]


def sign_test_p(wins: int, losses: int) -> float:
    """Exact two-sided sign test: how likely a split at least this lopsided is when each
    discordant pair is a fair coin. Ties are not passed in: they say nothing about direction.

    Computed with exact fractions, so 15-5 is 0.04138946533203125 and not a float-rounded
    neighbour that lands on the wrong side of 0.05.
    """
    if wins < 0 or losses < 0:
        raise ValueError("wins and losses are counts")
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(wins, losses) + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))


def verdict(wins: int, losses: int, alpha: float = ALPHA) -> Verdict:
    """``better``/``worse`` when the split is significant at ``alpha``, else no difference."""
    if sign_test_p(wins, losses) >= alpha:
        return "no significant difference"
    return "better" if wins > losses else "worse"


def min_wins_for_significance(discordant: int, alpha: float = ALPHA) -> int | None:
    """The fewest wins out of ``discordant`` non-tied pairs that the sign test calls
    significant; ``None`` when no split of that many pairs can be (5 or fewer at 0.05)."""
    for wins in range((discordant + 1) // 2, discordant + 1):
        if wins * 2 > discordant and sign_test_p(wins, discordant - wins) < alpha:
            return wins
    return None


def detectable_statement(papers: int, wins: int, losses: int, alpha: float = ALPHA) -> str:
    """What the set could have detected, in one sentence a researcher can act on.

    Said for the pairs that actually differed in this comparison and for the best case (every
    paper differs), because with a few dozen papers only a lopsided split is significant.
    """
    discordant = wins + losses
    here = min_wins_for_significance(discordant, alpha)
    if discordant == 0:
        observed = f"no paper of {papers} differed"
    elif here is None:
        observed = (
            f"only {discordant} of {papers} papers differed; no split of {discordant} "
            f"can reach p < {alpha:g} (at least 6 are needed)"
        )
    else:
        observed = (
            f"{discordant} of {papers} papers differed; a verdict needs at least {here} of "
            f"them going one way ({here}-{discordant - here}, a share of "
            f"{here / discordant:.0%}), this run split {wins}-{losses}"
        )
    best = min_wins_for_significance(papers, alpha)
    if best is None:
        ceiling = f"a set of {papers} papers is too small for any verdict"
    else:
        ceiling = (
            f"even if every paper differed, the smallest split this set can detect is "
            f"{best}-{papers - best} ({best / papers:.0%} of papers, {2 * best - papers} net wins)"
        )
    return f"{observed}; {ceiling}."


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there are no trials.

    Unlike the normal approximation it stays inside [0, 1] and is not degenerate at 0/n or n/n,
    which matter with a judge that agrees with itself on only a few papers.
    """
    if trials == 0:
        return 0.0, 1.0
    if not 0 <= successes <= trials:
        raise ValueError("successes must be between 0 and trials")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's
    default); 0.0 for no values."""
    if not 0 <= q <= 100:
        raise ValueError("q is a percentage between 0 and 100")
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
