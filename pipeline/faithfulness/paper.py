"""Right paper: does a summary, taken whole, talk about this paper?

A summary of this paper names its method, model or dataset (the names in its title and
abstract), or at least most of the names and figures it mentions are in the paper. A summary
of another paper names things this paper never mentions; a generic paragraph ("새로운 인공지능
모델이 소개되었습니다") names nothing at all. Either is flagged.
"""

from __future__ import annotations

from .names import NameIndex, is_name_like, latin_tokens, squash
from .numbers import Mention, NumberPool, find_numbers

MIN_SUPPORTED = 0.5
"""Share of a summary's names and figures the paper must contain when it names none of the
paper's own terms."""

# Names so common that sharing them says nothing about which paper a summary describes.
_GENERIC = frozenset((
    "ai", "agi", "api", "cnn", "cot", "gpu", "gpt", "gpt3", "gpt35", "gpt4", "gpt4o", "llm", "lm",
    "mllm", "nlp", "nli", "qa", "rl", "sota", "vlm", "ml", "dnn", "rag", "sft", "rlhf", "moe",
    "ppo", "dpo", "lora", "vit", "mlp", "rnn", "lstm", "gan", "vae", "bert", "kd", "asr", "ocr",
))  # fmt: skip


class PaperTerms:
    """The paper's own names: the name-like words of its title and abstract."""

    def __init__(self, title: str, abstract: str) -> None:
        tokens = latin_tokens(f"{title}\n{abstract}")
        self.keys = frozenset(filter(None, (key(t.span) for t in tokens if is_name_like(t.span))))

    def named_in(self, text: str) -> bool:
        return any(key(token.span) in self.keys for token in latin_tokens(text))


def key(name: str) -> str:
    """A name reduced for comparison; "" for the names every paper shares (LLM, GPT-4, ...)."""
    squashed = "".join(squash(name))
    if squashed.endswith("s") and squashed[:-1] in _GENERIC:
        return ""
    return "" if squashed in _GENERIC else squashed


def wrong_paper_problem(
    text: str, names_index: NameIndex, numbers_pool: NumberPool, terms: PaperTerms
) -> str | None:
    """Why ``text`` does not look like a summary of this paper; None when it does."""
    if terms.named_in(text):
        return None
    names = {key(t.span): t.span for t in latin_tokens(text) if is_name_like(t.span)}
    names.pop("", None)
    numbers = {m.span: m for m in find_numbers(_without_latin(text)) if _distinctive(m)}
    total = len(names) + len(numbers)
    found = sum(map(names_index.contains, names.values()))
    found += sum(map(numbers_pool.supports, numbers.values()))
    if total and found / total >= MIN_SUPPORTED:
        return None
    if not total:
        return (
            "the summary names nothing from the paper (no method, model, dataset or exact figure)"
        )
    return (
        f"the summary does not look like this paper: it names none of the paper's own terms "
        f"and only {found} of the {total} names and exact figures it mentions occur in the paper"
    )


def _distinctive(mention: Mention) -> bool:
    """A figure specific enough to tell papers apart: 52.3% or 2,360억, not 3 or 90% or 2024."""
    value = max(mention.values)
    return mention.decimals > 0 or (value >= 1000 and not 1900 <= value <= 2100)


def _without_latin(text: str) -> str:
    for token in latin_tokens(text):
        text = text[: token.start] + " " * (token.end - token.start) + text[token.end :]
    return text
