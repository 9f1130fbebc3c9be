"""``run.py demo [--data-dir DIR] [--serve]``: the whole product on a sample day, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core import cliopts as o

DEFAULT_DIR = Path("demo-data")
"""Beside the user's ``./data``, never in it."""


def demo(
    ctx: typer.Context,
    data_dir: Annotated[
        Path,
        typer.Option(
            help="Where the demo day goes; replaced on every run, never your real data "
            "[default: ./demo-data].",
            show_default=False,
        ),
    ] = DEFAULT_DIR,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then open the review app on the demo day.")
    ] = False,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="The review app's port with --serve.")
    ] = 8765,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="With --serve: do not open a browser.")
    ] = False,
    verbose: o.Verbose = False,
) -> None:
    """A complete demo day offline in under a minute: listing, PDFs, extraction, summaries,
    digest, a prompt-lab report and the static site, from three shipped sample papers whose
    Korean answers are replayed by a local server. No API key, no network."""
    from .marks import PREFIX
    from .run import build_demo, result_lines

    # `run.py --data-dir D demo` gives the option before the command name: it counts too.
    data_dir = o.own_or_given(ctx, {"data_dir": data_dir})["data_dir"]
    with o.reported(ctx, verbose):
        result = build_demo(data_dir, typer.echo)
        for line in result_lines(result, str(data_dir), data_dir == DEFAULT_DIR):
            typer.echo(line)
        if serve:
            from .serve import serve_demo

            serve_demo(result.data_dir, result.sample, port, not no_browser, typer.echo)
        elif result.night_exit:
            typer.echo(f"{PREFIX}the night ended with exit {result.night_exit}")


def register(app: typer.Typer) -> None:
    app.command("demo", short_help="The whole product on a sample day, offline, no API key.")(demo)
