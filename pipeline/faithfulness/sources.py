"""Where a check's source comes from: the I/O edge of the faithfulness package.

The source is always the paper's full extracted text plus its title and abstract, never only the
budgeted context the LLM saw: a number the model knew from the abstract or from a section the
budget dropped is still grounded. In the night the full text comes from the extraction cache
(no PDF is opened twice); for ``run.py check`` from a PDF or a text file.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.core.config import Settings
from pipeline.core.errors import ExtractionError
from pipeline.core.models import DailyPaper, Extraction, PaperInput, PaperRecord
from pipeline.store import Store

from . import SourceIndex, index_source

_ABSTRACT = re.compile(r"(?im)^\s*abstract\s*[.:—-]?\s*\n(.+?)(?:\n\s*\n|\Z)", re.DOTALL)


def abstract_of(text: str) -> str:
    """The paragraph under an "Abstract" heading, or "" when the text has none."""
    match = _ABSTRACT.search(text)
    return match.group(1).strip() if match else ""


def text_source(text: str) -> SourceIndex:
    """A paper given as plain text: its first line is taken as the title."""
    title = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return index_source(text, title, abstract_of(text))


def extraction_source(extraction: Extraction, title: str = "", abstract: str = "") -> SourceIndex:
    full = extraction.full_text if extraction.usable else ""
    title = title or extraction.title or ""
    return index_source(full, title, abstract or abstract_of(full))


def paper_source(paper: DailyPaper, extraction: Extraction | None) -> SourceIndex:
    """The night's source: the listing's title and abstract, plus the PDF's full text when the
    paper has a usable one (an abstract fallback is checked against the abstract alone)."""
    if extraction is None:
        return index_source("", paper.title, paper.abstract)
    return extraction_source(extraction, paper.title, paper.abstract)


def file_source(path: Path, settings: Settings) -> SourceIndex:
    """A ``.pdf`` (extracted now) or a text file. Raises ExtractionError when it cannot be
    read."""
    from pipeline.extract.extractor import extract_pdf  # PyMuPDF loads only when a PDF is checked

    if path.suffix.lower() == ".pdf":
        extraction = extract_pdf(
            path, budget_tokens=settings.token_budget, model=settings.model, label=path.name
        )
        if not extraction.usable:
            reasons = "; ".join(f.detail for f in extraction.flags) or "no usable text layer"
            raise ExtractionError(path.name, f"the PDF has no usable text ({reasons})")
        return extraction_source(extraction)
    try:
        return text_source(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ExtractionError(str(path), "the source file does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ExtractionError(
            str(path), f"the source file cannot be read as UTF-8 text ({exc})"
        ) from exc


def input_source(
    store: Store, settings: Settings, paper: DailyPaper, inp: PaperInput
) -> SourceIndex:
    """The night's source for a paper whose input was just built (its extraction is cached).
    An extraction cached before extractions kept the full text falls back to the text the LLM
    was given: every figure the model could have read is still there."""
    from pipeline.stages.inputs import tokenizer_name

    if inp.source != "pdf" or not inp.pdf_sha256 or not inp.extractor_version:
        return paper_source(paper, None)
    extraction = store.load_extraction(
        inp.pdf_sha256, inp.extractor_version, settings.token_budget,
        tokenizer_name(settings.model),
    )  # fmt: skip
    full = extraction.full_text if extraction is not None else ""
    return index_source(full or inp.text, paper.title, paper.abstract)


def stored_extraction(store: Store, settings: Settings, record: PaperRecord) -> Extraction | None:
    """The extraction a finished summary was made from: from the cache, else from the stored
    PDF (an entry made before extractions kept the full text has none). None for an abstract
    fallback or when neither is kept."""
    from pipeline.extract.extractor import extract_pdf
    from pipeline.stages.inputs import tokenizer_name

    prov = record.provenance
    if prov is None or not prov.pdf_sha256 or not prov.extractor_version:
        return None
    tokenizer = tokenizer_name(prov.model)
    cached = store.load_extraction(
        prov.pdf_sha256, prov.extractor_version, settings.token_budget, tokenizer
    )
    if cached is not None and cached.full_text:
        return cached
    meta = store.load_arxiv(record.paper.arxiv_id)
    data = store.load_pdf(meta) if meta is not None else None
    if data is None:
        return cached
    label = record.paper.arxiv_id
    return extract_pdf(data, budget_tokens=settings.token_budget, model=prov.model, label=label)
