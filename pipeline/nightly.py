"""The nightly job: list -> arXiv -> PDF -> extract -> summarize -> render, per date.

Each paper runs as its own task as soon as the list is known, so a paper goes to the LLM the
moment its text is ready; semaphores bound downloads (arXiv asks for small bursts) and LLM calls.
PyMuPDF is not thread-safe, so all extraction runs on one worker thread, which still overlaps
with the network work of the other papers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from .config import Settings
from .errors import ExtractionError, FetchError, SummaryError, UsageError
from .extract import EXTRACTOR_VERSION, extract_pdf
from .fetch import arxiv_metadata, download_pdf
from .http import make_client
from .listing import list_papers
from .llm import LLMClient
from .models import (
    ArxivMeta,
    DailyPaper,
    Extraction,
    Flag,
    PaperInput,
    PaperRecord,
    PaperReport,
    RunReport,
    Status,
    Usage,
)
from .pricing import Price, cost, load_prices, price_for
from .progress import StageProgress
from .prompts import PromptTemplate, load_prompt
from .render import build_digest, render_json, render_markdown
from .store import Store, atomic_write, sha256_bytes
from .summarize import Summarizer, paper_messages, sha256_text
from .tokens import count_tokens

log = logging.getLogger("pipeline")

EXIT_OK, EXIT_FATAL, EXIT_USAGE, EXIT_ATTENTION = 0, 1, 2, 3


@dataclass
class RunOptions:
    date: dt.date
    limit: int | None = None
    force: bool = False
    dry_run: bool = False
    show_prompts: bool = False
    prompt_out: Path | None = None


@dataclass
class RunResult:
    exit_code: int
    lines: list[str]
    report: RunReport | None = None


@dataclass
class _Night:
    """State shared by the paper tasks of one run."""

    settings: Settings
    options: RunOptions
    store: Store
    progress: StageProgress
    http: httpx2.AsyncClient
    template: PromptTemplate
    price: Price | None
    summarizer: Summarizer | None
    downloads: asyncio.Semaphore
    llm_slots: asyncio.Semaphore
    pdf_slots: asyncio.Semaphore
    """PDFs held in memory, from download to extracted: keeps memory flat however long the
    day's list is (downloads outpace the one extraction thread)."""
    extractor: ThreadPoolExecutor
    estimated_usd: float = 0.0
    dry_run_lines: dict[str, list[str]] = field(default_factory=dict)


def _timed(timings: dict[str, float], name: str, started: float) -> None:
    timings[name] = round(time.perf_counter() - started, 3)


def require_llm_config(settings: Settings) -> None:
    if not settings.openai_api_key and not settings.openai_base_url:
        raise UsageError(
            "no LLM configured: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL for a local "
            "OpenAI-compatible server (e.g. http://localhost:11434/v1 for Ollama); "
            "or use --dry-run"
        )


async def _paper_pdf(night: _Night, paper: DailyPaper, meta: ArxivMeta) -> bytes:
    path = night.store.pdf_path(meta)
    if path.exists() and not night.options.force:
        return path.read_bytes()
    async with night.downloads:
        data = await download_pdf(night.http, night.settings, meta)
    night.store.save_pdf(meta, data)
    return data


async def _extraction(night: _Night, paper: DailyPaper, data: bytes) -> Extraction:
    digest = sha256_bytes(data)
    cached = night.store.load_extraction(digest, EXTRACTOR_VERSION)
    if cached is not None and not night.options.force:
        return cached
    loop = asyncio.get_running_loop()
    extraction = await loop.run_in_executor(
        night.extractor,
        lambda: extract_pdf(
            data,
            budget_tokens=night.settings.token_budget,
            model=night.settings.model,
            label=paper.arxiv_id,
        ),
    )
    night.store.save_extraction(extraction)
    return extraction


def abstract_input(paper: DailyPaper, model: str, flags: list[Flag]) -> PaperInput:
    text = f"{paper.title}\n\n## Abstract\n{paper.abstract}"
    return PaperInput(
        text=text,
        tokens=count_tokens(text, model),
        source="abstract",
        sections=["abstract"],
        flags=flags,
    )


async def paper_input(
    night: _Night, paper: DailyPaper, meta: ArxivMeta | None, timings: dict[str, float]
) -> PaperInput:
    """The text to summarise: the PDF's budgeted context, or the abstract with a flag."""
    model = night.settings.model
    if meta is None:
        flag = Flag(code="abstract_fallback", detail="arXiv has no record of this id")
        night.progress.advance("PDFs fetched", f"{paper.arxiv_id} (not on arXiv)")
        night.progress.advance("texts extracted", paper.arxiv_id)
        return abstract_input(paper, model, [flag])
    async with night.pdf_slots:
        return await _pdf_input(night, paper, meta, timings)


async def _pdf_input(
    night: _Night, paper: DailyPaper, meta: ArxivMeta, timings: dict[str, float]
) -> PaperInput:
    model = night.settings.model
    started = time.perf_counter()
    try:
        data = await _paper_pdf(night, paper, meta)
    except FetchError as exc:
        flag = Flag(code="abstract_fallback", detail=f"PDF unavailable: {exc.problem}")
        night.progress.advance("PDFs fetched", f"{paper.arxiv_id} (failed)")
        night.progress.advance("texts extracted", paper.arxiv_id)
        return abstract_input(paper, model, [flag])
    _timed(timings, "fetch", started)
    night.progress.advance("PDFs fetched", paper.arxiv_id)
    started = time.perf_counter()
    try:
        extraction = await _extraction(night, paper, data)
    except ExtractionError as exc:
        flag = Flag(code="abstract_fallback", detail=f"PDF unreadable: {exc.problem}")
        return abstract_input(paper, model, [flag])
    finally:
        _timed(timings, "extract", started)
        night.progress.advance("texts extracted", paper.arxiv_id)
    if not extraction.usable:
        reasons = "; ".join(f.detail for f in extraction.flags) or "text failed the quality gate"
        flag = Flag(code="abstract_fallback", detail=f"PDF text unusable: {reasons}")
        return abstract_input(paper, model, [*extraction.flags, flag])
    return PaperInput(
        text=extraction.context,
        tokens=extraction.context_tokens,
        source="pdf",
        sections=extraction.kept,
        flags=extraction.flags,
    )


def _reusable(record: PaperRecord | None, night: _Night, inp: PaperInput) -> bool:
    """A finished summary made by this model and prompt from this very text stays as it is."""
    if record is None or record.provenance is None or night.options.force:
        return False
    p = record.provenance
    return (
        record.status in (Status.OK, Status.NEEDS_REVIEW)
        and p.model == night.settings.model
        and p.prompt_hash == night.template.content_hash
        and p.input_hash == sha256_text(inp.text)
    )


def _dry_run_lines(night: _Night, paper: DailyPaper, inp: PaperInput) -> list[str]:
    messages = paper_messages(night.template, paper, inp.text)
    rendered = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)
    prompt_tokens = count_tokens(rendered, night.settings.model)
    expected_out = int(night.template.params.get("max_tokens", 1000))
    estimate = cost(night.price, Usage(prompt_tokens=prompt_tokens, completion_tokens=expected_out))
    night.estimated_usd += estimate or 0.0
    flags = ",".join(f.code for f in inp.flags) or "-"
    cost_text = f"${estimate:.4f}" if estimate is not None else "unknown price"
    lines = [
        f"{paper.arxiv_id}  text {inp.tokens} tokens ({inp.source})  prompt {prompt_tokens} "
        f"tokens  est. {cost_text}  flags {flags}  {paper.title[:60]}"
    ]
    if night.options.prompt_out is not None:
        out = night.options.prompt_out / f"{paper.arxiv_id.replace('/', '_')}.txt"
        atomic_write(out, (rendered + "\n").encode())
    if night.options.show_prompts:
        lines.append(rendered)
    return lines


async def process_paper(night: _Night, paper: DailyPaper, meta: ArxivMeta | None) -> PaperRecord:
    date = night.options.date
    previous = night.store.load_record(date, paper.arxiv_id)
    record = PaperRecord(paper=paper)
    inp = await paper_input(night, paper, meta, record.timings)
    record.flags = inp.flags
    record.input_tokens = inp.tokens
    if night.summarizer is None:
        night.dry_run_lines[paper.arxiv_id] = _dry_run_lines(night, paper, inp)
        return previous or record
    if previous is not None and _reusable(previous, night, inp):
        night.progress.advance("summarized", f"{paper.arxiv_id} (unchanged)")
        return previous.model_copy(update={"paper": paper})
    limit = night.settings.max_cost_usd
    async with night.llm_slots:
        spent = cost(night.price, night.summarizer.llm.usage) or 0.0
        if limit is not None and spent >= limit:
            record.status, record.reason = Status.PENDING, f"--max-cost ${limit:.2f} reached"
            night.progress.advance("summarized", f"{paper.arxiv_id} (pending)")
            night.store.save_record(date, record)
            return record
        started = time.perf_counter()
        try:
            outcome = await night.summarizer.summarize(paper, inp)
        except SummaryError as exc:
            record.status, record.reason = Status.FAILED, exc.problem
        else:
            record.status, record.reason = outcome.status, outcome.reason
            record.summary, record.draft = outcome.summary, outcome.draft
            record.last_reply, record.provenance = outcome.last_reply, outcome.provenance
        _timed(record.timings, "summarize", started)
    night.progress.advance("summarized", f"{paper.arxiv_id} ({record.status})")
    night.store.save_record(date, record)
    return record


def _report_for(record: PaperRecord) -> PaperReport:
    prov = record.provenance
    return PaperReport(
        arxiv_id=record.paper.arxiv_id,
        status=record.status,
        reason=record.reason,
        flags=record.flags,
        timings=record.timings,
        usage=prov.usage if prov else Usage(),
        cost_usd=prov.cost_usd if prov else None,
    )


async def _metadata(night: _Night, papers: list[DailyPaper]) -> dict[str, ArxivMeta]:
    known: dict[str, ArxivMeta] = {}
    missing: list[str] = []
    for paper in papers:
        meta = None if night.options.force else night.store.load_arxiv(paper.arxiv_id)
        if meta is None:
            missing.append(paper.arxiv_id)
        else:
            known[paper.arxiv_id] = meta
    fetched = await asyncio.to_thread(arxiv_metadata, night.settings, missing)
    for meta in fetched.values():
        night.store.save_arxiv(meta)
    return known | fetched


def _publish(night: _Night, records: list[PaperRecord], lines: list[str]) -> None:
    digest = build_digest(night.options.date, records)
    if not digest.papers:
        lines.append("no paper has a finished summary yet: digest not written")
        return
    for name, text in (
        ("digest.md", render_markdown(digest)),
        ("digest.json", render_json(digest)),
    ):
        kept = night.store.publish(night.options.date, name, text.encode())
        if kept is not None:
            lines.append(f"{name} had been edited by hand: kept it as {kept}")
    lines.append(f"digest: {night.store.day(night.options.date) / 'digest.md'}")


def _final_lines(report: RunReport, records: list[PaperRecord]) -> list[str]:
    lines = [
        f"{report.date}: {report.counts.get('ok', 0)} ok, "
        f"{report.counts.get('needs_review', 0)} need review, "
        f"{report.counts.get('failed', 0)} failed, {report.counts.get('pending', 0)} pending; "
        f"this run: {report.llm_calls} LLM calls, {report.usage.prompt_tokens}+"
        f"{report.usage.completion_tokens} tokens, ${report.cost_usd:.4f}"
    ]
    for r in records:
        if r.status is not Status.OK:
            lines.append(f"  {r.status}: {r.paper.arxiv_id} {r.paper.title[:50]} - {r.reason}")
    for r in records:
        if r.flags:  # published, but an editor should look: hidden text, abstract only, ...
            found = "; ".join(f"{f.code} ({f.detail[:80]})" for f in r.flags[:3])
            lines.append(f"  flagged: {r.paper.arxiv_id} - {found}")
    return lines


async def _run_papers(
    night: _Night, papers: list[DailyPaper], report: RunReport
) -> list[PaperRecord]:
    started = time.perf_counter()
    metas = await _metadata(night, papers)
    _timed(report.stage_timings, "arxiv", started)
    for stage in ("PDFs fetched", "texts extracted", "summarized"):
        night.progress.start(stage, len(papers))
    started = time.perf_counter()
    try:
        # A TaskGroup, not gather: a fatal error (wrong key, wrong model) cancels the other
        # papers at once instead of letting them fail one by one against a dead endpoint.
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(process_paper(night, p, metas.get(p.arxiv_id))) for p in papers
            ]
    except ExceptionGroup as group_error:
        fatal = _first_fatal(group_error)
        raise fatal from fatal.__cause__  # keep the original cause for --verbose
    _timed(report.stage_timings, "papers", started)
    return [task.result() for task in tasks]


def _first_fatal(group_error: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group_error.exceptions[0]
    return _first_fatal(first) if isinstance(first, BaseExceptionGroup) else first


async def run_night(settings: Settings, options: RunOptions, progress: StageProgress) -> RunResult:
    """One night for one date. Raises DigestError for what stops the whole run."""
    store = Store(settings.data_dir)
    template = load_prompt(settings.prompts_dir, settings.prompt)
    price = price_for(load_prices(settings.price_file), settings.model)
    report = RunReport(
        date=options.date, started_at=dt.datetime.now(dt.UTC), dry_run=options.dry_run
    )
    llm: LLMClient | None = None
    if not options.dry_run:
        require_llm_config(settings)
        llm = LLMClient(settings)
    try:
        # The client is closed on every path, a failed check included: an unclosed one is
        # closed by the SDK at garbage collection, on whatever loop runs then, with a traceback.
        for warning in await llm.check() if llm is not None else []:
            log.warning("warning: %s", warning)  # now, not after an hour of papers
        return await _night_in_lock(
            settings, options, store, progress, template, price, llm, report, []
        )
    finally:
        if llm is not None:
            await llm.close()


async def _night_in_lock(
    settings: Settings,
    options: RunOptions,
    store: Store,
    progress: StageProgress,
    template: PromptTemplate,
    price: Price | None,
    llm: LLMClient | None,
    report: RunReport,
    lines: list[str],
) -> RunResult:
    with store.lock_day(options.date), ThreadPoolExecutor(1, "extract") as pool:
        async with make_client(settings.http_timeout_s) as http:
            night = _Night(
                settings=settings,
                options=options,
                store=store,
                progress=progress,
                http=http,
                template=template,
                price=price,
                summarizer=Summarizer(
                    llm, template, store, price, settings.reasks, use_cache=not options.force
                )
                if llm
                else None,
                downloads=asyncio.Semaphore(settings.download_concurrency),
                llm_slots=asyncio.Semaphore(settings.concurrency),
                pdf_slots=asyncio.Semaphore(settings.download_concurrency + 2),
                extractor=pool,
            )
            return await _night_body(night, report, lines, llm)


async def _night_body(
    night: _Night, report: RunReport, lines: list[str], llm: LLMClient | None
) -> RunResult:
    options = night.options
    started = time.perf_counter()
    listing = await list_papers(night.http, night.settings, options.date)
    papers = listing.papers
    _timed(report.stage_timings, "list", started)
    night.store.save_listing(options.date, listing.raw)
    if not papers:
        return RunResult(EXIT_OK, [f"{options.date}: Hugging Face lists no papers; nothing to do"])
    papers = papers[: options.limit] if options.limit else papers
    night.progress.start("papers listed", len(papers))
    for paper in papers:
        night.progress.advance("papers listed", paper.arxiv_id)
    records = await _run_papers(night, papers, report)
    report.papers = [_report_for(r) for r in records]
    report.counts = {s.value: sum(r.status is s for r in records) for s in Status}
    report.counts["listed"] = len(papers)
    if options.dry_run:
        estimate = f"${night.estimated_usd:.4f}" if night.price else "unknown (no price for model)"
        per_paper = [line for p in papers for line in night.dry_run_lines.get(p.arxiv_id, [])]
        return RunResult(EXIT_OK, [*per_paper, f"estimated cost of the night: {estimate}"])
    if llm is not None:
        report.llm_calls, report.usage = llm.calls, llm.usage
        report.cost_usd = round(cost(night.price, llm.usage) or 0.0, 6)
    started = time.perf_counter()
    _publish(night, records, lines)
    _timed(report.stage_timings, "render", started)
    exit_code = EXIT_OK if report.counts[Status.OK.value] == len(records) else EXIT_ATTENTION
    report.exit_status = exit_code
    report.finished_at = dt.datetime.now(dt.UTC)
    night.store.save_run(report)
    return RunResult(exit_code, [*lines, *_final_lines(report, records)], report)
