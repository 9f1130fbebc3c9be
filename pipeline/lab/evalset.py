"""Make, list and read eval sets. Inputs come from the night's own stages (listing, arXiv
metadata, ``inputs.build_input``) through the store's caches, so a set made after a night
downloads and extracts nothing, and one made before it fetches exactly what the night would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

import httpx2

from pipeline.core.config import Settings
from pipeline.core.errors import StoreError, UsageError
from pipeline.core.http import make_client
from pipeline.core.models import ArxivMeta, DailyPaper, Extraction, PaperInput
from pipeline.core.progress import StageProgress
from pipeline.extract.extractor import EXTRACTOR_VERSION
from pipeline.stages.arxiv_api import arxiv_metadata
from pipeline.stages.inputs import EXTRACTED, FETCHED, InputLimits, build_input, tokenizer_name
from pipeline.stages.listing import list_papers, parse_listing
from pipeline.stages.pool import extraction_pool
from pipeline.store import Store

from .sets import (
    EvalSetManifest,
    FrozenPaper,
    FrozenSet,
    check_name,
    entry_for,
    set_hash,
)

MANIFESTS, INPUTS = "evalsets", "evalset-inputs"


def load_manifest(store: Store, name: str) -> EvalSetManifest | None:
    return store.load_doc(None, MANIFESTS, check_name(name), EvalSetManifest)


def list_sets(store: Store) -> list[EvalSetManifest]:
    found = (load_manifest(store, name) for name in store.list_docs(None, MANIFESTS))
    return [m for m in found if m is not None]


def require_set(store: Store, name: str) -> EvalSetManifest:
    """The set's manifest; a usage error naming the known sets when there is none."""
    manifest = load_manifest(store, name)
    if manifest is None:
        known = ", ".join(m.name for m in list_sets(store)) or "none yet"
        raise UsageError(f"no eval set {name!r} (known: {known}); make one with 'evalset create'")
    return manifest


def load_set(store: Store, name: str) -> tuple[EvalSetManifest, list[FrozenPaper]]:
    """The set's manifest and papers, each paper checked against the manifest's hash."""
    manifest = require_set(store, name)
    frozen = store.load_doc(None, INPUTS, name, FrozenSet)
    papers = frozen.papers if frozen else []
    hashes = [p.content_hash() for p in papers]
    if hashes != [e.sha256 for e in manifest.papers]:
        raise StoreError(
            f"eval set {name!r} does not match its manifest (a frozen paper is missing or was "
            "changed); make a new set instead of editing one"
        )
    return manifest, papers


async def create_set(
    store: Store,
    settings: Settings,
    name: str,
    dates: Sequence[dt.date],
    ids: Sequence[str] | None = None,
    progress: StageProgress | None = None,
) -> EvalSetManifest:
    """Freeze the papers of ``dates`` (only ``ids``, when given) as the set ``name``."""
    check_name(name)
    if load_manifest(store, name) is not None:
        raise UsageError(
            f"eval set {name!r} exists; a set never changes once made: choose another name"
        )
    async with make_client(settings.http_timeout_s) as http:
        papers = _select(await _listed(store, settings, http, dates), ids)
        metas = await _metadata(store, settings, [p for _, p in papers])
        frozen = await _freeze(
            store, settings, http, papers, metas, progress or StageProgress(interactive=False)
        )
    entries = [entry_for(f) for f in frozen]
    tokenizer = tokenizer_name(settings.model)
    shaped_by = {
        "token_budget": settings.token_budget,
        "extractor_version": EXTRACTOR_VERSION,
        "tokenizer": tokenizer,
    }
    manifest = EvalSetManifest(
        name=name,
        created_at=dt.datetime.now(dt.UTC),
        dates=sorted(set(dates)),
        ids=list(ids) if ids else None,
        token_budget=settings.token_budget,
        extractor_version=EXTRACTOR_VERSION,
        tokenizer=tokenizer,
        model=settings.model,
        papers=entries,
        set_hash=set_hash(shaped_by, entries),
    )
    # Inputs first: a manifest on disk means the set is complete.
    store.save_doc(None, INPUTS, name, FrozenSet(name=name, papers=frozen))
    store.save_doc(None, MANIFESTS, name, manifest)
    return manifest


async def _listed(
    store: Store, settings: Settings, http: httpx2.AsyncClient, dates: Sequence[dt.date]
) -> list[tuple[dt.date, DailyPaper]]:
    """Every paper of the dates, each once (its first date), in vote order per date."""
    seen: dict[str, tuple[dt.date, DailyPaper]] = {}
    for date in sorted(set(dates)):
        raw = store.load_listing(date)
        if raw is not None:
            listing = parse_listing(raw)
        else:
            listing = await list_papers(http, settings, date)
            store.save_listing(date, listing.raw)
        for paper in listing.papers:  # broken entries (listing.skipped) are left out
            seen.setdefault(paper.arxiv_id, (date, paper))
    return list(seen.values())


def _select(
    papers: list[tuple[dt.date, DailyPaper]], ids: Sequence[str] | None
) -> list[tuple[dt.date, DailyPaper]]:
    if not ids:
        if not papers:
            raise UsageError("Hugging Face lists no papers for those dates: nothing to freeze")
        return papers
    by_id = {p.arxiv_id: (d, p) for d, p in papers}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise UsageError(f"not listed on those dates: {', '.join(missing)}")
    return [by_id[i] for i in dict.fromkeys(ids)]


async def _metadata(
    store: Store, settings: Settings, papers: list[DailyPaper]
) -> dict[str, ArxivMeta]:
    known = {p.arxiv_id: m for p in papers if (m := store.load_arxiv(p.arxiv_id))}
    missing = [p.arxiv_id for p in papers if p.arxiv_id not in known]
    fetched = await asyncio.to_thread(arxiv_metadata, settings, missing) if missing else {}
    for meta in fetched.values():
        store.save_arxiv(meta)
    return known | fetched


async def _freeze(
    store: Store,
    settings: Settings,
    http: httpx2.AsyncClient,
    papers: list[tuple[dt.date, DailyPaper]],
    metas: dict[str, ArxivMeta],
    progress: StageProgress,
) -> list[FrozenPaper]:
    for stage in (FETCHED, EXTRACTED):
        progress.start(stage, len(papers))
    with extraction_pool(settings.extract_workers) as pool:
        limits = InputLimits(
            downloads=asyncio.Semaphore(settings.download_concurrency),
            held=asyncio.Semaphore(settings.download_concurrency + 2),
            extractor=pool,
            progress=progress,
        )
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(
                    build_input(
                        paper,
                        metas.get(paper.arxiv_id),
                        store=store,
                        settings=settings,
                        http=http,
                        limits=limits,
                    )
                )
                for _, paper in papers
            ]
    inputs = [t.result() for t in tasks]
    return [
        FrozenPaper(date=d, paper=p, input=i, extraction=_extraction(store, settings, i))
        for (d, p), i in zip(papers, inputs, strict=True)
    ]


def _extraction(store: Store, settings: Settings, inp: PaperInput) -> Extraction | None:
    if inp.source != "pdf" or inp.pdf_sha256 is None or inp.extractor_version is None:
        return None
    return store.load_extraction(
        inp.pdf_sha256, inp.extractor_version, settings.token_budget, tokenizer_name(settings.model)
    )
