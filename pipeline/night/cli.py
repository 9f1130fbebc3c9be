"""The nightly job's commands: one day (``run.py --date D``, as cron calls it, or ``run.py run``)
and a range of days (``run.py --from D1 --to D2 [--batch]``). Parsing and printing only."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..core import cliopts as o
from ..core.errors import DigestError, ExitCode, UsageError

if TYPE_CHECKING:
    from ..core.config import Settings
    from .ranges import RangeResult
    from .run import RunOptions

log = logging.getLogger("pipeline")

ONE_DAY_ONLY = {"dry_run": "--dry-run", "show_prompts": "--show-prompts",
                "prompt_out": "--prompt-out", "slack_post": "--slack",
                "email_send": "--email"}  # fmt: skip


def range_main(settings: Settings, values: dict[str, Any]) -> int:
    """A range online or on the Batch API, or the Batch API's status or cancel."""
    from ..batch.run import batch_status
    from .ranges import total_line

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
    from ..batch.run import run_batch_range
    from ..core.progress import StageProgress
    from .run import require_llm_config

    require_llm_config(settings)
    with StageProgress() as progress:
        return await run_batch_range(
            settings, days, progress, force=values["force"],
            on_day=lambda day: typer.echo(day.line), say=typer.echo,
        )  # fmt: skip


async def _cancel(settings: Settings) -> RangeResult:
    from ..batch.run import batch_cancel
    from ..core.progress import StageProgress

    with StageProgress() as progress:
        return await batch_cancel(settings, progress, on_day=lambda day: typer.echo(day.line))


def parse_range(values: dict[str, Any]) -> list[dt.date]:
    from .ranges import range_days

    if values.get("date") is not None:
        raise UsageError("--date is one day; give either --date or --from/--to")
    today = dt.datetime.now(dt.UTC).date()
    first = o.parse_date(values["date_from"] or values["date_to"]).isoformat()
    last = values["date_to"] or today.isoformat()
    return range_days(o.parse_date(first), o.parse_date(last), today)


def run_online_range(settings: Settings, values: dict[str, Any], days: list[dt.date]) -> int:
    """Every unfinished day as a night of its own, with one LLM client for all of them."""
    from .ranges import total_line

    result = asyncio.run(_online(settings, values, days))
    typer.echo(total_line(result))
    return result.exit_code


async def _online(settings: Settings, values: dict[str, Any], days: list[dt.date]) -> RangeResult:
    from ..core.pricing import unknown_price
    from ..core.progress import StageProgress
    from ..stages.openai_llm import OpenAILLM
    from ..stages.prompts import load_prompt
    from .ranges import run_range
    from .run import RunOptions, RunResult, require_llm_config, run_night

    template = load_prompt(settings.prompts_dir, settings.prompt)
    require_llm_config(settings)
    if warning := unknown_price(settings):
        typer.echo(f"warning: {warning}")
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


def nightly(
    ctx: typer.Context,
    date: o.Date = None,
    data_dir: o.DataDir = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the top N papers by votes.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Redo cached work (downloads, extraction, LLM).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Everything but LLM calls: tokens, prompts, cost.")
    ] = False,
    show_prompts: Annotated[
        bool, typer.Option("--show-prompts", help="With --dry-run: print each rendered prompt.")
    ] = False,
    prompt_out: Annotated[
        Path | None, typer.Option(help="With --dry-run: write rendered prompts here.")
    ] = None,
    model: o.Model = None,
    prompt: o.Prompt = None,
    concurrency: o.Concurrency = None,
    max_cost: o.MaxCost = None,
    structured_output: o.StructuredOutput = None,
    budget: o.Budget = None,
    faithfulness: o.Faithfulness = None,
    slack_post: Annotated[
        bool, typer.Option("--slack", help="Post the day to Slack when a digest was written.")
    ] = False,
    email_send: Annotated[
        bool, typer.Option("--email", help="Email the day when a digest was written.")
    ] = False,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day of a range (oldest first).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Last day of a range [default: today].")
    ] = None,
    batch: Annotated[
        bool, typer.Option("--batch", help="With --from/--to: summarize on the OpenAI Batch API.")
    ] = False,
    batch_status: Annotated[
        bool, typer.Option("--batch-status", help="Print the state of every batch shard.")
    ] = False,
    batch_cancel: Annotated[
        bool,
        typer.Option("--batch-cancel", help="Cancel the pending batches, ingest what is done."),
    ] = False,
    verbose: o.Verbose = False,
    version: o.Version = False,
) -> None:
    """Run the nightly job for one date (the default when no command is given)."""
    if ctx.invoked_subcommand is not None:
        o.pass_down(ctx)  # options before a command name belong to that command
        return
    values = o.own_or_given(ctx, dict(ctx.params))
    from ..stages.pool import start_early

    start_early()  # the extraction processes load on another core while this one imports the night
    from .run import RunOptions

    if any(values[k] for k in ("date_from", "date_to", "batch", "batch_status", "batch_cancel")):
        raise typer.Exit(_range(ctx, values, verbose))
    with o.reported(ctx, verbose):
        if (values["show_prompts"] or values["prompt_out"] is not None) and not values["dry_run"]:
            raise UsageError("--show-prompts and --prompt-out need --dry-run")
        settings = o.settings_for(ctx, **values)
        options = RunOptions(
            date=o.parse_date(values["date"]),
            limit=values["limit"],
            force=values["force"],
            dry_run=values["dry_run"],
            show_prompts=values["show_prompts"],
            prompt_out=values["prompt_out"],
        )
        if values["slack_post"]:
            from ..slack.post import require_slack_config

            require_slack_config(settings)  # before the night spends anything
        if values["email_send"]:
            from ..mail.config import mail_config

            mail_config(settings)  # before the night spends anything
        started = time.perf_counter()
        log.info("%s: starting (data dir %s)", options.date, settings.data_dir.resolve())
        code, lines = asyncio.run(_run(settings, options))
        log.info(
            "%s: finished in %.1fs, exit %d", options.date, time.perf_counter() - started, code
        )
    for line in lines:
        typer.echo(line)
    if values["slack_post"] and not options.dry_run and code in (ExitCode.OK, ExitCode.ATTENTION):
        with o.reported(ctx, verbose):
            _post_after_night(settings, options.date)
    if values["email_send"] and not options.dry_run and code in (ExitCode.OK, ExitCode.ATTENTION):
        with o.reported(ctx, verbose):
            code = max(code, _mail_after_night(settings, options.date))
    raise typer.Exit(code)


def _range(ctx: typer.Context, values: dict[str, Any], verbose: bool) -> int:
    with o.reported(ctx, verbose):
        return range_main(o.settings_for(ctx, **values), values)
    raise AssertionError("unreachable: reported() exits on errors")


def _post_after_night(settings: Settings, date: dt.date) -> None:
    """--slack: a night that wrote its digest (all papers ok, or some held back) posts it."""
    from ..slack.cli import post_line
    from ..store import Store

    if Store(settings.data_dir).load_digest(date) is None:
        return
    try:
        typer.echo(post_line(settings, date))
    except DigestError:
        typer.echo(f"the digest is written; post it with: run.py slack --date {date}", err=True)
        raise


def _mail_after_night(settings: Settings, date: dt.date) -> int:
    """--email: like --slack, a night that wrote its digest sends it; a recipient the server
    refused makes the night's exit ATTENTION."""
    from ..mail.cli import send_lines
    from ..store import Store

    if Store(settings.data_dir).load_digest(date) is None:
        return ExitCode.OK
    try:
        lines, code = send_lines(settings, date)
    except DigestError:
        typer.echo(f"the digest is written; send it with: run.py email --date {date}", err=True)
        raise
    for line in lines:
        typer.echo(line)
    return code


async def _run(settings: Settings, options: RunOptions) -> tuple[int, list[str]]:
    from ..core.pricing import unknown_price
    from ..core.progress import StageProgress
    from .lines import result_lines
    from .run import require_llm_config, run_night

    with StageProgress() as progress:
        if not options.dry_run:
            require_llm_config(settings)
            if warning := unknown_price(settings):
                log.warning("warning: %s", warning)
        # Without an LLM given, the night checks the model beside its downloads: the first
        # call waits for the check, and a failed one ends the night with its error in run.json.
        result = await run_night(settings, options, progress)
    return result.exit_code, result_lines(result)


def register(app: typer.Typer) -> None:
    """The nightly job is the group's callback: ``run.py --date D`` without a command runs it."""
    app.callback(invoke_without_command=True)(nightly)
    app.command("run")(nightly)
