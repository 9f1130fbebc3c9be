"""``run.py batch export`` and ``run.py batch import``: the round trip through an offline
engine (``vllm run-batch``) or any tool that speaks the OpenAI batch format."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from ..core import cliopts as o
from ..core.models import Model
from ..core.wording import plural

if TYPE_CHECKING:
    from ..core.config import Settings
    from ..night.ranges import RangeResult
    from ..stages.prompts import PromptTemplate
    from .plan import Plan
    from .replies import BatchLLM

batch_app = typer.Typer(
    help="Summaries by the batch: export requests, import results (OpenAI / vLLM JSONL).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

From = Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")]
To = Annotated[str | None, typer.Option("--to", help="Last day [default: --from].")]


class ExportNote(Model):
    """What the last export asked with, so that importing its results needs no flags."""

    model: str
    prompt: str
    structured_output: str = "json_schema"
    requests: int
    days: list[dt.date]
    created_at: dt.datetime


@batch_app.command("export")
def export(
    ctx: typer.Context,
    date_from: From,
    out: Annotated[Path, typer.Option(help="The requests file to write (JSONL).")],
    date_to: To = None,
    model: o.Model = None,
    prompt: o.Prompt = None,
    structured_output: Annotated[
        str | None,
        typer.Option(
            help="json_schema (OpenAI, vLLM) or json_object with the schema in the prompt "
            "(a server without json_schema) [default: the last export's, else json_schema]."
        ),
    ] = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Write the summary requests of every paper of the range that needs one. Without
    --model, the last export's model (as ``batch import`` does), so a second export asks the
    same model for what is still missing."""
    from ..core.errors import UsageError
    from ..stages.prompts import load_prompt
    from ..store import Store, atomic_file
    from .replies import BatchLLM

    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir, model=model, prompt=prompt)
        last = Store(settings.data_dir).load_doc(None, "batch", "export", ExportNote)
        if model is None and last is not None:
            settings = o.make_settings(
                **settings.model_dump(exclude={"model"}), model=last.model
            )
        mode = structured_output or (last.structured_output if last else "json_schema")
        if mode not in ("json_schema", "json_object"):
            raise UsageError(f"--structured-output {mode}: use json_schema or json_object")
        today, days = _days(date_from, date_to)
        template = load_prompt(settings.prompts_dir, settings.prompt)
        llm = BatchLLM(settings.model, mode=mode)  # type: ignore[arg-type]
        with atomic_file(out) as lines:
            plan = asyncio.run(_plan(settings, days, template, llm, today, lines))
        note = ExportNote(
            model=settings.model, prompt=f"{template.name}@{template.version}",
            structured_output=mode, requests=plan.requests, days=plan.days,
            created_at=dt.datetime.now(dt.UTC),
        )  # fmt: skip
        Store(settings.data_dir).save_doc(None, "batch", "export", note)
    done = f"; {plural(plan.ready, 'paper')} already summarised" if plan.ready else ""
    reused = " (the last export's)" if model is None and last is not None else ""
    typer.echo(
        f"{plural(plan.requests, 'request')} over {plural(len(plan.days), 'day')} written to "
        f"{out} (model {settings.model}{reused}, prompt {note.prompt}, {mode}){done}"
    )


async def _plan(
    settings: Settings,
    days: list[dt.date],
    template: PromptTemplate,
    llm: BatchLLM,
    today: dt.date,
    out: BinaryIO,
) -> Plan:
    from ..core.progress import StageProgress
    from .plan import plan_requests

    with StageProgress() as progress:
        return await plan_requests(settings, days, template, llm, progress, out=out, today=today)


def _days(first: str, last: str | None) -> tuple[dt.date, list[dt.date]]:
    from ..night.ranges import range_days

    today = dt.datetime.now(dt.UTC).date()
    return today, range_days(o.parse_date(first), o.parse_date(last or first), today)


@batch_app.command("import")
def import_results(
    ctx: typer.Context,
    input_path: Annotated[
        Path, typer.Option("--in", exists=True, dir_okay=False, help="The results file (JSONL).")
    ],
    model: Annotated[
        str | None,
        typer.Option(
            help="The model the results are recorded under [default: the last batch export's, "
            "else DIGEST_MODEL]."
        ),
    ] = None,
    prompt: Annotated[
        str | None,
        typer.Option(
            help="The prompt the requests were made with [default: the last batch export's, "
            "else the newest]."
        ),
    ] = None,
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """Ingest a results file: each day's records, digest and run.json, as a night writes them."""
    from ..night.ranges import total_line
    from ..stages.prompts import load_prompt
    from ..store import Store
    from .jsonl import parse_results
    from .replies import BatchLLM

    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir)
        note = Store(settings.data_dir).load_doc(None, "batch", "export", ExportNote)
        settings = o.make_settings(
            **settings.model_dump(exclude={"model", "prompt"}),
            model=model or (note.model if note else settings.model),
            prompt=prompt or (note.prompt if note else settings.prompt),
        )
        results, problems = parse_results(input_path.read_bytes())
        for problem in problems[:5]:
            typer.echo(f"skipped {problem}", err=True)
        template = load_prompt(settings.prompts_dir, settings.prompt)
        llm = BatchLLM(settings.model, results)
        days = sorted({r.date for r in results})
        failed = sum(r.reply is None for r in results)
        typer.echo(
            f"{input_path}: {plural(len(results), 'result')} ({failed} failed or expired, "
            f"{plural(len(problems), 'unreadable line')}) for {plural(len(days), 'day')}"
        )
        result = asyncio.run(_ingest(settings, days, template, llm))
        typer.echo(total_line(result) if result.days else "nothing to ingest")
    raise typer.Exit(result.exit_code)


async def _ingest(
    settings: Settings, days: list[dt.date], template: PromptTemplate, llm: BatchLLM
) -> RangeResult:
    from ..core.progress import StageProgress
    from .plan import ingest

    today = dt.datetime.now(dt.UTC).date()
    with StageProgress() as progress:
        return await ingest(
            settings, days, template, llm, progress, today=today,
            on_day=lambda day: typer.echo(day.line),
        )  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
