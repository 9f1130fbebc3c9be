"""What a range needs asked, and ingesting the answers: both are the night's own code.

``plan_requests`` prepares every unfinished day with the night's dry run (list, arXiv, PDFs,
extraction, all cached in the store), then runs each paper that needs a summary through
``summarize_paper`` with a ``BatchLLM``: replies already known are replayed, and the first
question without an answer becomes a request line (the first ask, or a re-ask after a reply
failed validation). ``ingest`` runs the nights with a ``BatchLLM`` holding the results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from ..core.config import Settings
from ..core.errors import SummaryError
from ..core.progress import StageProgress
from ..night.ranges import DayOutcome, RangeResult, finished, note_result, run_range
from ..night.run import RunOptions, RunResult, reusable, run_night
from ..stages.pool import extraction_pool
from ..stages.prompts import PromptTemplate
from ..stages.summarize import summarize_paper
from ..store import Store
from .jsonl import BatchRequest, encode, request_line
from .replies import BatchLLM


@dataclass
class Plan:
    out: BinaryIO
    """Where the request lines go as they are made (a file: a range's lines can be larger
    than memory)."""
    requests: int = 0
    keys: set[str] = field(default_factory=set)
    """The questions asked already (two papers can ask the very same)."""
    days: list[dt.date] = field(default_factory=list)
    """The days with at least one request."""
    ready: int = 0
    """Papers whose answers are all known already (ingesting writes them)."""

    def add(self, key: str, request: BatchRequest) -> None:
        if key not in self.keys:
            self.keys.add(key)
            self.out.write(encode([request]))
            self.requests += 1


async def plan_requests(
    settings: Settings,
    days: list[dt.date],
    template: PromptTemplate,
    llm: BatchLLM,
    progress: StageProgress,
    *,
    out: BinaryIO,
    force: bool = False,
    today: dt.date,
) -> Plan:
    """Prepare every unfinished day and write its request lines to ``out``."""
    store = Store(settings.data_dir)
    plan = Plan(out)
    # One pool for the whole range: its workers are started once, not once a day.
    with extraction_pool(settings.extract_workers) as pool:
        for date in days:
            if not force and finished(store, date, llm.model, template) is not None:
                continue
            options = RunOptions(date=date, dry_run=True, extractor=pool)
            prepared = await run_night(settings, options, progress)
            note_result(store, prepared, today)
            await _plan_day(date, prepared, store, template, llm, plan, settings.reasks, force)
    return plan


async def _plan_day(
    date: dt.date,
    prepared: RunResult,
    store: Store,
    template: PromptTemplate,
    llm: BatchLLM,
    plan: Plan,
    reasks: int,
    force: bool,
) -> None:
    """The requests of one prepared day: each paper's conversation up to its first question
    without an answer."""
    before, ready = plan.requests, plan.ready
    for planned in prepared.dry_run:
        paper, inp = planned.paper, planned.inp
        if not force and reusable(store.load_record(date, paper.arxiv_id), llm, template, inp):
            continue
        try:
            await summarize_paper(
                paper, inp, llm, template, store=store, reasks=reasks, use_cache=not force
            )
            plan.ready += 1
        except SummaryError:
            pass
        for key, (messages, params) in llm.wanted.items():
            line = request_line(date, paper.arxiv_id, llm.model, messages, params, llm.mode)
            plan.add(key, line)
        llm.wanted.clear()  # written out: not kept, each holds a paper's text
    if plan.requests > before or plan.ready > ready:
        plan.days.append(date)


async def ingest(
    settings: Settings,
    days: list[dt.date],
    template: PromptTemplate,
    llm: BatchLLM,
    progress: StageProgress,
    *,
    today: dt.date,
    on_day: Callable[[DayOutcome], None],
) -> RangeResult:
    """The nights of ``days``, answered by ``llm``: records, digest and run.json as online."""

    def night(date: dt.date) -> Awaitable[RunResult]:
        return run_night(settings, RunOptions(date=date), progress, llm)

    return await run_range(settings, days, template, night, today=today, on_day=on_day)
