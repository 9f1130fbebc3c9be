"""What a night costs: a per-model price table users can extend with a JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .config import Settings
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


def model_price(settings: Settings, model: str | None = None) -> Price | None:
    """The price of ``model`` (default: the settings' model): DIGEST_PRICE_INPUT/OUTPUT for
    the settings' model, else the price file and the built-in table."""
    model = model or settings.model
    given = (settings.price_input, settings.price_output)
    if model == settings.model and given[0] is not None and given[1] is not None:
        return Price(input=given[0], output=given[1])
    return price_for(load_prices(settings.price_file), model)


def unknown_price(settings: Settings) -> str | None:
    """The warning for a model without a price (its cost shows as $0), said at the start of a
    run; with ``--max-cost`` a UsageError instead, as the cap could never stop the run."""
    if model_price(settings) is not None:
        return None
    fix = (
        "give it with DIGEST_PRICE_INPUT and DIGEST_PRICE_OUTPUT (USD per 1M tokens; 0 for a "
        "local server) or DIGEST_PRICE_FILE"
    )
    if settings.max_cost_usd is not None:
        raise UsageError(
            f"--max-cost needs the price of model {settings.model!r}, which is unknown: {fix}"
        )
    return f"no price known for model {settings.model!r}: its cost is counted as $0 ({fix})"
