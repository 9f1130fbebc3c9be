"""Names: the Latin-script model, dataset, benchmark and method names of a Korean section, and
whether the paper contains each of them.

Matching ignores case, hyphens, spaces and accents: "Llama-3-70B", "LLaMA 3 70B" and "llama3-70b"
are one name. It respects word edges, so "ARC" is not found inside "search". A name the paper
never uses is still fine when it is an acronym the summary introduces for the paper's words
("지식 증류(KD)" for "knowledge distillation").
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

# A Latin token with its joined parts: GPT-4o, Llama-3-70B, Qwen2.5-7B, pass@1, 4M-21, SWE-bench.
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-_./@+][A-Za-z0-9]+)*(?![A-Za-z0-9])")
# A token that is a quantity, not a name: 7B, 128K, 14x, 1.5M.
_QUANTITY = re.compile(r"^\d+(?:\.\d+)?(?:[kKMBT]|x)?$")
# Words that belong to a number ("6 billion", "14 times"), not names.
_NUMBER_WORDS = frozenset({"thousand", "million", "billion", "trillion", "times", "fold"})
_HAS_LETTER = re.compile(r"[A-Za-z]")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,7}s?$")
_WORD = re.compile(r"[a-z0-9]+")
_PART_SPLIT = re.compile(r"[-_./@+]")
_TIMES = re.compile(r"(?<=\d) ?x ?(?=\d)")
_PLAIN = tuple(zip("–—−‐‑∼～×’‘“”", "-----~~x''\"\"", strict=True))
_COMBINING = re.compile(r"[\u0300-\u036f]")
_STOPWORDS = [
    "a",
    "an",
    "and",
    "as",
    "at",
    "by",
    "for",
    "from",
    "in",
    "into",
    "of",
    "on",
    "or",
    "the",
    "to",
    "via",
    "with",
    "without",
]
_STOP_RUN = re.compile(rf"(?<= )(?:{'|'.join(_STOPWORDS)})(?= )")
_INITIAL = re.compile(r" ([a-z])")


@dataclass(frozen=True)
class Name:
    span: str
    start: int
    end: int


def latin_tokens(text: str) -> list[Name]:
    """Every Latin token with a letter in it (quantities such as 7B or 14x are numbers)."""
    return [
        Name(m.group(0).rstrip("."), m.start(), m.start() + len(m.group(0).rstrip(".")))
        for m in _TOKEN.finditer(text)
        if _HAS_LETTER.search(m.group(0))
        and not _QUANTITY.match(m.group(0))
        and m.group(0).lower() not in _NUMBER_WORDS
        and not (m.group(0) == "p" and text[m.start() - 1 : m.start()] == "%")  # 3.2%p
    ]


def is_name_like(token: str) -> bool:
    """Names, not words: a digit (CIFAR-10), two capitals (MMLU, ViT), a capital inside (mOSCAR),
    or a lone capital as part of a compound (Wiki-C, Q-Former). "Transformer", "fine-tuning"
    and a Title-Case gloss like "Code-to-Natural-Language" are vocabulary: a Korean summary may
    gloss its terms in English words the paper does not use verbatim."""
    parts = _PART_SPLIT.split(token)
    return any(_name_part(part, compound=len(parts) > 1) for part in parts)


def _name_part(part: str, compound: bool) -> bool:
    if any(c.isdigit() for c in part):
        return True
    capitals = sum(c.isupper() for c in part)
    inner = any(c.isupper() for c in part[1:])
    return capitals >= 2 or inner or (compound and len(part) == 1 and part.isupper())


def squash(text: str) -> list[str]:
    """Lowercase alphanumeric words of ``text``, accents dropped, "16×16" read as "16x16"."""
    return _WORD.findall(to_ascii(text).lower())


def to_ascii(text: str) -> str:
    """``text`` in ASCII: accents dropped ("Fréchet" -> "Frechet"), dashes and the times sign
    made plain, anything else non-ASCII (Hangul, Greek, symbols) turned into "?", a separator."""
    for fancy, plain in _PLAIN:
        text = text.replace(fancy, plain)
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
        text = text.encode("ascii", "replace").decode()
    return _TIMES.sub("x", text)


class NameIndex:
    """The paper's words, joined without separators, with word edges remembered."""

    def __init__(self, ascii_text: str) -> None:
        self._text = ascii_text.lower()
        words = _WORD.findall(self._text)
        self._joined = "".join(words)
        self._spaced = " ".join(words)
        # Words are contiguous in _joined: every word ends where the next one starts.
        self._offsets = [0, *accumulate(map(len, words))]
        self._edges = set(self._offsets)

    @cached_property
    def _initials(self) -> tuple[str, str]:
        """First letters of the paper's words, with and without stopwords (built on demand:
        only an unknown acronym needs them)."""
        content = _STOP_RUN.sub(" ", f" {self._spaced} ")
        return "".join(_INITIAL.findall(f" {self._spaced}")), "".join(_INITIAL.findall(content))

    @cached_property
    def _word_starts(self) -> list[int]:
        return [m.start() for m in _WORD.finditer(self._text)]

    def contains(self, name: str) -> bool:
        """Whether the paper uses ``name`` (case, hyphen, spacing insensitive; a plural s is
        optional on either side)."""
        return bool(self._matches(name, first_only=True)) or not squash(name)

    def positions(self, name: str) -> list[int]:
        """Where the paper uses ``name``: character offsets in the ASCII text."""
        starts = self._word_starts
        return [starts[bisect.bisect_left(self._offsets, m)] for m in self._matches(name)]

    def _matches(self, name: str, first_only: bool = False) -> list[int]:
        key = "".join(squash(name))
        keys = [key, key[:-1]] if key.endswith("s") and len(key) > 3 else [key]
        found: list[int] = []
        for candidate in filter(None, keys):
            start = self._joined.find(candidate)
            while start != -1:
                end = start + len(candidate)
                plural = self._joined[end : end + 1] == "s" and end + 1 in self._edges
                if start in self._edges and (end in self._edges or plural):
                    found.append(start)
                    if first_only:
                        return found
                start = self._joined.find(candidate, start + 1)
        return found

    def expands(self, acronym: str) -> bool:
        """Whether the paper has words whose initials spell ``acronym`` (KD: knowledge
        distillation; RLHF: reinforcement learning from human feedback)."""
        letters = acronym.rstrip("s").lower()
        if not letters.isalpha() or len(letters) < 2:
            return False
        return any(letters in initials for initials in self._initials)


def is_acronym(token: str) -> bool:
    return bool(_ACRONYM.match(token))


def initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w).lower()
