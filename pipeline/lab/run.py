"""Run an eval: every (prompt version x model) on every paper of a frozen set, judged by the
night's own code (``stages.checked.summarize_checked``: the same validation, re-asks, content
policy and LLM cache), bounded by the night's concurrency; then the optional judge; then the
report.

Clients are passed in, one per model, so the CLI decides between a real endpoint and the
offline stand-in that refuses to call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pipeline
from pipeline.core.config import Settings
from pipeline.core.errors import UsageError
from pipeline.core.models import Status, Summary
from pipeline.core.pricing import load_prices, price_for
from pipeline.core.progress import StageProgress
from pipeline.faithfulness import SourceIndex, index_source
from pipeline.faithfulness.policy import Policy
from pipeline.faithfulness.sources import paper_source
from pipeline.stages.checked import CheckedOutcome, summarize_checked
from pipeline.stages.llm import LLM, LLMReply, Messages, Schema
from pipeline.stages.prompts import PromptTemplate, load_prompt
from pipeline.stages.style import paper_terms, section_style
from pipeline.stages.validate import hangul_ratio
from pipeline.store import Store

from .checks import discover, run_checks
from .evalset import load_set
from .html import render_html
from .judge import Judge, JudgeLLM, tally
from .outcomes import (
    EvalReport,
    JudgeSummary,
    JudgeVote,
    PaperOutcome,
    PaperRef,
    PaperStatus,
    RunManifest,
    version_label,
)
from .report import VersionSpec, build_report
from .sets import EvalSetManifest, FrozenPaper

T = TypeVar("T")
_STATUS: dict[Status, PaperStatus] = {
    Status.OK: "passed",
    Status.NEEDS_REVIEW: "needs_review",
    Status.FAILED: "failed",
}


@dataclass
class EvalRequest:
    evalset: str
    prompts: list[str]
    """Prompt specs; the first is the baseline."""
    models: list[str]
    judge_model: str | None = None
    judge_prompt: str = "judge"
    faithfulness: Policy | None = None
    """The content policy to judge under; None: the night's (``settings.faithfulness``)."""

    def policy(self, settings: Settings) -> Policy:
        return self.faithfulness or Policy(settings.faithfulness)


class OfflineLLM:
    """Stands in for a model under ``--offline``: every reply must come from the cache."""

    def __init__(self, model: str) -> None:
        self.model = model

    async def complete(
        self, messages: Messages, params: dict[str, Any], *, schema: Schema | None = None
    ) -> LLMReply:
        raise UsageError(
            f"--offline: a reply of {self.model} is not in the cache (a new prompt, model or "
            "set); run without --offline to ask the LLM"
        )


def git_commit(where: Path) -> str | None:
    """The project's commit, when it is a git checkout and git is installed."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=40"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _specs(
    request: EvalRequest, templates: list[PromptTemplate]
) -> list[tuple[VersionSpec, PromptTemplate]]:
    several = len(request.models) > 1
    out = []
    for template in templates:
        prompt = f"{template.name}@{template.version}"
        for model in request.models:
            label = version_label(prompt, model, several)
            out.append((VersionSpec(label, prompt, template.content_hash, model), template))
    labels = [s.label for s, _ in out]
    if len(set(labels)) != len(labels):
        raise UsageError(f"a version is listed twice: {', '.join(labels)}")
    return out


async def run_eval(
    store: Store,
    settings: Settings,
    request: EvalRequest,
    llms: Mapping[str, LLM],
    judge_llm: JudgeLLM | None = None,
    progress: StageProgress | None = None,
) -> EvalReport:
    """The whole eval; raises a DigestError for what stops it (unknown set or prompt, wrong
    key, --offline with a reply missing)."""
    manifest, papers = load_set(store, request.evalset)
    discover(pipeline)  # content checks other features ship (pipeline/*/lab_checks.py)
    templates = [load_prompt(settings.prompts_dir, spec) for spec in request.prompts]
    judge_template = (
        load_prompt(settings.prompts_dir, request.judge_prompt) if request.judge_model else None
    )
    specs = _specs(request, templates)
    policy = request.policy(settings)
    prices = load_prices(settings.price_file)
    slots = asyncio.Semaphore(settings.concurrency)
    progress = progress or StageProgress(interactive=False)
    for spec, _ in specs:
        progress.start(spec.label, len(papers))

    async def one(spec: VersionSpec, template: PromptTemplate, frozen: FrozenPaper) -> PaperOutcome:
        async with slots:
            outcome = await _summarize(
                store, settings, policy, spec, template, frozen, llms[spec.model], prices
            )
        progress.advance(spec.label, f"{outcome.arxiv_id} ({outcome.status})")
        return outcome

    outcomes = await _all([one(s, t, p) for s, t in specs for p in papers])
    judge: list[JudgeSummary] = []
    if judge_llm is not None and judge_template is not None:
        judge = await _judge_all(
            Judge(judge_llm, judge_template, store), [s for s, _ in specs], papers, outcomes, slots
        )
    run_manifest = _run_manifest(settings, request, manifest, specs, judge_template)
    refs = [
        PaperRef(
            arxiv_id=p.paper.arxiv_id,
            title=p.paper.title,
            input_source=p.input.source,
            input_flags=p.input.flags,
        )
        for p in papers
    ]
    return build_report(run_manifest, [s for s, _ in specs], refs, outcomes, judge)


def write_report(store: Store, report: EvalReport) -> list[Path]:
    """report.json and report.html under the set's evals folder; returns their paths."""
    files = {
        "report.json": report.model_dump_json(indent=2).encode() + b"\n",
        "report.html": render_html(report).encode(),
    }
    return store.save_eval_report(report.evalset, report.run_id, files)


async def _all(jobs: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """Run jobs at once; the first error that stops everything cancels the rest and is raised
    as itself, not as a group."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(job) for job in jobs]
    except BaseExceptionGroup as errors:
        first: BaseException = errors
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from first.__cause__
    return [t.result() for t in tasks]


def frozen_source(frozen: FrozenPaper) -> SourceIndex:
    """What the night checks a paper's numbers and names against (``input_source``), from the
    frozen copy: the full extracted text, else the text the model saw, plus title and abstract."""
    paper, inp, extraction = frozen.paper, frozen.input, frozen.extraction
    if inp.source != "pdf" or extraction is None:
        return paper_source(paper, None)
    return index_source(extraction.full_text or inp.text, paper.title, paper.abstract)


async def _summarize(
    store: Store,
    settings: Settings,
    policy: Policy,
    spec: VersionSpec,
    template: PromptTemplate,
    frozen: FrozenPaper,
    llm: LLM,
    prices: Mapping[str, Any],
) -> PaperOutcome:
    source = None if policy is Policy.OFF else frozen_source(frozen)
    outcome = await summarize_checked(
        frozen.paper, frozen.input, llm, template, policy, source, store=store,
        price=price_for(dict(prices), spec.model), reasks=settings.reasks,
    )  # fmt: skip
    return _outcome(spec.label, frozen, outcome)


def _sections(summary: Summary | None) -> dict[str, str]:
    return summary.model_dump() if summary is not None else {}


def _outcome(version: str, frozen: FrozenPaper, outcome: CheckedOutcome) -> PaperOutcome:
    prov = outcome.provenance
    text = outcome.summary or outcome.draft
    sections = _sections(text)
    terms = paper_terms(frozen.input.text)
    styles = [section_style(t, terms) for t in sections.values()]
    return PaperOutcome(
        arxiv_id=frozen.paper.arxiv_id,
        version=version,
        status=_STATUS[outcome.status],
        reason=outcome.reason,
        reasks=outcome.form_reasks + outcome.faithfulness_reasks,
        form_reasks=outcome.form_reasks,
        faithfulness_reasks=outcome.faithfulness_reasks,
        flags=outcome.flags + (run_checks(text, frozen) if text is not None else []),
        sections=sections,
        hangul_share=round(hangul_ratio(" ".join(sections.values())), 4) if sections else None,
        terms_kept=sum(len(s.kept) for s in styles),
        terms_transliterated=sum(len(s.transliterated) for s in styles),
        prompt_tokens=prov.usage.prompt_tokens if prov else outcome.usage.prompt_tokens,
        completion_tokens=(
            prov.usage.completion_tokens if prov else outcome.usage.completion_tokens
        ),
        cost_usd=prov.cost_usd if prov else None,
        latency_s=prov.latency_s if prov else 0.0,
        llm_calls=outcome.calls,
    )


async def _judge_all(
    judge: Judge,
    specs: list[VersionSpec],
    papers: list[FrozenPaper],
    outcomes: list[PaperOutcome],
    slots: asyncio.Semaphore,
) -> list[JudgeSummary]:
    """Each candidate against the baseline, on the papers where both wrote something."""
    by_key = {(o.arxiv_id, o.version): o for o in outcomes}
    baseline = specs[0].label

    async def vote(frozen: FrozenPaper, candidate: str) -> JudgeVote:
        base = by_key[(frozen.paper.arxiv_id, baseline)]
        cand = by_key[(frozen.paper.arxiv_id, candidate)]
        async with slots:
            return await judge.vote(frozen.paper, frozen.input, base, cand)

    summaries = []
    for spec in specs[1:]:
        judged = [
            p
            for p in papers
            if by_key[(p.paper.arxiv_id, baseline)].sections
            and by_key[(p.paper.arxiv_id, spec.label)].sections
        ]
        votes = await _all([vote(p, spec.label) for p in judged])
        summaries.append(tally(baseline, spec.label, judge.llm.model, judge.spec, votes))
    return summaries


def _run_manifest(
    settings: Settings,
    request: EvalRequest,
    manifest: EvalSetManifest,
    specs: list[tuple[VersionSpec, PromptTemplate]],
    judge_template: PromptTemplate | None,
) -> RunManifest:
    now = dt.datetime.now(dt.UTC)
    return RunManifest(
        evalset=manifest.name,
        set_hash=manifest.set_hash,
        run_id=now.strftime("%Y%m%dT%H%M%S") + f"-{now.microsecond:06d}Z",
        created_at=now,
        git_commit=git_commit(Path(__file__).resolve().parent),
        prompts={s.prompt: s.prompt_hash for s, _ in specs},
        models=list(request.models),
        params={
            "reasks": settings.reasks,
            "faithfulness": request.policy(settings).value,
            "concurrency": settings.concurrency,
            "structured_output": settings.structured_output,
            "token_budget": manifest.token_budget,
            "extractor_version": manifest.extractor_version,
            "prompt_params": {s.prompt: t.params for s, t in specs},
        },
        judge_model=request.judge_model,
        judge_prompt=(
            f"{judge_template.name}@{judge_template.version}" if judge_template else None
        ),
        judge_prompt_hash=judge_template.content_hash if judge_template else None,
    )


__all__ = ["EvalRequest", "OfflineLLM", "git_commit", "run_eval", "write_report"]
