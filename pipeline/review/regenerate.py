"""Regenerate a paper, or one section of it, with a chosen prompt version and model.

The reply is judged exactly as the night judges a paper (``stages.checked.summarize_checked``):
a reply the night would send to review is offered all the same, its note saying so and why.
The result never replaces anything: it is a candidate revision that the editor sees as a diff
against the current text and accepts or discards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from ..core.config import Settings
from ..core.errors import ReviewRefused
from ..core.models import PaperRecord, Status
from ..core.pricing import load_prices, price_for
from ..faithfulness.policy import Policy
from ..faithfulness.sources import input_source
from ..stages.checked import CheckedOutcome, summarize_checked
from ..stages.openai_llm import OpenAILLM
from ..stages.prompts import PromptTemplate, load_prompt
from .editorial import Editorial
from .models import SECTION_NAMES, Origin, Revision
from .source import input_settings, paper_input


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
    """Ask the model again (no cached reply), judge the reply as the night would (form re-asks,
    the faithfulness policy of ``DIGEST_FAITHFULNESS``, style flags), and add its text as a
    pending candidate whose note says the night's verdict. ``db`` runs the editorial database's
    calls (the web app's: off the event loop)."""
    run = db or _direct
    if section is not None and section not in SECTION_NAMES:
        raise ReviewRefused(f"unknown section {section!r}; use {', '.join(SECTION_NAMES)}")
    paper = await run(editorial.paper, date, arxiv_id)
    record = editorial.store.load_record(date, arxiv_id)
    if record is None:
        raise ReviewRefused(f"paper {arxiv_id} has no night record on {date} to regenerate from")
    template = load_prompt(settings.prompts_dir, prompt)
    outcome = await _judged(editorial, settings, record, template, model)
    text = outcome.summary or outcome.draft
    if text is None:
        raise ReviewRefused(f"paper {arxiv_id}: regeneration failed: {outcome.reason}")
    flags = outcome.flags
    current = paper.current_revision
    if section is not None and current is not None:
        text = current.summary.model_copy(update={section: getattr(text, section)})
        flags = [f for f in flags if f.section == section]
    note = f"{template.name}@{template.version}, {model}" + (f", {section} only" if section else "")
    note += verdict(outcome)
    # Made from the revision current when it started: if another save came meanwhile,
    # accepting it merges per section instead of undoing that save.
    revision: Revision = await run(
        editorial.add_candidate, date, arxiv_id, text, Origin.REGENERATE, model,
        outcome.provenance, note, based_on=paper.current, flags=flags,
    )  # fmt: skip
    return revision


async def _judged(
    editorial: Editorial,
    settings: Settings,
    record: PaperRecord,
    template: PromptTemplate,
    model: str,
) -> CheckedOutcome:
    """The model's new reply for the paper, judged by the night's own ``summarize_checked``."""
    price = price_for(load_prices(settings.price_file), model)
    inp = await paper_input(editorial.store, record, settings, download=True)
    policy = Policy(settings.faithfulness)
    source = None
    if policy is not Policy.OFF:
        built_with = input_settings(settings, record)
        source = input_source(editorial.store, built_with, record.paper, inp)
    async with OpenAILLM.from_settings(settings, model=model) as llm:
        return await summarize_checked(
            record.paper, inp, llm, template, policy, source, store=editorial.store,
            price=price, reasks=settings.reasks, use_cache=False,
        )  # fmt: skip


def verdict(outcome: CheckedOutcome) -> str:
    """What the night would have done with the reply, for the candidate's note ("" when it
    would publish it; its flags are on the candidate either way)."""
    if outcome.status is Status.NEEDS_REVIEW:
        return f"; the night would send it to review: {outcome.reason}"
    if outcome.status is Status.FAILED:
        return f"; the night would mark it failed: {outcome.reason}"
    return ""


DbCall = Callable[..., Awaitable[Any]]


async def _direct(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)
