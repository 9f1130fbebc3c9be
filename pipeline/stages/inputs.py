"""Stages 2-3 for one paper: the text a summary is made from.

``build_input(paper, meta, store=..., settings=...)`` gives the PDF's budgeted context (the PDF
and its extraction cached in the store), or the abstract with an ``abstract_fallback`` flag
when arXiv has no record, the PDF cannot be had or its text is unusable. No night is needed:
the nightly job passes its semaphores, extraction thread and progress in ``InputLimits``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol

import httpx2

from ..core.config import Settings
from ..core.errors import ExtractionError, FetchError
from ..core.hashing import sha256_bytes
from ..core.http import make_client
from ..core.models import ArxivMeta, DailyPaper, Extraction, Flag, PaperInput
from ..core.tokens import count_tokens, encoding_for
from ..extract.extractor import EXTRACTOR_VERSION, extract_pdf
from ..store import Store
from .fetch import download_pdf_to

__all__ = ["InputLimits", "abstract_input", "build_input", "paper_extraction", "paper_pdf"]

FETCHED, EXTRACTED = "PDFs fetched", "texts extracted"


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
    """PDFs held in memory from download to extracted: keeps memory flat on long lists."""
    extractor: Executor | None = None
    """Where PyMuPDF runs (it is not thread-safe: one thread for all papers)."""
    progress: Progress = field(default_factory=_Quiet)


def tokenizer_name(model: str) -> str:
    return encoding_for(model).name


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
) -> bytes:
    """The PDF of this arXiv version: from the store, else downloaded and stored."""
    cached = None if force else store.load_pdf(meta)
    if cached is not None:
        return cached
    async with downloads or contextlib.nullcontext(), _client(http, settings) as client:
        # Streamed to disk against DIGEST_MAX_PDF_MB: an oversized PDF never sits in memory.
        with store.writing_pdf(meta) as sink:
            await download_pdf_to(client, settings, meta, sink)
    data = store.load_pdf(meta)
    if data is None:
        raise FetchError(meta.arxiv_id, "the downloaded PDF vanished from the store")
    return data


async def paper_extraction(
    data: bytes,
    *,
    store: Store,
    settings: Settings,
    label: str = "",
    force: bool = False,
    extractor: Executor | None = None,
) -> Extraction:
    """The PDF's budgeted context, cached by (PDF hash, extractor version, budget, tokenizer)."""
    key = (sha256_bytes(data), EXTRACTOR_VERSION, settings.token_budget)
    tokenizer = tokenizer_name(settings.model)
    cached = None if force else store.load_extraction(*key, tokenizer)
    if cached is not None:
        return cached
    extraction = await asyncio.get_running_loop().run_in_executor(
        extractor,
        # A partial, not a lambda: the executor may be a process pool (a backfill's).
        functools.partial(
            extract_pdf, data, budget_tokens=settings.token_budget, model=settings.model,
            label=label,
        ),
    )  # fmt: skip
    extraction = extraction.model_copy(
        update={"budget_tokens": settings.token_budget, "tokenizer": tokenizer}
    )
    # Off the event loop: the JSON (with the full text) and its fsync would stall every other
    # paper's download and LLM call for as long as they take.
    await asyncio.to_thread(store.save_extraction, extraction)
    return extraction


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
        return abstract_input(paper, settings.model, [flag])
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
        data = await paper_pdf(
            meta, store=store, settings=settings, http=http, force=force,
            downloads=limits.downloads,
        )  # fmt: skip
    except FetchError as exc:
        limits.progress.advance(FETCHED, f"{paper.arxiv_id} (failed)")
        limits.progress.advance(EXTRACTED, paper.arxiv_id)
        return _fallback(paper, settings, f"PDF unavailable: {exc.problem}")
    _timed(timings, "fetch", started)
    limits.progress.advance(FETCHED, paper.arxiv_id)
    started = time.perf_counter()
    try:
        extraction = await paper_extraction(
            data, store=store, settings=settings, label=paper.arxiv_id, force=force,
            extractor=limits.extractor,
        )  # fmt: skip
    except ExtractionError as exc:
        return _fallback(paper, settings, f"PDF unreadable: {exc.problem}")
    finally:
        _timed(timings, "extract", started)
        limits.progress.advance(EXTRACTED, paper.arxiv_id)
    if not extraction.usable:
        reasons = "; ".join(f.detail for f in extraction.flags) or "text failed the quality gate"
        return _fallback(paper, settings, f"PDF text unusable: {reasons}", extraction.flags)
    return PaperInput(
        text=extraction.context,
        tokens=extraction.context_tokens,
        source="pdf",
        sections=extraction.kept,
        flags=extraction.flags,
        pdf_sha256=extraction.pdf_sha256,
        extractor_version=extraction.extractor_version,
    )


def _fallback(
    paper: DailyPaper, settings: Settings, detail: str, flags: list[Flag] | None = None
) -> PaperInput:
    flag = Flag(code="abstract_fallback", detail=detail)
    return abstract_input(paper, settings.model, [*(flags or []), flag])


def _timed(timings: dict[str, float], name: str, started: float) -> None:
    timings[name] = round(time.perf_counter() - started, 3)


@contextlib.asynccontextmanager
async def _client(
    http: httpx2.AsyncClient | None, settings: Settings
) -> AsyncIterator[httpx2.AsyncClient]:
    if http is not None:
        yield http
        return
    async with make_client(settings.http_timeout_s) as client:
        yield client
