"""Tests for pipeline/stages/validate.py.

The calibration test reads the published digests in ../shared/reference (beside the checkout,
locally and in CI) and requires every real section to pass: the checks are for broken output,
never for sections a person already published. The other examples are our own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.core.models import Summary
from pipeline.stages.validate import (
    MAX_CHARS,
    MIN_HANGUL_RATIO,
    SECTION_TITLES,
    hangul_ratio,
    section_problems,
    summary_problems,
)

REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"
# "- **What's New**: text" (some days use ***bold italic***); one section per line.
_SECTION_LINE = re.compile(r"^- \*{2,3}(?P<title>[^*]+?)\*{2,3}:\s*(?P<text>.*)$")

GOOD = (
    "이 논문은 저자원 언어 음성 인식을 위해 작은 어댑터를 골라 쓰는 SPARC를 제안합니다. "
    "전체 미세조정보다 적은 파라미터로 더 낮은 WER을 얻습니다."
)


def _reference_sections() -> list[tuple[str, str]]:
    sections = []
    for path in sorted(REFERENCE.glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("- **"):
                match = _SECTION_LINE.match(line)
                assert match, f"{path.name}: unparsed section line {line[:60]!r}"
                sections.append((f"{path.name} {match['title']}", match["text"]))
    return sections


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference digests not found at {REFERENCE}")
def test_every_published_section_passes() -> None:
    sections = _reference_sections()
    assert len(sections) >= 100, f"expected the published sections, parsed {len(sections)}"
    failures = [
        f"{where}: {problems} {text[:60]!r}"
        for where, text in sections
        if (problems := section_problems(text))
    ]
    assert not failures, "published sections rejected:\n" + "\n".join(failures)


@pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference digests not found at {REFERENCE}")
def test_hangul_threshold_keeps_its_margin() -> None:
    # The threshold comment records min 0.33; if new reference days go lower, recalibrate.
    lowest = min(hangul_ratio(text) for _, text in _reference_sections())
    assert lowest >= MIN_HANGUL_RATIO + 0.1


# ---- fine text ----------------------------------------------------------------------------------


def test_short_plain_paragraph_is_fine() -> None:
    assert 80 <= len(GOOD) <= 100
    assert section_problems(GOOD) == []


@pytest.mark.parametrize(
    "text",
    [
        "모델은 CIFAR-100에서 정확도 91.2%를 기록했습니다(표 3 참조.)",
        "저자들은 이를 '희소 라우팅(sparse routing)'이라고 부릅니다.'",
        "Fréchet 거리와 θ 파라미터, 데이터・모델 크기의 관계를 분석합니다。",
        "학습 비용은 얼마나 줄어들까요? 실험에서는 절반 수준으로 감소했습니다!",
        "  앞뒤 공백이나 끝의 줄바꿈은 문제가 되지 않습니다.\n",
        "Transformer는 attention과 MLP를 번갈아 쌓고, 각 층에서 토큰 표현을 갱신합니다.",
    ],
)
def test_fine_variants(text: str) -> None:
    assert section_problems(text) == []


# ---- one example per failure kind ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty(text: str) -> None:
    assert section_problems(text) == ["is empty"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("## 핵심 기여\n새로운 학습 방법을 제안합니다.", "a heading"),
        ("# 요약 새로운 학습 방법을 제안합니다.", "a heading"),
        ("- 새로운 학습 방법을 제안합니다.", "a bullet"),
        ("* 새로운 학습 방법을 제안합니다.", "a bullet"),
        ("1. 새로운 학습 방법을 제안합니다.", "a bullet"),
        ("새로운 학습 방법을 제안합니다.\n또한 데이터셋을 공개합니다.", "a line break"),
        ("이 논문은 **희소 라우팅**을 새롭게 제안합니다.", "bold text"),
        ("| 모델 | 점수 | |---|---| 기준선은 70점입니다.", "a table"),
    ],
)
def test_markdown(text: str, kind: str) -> None:
    problems = section_problems(text)
    assert len(problems) == 1
    assert problems[0].startswith("contains Markdown (")
    assert kind in problems[0]
    assert problems[0].endswith("; write one plain paragraph")


def test_english_only() -> None:
    text = "The paper proposes a sparse adapter router for low-resource speech recognition."
    assert section_problems(text) == ["is not written in Korean (only 0% Hangul)"]


def test_mostly_english_with_korean_particles() -> None:
    text = (
        "SPARC는 frozen speech encoder에 small adapters pool을 붙이고 learned router로 "
        "top-2 adapters를 activate합니다."
    )
    ratio = hangul_ratio(text)
    assert ratio < MIN_HANGUL_RATIO
    assert section_problems(text) == [f"is not written in Korean (only {int(ratio * 100)}% Hangul)"]


def test_hangul_ratio_counts_letters_only() -> None:
    assert hangul_ratio("가나 ab") == 0.5
    assert hangul_ratio("가 é") == 0.5  # accented Latin letters are Latin
    assert hangul_ratio("가 123 θ % ㅋ") == 1.0  # digits, Greek, symbols, lone jamo: neither
    assert hangul_ratio("123.") == 0.0


def test_korean_with_many_english_terms_is_fine() -> None:
    # Like the most English-heavy published results paragraphs: names and figures, Korean glue.
    text = "SPARC-L (310M)은 FLEURS에서 WER 18.2, CommonVoice에서 WER 21.7을 기록했습니다."
    assert hangul_ratio(text) >= MIN_HANGUL_RATIO
    assert section_problems(text) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("이 모델은 大規模 데이터로 학습됩니다.", "大規模"),
        ("이 모델은 모델(模型) 크기를 키웁니다.", "模型"),
        ("제안 방법은 성능이 좋いです 결과를 보입니다.", "いです"),
        ("제안 방법은 トークン 단위로 동작합니다.", "トークン"),
        ("호환 한자 﨑 가 섞였습니다.", "﨑"),
    ],
)
def test_cjk_or_kana(text: str, shown: str) -> None:
    assert section_problems(text) == [f"contains Chinese characters or Japanese kana: {shown}"]


@pytest.mark.parametrize(
    "text",
    [
        "제안 방법은 기존 방법보다 높은 성능을 보여",
        "제안 방법은 기존 방법보다 높은 성능을 보였습니다...",
        "제안 방법은 기존 방법보다 높은 성능을 보였습니다…",
        "제안 방법은 대형 언어 모델(LLM)",
        "실험 결과는 다음과 같습니다:",
    ],
)
def test_truncated(text: str) -> None:
    assert section_problems(text) == ["looks truncated (does not end with a complete sentence)"]


def test_too_long() -> None:
    sentence = "제안 방법은 여러 벤치마크에서 일관되게 기존 방법보다 높은 정확도를 보였습니다. "
    text = (sentence * (MAX_CHARS // len(sentence) + 2)).strip()
    assert section_problems(text) == [
        f"is too long ({len(text)} characters; keep it under {MAX_CHARS})"
    ]
    assert section_problems(text[: text.rfind(".", 0, MAX_CHARS) + 1]) == []


def test_several_problems_are_all_reported() -> None:
    problems = section_problems("**Summary**: the model is trained on 模型")
    assert [p.split(" (")[0].split(":")[0] for p in problems] == [
        "contains Markdown",
        "is not written in Korean",
        "contains Chinese characters or Japanese kana",
        "looks truncated",
    ]


# ---- whole summaries ----------------------------------------------------------------------------


def test_summary_problems_prefix_the_section_title() -> None:
    summary = Summary(whats_new="", technical_details=GOOD, performance_highlights="성능이 좋")
    assert summary_problems(summary) == [
        "What's New is empty",
        "Performance Highlights looks truncated (does not end with a complete sentence)",
    ]


def test_good_summary_has_no_problems() -> None:
    assert summary_problems(Summary(**dict.fromkeys(SECTION_TITLES, GOOD))) == []


def test_section_titles_cover_the_summary_fields() -> None:
    assert list(SECTION_TITLES) == list(Summary.model_fields)
    assert list(SECTION_TITLES.values()) == [
        "What's New",
        "Technical Details",
        "Performance Highlights",
    ]
