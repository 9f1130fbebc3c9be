"""The shared wording: counts, clipped titles and failure reasons as a person reads them."""

from __future__ import annotations

import random

from pipeline.core.wording import ELLIPSIS, clip, plural, top_reasons


def test_plurals() -> None:
    assert [plural(n, "day") for n in (0, 1, 2)] == ["0 days", "1 day", "2 days"]
    assert plural(1, "batch shard") == "1 batch shard"
    assert plural(3, "paper needs", "papers need") == "3 papers need"


def test_clipped_titles_end_at_a_word_and_fit() -> None:
    rng = random.Random(7)
    words = ["Sparse", "Adapter", "Routing", "for", "Speech", "Vision-Language", "모델의", "x"]
    for _ in range(500):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(1, 20)))
        limit = rng.randint(10, 80)
        clipped = clip(title, limit)
        assert len(clipped) <= limit
        if clipped == title:
            continue
        kept = clipped.removesuffix(ELLIPSIS).split(" ")
        assert clipped.endswith(ELLIPSIS)
        whole = title.split(" ")
        if len(whole[0]) >= limit:  # one word longer than the room: cut inside it
            assert whole[0].startswith(kept[0]) and len(kept) == 1
            continue
        assert kept == whole[: len(kept)]  # whole words, from the start


def test_a_single_long_word_is_still_clipped() -> None:
    assert clip("Supercalifragilistic", 8) == "Superca" + ELLIPSIS


def test_top_reasons_are_counted_most_frequent_first() -> None:
    reasons = ["model 'x' does not exist"] * 4 + ["timeout"] * 2 + ["a", "b", None, ""]
    assert top_reasons(r for r in reasons if r is not None) == (
        "4x model 'x' does not exist; 2x timeout; 1x a; +1 other reason"
    )
    assert top_reasons([]) == ""
