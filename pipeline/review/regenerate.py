"""Regenerate a paper, or one section of it, with a chosen prompt version and model.

The result never replaces anything: it is a candidate revision that the editor sees as a diff
against the current text and accepts or discards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from ..core.config import Settings
from ..core.errors import ReviewRefused, SummaryError
from ..core.pricing import load_prices, price_for
from ..stages.openai_llm import OpenAILLM
from ..stages.prompts import load_prompt
from ..stages.summarize import summarize_paper
from .editorial import Editorial
from .models import SECTION_NAMES, Origin, Revision
from .source import paper_input


async def regenerate(
    editorial: Editorial,
    settings: Settings,
    date: dt.date,
    arxiv_id: str,
    *,
    prompt: str,
    model: str,
    section: str | None,
    db: DbCall | None = None,
) -> Revision:
    """Ask the model again (no cached reply) and add its text as a pending candidate. ``db``
    runs the editorial database's calls (the web app's: off the event loop)."""
    run = db or _direct
    if section is not None and section not in SECTION_NAMES:
        raise ReviewRefused(f"unknown section {section!r}; use {', '.join(SECTION_NAMES)}")
    paper = await run(editorial.paper, date, arxiv_id)
    record = editorial.store.load_record(date, arxiv_id)
    if record is None:
        raise ReviewRefused(f"paper {arxiv_id} has no night record on {date} to regenerate from")
    template = load_prompt(settings.prompts_dir, prompt)
    price = price_for(load_prices(settings.price_file), model)
    inp = await paper_input(editorial.store, record, settings, download=True)
    try:
        async with OpenAILLM.from_settings(settings, model=model) as llm:
            outcome = await summarize_paper(
                record.paper,
                inp,
                llm,
                template,
                store=editorial.store,
                price=price,
                reasks=settings.reasks,
                use_cache=False,
            )
    except SummaryError as exc:
        raise ReviewRefused(f"paper {arxiv_id}: regeneration failed: {exc.problem}") from exc
    text = outcome.summary or outcome.draft
    if text is None:
        raise ReviewRefused(f"paper {arxiv_id}: the model gave no usable text ({outcome.reason})")
    current = paper.current_revision
    if section is not None and current is not None:
        text = current.summary.model_copy(update={section: getattr(text, section)})
    note = f"{template.name}@{template.version}, {model}" + (f", {section} only" if section else "")
    if outcome.reason:
        note += f"; checks: {outcome.reason}"
    # Made from the revision current when it started: if another save came meanwhile,
    # accepting it merges per section instead of undoing that save.
    revision: Revision = await run(
        editorial.add_candidate, date, arxiv_id, text, Origin.REGENERATE, model,
        outcome.provenance, note, based_on=paper.current,
    )  # fmt: skip
    return revision


DbCall = Callable[..., Awaitable[Any]]


async def _direct(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)
