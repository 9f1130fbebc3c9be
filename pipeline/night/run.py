"""The nightly job: scheduling only. list -> per paper (inputs -> summarize) -> publish.

Each paper runs as its own task as soon as the list is known, so a paper goes to the LLM the
moment its text is ready; semaphores bound downloads (arXiv asks for small bursts) and LLM
calls. Extraction runs in a pool of worker processes sized to the cores (``stages.pool``,
started with the night so it is ready by the first PDF), biggest PDF first; the event loop
only schedules. A finished summary made by the
same model and prompt from the same text is reused (resume after a crash or a kill); a cost cap
leaves the remaining papers pending. The result is a report; ``lines`` turns it into text.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from ..core.config import Settings
from ..core.errors import DigestError, ExitCode, StoreError, UsageError
from ..core.hashing import sha256_text
from ..core.http import make_client
from ..core.models import (
    ArxivMeta,
    DailyPaper,
    Flag,
    PaperInput,
    PaperRecord,
    PaperReport,
    RunReport,
    SkippedEntry,
    Status,
    Usage,
)
from ..core.pricing import Price, cost, model_price, scaled
from ..core.progress import StageProgress
from ..core.tokens import count_tokens
from ..core.wording import top_reasons
from ..faithfulness.policy import Policy
from ..faithfulness.sources import input_source
from ..review.nightly import import_night
from ..stages.checked import summarize_checked
from ..stages.inputs import InputLimits, build_input
from ..stages.listing import ListingReader, by_votes, listing_pages
from ..stages.llm import LLM
from ..stages.pool import ExtractionPool, extraction_pool
from ..stages.prompts import PromptTemplate, load_prompt, prompt_tag
from ..stages.publish import Published, publish_day
from ..stages.summarize import paper_messages
from ..store import Store, atomic_write
from .attention import KEPT_PREVIOUS, fell_back, hidden, needs_attention
from .model import CheckedLLM


@dataclass
class RunOptions:
    date: dt.date
    limit: int | None = None
    force: bool = False
    dry_run: bool = False
    show_prompts: bool = False
    prompt_out: Path | None = None
    extractor: ExtractionPool | None = None
    """A pool shared by many nights (a range's); without one the night makes its own."""


@dataclass
class DryRunPaper:
    """What a paper would cost, without an LLM call."""

    paper: DailyPaper
    inp: PaperInput
    prompt_tokens: int
    estimate_usd: float | None
    rendered: str


@dataclass
class RunResult:
    """What a run did; ``lines.result_lines`` turns it into what a person reads."""

    exit_code: int
    date: dt.date | None = None
    report: RunReport | None = None
    """run.json: each paper's row (status, reason, flags) is what the lines read."""
    published: Published | None = None
    dry_run: list[DryRunPaper] = field(default_factory=list)
    estimated_usd: float | None = None
    warnings: list[str] = field(default_factory=list)
    nothing_listed: bool = False
    show_prompts: bool = False

    def __repr__(self) -> str:
        # Short on purpose: asyncio.run formats its main task, result included, as it restores
        # the SIGINT handler on the way out, and a dataclass repr would spell out every record
        # and summary of the night (1.4 MB on a 200-paper day).
        papers = len(self.report.papers) if self.report else len(self.dry_run)
        return f"RunResult(exit_code={self.exit_code}, date={self.date}, papers={papers})"


@dataclass
class _Night:
    """What the paper tasks of one run share: settings, clients, limits, the spend so far."""

    settings: Settings
    options: RunOptions
    store: Store
    http: httpx2.AsyncClient
    template: PromptTemplate
    price: Price | None
    llm: LLM | None
    limits: InputLimits
    progress: StageProgress
    llm_slots: asyncio.Semaphore
    spent: Usage = field(default_factory=Usage)
    calls: int = 0
    dry_run: dict[str, DryRunPaper] = field(default_factory=dict)
    checked: Callable[[], Coroutine[Any, Any, object]] | None = None
    """Waits for the model check still running beside the night; raises its error."""
    places: int = 1
    """Papers between taken and extracted at once: keeps memory flat on long lists, while
    leaving the pool's line a few PDFs to choose the biggest from."""
    starting: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.starting = asyncio.Semaphore(self.places)

    @property
    def workers(self) -> int:
        """Papers under way at once: as many as can be with the model or starting; more would
        only wait."""
        return self.settings.concurrency + self.places


def _timed(timings: dict[str, float], name: str, started: float) -> None:
    timings[name] = round(time.perf_counter() - started, 3)


def require_llm_config(settings: Settings) -> None:
    if not settings.openai_api_key and not settings.openai_base_url:
        raise UsageError(
            "no LLM configured: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL for a local "
            "OpenAI-compatible server (e.g. http://localhost:11434/v1 for Ollama); "
            "or use --dry-run"
        )


def reusable(
    record: PaperRecord | None, llm: LLM, template: PromptTemplate, inp: PaperInput
) -> bool:
    """A finished summary made by this model and prompt from this very text stays as it is."""
    if record is None or record.provenance is None:
        return False
    p = record.provenance
    return (
        record.status in (Status.OK, Status.NEEDS_REVIEW)
        and p.model == llm.model
        and p.prompt_hash == template.content_hash
        and p.input_hash == sha256_text(inp.text)
    )


def _dry_run(night: _Night, paper: DailyPaper, inp: PaperInput) -> DryRunPaper:
    messages = paper_messages(night.template, paper, inp.text)
    rendered = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)
    prompt_tokens = count_tokens(rendered, night.settings.model)
    expected_out = int(night.template.params.get("max_tokens", 1000))
    estimate = cost(night.price, Usage(prompt_tokens=prompt_tokens, completion_tokens=expected_out))
    if night.options.prompt_out is not None:
        out = night.options.prompt_out / f"{paper.arxiv_id.replace('/', '_')}.txt"
        atomic_write(out, (rendered + "\n").encode())
    return DryRunPaper(paper, inp, prompt_tokens, estimate, rendered)


@dataclass
class _Started:
    """A paper with its text ready: what the rest of its night needs."""

    paper: DailyPaper
    previous: PaperRecord | None
    record: PaperRecord
    inp: PaperInput


async def _start(night: _Night, paper: DailyPaper, meta: ArxivMeta | None) -> _Started:
    previous = night.store.load_record(night.options.date, paper.arxiv_id)
    record = PaperRecord(paper=paper)
    inp = await build_input(
        paper, meta, store=night.store, settings=night.settings, http=night.http,
        force=night.options.force, limits=night.limits, timings=record.timings,
    )  # fmt: skip
    record.flags, record.input_tokens = [*paper.flags, *inp.flags], inp.tokens
    return _Started(paper, previous, record, inp)


async def _conclude(night: _Night, started: _Started) -> PaperRecord:
    """The paper's summary (or its dry run, or the unchanged one reused), saved."""
    date, options = night.options.date, night.options
    paper, previous, record, inp = started.paper, started.previous, started.record, started.inp
    if night.llm is None:
        # In a thread: counting the prompt's tokens is CPU work (the first count loads the
        # tokenizer, ~0.5 s), and the loop has every other paper's downloads to run meanwhile.
        night.dry_run[paper.arxiv_id] = await asyncio.to_thread(_dry_run, night, paper, inp)
        return previous or record
    if not options.force and reusable(previous, night.llm, night.template, inp):
        assert previous is not None
        night.progress.advance("summarized", f"{paper.arxiv_id} (unchanged)")
        return previous.model_copy(update={"paper": paper})
    async with night.llm_slots:
        limit = night.settings.max_cost_usd
        if limit is not None and (cost(night.price, night.spent) or 0.0) >= limit:
            record.status, record.reason = Status.PENDING, f"--max-cost ${limit:.2f} reached"
        else:
            await _summarize(night, paper, inp, record)
    night.progress.advance("summarized", f"{paper.arxiv_id} ({record.status})")
    # Written in a thread: the replies arrive together, and a record's fsync on the loop would
    # queue every paper's write behind the others' at the very end of the night.
    if record.status is not Status.OK and previous is not None and _published(previous):
        return await asyncio.to_thread(_keep_previous, night, previous, record)
    await asyncio.to_thread(night.store.save_record, date, record)
    return record


def _published(record: PaperRecord) -> bool:
    return record.status is Status.OK and record.summary is not None


def _keep_previous(night: _Night, previous: PaperRecord, attempt: PaperRecord) -> PaperRecord:
    """A new attempt (--force, a new prompt or PDF version) that did not pass never unpublishes
    the last good summary: that stays the paper's current record (the digest is built from
    those), the attempt goes to its history, and the run reports the attempt, flagged, so the
    editors see its draft."""
    date = night.options.date
    if attempt.status is not Status.PENDING:  # a paper not even tried has nothing to keep
        night.store.archive_record(date, attempt)
    night.store.save_record(date, previous.model_copy(update={"paper": attempt.paper}))
    detail = f"the new attempt is {attempt.status}; the last good summary stays published"
    flag = Flag(code=KEPT_PREVIOUS, detail=detail)
    return attempt.model_copy(update={"flags": [*attempt.flags, flag]})


async def _summarize(
    night: _Night, paper: DailyPaper, inp: PaperInput, record: PaperRecord
) -> None:
    assert night.llm is not None
    started = time.perf_counter()
    policy = Policy(night.settings.faithfulness)
    source = None if policy is Policy.OFF else input_source(night.store, night.settings, paper, inp)
    outcome = await summarize_checked(
        paper, inp, night.llm, night.template, policy, source, store=night.store,
        price=night.price, reasks=night.settings.reasks, use_cache=not night.options.force,
    )  # fmt: skip
    night.spent, night.calls = night.spent + outcome.usage, night.calls + outcome.calls
    record.status, record.reason = outcome.status, outcome.reason
    record.summary, record.draft = outcome.summary, outcome.draft
    record.last_reply, record.provenance = outcome.last_reply, outcome.provenance
    record.flags = [*record.flags, *outcome.flags]
    _timed(record.timings, "summarize", started)


def nothing_published(rows: list[PaperReport]) -> str:
    """The line of a night that published no paper: its most common reasons, counted."""
    why = top_reasons(f"{r.status}: {r.reason or 'no reason given'}" for r in rows)
    return f"no paper was published: {why}"


def _report_for(record: PaperRecord) -> PaperReport:
    prov = record.provenance
    return PaperReport(
        arxiv_id=record.paper.arxiv_id,
        title=record.paper.title,
        status=record.status,
        reason=record.reason,
        flags=record.flags,
        timings=record.timings,
        usage=prov.usage if prov else Usage(),
        cost_usd=prov.cost_usd if prov else None,
    )


def _arxiv_metadata(settings: Settings, ids: list[str]) -> dict[str, ArxivMeta]:
    if not ids:
        return {}
    # Imported here, in the thread that asks arXiv: the arxiv package and requests take ~0.15 s
    # to import, which the night's start would otherwise wait for (and a cached night skips).
    from ..stages.arxiv_api import arxiv_metadata

    return arxiv_metadata(settings, ids)


async def _metadata(night: _Night, ids: list[str]) -> dict[str, str]:
    """Each paper's arXiv metadata, as JSON until its paper starts (see `_Entry`)."""
    known: dict[str, ArxivMeta] = {}
    missing: list[str] = []
    for arxiv_id in ids:
        meta = None if night.options.force else night.store.load_arxiv(arxiv_id)
        if meta is None:
            missing.append(arxiv_id)
        else:
            known[arxiv_id] = meta
    fetched = await asyncio.to_thread(_arxiv_metadata, night.settings, missing)
    for meta in fetched.values():
        night.store.save_arxiv(meta)
    return {arxiv_id: meta.model_dump_json() for arxiv_id, meta in (known | fetched).items()}


@dataclass(frozen=True, slots=True)
class _Entry:
    """A listing entry as the night holds it, to its end: its JSON. A long day keeps every
    entry, and a model instance weighs ~1.5 KB of dicts and sets before its values."""

    arxiv_id: str
    json: str

    @classmethod
    def of(cls, paper: DailyPaper) -> _Entry:
        return cls(paper.arxiv_id, paper.model_dump_json())

    def paper(self) -> DailyPaper:
        return DailyPaper.model_validate_json(self.json)


@dataclass(frozen=True, slots=True)
class _Finished:
    """One paper's outcome as the night keeps it until its end: its run.json row, as JSON for
    the same reason as `_Entry`. Summary, draft and provenance are in the store already."""

    entry: _Entry
    report: str
    attempt: PaperRecord | None
    """The whole record when the store's current one is another (an attempt that did not pass,
    while the last good summary stays published): the editorial import shows it to editors."""

    @classmethod
    def of(cls, entry: _Entry, record: PaperRecord) -> _Finished:
        kept = any(f.code == KEPT_PREVIOUS for f in record.flags)
        return cls(entry, _report_for(record).model_dump_json(), record if kept else None)


def _whole_records(night: _Night, finished: list[_Finished]) -> Iterator[PaperRecord]:
    """The night's records in full, one at a time, as the store has them (with this night's
    listing entry: a reused summary's record keeps the listing it was made with)."""
    for done in finished:
        if done.attempt is not None:
            yield done.attempt
        elif stored := night.store.load_record(night.options.date, done.entry.arxiv_id):
            yield stored.model_copy(update={"paper": done.entry.paper()})


async def _run_papers(night: _Night, papers: list[_Entry], report: RunReport) -> list[_Finished]:
    started = time.perf_counter()
    metas = await _metadata(night, [p.arxiv_id for p in papers])
    _timed(report.stage_timings, "arxiv", started)
    for stage in ("PDFs fetched", "texts extracted", "summarized"):
        night.progress.start(stage, len(papers))
    started = time.perf_counter()
    day = _Queue(iter(enumerate(papers)), metas)
    try:
        # A TaskGroup, not gather: a fatal error (wrong key, wrong model) cancels the other
        # papers at once instead of letting them fail one by one against a dead endpoint.
        async with asyncio.TaskGroup() as group:
            if night.checked is not None:  # a failed check stops every paper where it is
                group.create_task(night.checked())
            for _ in range(min(night.workers, len(papers))):
                group.create_task(_work(night, day))
    except ExceptionGroup as group_error:
        fatal = _first_fatal(group_error)
        raise fatal from fatal.__cause__  # keep the original cause for --verbose
    _timed(report.stage_timings, "papers", started)
    return [day.finished[index] for index in range(len(papers))]  # every paper or an error


@dataclass
class _Queue:
    """The papers the workers take from: each once, in order, with its arXiv metadata (JSON,
    popped when taken), and where each ends."""

    papers: Iterator[tuple[int, _Entry]]
    metas: dict[str, str]
    finished: dict[int, _Finished] = field(default_factory=dict)


async def _work(night: _Night, day: _Queue) -> None:
    """Takes the next paper until none is left. A few of these, not a task per paper, and a
    paper is taken only when there is room for its download and extraction: a paper waiting
    for its turn is then only its listing entry (a task parked on a semaphore is ~3 KB of frames
    and waiters, with its paper and metadata), and a long day's extracted texts queue for the
    LLM only as far as ``starting`` allows (they would otherwise pile up while the model is
    slow)."""
    while await _one_paper(night, day):
        pass


async def _one_paper(night: _Night, day: _Queue) -> bool:
    """The next paper from taken to finished; False when none is left. A function of its own:
    a worker waiting for its next turn must not keep this paper's text and record alive."""
    async with night.starting:
        taken = next(day.papers, None)  # one iterator shared by the workers
        if taken is None:
            return False
        index, entry = taken
        meta = day.metas.pop(entry.arxiv_id, None)
        arxiv = ArxivMeta.model_validate_json(meta) if meta is not None else None
        ready = await _start(night, entry.paper(), arxiv)
    day.finished[index] = _Finished.of(entry, await _conclude(night, ready))
    return True


def _first_fatal(group_error: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group_error.exceptions[0]
    return _first_fatal(first) if isinstance(first, BaseExceptionGroup) else first


async def run_night(
    settings: Settings,
    options: RunOptions,
    progress: StageProgress,
    llm: LLM | None = None,
) -> RunResult:
    """One night for one date. Raises DigestError for what stops the whole run.

    ``llm`` is the model to summarise with (the caller builds, checks and closes it); without
    one, and not a dry run, an ``OpenAILLM`` is built from ``settings`` for this run and checked
    while the night lists and downloads; its warnings are logged when the check ends."""
    if llm is not None or options.dry_run:
        return await _night(settings, options, progress, llm, [])
    require_llm_config(settings)
    async with CheckedLLM(settings) as own:
        return await _night(settings, options, progress, own, [], own.ready)


async def _night(
    settings: Settings,
    options: RunOptions,
    progress: StageProgress,
    llm: LLM | None,
    warnings: list[str],
    checked: Callable[[], Coroutine[Any, Any, object]] | None = None,
) -> RunResult:
    started_at = dt.datetime.now(dt.UTC)
    store = Store(settings.data_dir)
    template = load_prompt(settings.prompts_dir, settings.prompt)
    price = model_price(settings)
    # An LLM billed at another rate says so (the Batch API costs half the online price).
    price = scaled(price, getattr(llm, "price_factor", 1.0))
    with store.lock_day(options.date), _own_pool(settings, options) as pool:
        async with make_client(settings.http_timeout_s) as http:
            limits = InputLimits(
                downloads=asyncio.Semaphore(settings.download_concurrency),
                extractor=pool,
                progress=progress,
            )
            night = _Night(
                settings, options, store, http, template, price, None if options.dry_run else llm,
                limits, progress, asyncio.Semaphore(settings.concurrency), checked=checked,
                places=settings.download_concurrency + 1 + 2 * pool.workers,
            )  # fmt: skip
            try:
                result = await _night_body(night)
            except DigestError as exc:
                if not options.dry_run:
                    _save_failed_run(store, options.date, started_at, exc)
                raise
    result.warnings = warnings + result.warnings
    return result


def _own_pool(
    settings: Settings, options: RunOptions
) -> contextlib.AbstractContextManager[ExtractionPool]:
    if options.extractor is not None:
        return contextlib.nullcontext(options.extractor)
    return extraction_pool(settings.extract_workers)


def _save_failed_run(store: Store, date: dt.date, started: dt.datetime, exc: DigestError) -> None:
    report = RunReport(
        date=date,
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        exit_status=exc.exit_code,
        error=str(exc),
    )
    with contextlib.suppress(StoreError):  # a data dir that cannot be written is the error
        store.save_run(report)


async def _listed(night: _Night, report: RunReport) -> tuple[list[_Entry], list[SkippedEntry]]:
    """The day's papers (by votes, ties in the listing's order) and the entries skipped. Read
    page by page, each page saved as it arrives: a long day's raw JSON is never held whole (it
    outweighs the papers themselves)."""
    started = time.perf_counter()
    reader = ListingReader()
    papers: list[tuple[int, _Entry]] = []
    date = night.options.date
    with night.store.saving_listing(date) as saved:
        async for page in listing_pages(night.http, night.settings, date):
            saved.add(page)
            papers += [(paper.upvotes, _Entry.of(paper)) for paper in reader.read(page)]
    _timed(report.stage_timings, "list", started)
    return by_votes(papers), reader.skipped


async def _night_body(night: _Night) -> RunResult:
    options = night.options
    report = RunReport(
        date=options.date, started_at=dt.datetime.now(dt.UTC), dry_run=options.dry_run
    )
    papers, skipped = await _listed(night, report)
    listed = [p.arxiv_id for p in papers]  # by votes, ties in the listing's order
    if not papers and not skipped:
        if night.checked is not None:
            await night.checked()  # a night with a wrong key says so, papers or not
        return RunResult(ExitCode.OK, options.date, nothing_listed=True)
    papers = papers[: options.limit] if options.limit else papers
    night.progress.start("papers listed", len(papers))
    for paper in papers:
        night.progress.advance("papers listed", paper.arxiv_id)
    finished = await _run_papers(night, papers, report)
    report.papers = rows = [PaperReport.model_validate_json(done.report) for done in finished]
    report.counts = {s.value: sum(r.status is s for r in rows) for s in Status}
    report.counts["listed"] = len(papers)
    report.counts["abstract_only"] = len(fell_back(rows))
    report.counts["hidden_text"] = len(hidden(rows))
    report.counts["skipped"] = len(skipped)
    report.skipped = skipped
    if night.llm is None:
        return _dry_run_result(night, [p.arxiv_id for p in papers])
    report.llm_calls, report.usage = night.calls, night.spent
    report.cost_usd = round(cost(night.price, night.spent) or 0.0, 6)
    report.prompts = [prompt_tag(night.template)]
    report.models = [night.llm.model]
    started = time.perf_counter()
    published = publish_day(night.store, options.date, listed)
    _timed(report.stage_timings, "render", started)
    all_ok = report.counts[Status.OK.value] == len(rows)
    attention = not all_ok or needs_attention(rows, skipped)
    exit_code = ExitCode.ATTENTION if attention else ExitCode.OK
    if rows and not published.papers:
        # Nothing to read tomorrow (an incompatible server fails every paper): not a success.
        exit_code, report.error = ExitCode.FATAL, nothing_published(rows)
    report.exit_status = exit_code
    report.finished_at = dt.datetime.now(dt.UTC)
    night.store.save_run(report)
    result = RunResult(exit_code, options.date, report, published)
    # After the digest and run.json, never before: editors' tool never holds up the digest.
    result.warnings += import_night(night.store, options.date, _whole_records(night, finished))
    return result


def _dry_run_result(night: _Night, ids: list[str]) -> RunResult:
    planned = [night.dry_run[i] for i in ids if i in night.dry_run]
    total = sum(p.estimate_usd or 0.0 for p in planned) if night.price else None
    return RunResult(
        ExitCode.OK,
        night.options.date,
        dry_run=planned,
        estimated_usd=total,
        show_prompts=night.options.show_prompts,
    )
