"""The prompt lab's commands: parsing and printing only (the work is in ``pipeline.lab``).

.venv/bin/python run.py evalset create NAME --date D [--date D2] [--ids ID,ID] [--budget N]
.venv/bin/python run.py evalset list | evalset show NAME
.venv/bin/python run.py eval NAME --prompts summarize@v1,summarize@v2 [--model M[,M2]] [--json]
                                  [--fail-if-worse] [--judge MODEL] [--offline]
                                  [--faithfulness review|flag|off]
.venv/bin/python run.py prompts list | prompts new NAME | prompts lock NAME@vN
.venv/bin/python run.py prompts diff NAME@vA NAME@vB
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..core import cliopts as o
from ..core.errors import ExitCode, UsageError
from ..core.wording import clip, plural

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..core.config import Settings
    from ..stages.llm import LLM
    from ..stages.openai_llm import OpenAILLM
    from .outcomes import EvalReport
    from .run import EvalRequest
    from .sets import EvalSetManifest

evalset_app = typer.Typer(
    help="Frozen sets of papers to compare prompt versions on.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@evalset_app.callback()
def _evalset_group(
    ctx: typer.Context, data_dir: o.DataDir = None, verbose: o.Verbose = False
) -> None:
    """Frozen sets of papers to compare prompt versions on."""
    # Options given here or before 'evalset' reach the command after it.
    given = dict((ctx.obj or {}).get("given", {}))
    for name in ("data_dir", "verbose"):
        source = ctx.get_parameter_source(name)
        if source is not None and source.name == "COMMANDLINE":
            given[name] = ctx.params[name]
    ctx.obj = {"given": given}


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@evalset_app.command("create")
def evalset_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The set's name (a new one: sets never change).")],
    date: Annotated[
        list[str], typer.Option("--date", help="A day whose papers to freeze (repeatable).")
    ],
    ids: Annotated[
        str | None, typer.Option(help="Only these arXiv ids, comma-separated, in this order.")
    ] = None,
    data_dir: o.DataDir = None,
    budget: o.Budget = None,
    model: o.TokenizerModel = None,
    verbose: o.Verbose = False,
) -> None:
    """Freeze the papers of one or more days: listing data, the text the model sees, abstract."""
    from ..core.progress import StageProgress
    from ..store import Store
    from .evalset import create_set

    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir, budget=budget, model=model)
        dates = [o.parse_date(d) for d in date]
        with StageProgress() as progress:
            manifest = asyncio.run(
                create_set(
                    Store(settings.data_dir), settings, name, dates, _csv(ids) or None, progress
                )
            )
    for line in _set_lines(manifest):
        typer.echo(line)


@evalset_app.command("list")
def evalset_list(
    ctx: typer.Context, data_dir: o.DataDir = None, verbose: o.Verbose = False
) -> None:
    """The eval sets in the data dir."""
    from ..store import Store
    from .evalset import list_sets

    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir)
        sets = list_sets(Store(settings.data_dir))
    if not sets:
        typer.echo("no eval sets yet: make one with 'run.py evalset create NAME --date D'")
    for m in sets:
        dates = ", ".join(d.isoformat() for d in m.dates)
        typer.echo(
            f"{m.name}  {plural(len(m.papers), 'paper')}  {dates}  budget {m.token_budget}  "
            f"extractor {m.extractor_version}  {m.set_hash[:12]}  made {m.created_at:%Y-%m-%d}"
        )


@evalset_app.command("show")
def evalset_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The set's name.")],
    data_dir: o.DataDir = None,
    verbose: o.Verbose = False,
) -> None:
    """A set's manifest and papers."""
    from ..store import Store
    from .evalset import load_set

    with o.reported(ctx, verbose):
        settings = o.settings_for(ctx, data_dir=data_dir)
        manifest, _ = load_set(Store(settings.data_dir), name)
    for line in _set_lines(manifest):
        typer.echo(line)


def _set_lines(m: EvalSetManifest) -> list[str]:
    lines = [
        f"eval set {m.name}: {plural(len(m.papers), 'paper')} from {', '.join(map(str, m.dates))}",
        f"  set hash {m.set_hash}",
        f"  budget {m.token_budget} tokens ({m.tokenizer}), extractor {m.extractor_version}, "
        f"made {m.created_at:%Y-%m-%d %H:%M} UTC",
    ]
    for e in m.papers:
        flags = f"  [{', '.join(e.input_flags)}]" if e.input_flags else ""
        lines.append(
            f"  {e.arxiv_id}  {e.date}  {e.input_source} {e.input_tokens} tokens  "
            f"{clip(e.title, 60)}{flags}"
        )
    return lines


def eval_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The eval set.")],
    prompts: Annotated[
        str,
        typer.Option(help="Prompt versions, comma-separated; the first is the baseline."),
    ],
    model: Annotated[
        str | None,
        typer.Option(help="Model(s), comma-separated [env DIGEST_MODEL; default gpt-4.1-mini]."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    fail_if_worse: Annotated[
        bool,
        typer.Option(
            "--fail-if-worse",
            help="Exit 3 when a candidate is worse, or fails a paper the baseline passes.",
        ),
    ] = False,
    judge: Annotated[
        str | None, typer.Option(help="A model to judge each candidate against the baseline.")
    ] = None,
    judge_prompt: Annotated[
        str,
        typer.Option(
            help="The judge's prompt, e.g. judge@v1 [default: judge, its newest version].",
            show_default=False,
        ),
    ] = "judge",
    offline: Annotated[
        bool, typer.Option("--offline", help="Only cached replies; never call the LLM.")
    ] = False,
    faithfulness: o.Faithfulness = None,
    data_dir: o.DataDir = None,
    concurrency: o.Concurrency = None,
    structured_output: o.StructuredOutput = None,
    verbose: o.Verbose = False,
) -> None:
    """Compare prompt versions (and models) on a frozen eval set, paired paper by paper."""
    from .report import gate_failures
    from .run import EvalRequest

    with o.reported(ctx, verbose):
        models = _csv(model)
        settings = o.settings_for(
            ctx,
            data_dir=data_dir,
            model=models[0] if models else None,
            concurrency=concurrency,
            structured_output=structured_output,
            faithfulness=faithfulness,
        )
        request = EvalRequest(
            evalset=name,
            prompts=_csv(prompts),
            models=models or [settings.model],
            judge_model=judge,
            judge_prompt=judge_prompt,
        )
        if not request.prompts:
            raise UsageError("--prompts needs at least one prompt version, e.g. summarize@v1")
        report, paths = asyncio.run(_eval(settings, request, offline, warn=_warn))
    failures = gate_failures(report) if fail_if_worse else []
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        for line in _report_lines(report):
            typer.echo(line)
    for reason in failures:
        typer.echo(f"--fail-if-worse: {reason}", err=as_json)
    last = f"report: {paths[-1]} (and {paths[0].name})"
    typer.echo(last, err=as_json)
    raise typer.Exit(ExitCode.ATTENTION if failures else ExitCode.OK)


def _warn(line: str) -> None:
    typer.echo(f"warning: {line}", err=True)


async def _eval(
    settings: Settings, request: EvalRequest, offline: bool, *, warn: Callable[[str], None]
) -> tuple[EvalReport, list[Path]]:
    """The eval run and its report files; ``warn`` prints a warning line as it is found (before
    the run, which may take long)."""
    from ..core.progress import StageProgress
    from ..stages.openai_llm import OpenAILLM
    from ..stages.prompts import load_prompt
    from ..store import Store
    from .evalset import require_set
    from .judge import JudgeLLM
    from .run import OfflineLLM, run_eval, write_report

    store = Store(settings.data_dir)
    async with AsyncExitStack() as stack:
        judge_llm: JudgeLLM | None = None
        llms: dict[str, LLM]
        # What needs no LLM is checked before any client is made or any endpoint asked.
        require_set(store, request.evalset)
        for spec in [*request.prompts, *([request.judge_prompt] if request.judge_model else [])]:
            load_prompt(settings.prompts_dir, spec)
        if offline:
            llms = {m: OfflineLLM(m) for m in request.models}
            judge_llm = OfflineLLM(request.judge_model) if request.judge_model else None
        else:
            _require_llm(settings)
            clients = {
                m: await stack.enter_async_context(OpenAILLM.from_settings(settings, m))
                for m in dict.fromkeys([*request.models, *filter(None, [request.judge_model])])
            }
            await _check_models(clients, request, warn)
            llms = {m: clients[m] for m in request.models}
            judge_llm = clients[request.judge_model] if request.judge_model else None
        with StageProgress() as progress:
            report = await run_eval(store, settings, request, llms, judge_llm, progress)
    return report, write_report(store, report)


async def _check_models(
    clients: Mapping[str, OpenAILLM], request: EvalRequest, warn: Callable[[str], None]
) -> None:
    """Every --model and the --judge against the server before any call, as the night checks
    its model: a wrong key or URL, or a model OpenAI does not have, stops the eval at once with
    one line naming the option; a model a server does not list is one warning line each, then
    the eval goes on (a local server may answer any name: llama.cpp lists a file path). A model
    the server then refuses stops the eval at its first call, with one line."""
    from ..core.errors import LLMConfigError

    named = [("--model", m) for m in request.models]
    named += [("--judge", request.judge_model)] if request.judge_model else []
    for flag, model in named:
        try:
            found = await clients[model].check(flag)
        except LLMConfigError as exc:
            raise LLMConfigError(
                exc.service, exc.url, f"{flag} {model}: {exc.problem}", f"check {flag}"
            ) from exc
        for warning in found:
            warn(f"{flag} {model}: {warning}")


def _require_llm(settings: Settings) -> None:
    if not settings.openai_api_key and not settings.openai_base_url:
        raise UsageError(
            "no LLM configured: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL for a local "
            "OpenAI-compatible server; or use --offline to replay cached replies only"
        )


def _report_lines(report: EvalReport) -> list[str]:
    calls = sum(v.llm_calls for v in report.versions.values())
    cost = sum(v.cost_usd for v in report.versions.values())
    lines = [
        f"eval {report.evalset}: {plural(report.papers, 'paper')} x "
        f"{plural(len(report.versions), 'version')}; {plural(calls, 'LLM call')} this run; "
        f"the summaries cost ${cost:.4f} in all (cached ones at the price of their first call)"
    ]
    policy = report.manifest.params.get("faithfulness")
    if policy:
        lines.append(f"  judged as the night judges, faithfulness policy {policy}")
    for label, v in report.versions.items():
        role = " (baseline)" if label == report.baseline else ""
        lines.append(
            f"  {label}{role}: {v.passed} passed, {v.needs_review} need review, {v.failed} "
            f"failed, {v.flagged} flagged; re-asks {v.form_reasks} form, "
            f"{v.faithfulness_reasks} faithfulness; {v.prompt_tokens}+{v.completion_tokens} "
            f"tokens, ${v.cost_usd:.4f}; latency p50 {v.latency_p50_s:.2f}s "
            f"p95 {v.latency_p95_s:.2f}s"
        )
    for c in report.comparisons:
        lines.append(
            f"  {c.candidate} vs {c.baseline}: {c.verdict} ({c.wins} wins, {c.losses} losses, "
            f"{c.ties} ties; sign test p = {c.p_value:.4g})"
        )
        if c.verdict == "no significant difference":
            lines.append(f"    {c.detectable}")
    for j in report.judge:
        if not j.votes:
            lines.append(
                f"  judge {j.judge_model}: 0 pairs judged ({j.candidate} vs {j.baseline}: no "
                "paper where both wrote a summary)"
            )
            continue
        rate = "no consistent preference" if j.win_rate is None else f"{j.win_rate:.0%}"
        lines.append(
            f"  judge {j.judge_model}: {j.candidate} preferred {j.candidate_wins}, "
            f"{j.baseline} preferred {j.baseline_wins} ({rate}, 95% CI "
            f"{j.ci_low:.0%}-{j.ci_high:.0%}); {len(j.votes)} pairs judged, {j.ties} ties, "
            f"{j.inconsistent} inconsistent"
        )
    return lines


prompts_app = typer.Typer(
    help="Prompt versions: list them, start a new one, lock it, diff two.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@prompts_app.callback()
def _prompts_group(
    ctx: typer.Context, data_dir: o.DataDir = None, verbose: o.Verbose = False
) -> None:
    """Prompt versions: list them, start a new one, lock it, diff two."""
    _evalset_group(ctx, data_dir, verbose)  # the same: options before the command reach it


def _prompts_dir(ctx: typer.Context) -> Path:
    return o.settings_for(ctx).prompts_dir


@prompts_app.command("list")
def prompts_list(ctx: typer.Context, verbose: o.Verbose = False) -> None:
    """Every prompt version: locked or not, the default, the start of its hash."""
    from .versions import version_infos

    with o.reported(ctx, verbose):
        infos = version_infos(_prompts_dir(ctx))
    for info in infos:
        default = "  default" if info.default else ""
        changed = "  CHANGED since locked: restore it" if info.state == "changed" else ""
        typer.echo(
            f"{info.name}@{info.version}  {info.state:<8}  {info.content_hash[:12]}"
            f"{default}{changed}"
        )


@prompts_app.command("new")
def prompts_new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The prompt, e.g. summarize.")],
    verbose: o.Verbose = False,
) -> None:
    """Copy the newest version to the next number, unlocked, and print its path."""
    from .versions import new_version

    with o.reported(ctx, verbose):
        path = new_version(_prompts_dir(ctx), name)
    typer.echo(str(path))


@prompts_app.command("lock")
def prompts_lock(
    ctx: typer.Context,
    spec: Annotated[str, typer.Argument(help="The version to lock, e.g. summarize@v3.")],
    verbose: o.Verbose = False,
) -> None:
    """Record a version's hash in versions.lock: from then on it never changes."""
    from .versions import lock_version

    with o.reported(ctx, verbose):
        line, added = lock_version(_prompts_dir(ctx), spec)
    typer.echo(f"locked: {line}" if added else f"already locked: {line}")


@prompts_app.command("diff")
def prompts_diff(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="e.g. summarize@v2")],
    new: Annotated[str, typer.Argument(help="e.g. summarize@v3")],
    verbose: o.Verbose = False,
) -> None:
    """A unified diff of two versions' files."""
    from .versions import diff_versions

    with o.reported(ctx, verbose):
        lines = diff_versions(_prompts_dir(ctx), old, new)
    for line in lines or [f"{old} and {new} are identical"]:
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
    app.add_typer(evalset_app, name="evalset")
    app.add_typer(prompts_app, name="prompts")
