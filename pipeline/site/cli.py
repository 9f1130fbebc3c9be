"""``run.py site --out DIR``: parsing and printing only; the site is built lazily, so the
command group does not import Jinja2 at start."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core import cliopts as o


def site(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Folder to write the site into.")],
    data_dir: o.DataDir = None,
    site_url: Annotated[
        str | None,
        typer.Option(help="Public URL of the site, for the feed's links [env DIGEST_SITE_URL]."),
    ] = None,
    feed_days: Annotated[int, typer.Option(min=1, help="Days in the feed.")] = 7,
    verbose: o.Verbose = False,
) -> None:
    """Write the static site: an index of days, a page per day, an Atom feed (feed.xml)."""
    from ..core.errors import StoreError
    from ..core.wording import plural
    from ..store import Store
    from .build import build_site, load_editions, write_site

    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir)
        editions = load_editions(Store(settings.data_dir))
        if not editions:
            # A cron job pointed at the wrong folder must not publish an empty index.
            raise StoreError(
                f"no day with a digest in {settings.data_dir}: nothing to publish "
                "(point --data-dir or DIGEST_DATA_DIR at the nightly job's data dir)",
                settings.data_dir,
            )
        files = build_site(
            editions,
            site_url=site_url or settings.site_url,
            media_base=settings.hf_endpoint,
            feed_days=feed_days,
        )
        written = write_site(out, files)
    days = plural(len(editions), "day")
    typer.echo(f"site: {days}, {len(written)} of {plural(len(files), 'file')} written to {out}")


def register(app: typer.Typer) -> None:
    app.command()(site)
