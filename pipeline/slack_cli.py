"""``run.py slack --date D [--repost]``: parsing and printing only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .errors import DigestError


def slack_line(date: object, posted: int, already: int) -> str:
    if posted == 0:
        return f"slack: {date} was already posted ({already} papers); --repost posts it anew"
    noun = "message" if posted == 1 else "messages"
    return f"slack: {date} posted {posted} {noun} ({already} papers were already in the thread)"


def slack(
    ctx: typer.Context,
    date: Annotated[
        str | None, typer.Option(help="Day to post (YYYY-MM-DD; default today).")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the digests are kept [default: ./data].")
    ] = None,
    repost: Annotated[
        bool, typer.Option("--repost", help="Post the day again, in a new thread.")
    ] = False,
) -> None:
    """Post a day's digest to Slack: the day, then one thread reply per paper."""
    from .cli import command_context, fail, make_settings, parse_date
    from .slack import post_day
    from .store import Store

    verbose, data_dir = command_context(ctx, data_dir)
    try:
        settings = make_settings(data_dir=data_dir)
        day = parse_date(date)
        result = post_day(Store(settings.data_dir), settings, day, repost=repost)
    except DigestError as exc:
        fail(exc, verbose)
    typer.echo(slack_line(day, result.posted, result.already))
