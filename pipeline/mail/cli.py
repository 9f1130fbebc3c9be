"""``run.py email --date D [--to ADDR ...] [--resend] [--dry-run]``: parsing and printing only."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from ..core import cliopts as o
from ..core.errors import ExitCode
from ..core.wording import plural

if TYPE_CHECKING:
    from ..core.config import Settings
    from .send import MailResult


def mail_lines(date: dt.date, result: MailResult, *, dry_run: bool = False) -> list[str]:
    """What a person reads after a send: refusals one line each, then the day's line."""
    if dry_run:
        if not result.written:
            return [f"email: {date} was already sent to all {result.already}; --resend to write"]
        head = f"email: dry run, nothing sent; {plural(len(result.written), 'message')} to open:"
        return [head, *(str(path) for path in result.written)]
    lines = [f"email: {line}" for line in result.refused]
    if not result.sent and not result.refused:
        lines.append(
            f"email: {date} was already sent to all {plural(result.already, 'recipient')}; "
            "--resend sends it again"
        )
    else:
        lines.append(
            f"email: {date} sent to {plural(len(result.sent), 'recipient')}"
            + (f", {len(result.refused)} not sent" if result.refused else "")
            + (f" ({result.already} had it already)" if result.already else "")
        )
    return lines


def send_lines(
    settings: Settings,
    day: dt.date,
    *,
    to: list[str] | None = None,
    resend: bool = False,
    dry_run: bool = False,
) -> tuple[list[str], int]:
    """Send the day; the lines to print and the exit code (ATTENTION when someone was not sent)."""
    from ..store import Store
    from .send import send_day

    result = asyncio.run(
        send_day(Store(settings.data_dir), settings, day, to=to, resend=resend, dry_run=dry_run)
    )
    code = ExitCode.ATTENTION if result.refused else ExitCode.OK
    return mail_lines(day, result, dry_run=dry_run), code


def email(
    ctx: typer.Context,
    date: o.Date = None,
    data_dir: o.DataDir = None,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="A recipient (repeat it; overrides DIGEST_MAIL_TO)."),
    ] = None,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send the day again to every recipient.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Write the messages as .eml files, send nothing."),
    ] = False,
    verbose: o.Verbose = False,
) -> None:
    """Email a day's digest: one message to each recipient, once."""
    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir)
        day = o.parse_date(o.own_or_given(ctx, {"date": date})["date"])
        lines, code = send_lines(settings, day, to=to or None, resend=resend, dry_run=dry_run)
    for line in lines:
        typer.echo(line)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(email)
