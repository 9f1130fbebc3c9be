"""``extract_pdf``: a PDF in, the budgeted text an LLM should read out (the steps are listed in
the package docstring). ``EXTRACTOR_VERSION`` is part of every extraction cache key."""

from __future__ import annotations

import pathlib
from functools import partial

from pipeline.core.errors import ExtractionError
from pipeline.core.hashing import sha256_bytes
from pipeline.core.models import Extraction, Flag, SectionInfo
from pipeline.core.tokens import count_tokens
from pipeline.extract import budget, clean, furniture, hidden, pdftext, quality, sections

__all__ = ["EXTRACTOR_VERSION", "extract_pdf"]

EXTRACTOR_VERSION = "2.1.0"


def extract_pdf(
    source: pathlib.Path | bytes, *, budget_tokens: int, model: str = "gpt-4o", label: str = ""
) -> Extraction:
    """Read a PDF and build the LLM context; raises ExtractionError if it cannot be read."""
    label = label or (source.name if isinstance(source, pathlib.Path) else "PDF")
    data = _read(source, label)
    doc = pdftext.open_pdf(data, label)
    try:
        pages = pdftext.read_pages(doc, label)
        toc = [(int(level), str(title), int(page)) for level, title, page, *_ in doc.get_toc()]
        meta_title = str((doc.metadata or {}).get("title") or "")
        flags = hidden.strip_hidden(
            pages, partial(pdftext.dark_fills, doc), partial(pdftext.shown_text, doc)
        )
    finally:
        doc.close()
    sha = sha256_bytes(data)
    problem = quality.gate(pages)
    if problem:
        return Extraction(
            extractor_version=EXTRACTOR_VERSION,
            pdf_sha256=sha,
            pages=len(pages),
            context="",
            context_tokens=0,
            flags=[*flags, problem],
            usable=False,
        )
    body = clean.body_size(pages)
    furniture.remove_furniture(pages)
    paras, injections = _scrub(clean.paragraphs(pages, body))
    paper = sections.split_sections(paras, toc, meta_title, body)
    for section in paper.sections:
        section.tokens = count_tokens(section.text, model)
    context = budget.build_context(paper, budget_tokens, model)
    return Extraction(
        extractor_version=EXTRACTOR_VERSION,
        pdf_sha256=sha,
        pages=len(pages),
        title=paper.title,
        sections=[_info(s) for s in paper.sections],
        context=context.text,
        context_tokens=context.tokens,
        full_text=_full_text(paper),
        kept=context.kept,
        shortened=context.shortened,
        dropped=context.dropped,
        flags=_unique([*flags, *injections]),
    )


def _read(source: pathlib.Path | bytes, label: str) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return source.read_bytes()
    except OSError as exc:
        raise ExtractionError(label, f"the PDF file could not be read ({exc.strerror})") from exc


def _unique(flags: list[Flag]) -> list[Flag]:
    """A sentence repeated on a page is one finding for an editor, not several."""
    seen: set[tuple[str, str, int | None]] = set()
    kept = []
    for flag in flags:
        key = (flag.code, flag.detail, flag.page)
        if key not in seen:
            seen.add(key)
            kept.append(flag)
    return kept


def _scrub(paras: list[clean.Para]) -> tuple[list[clean.Para], list[Flag]]:
    flags: list[Flag] = []
    for para in paras:
        para.text, found = hidden.scrub_injections(para.text, para.page)
        flags.extend(found)
    return [p for p in paras if p.text], flags


def _full_text(paper: sections.Paper) -> str:
    """Every section, not only what fits the budget: what the faithfulness check reads."""
    parts = [paper.title or ""] + [f"{s.name}\n{s.text}" for s in paper.sections]
    return "\n\n".join(part for part in parts if part)


def _info(section: sections.Section) -> SectionInfo:
    return SectionInfo(name=section.name, chars=len(section.text), tokens=section.tokens)
