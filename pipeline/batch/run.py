"""``run.py --from D1 --to D2 --batch``: plan, send the shards, wait, ingest; resumable.

Shards left by an earlier run (killed, or still running at OpenAI) are finished first; a
range with nothing pending is planned afresh. After ingesting, what the batch could not answer
(failed or expired lines, a re-ask after a failed validation) goes online for a handful
(``DIGEST_BATCH_ONLINE_RETRIES``) and into one retry shard for the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..core.config import Settings
from ..core.errors import ExitCode
from ..core.progress import StageProgress
from ..core.wording import plural
from ..night.ranges import DayOutcome, RangeResult
from ..stages.openai_llm import OpenAILLM
from ..stages.prompts import load_prompt
from ..store import Store
from .api import AREA, BatchAPI, Ledger, Runner, Shard, ShardState, status_lines
from .plan import ingest, plan_requests
from .replies import BatchLLM

ROUNDS = 2
"""The first batch and one retry shard; what is still missing waits for the next run."""


async def run_batch_range(
    settings: Settings,
    days: list[dt.date],
    progress: StageProgress,
    *,
    force: bool,
    on_day: Callable[[DayOutcome], None],
    say: Callable[[str], None],
) -> RangeResult:
    store = Store(settings.data_dir)
    template = load_prompt(settings.prompts_dir, settings.prompt)
    ledger = Ledger(store)
    api = BatchAPI(settings)
    today = dt.datetime.now(dt.UTC).date()
    result = RangeResult()
    try:
        runner = Runner(api, ledger, settings)
        for round_ in range(ROUNDS):
            shards = ledger.pending()
            if shards:
                resuming = plural(len(shards), "batch shard")
                say(f"resuming {resuming}: " + ", ".join(s.id for s in shards))
            else:
                planner = BatchLLM(settings.model)
                with store.scratch(AREA) as spool:
                    plan = await plan_requests(
                        settings, days, template, planner, progress,
                        out=spool, force=force and round_ == 0, today=today,
                    )  # fmt: skip
                    if not plan.requests and not plan.ready:
                        break
                    shards = ledger.plan(settings.model, spool)
                if shards:
                    say(
                        f"{plural(plan.requests, 'request')} in "
                        f"{plural(len(shards), 'batch shard')}"
                    )
            for shard in shards:
                await runner.advance(shard)
            result = await _ingest(settings, ledger, shards, days, progress, today, on_day)
            if result.exit_code == ExitCode.OK:
                break
    finally:
        await api.close()
    return result


async def _ingest(
    settings: Settings,
    ledger: Ledger,
    shards: list[Shard],
    days: list[dt.date],
    progress: StageProgress,
    today: dt.date,
    on_day: Callable[[DayOutcome], None],
    *,
    online: bool = True,
) -> RangeResult:
    template = load_prompt(settings.prompts_dir, settings.prompt)
    when = sorted({*days, *(d for s in shards for d in s.days)})
    async with OpenAILLM.from_settings(settings) as model:
        llm = BatchLLM(
            settings.model, ledger.results(shards),
            online=model if online else None, online_budget=settings.batch_online_retries,
        )  # fmt: skip
        result = await ingest(settings, when, template, llm, progress, today=today, on_day=on_day)
    for shard in shards:
        shard.state = ShardState.INGESTED
        ledger.save(shard)
    return result


async def batch_status(settings: Settings) -> list[str]:
    ledger = Ledger(Store(settings.data_dir))
    api = BatchAPI(settings)
    try:
        for shard in ledger.pending():
            if shard.state is ShardState.SUBMITTED and shard.batch_id:
                shard.remote_status = str((await api.retrieve(shard.batch_id)).status)
                ledger.save(shard)
    finally:
        await api.close()
    return status_lines(ledger.book)


async def batch_cancel(
    settings: Settings, progress: StageProgress, on_day: Callable[[DayOutcome], None]
) -> RangeResult:
    """Cancel every pending shard, then ingest what they finished (nothing asked online)."""
    ledger = Ledger(Store(settings.data_dir))
    api = BatchAPI(settings)
    shards = ledger.pending()
    try:
        runner = Runner(api, ledger, settings)
        for shard in shards:
            await runner.cancel(shard)
    finally:
        await api.close()
    if not shards:
        return RangeResult()
    today = dt.datetime.now(dt.UTC).date()
    return await _ingest(settings, ledger, shards, [], progress, today, on_day, online=False)
