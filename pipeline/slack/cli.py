"""``run.py slack --date D [--repost]``: parsing and printing only."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import typer

from ..core import cliopts as o
from ..core.config import Settings
from ..core.wording import plural


def slack_line(date: dt.date, posted: int, already: int) -> str:
    if posted == 0:
        return (
            f"slack: {date} was already posted ({plural(already, 'paper')}); --repost posts it anew"
        )
    there = plural(already, "paper was", "papers were")
    return f"slack: {date} posted {plural(posted, 'message')} ({there} already in the thread)"


def slack(
    ctx: typer.Context,
    date: o.Date = None,
    data_dir: o.DataDir = None,
    repost: Annotated[
        bool, typer.Option("--repost", help="Post the day again, in a new thread.")
    ] = False,
    verbose: o.Verbose = False,
) -> None:
    """Post a day's digest to Slack: the day, then one thread reply per paper."""
    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir)
        day = o.parse_date(o.own_or_given(ctx, {"date": date})["date"])
        typer.echo(post_line(settings, day, repost=repost))


def post_line(settings: Settings, day: dt.date, *, repost: bool = False) -> str:
    from ..store import Store
    from .post import post_day

    result = asyncio.run(post_day(Store(settings.data_dir), settings, day, repost=repost))
    return slack_line(day, result.posted, result.already)


def register(app: typer.Typer) -> None:
    app.command()(slack)
