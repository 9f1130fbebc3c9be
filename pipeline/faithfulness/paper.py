"""Right paper: does a summary, taken whole, talk about this paper?

A summary of this paper names its method, model or dataset (the names in its title and
abstract), or at least most of the names and figures it mentions are in the paper. A summary
of another paper names things this paper never mentions; a generic paragraph ("새로운 인공지능
모델이 소개되었습니다") names nothing at all. Either is flagged.
"""

from __future__ import annotations

from .names import NameIndex, is_name_like, latin_tokens, squash
from .numbers import NumberPool, find_numbers

MIN_SUPPORTED = 0.5
"""Share of a summary's names and figures the paper must contain when it names none of the
paper's own terms."""

# Names so common that sharing them says nothing about which paper a summary describes.
_GENERIC = frozenset(
    "ai api apis cnn cnns cot gpu gpus gpt gpt4 gpt4o llm llms lm lms mllm mllms nlp rl sota "
    "vlm vlms ml dnn dnns rag sft rlhf".split()
)


class PaperTerms:
    """The paper's own names: the name-like words of its title and abstract."""

    def __init__(self, title: str, abstract: str) -> None:
        tokens = latin_tokens(f"{title}\n{abstract}")
        keys = {"".join(squash(t.span)) for t in tokens if is_name_like(t.span)}
        # A title's long words are its topic even when no word is capitalised like a name.
        keys |= {"".join(squash(t.span)) for t in latin_tokens(title) if len(t.span) >= 6}
        self.keys = frozenset(k for k in keys if k and k not in _GENERIC)

    def named_in(self, text: str) -> bool:
        for token in latin_tokens(text):
            key = "".join(squash(token.span))
            if key in self.keys or key.rstrip("s") in self.keys:
                return True
        return False


def wrong_paper_problem(
    text: str, names: NameIndex, numbers: NumberPool, terms: PaperTerms
) -> str | None:
    """Why ``text`` does not look like a summary of this paper; None when it does."""
    if terms.named_in(text):
        return None
    found = total = 0
    for token in latin_tokens(text):
        if is_name_like(token.span):
            total += 1
            found += names.contains(token.span)
    for mention in find_numbers(_without_latin(text)):
        if max(mention.values) >= 10:  # small counts are in every paper
            total += 1
            found += numbers.supports(mention)
    if total and found / total >= MIN_SUPPORTED:
        return None
    if not total:
        return "the summary names nothing from the paper (no method, model, dataset or figure)"
    return (
        f"the summary does not look like this paper: it names none of the paper's own terms "
        f"and only {found} of the {total} names and figures it mentions occur in the paper"
    )


def _without_latin(text: str) -> str:
    for token in latin_tokens(text):
        text = text[: token.start] + " " * (token.end - token.start) + text[token.end :]
    return text
