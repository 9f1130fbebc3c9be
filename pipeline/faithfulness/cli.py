"""``run.py check``: are a summary's numbers and names in the paper, and is it about this paper?

    run.py check --summary S.json --source PAPER.pdf|TEXT.txt [--json]
    run.py check --jsonl IN.jsonl          one JSON line out per line in, in order
    run.py check --date 2024-06-13 [--json]  re-check a finished night's summaries

Exit codes: 0 every input was checked (flags or not), 2 bad usage, 1 some source could not be
read (the other inputs are still checked and printed).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from ..core import cliopts as o
from ..core.errors import DigestError, ExitCode, UsageError
from ..core.models import Flag, Summary
from ..core.wording import clip

if TYPE_CHECKING:
    from ..core.config import Settings

SummaryIn = Summary | str


def check(
    ctx: typer.Context,
    summary: Annotated[
        Path | None,
        typer.Option(
            help="A summary: JSON with whats_new/technical_details/"
            "performance_highlights, or a JSON string."
        ),
    ] = None,
    source: Annotated[
        Path | None, typer.Option(help="The paper: a .pdf, or a text file (UTF-8).")
    ] = None,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            help='Many checks: lines of {"id", "summary", "source"}; prints one JSON '
            "line per input line."
        ),
    ] = None,
    date: o.Date = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    data_dir: o.DataDir = None,
    model: o.TokenizerModel = None,
    budget: o.Budget = None,
    verbose: o.Verbose = False,
) -> None:
    """Check a summary's numbers and names against the paper, and that it is this paper's."""
    modes = [summary is not None or source is not None, jsonl is not None, date is not None]
    with o.reported(ctx, verbose):
        if sum(modes) != 1 or (modes[0] and (summary is None or source is None)):
            raise UsageError(
                "give --summary S.json with --source PAPER, or --jsonl IN.jsonl, or --date D"
            )
        settings = o.settings_for(ctx, data_dir=data_dir, model=model, budget=budget)
        if jsonl is not None:
            code = _check_jsonl(jsonl, settings)
        elif date is not None:
            code = _check_date(o.parse_date(date), settings, as_json)
        else:
            assert summary is not None and source is not None
            code = _check_one(summary, source, settings, as_json)
    raise typer.Exit(code)


def flag_json(flag: Flag) -> dict[str, Any]:
    from . import flag_kind

    return {"kind": flag_kind(flag), "section": flag.section, "span": flag.span,
            "message": flag.detail}  # fmt: skip


def flag_line(flag: Flag) -> str:
    from . import flag_kind

    where = flag.section or "summary"
    return f"  {flag_kind(flag)} in {where}: {flag.span or '-'}: {flag.detail}"


def parse_summary(value: Any) -> SummaryIn:
    """A summary as the CLI accepts it: the three sections, or one string."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise ValueError("a summary is a JSON object with the three sections, or a string")
    try:
        return Summary.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "summary"
        raise ValueError(f"{where}: {first.get('msg')}") from exc


def _check_one(summary_path: Path, source_path: Path, settings: Settings, as_json: bool) -> int:
    from . import check_summary
    from .sources import file_source

    try:
        raw = json.loads(summary_path.read_text(encoding="utf-8"))
        summary = parse_summary(raw)
    except OSError as exc:
        raise UsageError(f"cannot read --summary {summary_path}: {exc.strerror}") from exc
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise UsageError(f"--summary {summary_path} is not a summary: {exc}") from exc
    flags = check_summary(summary, file_source(source_path, settings))
    if as_json:
        typer.echo(_json_line({"id": str(summary_path), "flags": [flag_json(f) for f in flags]}))
    else:
        _print_flags(str(summary_path), flags)
    return ExitCode.OK


def _check_jsonl(path: Path, settings: Settings) -> int:
    from . import check_summary
    from .sources import file_source

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read --jsonl {path}: {exc.strerror}") from exc
    code = ExitCode.OK
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        ident: Any = None
        try:
            item = json.loads(line)
            ident = item.get("id") if isinstance(item, dict) else None
            summary, source = _item(item)
            flags = check_summary(summary, file_source(_resolve(source, path), settings))
        except (ValueError, DigestError) as exc:
            code = ExitCode.FATAL
            typer.echo(_json_line({"id": ident, "error": f"line {number}: {exc}"}))
            continue
        typer.echo(_json_line({"id": ident, "flags": [flag_json(f) for f in flags]}))
    return code


def _item(item: Any) -> tuple[SummaryIn, str]:
    if not isinstance(item, dict) or "summary" not in item or "source" not in item:
        raise ValueError('expected {"id": ..., "summary": ..., "source": "<path>"}')
    if not isinstance(item["source"], str):
        raise ValueError("source must be a path to a .pdf or text file")
    return parse_summary(item["summary"]), item["source"]


def _resolve(source: str, jsonl: Path) -> Path:
    """A relative source path is taken from the current folder, else from the JSONL's folder."""
    path = Path(source)
    if path.is_absolute() or path.exists():
        return path
    beside = jsonl.parent / path
    return beside if beside.exists() else path


def _check_date(date: dt.date, settings: Settings, as_json: bool) -> int:
    from ..store import Store
    from . import check_summary
    from .sources import paper_source, stored_extraction

    store = Store(settings.data_dir)
    records = [r for r in store.day_records(date) if r.summary or r.draft]
    if not records:
        raise UsageError(f"{date}: no finished summaries in {settings.data_dir}")
    for record in records:
        text = record.summary or record.draft
        assert text is not None
        index = paper_source(record.paper, stored_extraction(store, settings, record))
        flags = check_summary(text, index)
        ident = record.paper.arxiv_id
        if as_json:
            typer.echo(_json_line({"id": ident, "flags": [flag_json(f) for f in flags]}))
        else:
            _print_flags(f"{ident} ({record.status}) {clip(record.paper.title, 60)}", flags)
    return ExitCode.OK


def _print_flags(label: str, flags: list[Flag]) -> None:
    if not flags:
        typer.echo(f"{label}: no flags (every number and name was found in the paper)")
        return
    typer.echo(f"{label}: {len(flags)} flag{'s' if len(flags) > 1 else ''}")
    for flag in flags:
        typer.echo(flag_line(flag))


def _json_line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


def register(app: typer.Typer) -> None:
    app.command()(check)
