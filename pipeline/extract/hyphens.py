"""Words split with a hyphen at a line end, joined the way the paper spells them.

MuPDF's own dehyphenation drops every line-end hyphen, real compounds included
("DeepSeek-R1" -> "DeepSeekR1", "human-written" -> "humanwritten"). Here the paper itself is the
dictionary: a form it spells elsewhere wins; otherwise a few spelling rules decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PUNCTUATION = ".,;:()[]{}\"'“”‘’!?*†‡§¶"
_LEAD = re.compile(r"[A-Za-z0-9]+")
_TAIL = re.compile(r"[A-Za-z0-9-]+$")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# First parts that make compounds rather than syllables ("self-attention", "fine-tuning").
_PREFIXES = frozenset(
    {"self", "cross", "fine", "non", "multi", "pre", "post", "semi", "co", "state-of", "well"}
    | {"high", "low", "long", "short", "zero", "few", "one", "two", "three", "open", "closed"}
    | {"end", "real", "large", "small", "in-context", "out-of"}
)
_MIN_PART = 3  # both parts at least this long to count as words of their own


class Vocabulary:
    """Which hyphenated and plain spellings a paper uses, read from its lines."""

    def __init__(self, texts: Iterable[str]) -> None:
        # The two halves of a word split at a line end are not words of the paper ("con-" and
        # "text" would vouch for "con-text"): marking the line end glues them into one token
        # that is left out. Whitespace tokens are several times faster than a word regex.
        text = "\n".join(texts).replace("-\n", "-\x00")
        tokens = {token for token in set(text.split()) if "\x00" not in token}
        self.words = {token.strip(_PUNCTUATION).lower() for token in tokens}
        self.compounds = {word for word in self.words if "-" in word[1:-1]}

    def join(self, head: str, tail: str) -> str:
        """``head`` ends with a line-end hyphen; ``tail`` is the next line."""
        end = _TAIL.search(head[:-1])
        lead = _LEAD.match(tail)
        if not end or not lead:
            return f"{head}{tail}"
        if lead.group() in ("and", "or", "to"):
            return f"{head} {tail}"  # "pre- and post-training"
        if tail[lead.end() : lead.end() + 1] == "-" or self.keeps_hyphen(end.group(), lead.group()):
            # "Mixture-" + "of-Experts": the compound goes on after the break.
            return f"{head}{tail}"
        return f"{head[:-1]}{tail}"

    def keeps_hyphen(self, first: str, second: str) -> bool:
        low_first, low_second = first.lower(), second.lower()
        if f"{low_first}-{low_second}" in self.compounds:
            return True
        if low_first.rsplit("-", 1)[-1] + low_second in self.words:
            return False  # the paper spells it as one word ("GraspNet", "interest")
        if second[0].isupper() or second[0].isdigit():
            return True  # "DeepSeek-R1", "GPT-4", "Qwen-VL"
        if "-" in first or low_first in _PREFIXES:
            return True  # "data-to-" + "text", "self-" + "attention"
        short = min(len(low_first), len(low_second)) < _MIN_PART
        return not short and low_first in self.words and low_second in self.words


def hyphen_end(text: str) -> bool:
    """Ends in an ASCII letter or digit and a hyphen: a word split at the line end."""
    return len(text) >= 2 and text[-1] == "-" and (text[-2] in _ASCII_LETTERS or text[-2].isdigit())
