"""``.venv/bin/python run.py review ...``: the review app and its command-line twins.

Parsing and printing only; the work is in ``editorial``, ``publish`` and ``serve``. A refused
action prints one line and exits 1.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..core import cliopts as o
from ..core.errors import ReviewRefused, UsageError
from ..core.wording import plural
from .ids import parse_arxiv_id, parse_day

if TYPE_CHECKING:
    from .actions import Done
    from .editorial import Editorial
    from .models import PaperState

review_app = typer.Typer(
    help="Review the night's drafts and publish the day.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Editor = Annotated[
    str | None, typer.Option("--editor", help="Your name in the history [default: OS user].")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Day = Annotated[str, typer.Argument(help="The day (YYYY-MM-DD).", show_default=False)]
ArxivId = Annotated[str, typer.Argument(help="The paper's arXiv id, e.g. 2406.12345.")]


@review_app.callback()
def review(ctx: typer.Context, data_dir: o.DataDir = None, verbose: o.Verbose = False) -> None:
    """Review the night's drafts and publish the day."""
    # Options given here (or before 'review') reach every review command.
    given = dict((ctx.obj or {}).get("given", {}))
    for name, value in (("data_dir", data_dir), ("verbose", verbose)):
        source = ctx.get_parameter_source(name)
        if source is not None and source.name == "COMMANDLINE":
            given[name] = value
    ctx.obj = {"given": given}


def _editor(name: str | None) -> str:
    return name or getpass.getuser()


@contextmanager
def _day(
    ctx: typer.Context,
    data_dir: Path | None,
    verbose: bool,
    date: str,
    *,
    write: bool = True,
    arxiv_id: str | None = None,
) -> Iterator[tuple[Editorial, dt.date]]:
    """The editorial state with a pending night of the day brought in; a DigestError becomes
    one line and its exit code. ``write=False`` (list, show): the file is never created or
    changed, a pending night is read into a copy in memory."""
    from ..store import Store
    from .faithful import open_editorial

    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir)
        day = parse_day(date)
        if arxiv_id is not None:
            parse_arxiv_id(arxiv_id)
        editorial = open_editorial(Store(settings.data_dir), settings, readonly=not write)
        try:
            editorial.open_day(day)
            yield editorial, day
        finally:
            editorial.close()


def _act(
    ctx: typer.Context,
    data_dir: Path | None,
    verbose: bool,
    date: str,
    arxiv_id: str,
    kind: str,
    editor: str | None,
    base: int | None,
    *,
    section_file: tuple[str, Path] | None = None,
    **fields: Any,
) -> Done:
    """Perform one editor's action through ``actions.perform``, the function the web app
    calls too. ``section_file`` (edit) is read inside the error reporting: a bad file is one
    line as well."""
    from .actions import Action, Kind, perform

    with _day(ctx, data_dir, verbose, date, arxiv_id=arxiv_id) as (editorial, day):
        if section_file is not None:
            fields["sections"] = {section_file[0]: _read_text(section_file[1])}
        action = Action(kind=Kind(kind), editor=_editor(editor), base=base, **fields)
        return perform(editorial, day, arxiv_id, action)


def _acted(done: Done) -> str:
    """Without --base the line names the revision acted on and its author, so a script learns
    what it approved (a save landing meanwhile is a conflict, never a surprise)."""
    if done.acted_on_author is None:
        return ""
    return f" (acted on revision {done.acted_on} by {done.acted_on_author}; --base N pins one)"


def paper_summary(p: PaperState) -> dict[str, Any]:
    return {
        "arxiv_id": p.arxiv_id,
        "title": p.paper.title,
        "state": p.state.value,
        "status": p.night_status,
        "revision": p.current,
        "flags": [f.model_dump(mode="json", exclude_none=True) for f in p.current_flags],
    }


def paper_detail(p: PaperState) -> dict[str, Any]:
    current = p.current_revision
    return {
        "date": p.date.isoformat(),
        **paper_summary(p),
        "reason": p.reason,
        "decided_by": p.updated_by if p.state.decided else None,
        "sections": current.summary.model_dump() if current else None,
        "revisions": [r.model_dump(mode="json") for r in p.revisions],
        "events": [e.model_dump(mode="json") for e in p.events],
    }


@review_app.command("list")
def list_(
    ctx: typer.Context,
    date: Day,
    as_json: AsJson = False,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """The day's papers in vote order with their editorial state."""
    with _day(ctx, data_dir, verbose, date, write=False) as (editorial, day):
        papers = editorial.day(day)
        if not papers:
            raise ReviewRefused(
                f"no papers for {day} in {editorial.store.root}: run the night first"
            )
    if as_json:
        out = {"date": day.isoformat(), "papers": [paper_summary(p) for p in papers]}
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for p in papers:
        flags = ",".join(f.code for f in p.current_flags) or "-"
        line = f"{p.arxiv_id}  {p.state.value:<12} rev {p.current}  {flags:<18} {p.paper.title}"
        typer.echo(line)


@review_app.command()
def show(
    ctx: typer.Context,
    date: Day,
    arxiv_id: ArxivId,
    as_json: AsJson = False,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """One paper: state, current sections and its revisions."""
    with _day(ctx, data_dir, verbose, date, write=False, arxiv_id=arxiv_id) as (editorial, day):
        p = editorial.paper(day, arxiv_id)
    detail = paper_detail(p)
    if as_json:
        typer.echo(json.dumps(detail, ensure_ascii=False, indent=2))
        return
    decided = f" by {p.updated_by}" if p.state.decided else ""
    typer.echo(f"{p.paper.title}\n{p.arxiv_id}  {p.state.value}{decided}  revision {p.current}")
    if p.reason:
        typer.echo(f"reason: {p.reason}")
    for name, text in (detail["sections"] or {}).items():
        typer.echo(f"\n[{name}]\n{text}")
    typer.echo(
        "\nrevisions: "
        + ", ".join(
            f"{r.number} {r.origin.value} by {r.author}"
            + (f" ({r.candidate.value} candidate)" if r.candidate else "")
            for r in p.revisions
        )
    )


@review_app.command()
def edit(
    ctx: typer.Context,
    date: Day,
    arxiv_id: ArxivId,
    section: Annotated[
        str, typer.Option(help="whats_new, technical_details or performance_highlights.")
    ],
    text_file: Annotated[Path, typer.Option(help="UTF-8 file with the new text ('-': stdin).")],
    base: Annotated[
        int | None,
        typer.Option(
            help="The revision you edited: refused if this section changed since "
            "(other sections' changes are kept)."
        ),
    ] = None,
    editor: Editor = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Replace one section's text (checked like the model's output)."""
    done = _act(
        ctx,
        data_dir,
        verbose,
        date,
        arxiv_id,
        "edit",
        editor,
        base,
        section_file=(section, text_file),
    )
    p = done.paper
    typer.echo(f"{arxiv_id}: saved revision {p.current} ({p.state.value}){_acted(done)}")


def _read_text(path: Path) -> str:
    """At most a little over the longest section the validator takes: a wrong file
    (/dev/zero, a PDF) is refused after reading a few KB, not after filling memory."""
    import sys

    from ..stages.validate import MAX_CHARS

    limit = MAX_CHARS * 8  # bytes: UTF-8 Korean is 3 bytes a character, plus slack
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with path.open("rb") as f:
                data = f.read(limit + 1)
        if len(data) > limit:
            raise UsageError(
                f"--text-file {path} is longer than one section may be "
                f"({MAX_CHARS} characters); nothing saved"
            )
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read --text-file {path}: {exc}") from exc


Base = Annotated[
    int | None,
    typer.Option(help="The revision you reviewed: refused if the paper has moved on since."),
]


Candidate = Annotated[
    int, typer.Argument(help="The pending candidate's revision number (see 'review show').")
]
Earlier = Annotated[
    int, typer.Argument(help="The earlier revision whose text comes back (see 'review show').")
]


@review_app.command()
def approve(
    ctx: typer.Context,
    date: Day,
    arxiv_id: ArxivId,
    base: Base = None,
    editor: Editor = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Approve the current text for publication."""
    done = _act(ctx, data_dir, verbose, date, arxiv_id, "approve", editor, base)
    typer.echo(f"{arxiv_id}: approved revision {done.paper.current}{_acted(done)}")


@review_app.command()
def exclude(
    ctx: typer.Context,
    date: Day,
    arxiv_id: ArxivId,
    reason: Annotated[str, typer.Option(help="Why it is left out.")] = "",
    base: Base = None,
    editor: Editor = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Leave a paper out of the published digest."""
    done = _act(ctx, data_dir, verbose, date, arxiv_id, "exclude", editor, base, reason=reason)
    typer.echo(f"{arxiv_id}: excluded ({done.paper.reason}){_acted(done)}")


@review_app.command()
def accept(
    ctx: typer.Context,
    date: Day,
    arxiv_id: ArxivId,
    number: Candidate,
    base: Base = None,
    editor: Editor = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Make a pending candidate (a regeneration, a later night) the current text.

    A candidate made from an older revision keeps the sections edited since (merged per
    section); when it changes one of them too, it is refused with both texts."""
    done = _act(ctx, data_dir, verbose, date, arxiv_id, "accept", editor, base, number=number)
    p = done.paper
    typer.echo(
        f"{arxiv_id}: accepted candidate {number} as revision {p.current} "
        f"({p.state.value}){_acted(done)}"
    )


@review_app.command()
def discard(
    ctx: typer.Context,
    date: Day,
    arxiv_id: ArxivId,
    number: Candidate,
    base: Base = None,
    editor: Editor = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Set a pending candidate aside; the current text stays (the candidate stays in history)."""
    done = _act(ctx, data_dir, verbose, date, arxiv_id, "discard", editor, base, number=number)
    typer.echo(f"{arxiv_id}: discarded candidate {number}{_acted(done)}")


@review_app.command()
def restore(
    ctx: typer.Context,
    date: Day,
    arxiv_id: ArxivId,
    number: Earlier,
    base: Base = None,
    editor: Editor = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Make an earlier revision's text current again, as a new revision (history only grows)."""
    done = _act(ctx, data_dir, verbose, date, arxiv_id, "restore", editor, base, number=number)
    p = done.paper
    typer.echo(
        f"{arxiv_id}: restored revision {number} as revision {p.current} "
        f"({p.state.value}){_acted(done)}"
    )


@review_app.command()
def publish(
    ctx: typer.Context,
    date: Day,
    editor: Editor = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Write published.md/.json from the approved papers; refused while any is undecided."""
    from .publish import publish_day

    with _day(ctx, data_dir, verbose, date) as (editorial, day):
        pub = publish_day(editorial, day, _editor(editor))
    verb = "unchanged, still" if pub.unchanged else "published"
    papers = plural(pub.papers, "paper")
    typer.echo(f"{pub.date}: {verb} version {pub.version} ({papers}): {pub.path}")


@review_app.command()
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[
        str, typer.Option(help="Bind address; not loopback needs a token.")
    ] = "127.0.0.1",
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser.")
    ] = False,
    allow_host: Annotated[
        list[str] | None, typer.Option(help="Another Host name the app may be reached by.")
    ] = None,
    new_token: Annotated[
        bool, typer.Option("--new-token", help="Replace the access token (non-loopback).")
    ] = False,
    allow_model: Annotated[
        list[str] | None,
        typer.Option(help="Another model regeneration may use (default: --model only)."),
    ] = None,
    editor: Annotated[
        str | None,
        typer.Option(
            "--editor", help="Your name in the history; without it each browser is asked once."
        ),
    ] = None,
    model: o.Model = None,
    prompt: o.Prompt = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Open the review web app in a browser.

    It serves http://127.0.0.1:8765/ by default; --model/--prompt are the defaults offered for
    regeneration."""
    from .serve import serve as run_server

    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir, model=model, prompt=prompt)
        run_server(
            settings,
            editor,
            host,
            port,
            open_browser=not no_browser,
            allow_hosts=allow_host or (),
            allow_models=allow_model or (),
            new_token_=new_token,
            echo=typer.echo,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
