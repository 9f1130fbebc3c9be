"""Stages 2-3 for one paper: the text a summary is made from.

``build_input(paper, meta, store=..., settings=...)`` gives the PDF's budgeted context (the PDF
and its extraction cached in the store), or the abstract with an ``abstract_fallback`` flag
when arXiv has no record, the PDF cannot be had or its text is unusable. No night is needed:
the nightly job passes its semaphores, extraction pool and progress in ``InputLimits``.

Nothing here that takes CPU or waits on the disk runs on the event loop: the PDF is streamed
to disk and fsynced in a thread, hashed in a thread and extracted in the pool's workers, which
read it from the store themselves (this process never holds a PDF whole).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import httpx2

from ..core.config import Settings
from ..core.errors import ExtractionError, FetchError
from ..core.hashing import sha256_file
from ..core.http import make_client
from ..core.models import ArxivMeta, DailyPaper, Extraction, Flag, PaperInput
from ..core.tokens import count_tokens, encoding_name
from ..store import Store
from .fetch import download_pdf_to
from .pool import ExtractionPool, call, extraction_pool

__all__ = ["InputLimits", "abstract_input", "build_input", "paper_extraction", "paper_pdf"]

FETCHED, EXTRACTED = "PDFs fetched", "texts extracted"
T = TypeVar("T")


class Progress(Protocol):
    def advance(self, stage: str, detail: str = "") -> None: ...


class _Quiet:
    def advance(self, stage: str, detail: str = "") -> None:
        pass


@dataclass
class InputLimits:
    """How a caller running many papers at once bounds the work; the defaults suit one paper."""

    downloads: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    """PDF downloads at once (arXiv asks for small bursts)."""
    held: asyncio.Semaphore | None = None
    """Papers between download and extracted at once: keeps memory flat on long lists, while
    leaving the pool's line a few PDFs to choose the biggest from."""
    extractor: ExtractionPool | None = None
    """Where PyMuPDF runs (``pool.extraction_pool``); None: a thread of its own, for one paper."""
    progress: Progress = field(default_factory=_Quiet)


def tokenizer_name(model: str) -> str:
    """Without loading the tables: a night whose extraction runs in workers never loads them."""
    return encoding_name(model)


def abstract_input(paper: DailyPaper, model: str, flags: list[Flag]) -> PaperInput:
    text = f"{paper.title}\n\n## Abstract\n{paper.abstract}"
    return PaperInput(
        text=text,
        tokens=count_tokens(text, model),
        source="abstract",
        sections=["abstract"],
        flags=flags,
    )


async def paper_pdf(
    meta: ArxivMeta,
    *,
    store: Store,
    settings: Settings,
    http: httpx2.AsyncClient | None = None,
    force: bool = False,
    downloads: asyncio.Semaphore | None = None,
) -> Path:
    """The stored PDF file of this arXiv version: from the store, else downloaded to it."""
    cached = None if force else store.pdf_file(meta)
    if cached is not None:
        return cached
    # Streamed to disk against DIGEST_MAX_PDF_MB: an oversized PDF never sits in memory. The
    # file is opened, fsynced and renamed in a thread: an fsync can take as long as the disk
    # likes, and every other paper's download and LLM call would wait for it.
    async with (
        downloads or contextlib.nullcontext(),
        _client(http, settings) as client,
        _off_loop(store.writing_pdf(meta)) as sink,
    ):
        await download_pdf_to(client, settings, meta, sink)
    path = store.pdf_file(meta)
    if path is None:
        raise FetchError(meta.arxiv_id, "the downloaded PDF vanished from the store")
    return path


async def paper_extraction(
    pdf: Path,
    *,
    store: Store,
    settings: Settings,
    label: str = "",
    force: bool = False,
    extractor: ExtractionPool | None = None,
) -> Extraction:
    """The PDF's budgeted context, cached by (PDF hash, extractor version, budget, tokenizer)."""
    tokenizer = tokenizer_name(settings.model)
    with extraction_pool(1) if extractor is None else contextlib.nullcontext(extractor) as pool:
        version = await pool.extractor_version()
        size, cached = await asyncio.to_thread(
            _cached_extraction, store, pdf, (version, settings.token_budget, tokenizer), force
        )
        if cached is not None:
            return cached
        job = functools.partial(
            call, "pipeline.extract.extractor", "extract_pdf", pdf,
            budget_tokens=settings.token_budget, model=settings.model, label=label,
        )  # fmt: skip
        extraction: Extraction = await pool.run(job, size=size, label=label or pdf.name)
    extraction = extraction.model_copy(
        update={"budget_tokens": settings.token_budget, "tokenizer": tokenizer}
    )
    # Off the event loop: the JSON (with the full text) and its fsync would stall every other
    # paper's download and LLM call for as long as they take.
    await asyncio.to_thread(store.save_extraction, extraction)
    return extraction


def _cached_extraction(
    store: Store, pdf: Path, key: tuple[str, int, str], force: bool
) -> tuple[int, Extraction | None]:
    """The PDF's size and hash, and its cached extraction if any (blocking: reads the file)."""
    try:
        size, sha = pdf.stat().st_size, sha256_file(pdf)
    except OSError as exc:
        raise ExtractionError(pdf.name, f"the PDF file could not be read ({exc.strerror})") from exc
    version, budget, tokenizer = key
    cached = None if force else store.load_extraction(sha, version, budget, tokenizer)
    return size, cached


async def build_input(
    paper: DailyPaper,
    meta: ArxivMeta | None,
    *,
    store: Store,
    settings: Settings,
    http: httpx2.AsyncClient | None = None,
    force: bool = False,
    limits: InputLimits | None = None,
    timings: dict[str, float] | None = None,
) -> PaperInput:
    """The text to summarise: the PDF's budgeted context, or the abstract with a flag.

    ``meta`` None means arXiv has no record of the paper. Without ``http`` a client is made
    for a download, if one is needed. ``timings`` receives fetch/extract seconds."""
    limits = limits or InputLimits()
    if meta is None:
        flag = Flag(code="abstract_fallback", detail="arXiv has no record of this id")
        limits.progress.advance(FETCHED, f"{paper.arxiv_id} (not on arXiv)")
        limits.progress.advance(EXTRACTED, paper.arxiv_id)
        return await asyncio.to_thread(abstract_input, paper, settings.model, [flag])
    async with limits.held or contextlib.nullcontext():
        return await _pdf_input(paper, meta, store, settings, http, force, limits, timings)


async def _pdf_input(
    paper: DailyPaper,
    meta: ArxivMeta,
    store: Store,
    settings: Settings,
    http: httpx2.AsyncClient | None,
    force: bool,
    limits: InputLimits,
    timings: dict[str, float] | None,
) -> PaperInput:
    timings = {} if timings is None else timings
    started = time.perf_counter()
    try:
        pdf = await paper_pdf(
            meta, store=store, settings=settings, http=http, force=force,
            downloads=limits.downloads,
        )  # fmt: skip
    except FetchError as exc:
        limits.progress.advance(FETCHED, f"{paper.arxiv_id} (failed)")
        limits.progress.advance(EXTRACTED, paper.arxiv_id)
        return await _fallback(paper, settings, f"PDF unavailable: {exc.problem}")
    _timed(timings, "fetch", started)
    limits.progress.advance(FETCHED, paper.arxiv_id)
    started = time.perf_counter()
    try:
        extraction = await paper_extraction(
            pdf, store=store, settings=settings, label=paper.arxiv_id, force=force,
            extractor=limits.extractor,
        )  # fmt: skip
    except ExtractionError as exc:
        return await _fallback(paper, settings, f"PDF unreadable: {exc.problem}")
    finally:
        _timed(timings, "extract", started)
        limits.progress.advance(EXTRACTED, paper.arxiv_id)
    if not extraction.usable:
        reasons = "; ".join(f.detail for f in extraction.flags) or "text failed the quality gate"
        return await _fallback(paper, settings, f"PDF text unusable: {reasons}", extraction.flags)
    return PaperInput(
        text=extraction.context,
        tokens=extraction.context_tokens,
        source="pdf",
        sections=extraction.kept,
        flags=extraction.flags,
        pdf_sha256=extraction.pdf_sha256,
        extractor_version=extraction.extractor_version,
    )


async def _fallback(
    paper: DailyPaper, settings: Settings, detail: str, flags: list[Flag] | None = None
) -> PaperInput:
    flag = Flag(code="abstract_fallback", detail=detail)
    # In a thread: counting tokens loads the tokenizer's tables the first time (~0.5 s), which
    # a night extracting in worker processes has not done in this process.
    return await asyncio.to_thread(abstract_input, paper, settings.model, [*(flags or []), flag])


def _timed(timings: dict[str, float], name: str, started: float) -> None:
    timings[name] = round(time.perf_counter() - started, 3)


@contextlib.asynccontextmanager
async def _off_loop(blocking: contextlib.AbstractContextManager[T]) -> AsyncIterator[T]:
    """A blocking context manager entered and left in a thread."""
    value = await asyncio.to_thread(blocking.__enter__)
    try:
        yield value
    except BaseException as exc:
        if not await asyncio.to_thread(blocking.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await asyncio.to_thread(blocking.__exit__, None, None, None)


@contextlib.asynccontextmanager
async def _client(
    http: httpx2.AsyncClient | None, settings: Settings
) -> AsyncIterator[httpx2.AsyncClient]:
    if http is not None:
        yield http
        return
    async with make_client(settings.http_timeout_s) as client:
        yield client
