"""Korean style measures (pipeline/stages/style.py) on hand-made sections with known answers,
and the lab's aggregates of them."""

from __future__ import annotations

import pytest

from pipeline.core.models import Summary
from pipeline.lab.metrics import aggregate
from pipeline.lab.outcomes import PaperOutcome
from pipeline.stages.style import (
    LENGTH,
    REGISTER,
    TRANSLITERATION,
    ending_register,
    off_register,
    paper_terms,
    section_style,
    style_flags,
)

PAPER = (
    "We study fine-tuning of a Transformer encoder with attention over retrieved passages and "
    "report results on three benchmarks."
)


@pytest.mark.parametrize(
    ("sentence", "register"),
    [
        ("이 논문은 새로운 방법을 제안합니다.", "formal"),
        ("성능이 향상되었습니까?", "formal"),
        ("이 논문은 새로운 방법을 제안한다.", "plain"),
        ("정확도가 3.5%p 높다.", "plain"),
        ("결과가 꽤 좋아요.", "polite"),
        ("이 방법이 더 빠르죠.", "polite"),
        ("추가 연구가 필요.", None),  # a noun-final line: no register
        ("GPT-4 성능을 20% 향상시킴.", None),
        ("It works well.", None),
        ('"새로운 방법을 제안합니다."', "formal"),  # closing quotes and brackets are skipped
    ],
)
def test_a_sentence_ending_has_the_register_it_reads_as(
    sentence: str, register: str | None
) -> None:
    assert ending_register(sentence) == register


def test_a_section_mixing_registers_names_the_off_endings() -> None:
    text = (
        "이 논문은 Transformer를 개선합니다. 구조는 단순하다. 결과도 좋아요. 모두 3.5배 빠릅니다."
    )
    assert off_register(text) == ["단순하다", "좋아요"]
    assert off_register("이 논문은 3.5배 빠른 방법을 제안합니다. 결과는 좋습니다.") == []


def test_transliterated_terms_are_those_the_paper_uses_written_only_in_hangul() -> None:
    terms = paper_terms(PAPER)
    # "retrieved" is not "retrieval"; "benchmarks" is "benchmark".
    assert set(terms) == {"transformer", "attention", "encoder", "fine-tuning", "benchmark"}
    style = section_style(
        "트랜스포머 인코더를 파인튜닝하고 attention을 씁니다. 벤치마크(benchmark) 세 개에서 "
        "평가합니다. 프롬프트는 쓰지 않습니다.",
        terms,
    )
    # 프롬프트 is a transliteration too, but the paper never says "prompt".
    assert sorted(style.transliterated) == ["encoder", "fine-tuning", "transformer"]
    assert sorted(style.kept) == ["attention", "benchmark"]


def test_length_is_counted_in_characters_against_the_band() -> None:
    assert section_style("가" * 150, []).in_band and section_style("가" * 350, []).in_band
    assert not section_style("가" * 149, []).in_band
    assert not section_style("가" * 351, []).in_band


def test_the_night_flags_only_the_register_and_the_lab_can_ask_for_all() -> None:
    summary = Summary(
        whats_new="트랜스포머 인코더를 제안한다.",
        technical_details="Transformer 인코더를 씁니다. " * 10,
        performance_highlights="가" * 200 + "입니다.",
    )
    night = style_flags(summary, PAPER)
    assert [(f.code, f.section) for f in night] == [(REGISTER, "whats_new")]
    assert "제안한다" in night[0].detail
    every = style_flags(summary, PAPER, frozenset({REGISTER, TRANSLITERATION, LENGTH}))
    assert {(f.code, f.section) for f in every} == {
        (REGISTER, "whats_new"),
        (TRANSLITERATION, "whats_new"),
        (TRANSLITERATION, "technical_details"),  # 인코더, though Transformer is kept
        (LENGTH, "whats_new"),
    }


def _outcome(sections: dict[str, str], kept: int, written: int, register: int) -> PaperOutcome:
    from pipeline.core.models import Flag

    names = list(sections)[:register]
    return PaperOutcome(
        arxiv_id="2406.00001",
        version="v",
        status="passed",
        sections=sections,
        terms_kept=kept,
        terms_transliterated=written,
        flags=[Flag(code=REGISTER, detail="x", section=name) for name in names],
    )


def test_the_lab_aggregates_shares_over_sections_and_terms() -> None:
    lengths = [100, 200, 300, 400, 250, 260]
    one = _outcome(
        {"a": "가" * lengths[0], "b": "가" * lengths[1], "c": "가" * lengths[2]}, 1, 1, 1
    )
    two = _outcome(
        {"a": "가" * lengths[3], "b": "가" * lengths[4], "c": "가" * lengths[5]}, 3, 0, 0
    )
    got = aggregate([one, two])
    assert got["style_register_share"] == pytest.approx(1 / 6)
    assert got["style_transliteration_share"] == pytest.approx(1 / 5)
    assert got["style_out_of_band_share"] == pytest.approx(2 / 6)
    assert got["chars_section_p50"] == pytest.approx(255)
    assert got["chars_section_p10"] == pytest.approx(150)  # linear between 100 and 200
    assert got["chars_section_p90"] == pytest.approx(350)
