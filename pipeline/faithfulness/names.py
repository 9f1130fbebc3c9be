"""Names: the Latin-script model, dataset, benchmark and method names of a Korean section, and
whether the paper contains each of them.

Matching ignores case, hyphens, spaces and accents: "Llama-3-70B", "LLaMA 3 70B" and "llama3-70b"
are one name. It respects word edges, so "ARC" is not found inside "search". A name the paper
never uses is still fine when it is an acronym the summary introduces for the paper's words
("지식 증류(KD)" for "knowledge distillation").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A Latin token with its joined parts: GPT-4o, Llama-3-70B, Qwen2.5-7B, pass@1, 4M-21, SWE-bench.
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-_./@+][A-Za-z0-9]+)*(?![A-Za-z0-9])")
# A token that is a quantity, not a name: 7B, 128K, 14x, 1.5M.
_QUANTITY = re.compile(r"^\d+(?:\.\d+)?(?:[kKMBT]|x)?$")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,7}s?$")
_STOPWORDS = frozenset(
    "a an and as at by for from in into of on or the to via with without".split()
)


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
        if _HAS_LETTER.search(m.group(0)) and not _QUANTITY.match(m.group(0))
    ]


def is_name_like(token: str) -> bool:
    """Names, not words: a digit (CIFAR-10), two capitals (MMLU, ViT) or a capital inside
    (mOSCAR). "Transformer" or "fine-tuning" are vocabulary; a Korean summary may gloss them
    in English words the paper does not use verbatim."""
    letters = [c for c in token if c.isalpha()]
    if any(c.isdigit() for c in token):
        return True
    return sum(c.isupper() for c in letters) >= 2 or any(c.isupper() for c in letters[1:])


def squash(text: str) -> list[str]:
    """Lowercase alphanumeric words of ``text``, accents dropped, "16×16" read as "16x16"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=\d)\s?[x×]\s?(?=\d)", "x", text.lower())
    return re.findall(r"[a-z0-9]+", text)


class NameIndex:
    """The paper's words, joined without separators, with word edges remembered."""

    def __init__(self, text: str) -> None:
        words = squash(text)
        self._joined = "".join(words)
        self._starts: set[int] = set()
        self._ends: set[int] = set()
        position = 0
        for word in words:
            self._starts.add(position)
            position += len(word)
            self._ends.add(position)
        latin = re.findall(r"[A-Za-z]+", text)
        self._initials = "".join(w[0] for w in latin).lower()
        self._content_initials = "".join(w[0] for w in latin if w.lower() not in _STOPWORDS)
        self._content_initials = self._content_initials.lower()

    def contains(self, name: str) -> bool:
        """Whether the paper uses ``name`` (case, hyphen, spacing insensitive; a plural s is
        optional on either side)."""
        key = "".join(squash(name))
        if not key:
            return True
        candidates = {key}
        if key.endswith("s") and len(key) > 3:
            candidates.add(key[:-1])
        return any(self._find(candidate) for candidate in candidates)

    def _find(self, key: str) -> bool:
        start = self._joined.find(key)
        while start != -1:
            end = start + len(key)
            if start in self._starts and (
                end in self._ends or (self._joined[end : end + 1] == "s" and end + 1 in self._ends)
            ):
                return True
            start = self._joined.find(key, start + 1)
        return False

    def expands(self, acronym: str) -> bool:
        """Whether the paper has words whose initials spell ``acronym`` (KD: knowledge
        distillation; RLHF: reinforcement learning from human feedback)."""
        letters = acronym.rstrip("s").lower()
        if not letters.isalpha() or len(letters) < 2:
            return False
        return letters in self._initials or letters in self._content_initials


def is_acronym(token: str) -> bool:
    return bool(_ACRONYM.match(token))


def initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w).lower()
