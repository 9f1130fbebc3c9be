"""The command line: parsing and printing only; the work lives in the stage modules.

python run.py --date 2024-06-13 [--dry-run] ...     the nightly job (as cron calls it)
python run.py run --date 2024-06-13 ...             the same, named
python run.py extract paper.pdf [--json|--text]     what extraction makes of a PDF

A new command lives in its own module (``pipeline/<feature>_cli.py``) as a typer command
function, or a ``typer.Typer()`` for a group of commands, using the shared options of
``cliopts``; it is registered at the bottom of this file with one line.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import cliopts as o
from .errors import DigestError, ExitCode, UsageError

if TYPE_CHECKING:
    from .config import Settings
    from .nightly import RunOptions

log = logging.getLogger("pipeline")

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help="Korean digest of the Hugging Face Daily Papers. Without a command: the nightly run.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts contain [default: ...], not markup
    subcommand_metavar="[COMMAND [ARGS]...]",  # a bare `run.py --date D` is the nightly job
)


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
) -> None:
    """Run the nightly job for one date (the default when no command is given)."""
    if ctx.invoked_subcommand is not None:
        o.pass_down(ctx)  # options before a command name belong to that command
        return
    values = o.own_or_given(ctx, dict(ctx.params))
    from .nightly import RunOptions

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
            from .slack import require_slack_config

            require_slack_config(settings)  # before the night spends anything
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
    raise typer.Exit(code)


def _range(ctx: typer.Context, values: dict[str, Any], verbose: bool) -> int:
    from . import backfill_cli

    with o.reported(ctx, verbose):
        return backfill_cli.main(o.settings_for(ctx, **values), values)
    raise AssertionError("unreachable: reported() exits on errors")


def _post_after_night(settings: Settings, date: dt.date) -> None:
    """--slack: a night that wrote its digest (all papers ok, or some held back) posts it."""
    from .errors import DigestError
    from .slack_cli import post_line
    from .store import Store

    if Store(settings.data_dir).load_digest(date) is None:
        return
    try:
        typer.echo(post_line(settings, date))
    except DigestError:
        typer.echo(f"the digest is written; post it with: run.py slack --date {date}", err=True)
        raise


async def _run(settings: Settings, options: RunOptions) -> tuple[int, list[str]]:
    from .lines import result_lines
    from .llm import OpenAILLM
    from .nightly import record_failed_run, require_llm_config, run_night
    from .progress import StageProgress

    with StageProgress() as progress:
        if options.dry_run:
            result = await run_night(settings, options, progress)
        else:
            require_llm_config(settings)
            # Closed on every path, a failed check included: an unclosed client is closed by
            # the SDK at garbage collection, on whatever loop runs then, with a traceback.
            async with OpenAILLM.from_settings(settings) as llm:
                try:
                    warnings = await llm.check()
                except DigestError as exc:
                    record_failed_run(settings, options.date, exc)
                    raise
                for warning in warnings:
                    log.warning("warning: %s", warning)  # now, not after an hour of papers
                result = await run_night(settings, options, progress, llm)
    return result.exit_code, result_lines(result)


app.callback(invoke_without_command=True)(nightly)
app.command("run")(nightly)


def main() -> None:
    app()


__all__ = ["ExitCode", "app", "main"]

# ---- commands from their own modules: one line each ---------------------------------------------
from .batch.cli import batch_app  # noqa: E402
from .check_cli import check  # noqa: E402
from .extract_cli import extract  # noqa: E402
from .lab_cli import eval_command, evalset_app  # noqa: E402
from .review.cli import review_app  # noqa: E402
from .site_cli import site  # noqa: E402
from .slack_cli import slack  # noqa: E402

app.command()(extract)
app.command()(check)
app.add_typer(review_app, name="review")
app.command()(site)
app.command()(slack)
app.add_typer(batch_app, name="batch")
app.command("eval")(eval_command)
app.add_typer(evalset_app, name="evalset")
