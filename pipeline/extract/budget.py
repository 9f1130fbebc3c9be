"""Fit the paper into a token budget by priority instead of cutting its head off.

Title and abstract always go in. The body sections share what is left in proportion to their
size and importance; each is cut at sentence boundaries, keeping captions and sentences with
numbers first. References, acknowledgements and appendices never go in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.core.tokens import count_tokens, truncate_tokens
from pipeline.extract.sections import BODY_KINDS, Paper, Section

_WEIGHT = {
    "introduction": 1.0,
    "method": 1.0,
    "experiments": 1.3,
    "conclusion": 1.0,
    "discussion": 0.6,
    "limitations": 0.5,
    "other": 0.5,
    "related_work": 0.3,
}
_SENTENCE_END = re.compile(
    # The cheap test first: the abbreviation look-behinds then run only after a full stop.
    r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bet al\.)(?<!\bFig\.)(?<!\bEq\.)(?<!\bvs\.)"
    r"(?<!\bcf\.)(?<!\b[A-Z]\.)\s+(?=[A-Z(\[\"“])"
)
_NUMBER = re.compile(r"\d")
_MIN_SHARE = 24  # tokens; less than this cannot say anything


@dataclass(slots=True)
class _Piece:
    para: int
    text: str
    tokens: int
    rank: int
    row: bool = False


@dataclass(slots=True)
class Context:
    text: str
    tokens: int
    kept: list[str]
    dropped: list[str]
    shortened: list[str]
    """Kept sections whose whole text did not fit: only their best-ranked sentences are in."""


def build_context(paper: Paper, budget: int, model: str) -> Context:
    fixed = [s for s in paper.sections if s.kind == "abstract"]
    body = [s for s in paper.sections if s.kind in BODY_KINDS]
    head = f"# {paper.title}\n\n" if paper.title else ""
    pieces = {id(s): _pieces(s, model) for s in (*fixed, *body)}
    scale = 1.0
    for _ in range(4):
        allowed = int((budget - count_tokens(head, model)) * scale)
        parts, kept = _render(fixed, body, pieces, allowed)
        text = (head + "\n\n".join(parts)).strip()
        tokens = count_tokens(text, model)
        if tokens <= budget:
            break
        scale *= budget / tokens * 0.97
    else:
        text = _cut(text, budget, model)
        tokens = count_tokens(text, model)
    dropped = [s.name for s in paper.sections if s.name not in kept]
    whole = {s.name: f"## {s.name}\n{_select(pieces[id(s)], 10**12)[0]}" for s in (*fixed, *body)}
    shortened = [name for name in kept if whole[name] not in text]
    return Context(text, tokens, kept, dropped, shortened)


def _render(
    fixed: list[Section], body: list[Section], pieces: dict[int, list[_Piece]], allowed: int
) -> tuple[list[str], list[str]]:
    parts: list[str] = []
    kept: list[str] = []
    for section in fixed:
        text, used = _select(pieces[id(section)], allowed)
        allowed -= used + 4
        if text:
            parts.append(f"## {section.name}\n{text}")
            kept.append(section.name)
    shares = _allocate(body, pieces, max(0, allowed))
    for section in body:
        text, _ = _select(pieces[id(section)], shares[id(section)])
        if text:
            parts.append(f"## {section.name}\n{text}")
            kept.append(section.name)
    return parts, kept


def _allocate(body: list[Section], pieces: dict[int, list[_Piece]], allowed: int) -> dict[int, int]:
    """Water-filling: sections that fit whole give their unused share to the others."""
    need = {id(s): sum(p.tokens for p in pieces[id(s)]) + 4 for s in body}
    shares = dict.fromkeys(need, 0)
    open_ = [s for s in body if need[id(s)] > 0]
    while open_ and allowed > 0:
        weight = sum(_WEIGHT[s.kind] * need[id(s)] for s in open_)
        offer = {id(s): int(allowed * _WEIGHT[s.kind] * need[id(s)] / weight) for s in open_}
        whole = [s for s in open_ if offer[id(s)] >= need[id(s)]]
        if not whole:
            for s in open_:
                shares[id(s)] = offer[id(s)] if offer[id(s)] >= _MIN_SHARE else 0
            break
        for s in whole:
            shares[id(s)] = need[id(s)]
            allowed -= need[id(s)]
            open_.remove(s)
    return shares


def _pieces(section: Section, model: str) -> list[_Piece]:
    pieces = []
    first_rank = 0 if section.kind in ("introduction", "conclusion", "abstract") else 2
    # Sentences share the section's token count by length: encoding each one would cost as
    # much as the rest of the extraction, and the final context is counted exactly anyway.
    text = section.text
    tokens = section.tokens or count_tokens(text, model)
    per_char = tokens / max(1, len(text))
    for i, para in enumerate(section.paras):
        if para.kind in ("caption", "table"):
            rank = 0 if para.kind == "caption" else 1
            for row in para.text.split("\n"):
                pieces.append(_Piece(i, row, round(len(row) * per_char) + 1, rank, row=True))
            continue
        for j, sentence in enumerate(_SENTENCE_END.split(para.text)):
            rank = 1 if _NUMBER.search(sentence) else first_rank if j == 0 else 3
            tokens = round(len(sentence) * per_char) + 1
            pieces.append(_Piece(i, sentence, tokens, rank))
    return pieces


def _select(pieces: list[_Piece], allowed: int) -> tuple[str, int]:
    """The best-ranked pieces that fit, printed in document order."""
    chosen: set[int] = set()
    used = 0
    for index in sorted(range(len(pieces)), key=lambda k: (pieces[k].rank, k)):
        if used + pieces[index].tokens <= allowed:
            chosen.add(index)
            used += pieces[index].tokens
    paras: dict[int, list[_Piece]] = {}
    for index in sorted(chosen):
        paras.setdefault(pieces[index].para, []).append(pieces[index])
    text = "\n\n".join(
        ("\n" if group[0].row else " ").join(p.text for p in group) for group in paras.values()
    )
    return text, used


def _cut(text: str, budget: int, model: str) -> str:
    """Last resort: the token cut-off, moved back to the last full sentence."""
    cut = truncate_tokens(text, budget, model)
    end = max(cut.rfind(". "), cut.rfind(".\n"))
    return cut[: end + 1] if end > 0 else cut
