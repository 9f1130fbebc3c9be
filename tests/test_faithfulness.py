"""Unit tests of pipeline/faithfulness: one per normalisation rule, names, right paper.

Sources are short English passages written for these tests; summaries are Korean sentences
written for them. A rule is tested both ways: the faithful spelling passes, the slip is flagged.
"""

from __future__ import annotations

import pytest

from pipeline.core.models import Flag, Summary
from pipeline.faithfulness import (
    NAME,
    NUMBER,
    PAPER,
    SourceIndex,
    check_section,
    check_summary,
    flag_kind,
    index_source,
)
from pipeline.faithfulness.numbers import NumberPool, find_numbers

PAPER_TEXT = (
    "We present OrcaCoder-V2, a Mixture-of-Experts model with 236B total parameters and 21B "
    "active parameters, further pre-trained on 6 trillion tokens and 8.1T tokens of web text. "
    "The corpus holds 6.2 million files and 600 billion code tokens from 338 languages. "
    "We extend the context length from 16K to 128K. On HumanEval it scores 90.2%, on MATH-500 "
    "52.30% and on AIME 2024 39.2%. Compared with Llama-3-70B and GPT-4o, decoding is 14x faster "
    "and training 3 times cheaper. Accuracy rises by 3.2 points over CIFAR-10 baselines; the "
    "retrieval precision is 0.523. We use knowledge distillation throughout. Ablations reach "
    "71.4% on GSM8K while the baseline stays at 64.8%, and success rises from 13% to 100%. "
    "Each pass takes 1-20 k steps; we train for fifteen epochs and rank on Codeforces."
)


@pytest.fixture(scope="module")
def source() -> SourceIndex:
    return index_source(PAPER_TEXT, "OrcaCoder-V2: Open Code Models", "We present OrcaCoder-V2.")


def flagged(text: str, source: SourceIndex, code: str = NUMBER) -> list[str]:
    return [
        f.span or "" for f in check_section(text, source, "technical_details") if f.code == code
    ]


# ---- numbers: each spelling of a value -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "총 2,360억 개의 파라미터를 가집니다.",  # 236B in 억, with a thousands separator
        "활성 파라미터는 210억 개입니다.",
        "6조 개의 토큰으로 학습했습니다.",  # trillion -> 조
        "웹 텍스트 8조 1천억 토큰을 썼습니다.",  # 8.1T -> 조 + 천억
        "코드 토큰은 6천억 개입니다.",  # 600 billion -> 천억
        "파일 620만 개를 모았습니다.",  # 6.2 million -> 만
        "236B 파라미터 모델입니다.",
        "6 trillion 토큰을 사용합니다.",
        "컨텍스트를 128k로 늘렸습니다.",  # lower-case k
        "컨텍스트 길이를 16K에서 128K로 확장했습니다.",  # a range with the unit on both ends
        "컨텍스트는 16~128K입니다.",  # the unit written once for both ends
        "각 단계는 1천~2만 번 반복됩니다.",  # the paper's "1-20 k": its scale applies to 1 too
        "MATH-500에서 52.3%를 기록했습니다.",  # 52.30% in the paper
        "정밀도는 52.3%입니다.",  # 0.523 in the paper
        "정확도가 3.2%p 올랐습니다.",  # percentage points as the paper's "3.2 points"
        "디코딩이 14배 빠릅니다.",  # 14x
        "학습 비용이 3배 저렴합니다.",  # 3 times
        "338개 언어를 지원합니다.",
        "15 에폭 동안 학습합니다.",  # "fifteen" in words
        "성공률이 13%에서 100%로 올랐습니다.",  # a from-to pair the paper states together
    ],
)
def test_each_faithful_spelling_passes(text: str, source: SourceIndex) -> None:
    assert flagged(text, source) == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("총 236억 개의 파라미터를 가집니다.", "236억"),  # B read as 억: ten times too small
        ("파일 62만 개를 모았습니다.", "62만"),  # million read as 10만
        ("웹 텍스트 8천억 토큰을 썼습니다.", "8천억"),  # 8.1T read as 천억
        ("6 billion 토큰을 사용합니다.", "6 billion"),
        ("컨텍스트 길이를 16K에서 256K로 확장했습니다.", "256K"),
        ("HumanEval에서 92.0%를 기록했습니다.", "92.0%"),  # swapped digits
        ("디코딩이 41배 빠릅니다.", "41배"),
        ("정확도가 2.3%p 올랐습니다.", "2.3%p"),
    ],
)
def test_a_slip_is_flagged_with_its_span(text: str, span: str, source: SourceIndex) -> None:
    assert flagged(text, source) == [span]


def test_a_flag_names_section_span_and_the_value_it_looked_for(source: SourceIndex) -> None:
    [flag] = check_section("총 236억 개의 파라미터입니다.", source, "technical_details")
    assert (flag.code, flag.section, flag.span) == (NUMBER, "technical_details", "236억")
    assert "23,600,000,000" in flag.detail
    assert flag_kind(flag) == "number"
    assert flag_kind(Flag(code="abstract_fallback", detail="x")) is None


def test_korean_unit_values() -> None:
    text = "2,360억, 6천억, 8조 1천억, 1억 2천만, 5천, 3.5만, 2천360억, 1만 2000"
    values = {m.span: m.values[0] for m in find_numbers(text)}
    assert values == {
        "2,360억": 2.36e11, "6천억": 6e11, "8조 1천억": 8.1e12, "1억 2천만": 1.2e8,
        "5천": 5e3, "3.5만": 3.5e4, "2천360억": 2.36e11, "1만 2000": 1.2e4,
    }  # fmt: skip


def test_english_scale_values() -> None:
    values = [m.values[0] for m in find_numbers("7B, 1.5M, 128K, 2T, 3 thousand, 4 million")]
    assert values == [7e9, 1.5e6, 1.28e5, 2e12, 3e3, 4e6]


def test_man_that_means_only_reads_both_ways() -> None:
    # "32만으로도" is "with only 32" as often as "with 320,000".
    [mention] = find_numbers("토큰 32만으로도 재구성할 수 있습니다.")
    assert set(mention.values) == {32.0, 320_000.0}
    assert NumberPool("only 32 tokens").supports(mention)


def test_a_number_glued_to_hangul_is_still_read() -> None:
    assert [m.values for m in find_numbers("총1,000개를 약2배로")] == [(1000.0,), (2.0,)]


def test_korean_words_that_start_like_units_are_not_units() -> None:
    assert [m.values for m in find_numbers("3조건에서 32 백본을 비교합니다.")] == [(3.0,), (32.0,)]


def test_rounding_drops_digits_but_never_adds_them() -> None:
    pool = NumberPool("Accuracy is 52.34% and 7.0 seconds.")
    assert pool.supports(find_numbers("52.3%")[0])  # the paper's 52.34, one digit dropped
    assert not pool.supports(find_numbers("52.35%")[0])
    assert not pool.supports(find_numbers("53%")[0])


def test_percent_and_percentage_points_match_the_papers_figures() -> None:
    pool = NumberPool("Improves by 4.5 points; precision 0.87.")
    assert pool.supports(find_numbers("4.5%p")[0])
    assert pool.supports(find_numbers("87%")[0])  # 0.87 as a percentage
    assert not pool.supports(find_numbers("45%p")[0])


# ---- names with digits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "GPT-4o와 비교했습니다.",
        "비교 대상은 LLaMA 3 70B입니다.",  # the paper writes Llama-3-70B
        "llama3-70b보다 빠릅니다.",
        "CIFAR-10 baseline보다 높습니다.",
        "MATH-500에서 평가했습니다.",
        "AIME 2024에서 39.2%입니다.",  # a year that is part of a benchmark's name
        "GSM8K에서 71.4%입니다.",
    ],
)
def test_names_with_digits_are_matched_as_names(text: str, source: SourceIndex) -> None:
    flags = check_section(text, source)
    assert flags == []


def test_a_wrong_model_size_inside_a_name_is_a_name_flag_not_a_number(source: SourceIndex) -> None:
    flags = check_section("Llama-3-8B와 비교했습니다.", source)
    assert [(f.code, f.span) for f in flags] == [(NAME, "Llama-3-8B")]


def test_names_respect_word_edges(source: SourceIndex) -> None:
    # "ARC" is inside "search"-like words of any paper; only a whole word counts.
    assert flagged("ARC와 HellaSwag에서 평가했습니다.", source, NAME) == ["ARC", "HellaSwag"]


def test_an_acronym_the_summary_introduces_is_fine(source: SourceIndex) -> None:
    assert flagged("지식 증류(KD)를 사용합니다.", source, NAME) == []
    assert flagged("지식 증류(QZ)를 사용합니다.", source, NAME) == ["QZ"]


def test_a_gloss_in_parentheses_is_not_checked_as_a_name(source: SourceIndex) -> None:
    # English words glossing Korean ones need not be verbatim in the paper.
    text = "잠재 표현(latent representation)과 양방향 생성(Code-to-Natural-Language)을 씁니다."
    assert flagged(text, source, NAME) == []


def test_a_capitalised_word_standing_in_the_korean_text_is_a_name(source: SourceIndex) -> None:
    # The prompt keeps names as the paper writes them; a gloss goes in parentheses.
    assert flagged("Codeforces와 Kaggle에서 평가했습니다.", source, NAME) == ["Kaggle"]
    assert flagged("지식 증류(Knowledge Distillation)를 씁니다.", source, NAME) == []


def test_a_compound_with_a_lone_capital_is_a_name(source: SourceIndex) -> None:
    assert flagged("Wiki-C와 Q-Former를 씁니다.", source, NAME) == ["Wiki-C", "Q-Former"]


# ---- context: a number of this paper, but not the one the sentence means -------------------------


def test_a_number_far_from_the_name_it_is_given_for_is_flagged(source: SourceIndex) -> None:
    # 64.8 is in the paper, as the baseline's GSM8K score, not as HumanEval's.
    assert flagged("HumanEval에서 64.8%를 기록했습니다.", source) == ["64.8%"]
    assert flagged("GSM8K에서 64.8%를 기록했습니다.", source) == []


def test_a_pair_the_paper_never_states_together_is_flagged(source: SourceIndex) -> None:
    spans = flagged("성공률이 13%에서 90.2%로 올랐습니다.", source)
    assert spans == ["13%에서 90.2%"]


# ---- right paper ---------------------------------------------------------------------------------


def _summary(text: str) -> Summary:
    return Summary(whats_new=text, technical_details=text, performance_highlights=text)


def test_a_summary_of_this_paper_is_not_a_wrong_paper(source: SourceIndex) -> None:
    summary = _summary("OrcaCoder-V2는 HumanEval에서 90.2%를 기록했습니다.")
    assert [f for f in check_summary(summary, source) if f.code == PAPER] == []


def test_a_generic_paragraph_is_a_wrong_paper(source: SourceIndex) -> None:
    generic = _summary("새로운 인공지능 모델이 소개되었습니다. LLM의 성능이 좋아졌습니다.")
    flags = check_summary(generic, source)
    [paper] = [f for f in flags if f.code == PAPER]
    assert paper.section is None and flag_kind(paper) == "paper"
    assert "names nothing" in paper.detail


def test_another_papers_summary_is_a_wrong_paper(source: SourceIndex) -> None:
    other = _summary(
        "TiTok은 ViT 인코더로 이미지를 32개 토큰으로 줄이며 MaskGIT에서 FID 2.77을 얻습니다."
    )
    kinds = [flag_kind(f) for f in check_summary(other, source)]
    assert "paper" in kinds and "name" in kinds


def test_a_plain_string_summary_is_checked_without_sections(source: SourceIndex) -> None:
    flags = check_summary("OrcaCoder-V2는 236억 개의 파라미터를 가집니다.", source)
    assert [(f.section, f.span) for f in flags] == [(None, "236억")]
