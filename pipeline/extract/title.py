"""A paper's title as a reader writes it: no e-mail or content warning glued on, and words set
in capitals ("MOBA: ... LLMS") spelled the way the paper's own text spells them."""

from __future__ import annotations

import re
from collections import Counter
from functools import partial

from pipeline.extract.clean import Para

_TAIL = re.compile(
    r"\s+(?:\S{1,2}\s+)?(?:content\s+|trigger\s+)?(?:warning|caution|disclaimer)\s*:.*$"
    r"|\s+(?:this paper (?:contains|includes)).*$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\s*\S+@\S+\.\S+")
_SMALL = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "over"}
    | {"the", "to", "via", "vs", "with"}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def clean_title(title: str | None, paras: list[Para]) -> str | None:
    if not title:
        return None
    title = _CONTROL.sub("", title)
    title = _EMAIL.sub("", _TAIL.sub("", title))
    title = " ".join(title.split()).rstrip(" ,;*∗†")
    if sum(c.isupper() for c in title) > 0.6 * sum(c.isalpha() for c in title):
        title = _recase(title, paras)
    return title or None


def _recase(title: str, paras: list[Para]) -> str:
    """Title case for a title set in capitals, keeping the paper's own spelling of mixed-case
    words and acronyms ("MoBA", "LLMs") that its text uses."""
    wanted = {w.lower() for w in _WORD.findall(title)}
    seen: dict[str, Counter[str]] = {}
    for para in paras[:400]:
        for word in _WORD.findall(para.text):
            low = word.lower()
            if low in wanted:
                seen.setdefault(low, Counter())[word] += 1
    words: list[str] = []
    for token in title.split():
        first = not words or words[-1].endswith((":", "?", "!"))  # "...: A Study"
        words.append(_WORD.sub(partial(_spell_match, seen=seen, first=first), token))
    return " ".join(words)


def _spell_match(match: re.Match[str], seen: dict[str, Counter[str]], first: bool) -> str:
    return _spell(match.group(), seen, first)


def _spell(word: str, seen: dict[str, Counter[str]], first: bool) -> str:
    """The paper's spelling when it is special ("MoBA", "LLMs", "RL"); title case otherwise."""
    low = word.lower()
    forms = seen.get(low, Counter())
    plain = [f for f in forms if f[1:] == f[1:].lower()]  # "robust" or "Robust"
    special = [f for f in forms if f not in plain]
    if sum(forms[f] for f in special) > sum(forms[f] for f in plain):
        return max(special, key=lambda f: forms[f])
    if low in _SMALL and not first:
        return low
    return word[:1].upper() + word[1:].lower()
