"""``run.py --from D1 --to D2 [--batch]``: a range of days. Parsing and printing only."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import typer

from . import cliopts as o
from .backfill import RangeResult, range_days, run_range, total_line
from .batch.run import batch_cancel, batch_status, run_batch_range
from .config import Settings
from .errors import ExitCode, UsageError
from .nightly import RunOptions, RunResult, require_llm_config

ONE_DAY_ONLY = {"dry_run": "--dry-run", "show_prompts": "--show-prompts",
                "prompt_out": "--prompt-out", "slack_post": "--slack"}  # fmt: skip


def main(settings: Settings, values: dict[str, Any]) -> int:
    """A range online or on the Batch API, or the Batch API's status or cancel."""
    if given := [flag for key, flag in ONE_DAY_ONLY.items() if values.get(key)]:
        raise UsageError(f"{', '.join(given)} works on one --date, not on a range or a batch")
    if values["batch_status"]:
        for line in asyncio.run(batch_status(settings)):
            typer.echo(line)
        return ExitCode.OK
    if values["batch_cancel"]:
        result = asyncio.run(_cancel(settings))
        typer.echo(total_line(result) if result.days else "no pending batch to cancel")
        return result.exit_code
    if not (values["date_from"] or values["date_to"]):
        raise UsageError("--batch needs the days: --from D1 [--to D2]")
    days = parse_range(values)
    if values["batch"]:
        result = asyncio.run(_batch(settings, values, days))
        typer.echo(total_line(result) if result.days else "nothing to do: every day is finished")
        return result.exit_code
    return run_online_range(settings, values, days)


async def _batch(settings: Settings, values: dict[str, Any], days: list[dt.date]) -> RangeResult:
    from .progress import StageProgress

    require_llm_config(settings)
    with StageProgress() as progress:
        return await run_batch_range(
            settings, days, progress, force=values["force"],
            on_day=lambda day: typer.echo(day.line), say=typer.echo,
        )  # fmt: skip


async def _cancel(settings: Settings) -> RangeResult:
    from .progress import StageProgress

    with StageProgress() as progress:
        return await batch_cancel(settings, progress, on_day=lambda day: typer.echo(day.line))


def parse_range(values: dict[str, Any]) -> list[dt.date]:
    if values.get("date") is not None:
        raise UsageError("--date is one day; give either --date or --from/--to")
    today = dt.datetime.now(dt.UTC).date()
    first = o.parse_date(values["date_from"] or values["date_to"]).isoformat()
    last = values["date_to"] or today.isoformat()
    return range_days(o.parse_date(first), o.parse_date(last), today)


def run_online_range(settings: Settings, values: dict[str, Any], days: list[dt.date]) -> int:
    """Every unfinished day as a night of its own, with one LLM client for all of them."""
    result = asyncio.run(_online(settings, values, days))
    typer.echo(total_line(result))
    return result.exit_code


async def _online(settings: Settings, values: dict[str, Any], days: list[dt.date]) -> RangeResult:
    from .llm import OpenAILLM
    from .nightly import run_night
    from .progress import StageProgress
    from .prompts import load_prompt

    template = load_prompt(settings.prompts_dir, settings.prompt)
    require_llm_config(settings)
    with StageProgress() as progress:
        async with OpenAILLM.from_settings(settings) as llm:
            checked: list[bool] = []

            async def night(date: dt.date) -> RunResult:
                if not checked:  # only when a day needs the model: a finished range asks nothing
                    checked.append(True)
                    for warning in await llm.check():
                        typer.echo(warning)
                options = RunOptions(date=date, limit=values["limit"], force=values["force"])
                return await run_night(settings, options, progress, llm)

            return await run_range(
                settings, days, template, night,
                today=dt.datetime.now(dt.UTC).date(), force=values["force"],
                on_day=lambda day: typer.echo(day.line),
            )  # fmt: skip
