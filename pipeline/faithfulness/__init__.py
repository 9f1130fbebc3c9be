"""Faithfulness: every number and name in a summary traced to the paper, and a summary of the
wrong paper caught. Pure functions; the caller supplies the paper's text.

numbers   quantities in Korean text -> values; the paper's values in all their spellings
names     Latin-script names -> found in the paper, case/hyphen/spacing insensitive
paper     does the summary as a whole talk about this paper at all?

``index_source`` reads the paper once (title, abstract and the full extracted text);
``check_summary`` then costs a few milliseconds per summary, so a re-ask can be re-checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.models import Flag, Summary

from .names import NameIndex, initials, is_acronym, is_name_like, latin_tokens, squash
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

SECTIONS = ("whats_new", "technical_details", "performance_highlights")


@dataclass(frozen=True)
class SourceIndex:
    """What the checks need from one paper, computed once."""

    numbers: NumberPool
    names: NameIndex
    terms: PaperTerms


def index_source(full_text: str, title: str = "", abstract: str = "") -> SourceIndex:
    text = "\n".join(part for part in (title, abstract, full_text) if part)
    return SourceIndex(NumberPool(text), NameIndex(text), PaperTerms(title, abstract))


def flag_kind(flag: Flag) -> str | None:
    """"number", "name" or "paper" for a faithfulness flag; None for any other flag."""
    return CODES.get(flag.code)


def check_summary(summary: Summary | str, source: SourceIndex) -> list[Flag]:
    """Every unsupported number and name, section by section, then the right-paper verdict."""
    sections = _sections(summary)
    flags = [flag for field, text in sections for flag in check_section(text, source, field)]
    problem = wrong_paper_problem(" ".join(text for _, text in sections), source.names,
                                  source.numbers, source.terms)
    if problem:
        flags.append(Flag(code=PAPER, detail=problem))
    return flags


def check_section(text: str, source: SourceIndex, section: str | None = None) -> list[Flag]:
    flags: list[Flag] = []
    seen: set[tuple[str, str]] = set()

    def add(code: str, span: str, detail: str) -> None:
        if (code, span) not in seen:
            seen.add((code, span))
            flags.append(Flag(code=code, detail=detail, section=section, span=span))

    masked = text
    for name in latin_tokens(text):
        masked = masked[: name.start] + " " * (name.end - name.start) + masked[name.end :]
        if is_name_like(name.span) and not _name_supported(name.span, name.start, text, source):
            add(NAME, name.span, f"the name {name.span!r} does not occur in the paper")
    for mention in find_numbers(masked):
        if source.numbers.supports(mention) or _part_of_name(mention, text, source):
            continue
        add(NUMBER, mention.span, _number_detail(mention))
    return flags


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


def _part_of_name(mention: Mention, text: str, source: SourceIndex) -> bool:
    """"AIME 2024", "Llama 3": a bare number after a name is part of it when the paper says so."""
    if mention.unit or mention.scaled:
        return False
    before = text[: mention.start].rstrip()
    words = before.split()
    if not words or not any(c.isascii() and c.isalpha() for c in words[-1]):
        return False
    return source.names.contains(f"{words[-1]} {mention.span}")


def _number_detail(mention: Mention) -> str:
    value = mention.values[0]
    shown = f"{value:,.0f}" if value >= 1000 and value == int(value) else f"{value:g}"
    same = "" if shown.replace(",", "") == mention.span.replace(",", "").rstrip("%xp배") else (
        f" (= {shown})"
    )
    return f"the number {mention.span}{same} does not occur in the paper in any form"
