"""What a night costs: a per-model price table users can extend with a JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .errors import UsageError
from .models import Usage


class Price(BaseModel):
    input: float
    """US dollars per million prompt tokens."""
    output: float
    """US dollars per million completion tokens."""


# Public list prices (USD per 1M tokens) at the time of writing; extend or override them with
# DIGEST_PRICE_FILE rather than editing this table.
BUILTIN: dict[str, Price] = {
    "gpt-4.1": Price(input=2.00, output=8.00),
    "gpt-4.1-mini": Price(input=0.40, output=1.60),
    "gpt-4.1-nano": Price(input=0.10, output=0.40),
    "gpt-4o": Price(input=2.50, output=10.00),
    "gpt-4o-mini": Price(input=0.15, output=0.60),
    "gpt-5": Price(input=1.25, output=10.00),
    "gpt-5-mini": Price(input=0.25, output=2.00),
    "gpt-5-nano": Price(input=0.05, output=0.40),
}


def load_prices(extra: Path | None) -> dict[str, Price]:
    table = dict(BUILTIN)
    if extra is None:
        return table
    try:
        raw = json.loads(extra.read_text(encoding="utf-8"))
        table.update({name: Price.model_validate(p) for name, p in raw.items()})
    except (OSError, ValueError, ValidationError, AttributeError) as exc:
        raise UsageError(
            f"cannot read price file {extra}: expected "
            '{"model": {"input": USD per 1M, "output": USD per 1M}} ('
            f"{exc.__class__.__name__})"
        ) from exc
    return table


def price_for(table: dict[str, Price], model: str) -> Price | None:
    """Exact name first, then the longest known prefix (``gpt-4.1-mini-2025-04-14``)."""
    if model in table:
        return table[model]
    prefixes = [name for name in table if model.startswith(name + "-")]
    return table[max(prefixes, key=len)] if prefixes else None


def cost(price: Price | None, usage: Usage) -> float | None:
    if price is None:
        return None
    return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1e6


def scaled(price: Price | None, factor: float) -> Price | None:
    if price is None or factor == 1.0:
        return price
    return Price(input=price.input * factor, output=price.output * factor)
