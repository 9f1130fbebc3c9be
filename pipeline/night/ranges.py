"""A range of days: every day from the first to the last, oldest first, one night each.

A day is skipped when it is finished: its last run ended with every paper ok, with this model
and this prompt version, or Hugging Face listed nothing for it (a past day's list does not
change). The run goes on after a day that failed, except when nothing could work (a wrong key
or model), and its exit status is the worst of the days'. arXiv's pace is kept across days by
``fetch`` itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..core.config import Settings
from ..core.errors import DigestError, ExitCode, LLMConfigError, UsageError
from ..core.models import Model, RunReport, Status, Usage
from ..core.wording import plural, top_reasons
from ..stages.prompts import PromptTemplate, prompt_tag
from ..store import Store
from .run import RunResult

MAX_DAYS = 3660
"""Ten years: a typo in a year must not start a century of nights."""

NightRunner = Callable[[dt.date], Awaitable[RunResult]]


class EmptyDay(Model):
    """Hugging Face listed no papers for a past day (kept so a rerun asks nothing)."""

    checked_at: dt.datetime


@dataclass
class DayOutcome:
    date: dt.date
    exit_code: int
    line: str
    report: RunReport | None = None
    skipped: bool = False


@dataclass
class RangeResult:
    days: list[DayOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return worst([d.exit_code for d in self.days])


SEVERITY = {ExitCode.OK: 0, ExitCode.ATTENTION: 1, ExitCode.FATAL: 2, ExitCode.USAGE: 3}


def worst(codes: list[int]) -> int:
    return max(codes, key=lambda c: SEVERITY.get(ExitCode(c), 2), default=ExitCode.OK)


def range_days(first: dt.date, last: dt.date, today: dt.date) -> list[dt.date]:
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}")
    if last > today:
        raise UsageError(f"--to {last} is in the future (today is {today} UTC)")
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise UsageError(f"{count} days from {first} to {last}: at most {MAX_DAYS} at once")
    return [first + dt.timedelta(days=i) for i in range(count)]


def finished(store: Store, date: dt.date, model: str, template: PromptTemplate) -> str | None:
    """Why the day needs no work, or None."""
    if store.load_doc(date, "backfill", "empty", EmptyDay) is not None:
        return "no papers listed"
    report = store.load_run(date)
    if report is None or report.dry_run or report.exit_status != ExitCode.OK:
        return None
    if report.models != [model] or report.prompts != [prompt_tag(template)]:
        return None
    return f"finished earlier ({report.counts.get('ok', 0)} ok)"


def note_result(store: Store, result: RunResult, today: dt.date) -> None:
    if result.nothing_listed and result.date is not None and result.date < today:
        store.save_doc(
            result.date, "backfill", "empty", EmptyDay(checked_at=dt.datetime.now(dt.UTC))
        )


def day_line(result: RunResult) -> str:
    if result.nothing_listed or result.report is None:
        return f"{result.date}: Hugging Face lists no papers"
    r = result.report
    return f"{r.date}: {_counts(r.counts)}; {plural(r.llm_calls, 'LLM call')}, ${r.cost_usd:.4f}"


def _counts(counts: dict[str, int]) -> str:
    return (
        f"{counts.get('ok', 0)} ok, {plural(counts.get('needs_review', 0), 'needs', 'need')} "
        f"review, {counts.get('failed', 0)} failed, {counts.get('pending', 0)} pending"
    )


async def run_range(
    settings: Settings,
    days: list[dt.date],
    template: PromptTemplate,
    night: NightRunner,
    *,
    today: dt.date,
    force: bool = False,
    on_day: Callable[[DayOutcome], None] = lambda day: None,
) -> RangeResult:
    """``night(date)`` for every unfinished day (every day with ``force``), oldest first;
    ``on_day`` hears of each day as it ends."""
    store = Store(settings.data_dir)
    result = RangeResult()
    for date in days:
        why = None if force else finished(store, date, settings.model, template)
        if why is not None:
            skipped = DayOutcome(date, ExitCode.OK, f"{date}: skipped, {why}", None, True)
            result.days.append(skipped)
            on_day(skipped)
            continue
        try:
            outcome = await night(date)
        except LLMConfigError:
            raise  # nothing can work: stop the range
        except DigestError as exc:
            failed = DayOutcome(date, exc.exit_code, f"{date}: error: {exc}")
            result.days.append(failed)
            on_day(failed)
            continue
        note_result(store, outcome, today)
        done = DayOutcome(date, outcome.exit_code, day_line(outcome), outcome.report)
        result.days.append(done)
        on_day(done)
    return result


def total_line(result: RangeResult) -> str:
    reports = [d.report for d in result.days if d.report is not None]
    counts: dict[str, int] = {}
    for r in reports:
        for k, v in r.counts.items():
            counts[k] = counts.get(k, 0) + v
    usage = sum((r.usage for r in reports), Usage())
    skipped = sum(d.skipped for d in result.days)
    first, last = result.days[0].date, result.days[-1].date
    line = (
        f"total {first}..{last}: {plural(len(result.days), 'day')} ({skipped} skipped), "
        f"{_counts(counts)}; {plural(sum(r.llm_calls for r in reports), 'LLM call')}, "
        f"{usage.prompt_tokens}+{usage.completion_tokens} tokens, "
        f"${sum(r.cost_usd for r in reports):.4f}; exit {result.exit_code}"
    )
    # The reasons are in each paper's record; the person reading this line should not have to
    # open them to learn that every failure was the same wrong model name.
    why = top_reasons(
        p.reason or p.status.value
        for r in reports
        for p in r.papers
        if p.status in (Status.FAILED, Status.NEEDS_REVIEW)
    )
    errors = top_reasons(
        d.line.split(": error: ", 1)[1] for d in result.days if ": error: " in d.line
    )
    for label, reasons in (("papers", why), ("days", errors)):
        if reasons:
            line += f"\n  why ({label}): {reasons}"
    return line
