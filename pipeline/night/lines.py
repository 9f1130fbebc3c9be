"""What a person reads after a command: reports in, lines of text out. Pure functions."""

from __future__ import annotations

from ..core.models import RunReport, Status
from ..core.wording import clip
from ..stages.checked import FORM
from ..stages.publish import Published
from .attention import fallback_line, hidden_line, most_fell_back_line, skipped_lines
from .run import DryRunPaper, RunResult


def result_lines(result: RunResult) -> list[str]:
    """The lines the nightly job prints, in order: warnings, then what happened."""
    lines = list(result.warnings)
    if result.report is not None and (headline := most_fell_back_line(result.report.papers)):
        lines.insert(0, headline)  # before anything else: the night is mostly abstracts
    if result.nothing_listed:
        return [*lines, f"{result.date}: Hugging Face lists no papers; nothing to do"]
    if result.report is None:  # a dry run
        return [*lines, *dry_run_lines(result.dry_run, result.show_prompts, result.estimated_usd)]
    if result.published is not None:
        lines += published_lines(result.published)
    lines += final_lines(result.report)
    if result.report.error:  # the night published nothing: why, last, where it is seen
        lines.append(result.report.error)
    return lines


def published_lines(published: Published) -> list[str]:
    if published.path is None:
        return ["no paper has a finished summary yet: digest not written"]
    kept = [
        f"{name} had been edited by hand: kept it as {path}"
        for name, path in published.kept.items()
    ]
    return [*kept, f"digest: {published.path}"]


def dry_run_lines(planned: list[DryRunPaper], show_prompts: bool, total: float | None) -> list[str]:
    lines: list[str] = []
    for p in planned:
        flags = ",".join(f.code for f in p.inp.flags) or "-"
        cost_text = f"${p.estimate_usd:.4f}" if p.estimate_usd is not None else "unknown price"
        lines.append(
            f"{p.paper.arxiv_id}  text {p.inp.tokens} tokens ({p.inp.source})  prompt "
            f"{p.prompt_tokens} tokens  est. {cost_text}  flags {flags}  {clip(p.paper.title, 60)}"
        )
        if show_prompts:
            lines.append(p.rendered)
    estimate = f"${total:.4f}" if total is not None else "unknown (no price for model)"
    return [*lines, f"estimated cost of the night: {estimate}"]


def final_lines(report: RunReport) -> list[str]:
    rows = report.papers
    lines = [
        f"{report.date}: {report.counts.get('ok', 0)} ok, "
        f"{report.counts.get('needs_review', 0)} need review, "
        f"{report.counts.get('failed', 0)} failed, {report.counts.get('pending', 0)} pending; "
        f"this run: {report.llm_calls} LLM calls, {report.usage.prompt_tokens}+"
        f"{report.usage.completion_tokens} tokens, ${report.cost_usd:.4f}"
    ]
    for r in rows:
        if r.status is not Status.OK:
            lines.append(f"  {r.status}: {r.arxiv_id} {clip(r.title, 50)} - {r.reason}")
    for r in rows:
        # Form problems are the reason of the line above already.
        flags = [f for f in r.flags if f.code != FORM]
        if flags:  # published, but an editor should look: hidden text, abstract only, ...
            found = "; ".join(f"{f.code} ({f.detail[:80]})" for f in flags[:3])
            lines.append(f"  flagged: {r.arxiv_id} - {found}")
    summaries = (fallback_line(rows), hidden_line(rows))
    return [*lines, *(s for s in summaries if s), *skipped_lines(report.skipped)]
