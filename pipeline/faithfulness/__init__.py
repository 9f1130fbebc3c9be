"""Faithfulness: every number and name in a summary traced to the paper, and a summary of the
wrong paper caught. Pure functions; the caller supplies the paper's text.

numbers   quantities in Korean text -> values; the paper's values in all their spellings
names     Latin-script names -> found in the paper, case/hyphen/spacing insensitive
paper     does the summary as a whole talk about this paper at all?

``index_source`` reads the paper once (title, abstract and the full extracted text);
``check_summary`` then costs a few milliseconds per summary, so a re-ask can be re-checked.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from pipeline.core.models import Flag, Summary

from .names import (
    NameIndex,
    initials,
    is_acronym,
    is_name_like,
    latin_tokens,
    squash,
    to_ascii,
)
from .numbers import Mention, NumberPool, find_numbers
from .paper import PaperTerms, wrong_paper_problem

__all__ = [
    "CODES",
    "NAME",
    "NUMBER",
    "PAPER",
    "SourceIndex",
    "check_section",
    "check_summary",
    "flag_kind",
    "index_source",
]

NUMBER, NAME, PAPER = "faithfulness_number", "faithfulness_name", "faithfulness_paper"
CODES = {NUMBER: "number", NAME: "name", PAPER: "paper"}
"""Flag code -> the ``kind`` that ``run.py check --json`` prints."""

CONTEXT_CHARS = 300
"""How close (in characters of the paper) a number must be to a name its sentence pairs it with.
Wide enough for a table row between its label and its cells."""
PAIR_CHARS = 120
"""How close the two numbers of a pair ("from 13% to 100%") must be in the paper."""
# What joins the two numbers of a pair: a from-to, a range or a two-item list.
_PAIR_LINK = re.compile(
    r"^\s*(?:개|명|점|번|회|배|층|단계|가지)?\s*(?:에서|부터|~|∼|-|–|와|과|및|,|그리고)\s*$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

SECTIONS = tuple(Summary.model_fields)


@dataclass(frozen=True)
class SourceIndex:
    """What the checks need from one paper, computed once."""

    numbers: NumberPool
    names: NameIndex
    terms: PaperTerms


def index_source(full_text: str, title: str = "", abstract: str = "") -> SourceIndex:
    text = to_ascii("\n".join(part for part in (title, abstract, full_text) if part))
    return SourceIndex(NumberPool(text), NameIndex(text), PaperTerms(title, abstract))


def flag_kind(flag: Flag) -> str | None:
    """ "number", "name" or "paper" for a faithfulness flag; None for any other flag."""
    return CODES.get(flag.code)


def check_summary(summary: Summary | str, source: SourceIndex) -> list[Flag]:
    """Every unsupported number and name, section by section, then the right-paper verdict."""
    sections = _sections(summary)
    flags = [flag for field, text in sections for flag in check_section(text, source, field)]
    problem = wrong_paper_problem(
        " ".join(text for _, text in sections), source.names, source.numbers, source.terms
    )
    if problem:
        flags.append(Flag(code=PAPER, detail=problem))
    return flags


def check_section(text: str, source: SourceIndex, section: str | None = None) -> list[Flag]:
    """Unsupported names and numbers of one section, each flagged once."""
    flags: list[Flag] = []

    def add(code: str, span: str, detail: str) -> None:
        if all((f.code, f.span) != (code, span) for f in flags):
            flags.append(Flag(code=code, detail=detail, section=section, span=span))

    masked, known = text, []
    for name in latin_tokens(text):
        masked = masked[: name.start] + " " * (name.end - name.start) + masked[name.end :]
        if not (is_name_like(name.span) or _proper_noun(name.span, name.start, text)):
            continue
        if _name_supported(name.span, name.start, text, source):
            known.append(name)
        else:
            add(NAME, name.span, f"the name {name.span!r} does not occur in the paper")
    for start, end in _sentences(text):
        sentence = masked[start:end]
        mentions = find_numbers(sentence)
        for mention in mentions:
            # The names a sentence ties a number to come before it: "HumanEval에서 90.2%".
            anchors = [n.span for n in known if start <= n.start < start + mention.start]
            problem = _number_problem(mention, anchors, text[start:end], source)
            if problem:
                add(NUMBER, mention.span, problem)
        for low, high in itertools.pairwise(mentions):
            if _PAIR_LINK.match(sentence[low.end : high.start]) and not _together(
                low, high, source
            ):
                span = sentence[low.start : high.end]
                add(
                    NUMBER,
                    span,
                    f"{low.span} and {high.span} are both in the paper, but never "
                    "together as this sentence pairs them",
                )
    return flags


def _number_problem(
    mention: Mention, anchors: list[str], sentence: str, source: SourceIndex
) -> str | None:
    """Why the paper does not back this number: absent, or only far from everything the
    sentence ties it to (a swapped digit often yields another number of the same paper)."""
    found = source.numbers.positions(mention)
    if not found:
        return None if _part_of_name(mention, sentence, source) else _absent(mention)
    places = sorted(p for name in anchors for p in source.names.positions(name))
    if not places or any(_within(places, p, CONTEXT_CHARS) for p in found):
        return None
    names = ", ".join(dict.fromkeys(anchors))
    return f"the number {mention.span} occurs in the paper, but nowhere near {names}"


def _together(low: Mention, high: Mention, source: SourceIndex) -> bool:
    """ "13%에서 100%로", "37.2%와 48.2%": a pair the paper states side by side."""
    highs = sorted(source.numbers.positions(high))
    lows = source.numbers.positions(low)
    if not highs or not lows:
        return True  # an absent number is flagged on its own
    return any(_within(highs, p, PAIR_CHARS) for p in lows)


def _within(places: list[int], at: int, distance: int) -> bool:
    i = bisect.bisect_left(places, at - distance)
    return i < len(places) and places[i] <= at + distance


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if a < b]


def _sections(summary: Summary | str) -> list[tuple[str | None, str]]:
    if isinstance(summary, str):
        return [(None, summary)]
    return [(field, getattr(summary, field)) for field in SECTIONS]


def _name_supported(span: str, start: int, text: str, source: SourceIndex) -> bool:
    if source.names.contains(span):
        return True
    if not is_acronym(span) or text[start - 1 : start] != "(":
        return False
    # An acronym the summary introduces: "지식 증류(KD)" for words the paper uses, or
    # "knowledge distillation (KD)" spelled out right before it.
    before = [w for w in squash(text[max(0, start - 80) : start]) if not w.isdigit()]
    letters = span.rstrip("s").lower()
    return source.names.expands(span) or initials(before[-len(letters) :]) == letters


def _proper_noun(span: str, start: int, text: str) -> bool:
    """A capitalised word standing in the Korean text (Codeforces에서, Kimi의) is a name the
    paper must use; inside parentheses it is a gloss of the Korean before it ("벡터
    양자화기(Vector Quantizer)"), which the paper may word differently."""
    if len(span) < 3 or not span[0].isupper():
        return False
    opened = text.rfind("(", 0, start)
    return opened == -1 or text.rfind(")", opened, start) != -1


def _part_of_name(mention: Mention, text: str, source: SourceIndex) -> bool:
    """ "AIME 2024", "Llama 3": a bare number after a name is part of it when the paper says so."""
    if mention.unit or mention.scaled:
        return False
    before = text[: mention.start].rstrip()
    words = before.split()
    if not words or not any(c.isascii() and c.isalpha() for c in words[-1]):
        return False
    return source.names.contains(f"{words[-1]} {mention.span}")


def _absent(mention: Mention) -> str:
    """The message, with the value spelled out when the span hides it: 236억 (= 23,600,000,000)."""
    value = mention.values[0]
    shown = f"{value:,.0f}" if value >= 1000 and value == int(value) else f"{value:g}"
    written = mention.span.replace(",", "").rstrip("%xp배")
    value_note = "" if shown.replace(",", "") == written else f" (= {shown})"
    return f"the number {mention.span}{value_note} does not occur in the paper in any form"
