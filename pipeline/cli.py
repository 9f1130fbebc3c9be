"""The command line: parsing and printing only; the work lives in the stage modules.

python run.py --date 2024-06-13 [--dry-run] ...   the nightly job
python run.py extract paper.pdf [--json|--text]   inspect what extraction makes of a PDF
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from .config import Settings
from .errors import DigestError, UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help="Korean digest of the Hugging Face Daily Papers.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts contain [default: ...], not markup
)
log = logging.getLogger("pipeline")


def _setup_logging(verbose: bool) -> None:
    # Under cron (no terminal) every line carries its UTC time: the log is all there is later.
    stamped = verbose or not sys.stderr.isatty()
    formatter = logging.Formatter(
        ("%(asctime)s " if stamped else "") + ("%(levelname)s " if verbose else "") + "%(message)s",
        datefmt="%Y-%m-%dT%H:%M:%SZ",
    )
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        handlers=[handler],
        force=True,  # a second run in one process (tests) must log to the current stderr
    )
    # Libraries' INFO lines (every HTTP request) would bury ours.
    for noisy in ("httpx2", "httpcore2", "openai", "arxiv", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def fail(exc: BaseException, verbose: bool) -> NoReturn:
    """One readable line for the user; the traceback only with --verbose."""
    if verbose:
        log.exception("details")
    code = exc.exit_code if isinstance(exc, DigestError) else 1
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code)


def parse_date(value: str | None) -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    if value is None:
        return today
    try:
        date = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"--date {value!r} is not a date like 2024-06-13") from exc
    if date > today:
        raise UsageError(f"--date {value} is in the future (today is {today} UTC)")
    return date


def make_settings(**overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        # Flags are checked by typer first, so a bad value here came from the environment.
        name = where if where.isupper() else f"DIGEST_{where.upper()}"
        value = f" (got {first['input']!r})" if "input" in first else ""
        raise UsageError(f"invalid setting {name}: {first.get('msg')}{value}") from exc


@app.callback(invoke_without_command=True)
def nightly(
    ctx: typer.Context,
    date: Annotated[
        str | None, typer.Option(help="Day to digest (YYYY-MM-DD, UTC; default today).")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where everything is kept [env DIGEST_DATA_DIR; default: ./data, relative to "
            "the current directory: give cron an absolute path]."
        ),
    ] = None,
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
    model: Annotated[
        str | None, typer.Option(help="LLM model [env DIGEST_MODEL; default gpt-4.1-mini].")
    ] = None,
    prompt: Annotated[
        str | None, typer.Option(help="Prompt, e.g. summarize or summarize@v1 [default: newest].")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="LLM calls in flight [default 32].")
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="Stop starting papers after this many USD.")
    ] = None,
    structured_output: Annotated[
        str | None, typer.Option(help="json_schema, json_object or auto.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show details and tracebacks.")
    ] = False,
) -> None:
    """Run the nightly job for one date (the default when no command is given)."""
    ctx.obj = {"verbose": verbose}
    if ctx.invoked_subcommand is not None:
        return
    _setup_logging(verbose)
    from .nightly import RunOptions, run_night
    from .progress import StageProgress

    try:
        if (show_prompts or prompt_out is not None) and not dry_run:
            raise UsageError("--show-prompts and --prompt-out need --dry-run")
        settings = make_settings(
            data_dir=data_dir,
            model=model,
            prompt=prompt,
            concurrency=concurrency,
            max_cost_usd=max_cost,
            structured_output=structured_output,
        )
        options = RunOptions(
            date=parse_date(date),
            limit=limit,
            force=force,
            dry_run=dry_run,
            show_prompts=show_prompts,
            prompt_out=prompt_out,
        )
        started = time.perf_counter()
        log.info("%s: starting (data dir %s)", options.date, settings.data_dir.resolve())
        with StageProgress() as progress:
            result = asyncio.run(run_night(settings, options, progress))
        log.info(
            "%s: finished in %.1fs, exit %d",
            options.date,
            time.perf_counter() - started,
            result.exit_code,
        )
    except DigestError as exc:
        fail(exc, verbose)
    except KeyboardInterrupt:
        typer.echo("interrupted: run the same command again to resume", err=True)
        raise typer.Exit(130) from None
    for line in result.lines:
        typer.echo(line)
    raise typer.Exit(result.exit_code)


@app.command()
def extract(
    ctx: typer.Context,
    pdf: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A PDF file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    text: Annotated[bool, typer.Option("--text", help="Print the LLM context itself.")] = False,
    budget: Annotated[
        int | None, typer.Option(min=100, help="Token budget of the context.")
    ] = None,
) -> None:
    """Show what extraction makes of a PDF: sections, kept/dropped context, flags."""
    verbose = bool(ctx.obj and ctx.obj.get("verbose"))
    _setup_logging(verbose)
    from .extract import extract_pdf, extraction_report, format_report

    try:
        settings = make_settings(token_budget=budget)
        extraction = extract_pdf(
            pdf, budget_tokens=settings.token_budget, model=settings.model, label=pdf.name
        )
    except DigestError as exc:
        fail(exc, verbose)
    if as_json:
        typer.echo(json.dumps(extraction_report(extraction), ensure_ascii=False, indent=2))
    elif text:
        typer.echo(extraction.context)
    else:
        typer.echo(format_report(extraction))


def main() -> None:
    app()
