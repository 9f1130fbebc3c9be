"""What every command shares: the settings options, logging, dates, one-line errors.

A command declares the shared options it takes with these aliases (``data_dir: DataDir =
None``) and builds its settings with ``settings_for(ctx, ...)``. A shared option may also be
given before the command name (``run.py --model m extract x.pdf``); it then reaches the command
only if the command takes it, and is a usage error otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from .config import Settings, export_dotenv_openai
from .errors import DigestError, ExitCode, UsageError

log = logging.getLogger("pipeline")

# ---- the shared options -------------------------------------------------------------------------
Date = Annotated[str | None, typer.Option(help="Day (YYYY-MM-DD, UTC; default today).")]
DataDir = Annotated[
    Path | None,
    typer.Option(
        help="Where everything is kept [env DIGEST_DATA_DIR; default: ./data, relative to the "
        "current directory: give cron an absolute path]."
    ),
]
Model = Annotated[
    str | None, typer.Option(help="LLM model [env DIGEST_MODEL; default gpt-4.1-mini].")
]
TokenizerModel = Annotated[
    str | None,
    typer.Option(
        help="Model whose tokenizer counts the token budget [env DIGEST_MODEL; default "
        "gpt-4.1-mini]."
    ),
]
Prompt = Annotated[
    str | None, typer.Option(help="Prompt, e.g. summarize or summarize@v1 [default: newest].")
]
Concurrency = Annotated[int | None, typer.Option(min=1, help="LLM calls in flight [default 32].")]
MaxCost = Annotated[float | None, typer.Option(help="Stop starting papers after this many USD.")]
StructuredOutput = Annotated[str | None, typer.Option(help="json_schema, json_object or auto.")]
Budget = Annotated[
    int | None, typer.Option(min=100, help="Token budget of a paper's text [default 12000].")
]
Faithfulness = Annotated[
    str | None,
    typer.Option(
        help="review, flag or off: what a number or name not in the paper does "
        "[env DIGEST_FAITHFULNESS; default review]."
    ),
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show details and tracebacks.")]


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"korean-daily-papers {__version__}")
        raise typer.Exit()


Version = Annotated[
    bool,
    typer.Option(
        "--version", is_eager=True, expose_value=True, callback=_print_version,
        help="Print the version and exit.",
    ),
]

SETTING_OF = {
    "data_dir": "data_dir",
    "model": "model",
    "prompt": "prompt",
    "concurrency": "concurrency",
    "max_cost": "max_cost_usd",
    "structured_output": "structured_output",
    "budget": "token_budget",
    "faithfulness": "faithfulness",
}
"""Option name -> Settings field, for the options that are settings."""


# ---- options given before the command name ------------------------------------------------------
def pass_down(ctx: typer.Context) -> None:
    """In the root callback, before a command runs: hand the options given before the command
    name to it, refusing any it does not take."""
    name = ctx.invoked_subcommand or ""
    assert isinstance(ctx.command, TyperGroup)
    command = ctx.command.get_command(ctx, name)
    takes = {p.name for p in command.params} if command else set()
    given = {k: v for k, v in ctx.params.items() if _on_command_line(ctx, k)}
    for option in given:
        if option not in takes:
            flag = "--" + option.replace("_", "-")
            usage = UsageError(f"{flag} is not an option of '{name}' (see run.py {name} --help)")
            fail(usage, verbose=False)
    ctx.obj = {"given": given}


def _on_command_line(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def own_or_given(ctx: typer.Context, values: dict[str, Any]) -> dict[str, Any]:
    """A command's option values, with those given only before the command name filled in."""
    given: dict[str, Any] = (ctx.obj or {}).get("given", {})
    return {
        name: given[name] if name in given and not _on_command_line(ctx, name) else value
        for name, value in values.items()
    }


def settings_for(ctx: typer.Context, **values: Any) -> Settings:
    """Settings from the environment, overridden by the options the user gave."""
    merged = own_or_given(ctx, values)
    return make_settings(**{SETTING_OF[k]: v for k, v in merged.items() if k in SETTING_OF})


def make_settings(**overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    export_dotenv_openai()
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        # Named as the setting and as its variable: a value the flags did not check (typer
        # checks most) came from the environment.
        name = where if where.isupper() else f"{where} (DIGEST_{where.upper()})"
        value = f" (got {first['input']!r})" if "input" in first else ""
        raise UsageError(f"invalid setting {name}: {first.get('msg')}{value}") from exc


# ---- around every command -----------------------------------------------------------------------
def setup_logging(verbose: bool) -> None:
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
    code = exc.exit_code if isinstance(exc, DigestError) else ExitCode.FATAL
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code)


@contextmanager
def reported(ctx: typer.Context, verbose: bool) -> Iterator[bool]:
    """Around a command's work: logging set up, a DigestError as one line and its exit code,
    Ctrl-C as a hint to resume. Yields the effective --verbose."""
    verbose = bool(own_or_given(ctx, {"verbose": verbose})["verbose"])
    setup_logging(verbose)
    try:
        yield verbose
    except DigestError as exc:
        fail(exc, verbose)
    except KeyboardInterrupt:
        typer.echo("interrupted: run the same command again to resume", err=True)
        raise typer.Exit(ExitCode.INTERRUPTED) from None


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
