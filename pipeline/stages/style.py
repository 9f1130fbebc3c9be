"""Korean style of a summary: what the prompt asks for and no form check enforces. Pure functions.

register          a sentence ending in 한다체 ("제안한다") or 해요체 ("보여줘요") where the prompt
                  asks for 합니다체 ("제안합니다")
transliteration   an English technical term the paper uses, written in Hangul ("트랜스포머")
                  without the English anywhere in the section (the prompt asks to keep such
                  terms; "지식 증류(knowledge distillation)" keeps it)
length            a section outside the reference band of 150-350 characters

All three are lab metrics; the register is also a night flag for editors. None is a reason to
reject or re-ask: the published digests themselves break the last two often (README, "Korean
style: base rates").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.core.models import Flag, Summary

STYLE_PREFIX = "style_"
REGISTER, TRANSLITERATION, LENGTH = "style_register", "style_transliteration", "style_length"
NIGHT_FLAGS = frozenset({REGISTER})
"""The style flags the night puts on a record. Published digests never leave 합니다체, so that
flag means something; a third of their sections keep a transliteration and one in seven runs
outside the band, so those two are lab metrics only (README, "Korean style: base rates")."""
BAND = (150, 350)
"""Characters per section the prompt asks for, the band most published sections fall in."""

# English term -> its Hangul transliterations. Terms Korean ML writing usually keeps in English;
# established loanwords (모델, 데이터, 토큰) are left out, they are what Korean readers write.
TRANSLITERATIONS: dict[str, tuple[str, ...]] = {
    "transformer": ("트랜스포머",),
    "attention": ("어텐션",),
    "embedding": ("임베딩",),
    "fine-tuning": ("파인튜닝", "파인 튜닝"),
    "diffusion": ("디퓨전",),
    "encoder": ("인코더",),
    "decoder": ("디코더",),
    "tokenizer": ("토크나이저",),
    "prompt": ("프롬프트",),
    "agent": ("에이전트",),
    "backbone": ("백본",),
    "latent": ("레이턴트",),
    "reward": ("리워드",),
    "inference": ("인퍼런스",),
    "pre-training": ("프리트레이닝", "사전 트레이닝"),
    "retrieval": ("리트리벌",),
    "alignment": ("얼라인먼트",),
    "distillation": ("디스틸레이션",),
    "quantization": ("퀀타이제이션", "양자화 기법"),
    "adapter": ("어댑터",),
    "multimodal": ("멀티모달",),
    "reasoning": ("리즈닝",),
    "hallucination": ("할루시네이션",),
    "chain-of-thought": ("체인 오브 소트", "체인오브소트"),
    "zero-shot": ("제로샷", "제로 샷"),
    "few-shot": ("퓨샷", "퓨 샷"),
    "benchmark": ("벤치마크",),
    "scaling": ("스케일링",),
    "sampling": ("샘플링",),
    "query": ("쿼리",),
}

# A sentence ends at . ! ? followed by a space or the end; "3.5" does not end one.
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_TRAILING = re.compile(r"[\s.!?。…\"'”’)\]]+$")
_LAST_WORD = re.compile(r"([\uac00-\ud7a3]+)$")
# Nouns ending in 요 that close a noun-final sentence ("... 필요."), not 해요체.
_YO_NOUNS = ("필요", "중요", "주요", "개요", "요약", "수요", "강요")


@dataclass(frozen=True)
class SectionStyle:
    """What one section does against the prompt's style."""

    chars: int
    off_register: list[str]
    """Sentence endings in 한다체/해요체 ("제안한다", "보여줘요")."""
    transliterated: list[str]
    """English terms written only in Hangul in this section."""
    kept: list[str]
    """English terms of the paper this section keeps in English (or gives in parentheses)."""

    @property
    def in_band(self) -> bool:
        return BAND[0] <= self.chars <= BAND[1]


def ending_register(sentence: str) -> str | None:
    """ "formal" (합니다체), "plain" (한다체), "polite" (해요체) or None (a noun-final or English
    sentence, which belongs to no register)."""
    match = _LAST_WORD.search(_TRAILING.sub("", sentence))
    if match is None:
        return None
    word = match.group(1)
    if word.endswith(("니다", "니까")):
        return "formal"
    if word.endswith("다"):
        return "plain"
    if word.endswith(("요", "죠")) and not word.endswith(_YO_NOUNS):
        return "polite"
    return None


def off_register(text: str) -> list[str]:
    """The last words of sentences that are not 합니다체, in order."""
    found = []
    for sentence in _SENTENCES.split(text.strip()):
        if ending_register(sentence) in ("plain", "polite"):
            match = _LAST_WORD.search(_TRAILING.sub("", sentence))
            found.append(match.group(1) if match else sentence)
    return found


def _has_english(term: str, text: str) -> bool:
    # Hyphen or space between the parts, any case, a plural "s": "Fine tuning", "Transformers".
    parts = [re.escape(part) for part in re.split(r"[- ]", term)]
    pattern = r"(?<![A-Za-z])" + r"[- ]?".join(parts) + r"s?(?![A-Za-z])"
    return re.search(pattern, text, re.IGNORECASE) is not None


def paper_terms(paper_text: str) -> list[str]:
    """The English terms of the table that the paper uses."""
    return [term for term in TRANSLITERATIONS if _has_english(term, paper_text)]


def section_style(text: str, terms: Iterable[str]) -> SectionStyle:
    """``terms``: the English terms to look for (those the paper uses)."""
    transliterated, kept = [], []
    for term in terms:
        if _has_english(term, text):
            kept.append(term)
        elif any(hangul in text for hangul in TRANSLITERATIONS[term]):
            transliterated.append(term)
    return SectionStyle(len(text), off_register(text), transliterated, kept)


def summary_style(summary: Summary, paper_text: str) -> dict[str, SectionStyle]:
    terms = paper_terms(paper_text)
    return {name: section_style(text, terms) for name, text in summary.model_dump().items()}


def style_flags(
    summary: Summary, paper_text: str, codes: frozenset[str] = NIGHT_FLAGS
) -> list[Flag]:
    """One flag per section and kind of style problem (of ``codes``), for editors; never a
    rejection."""
    # The paper's terms cost a search of its whole text per term (~4 ms a paper): only when
    # their flag is asked for. The night's replies arrive together and are judged one by one.
    terms = paper_terms(paper_text) if TRANSLITERATION in codes else []
    flags = []
    for name, text in summary.model_dump().items():
        style = section_style(text, terms)
        if style.off_register and REGISTER in codes:
            endings = ", ".join(dict.fromkeys(style.off_register))
            flags.append(Flag(code=REGISTER, section=name, detail=f"not 합니다체: {endings}"))
        if style.transliterated and TRANSLITERATION in codes:
            spelled = ", ".join(f"{TRANSLITERATIONS[t][0]} ({t})" for t in style.transliterated)
            detail = f"English terms written in Hangul: {spelled}"
            flags.append(Flag(code=TRANSLITERATION, section=name, detail=detail))
        if not style.in_band and LENGTH in codes:
            detail = f"{style.chars} characters, outside {BAND[0]}-{BAND[1]}"
            flags.append(Flag(code=LENGTH, section=name, detail=detail))
    return flags
