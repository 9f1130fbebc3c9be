"""What the model saw for a paper: the PDF's budgeted context, or the abstract it fell back to.

Rebuilt from the store's caches (arXiv metadata, the PDF, its cached extraction), never
downloaded: the review app works offline on what the night kept.
"""

from __future__ import annotations

from ..extract import EXTRACTOR_VERSION, extract_pdf
from ..models import PaperInput, PaperRecord
from ..nightly import abstract_input
from ..store import Store, sha256_bytes
from ..summarize import sha256_text


def paper_input(store: Store, record: PaperRecord, model: str, token_budget: int) -> PaperInput:
    """The input text for ``record``'s paper as the night built it (abstract when no PDF)."""
    paper = record.paper
    prov = record.provenance
    meta = store.load_arxiv(paper.arxiv_id)
    data = store.load_pdf(meta) if meta is not None else None
    if data is None or (prov is not None and prov.input_source == "abstract"):
        return abstract_input(paper, model, record.flags)
    extraction = store.load_extraction(sha256_bytes(data), EXTRACTOR_VERSION)
    if extraction is None:
        extraction = extract_pdf(
            data, budget_tokens=token_budget, model=model, label=paper.arxiv_id
        )
        store.save_extraction(extraction)
    if not extraction.usable:
        return abstract_input(paper, model, record.flags)
    return PaperInput(
        text=extraction.context,
        tokens=extraction.context_tokens,
        source="pdf",
        sections=extraction.kept,
        flags=extraction.flags,
    )


def seen_by_model(inp: PaperInput, record: PaperRecord) -> bool | None:
    """Whether this is exactly the text the night's summary was made from (None: unknown)."""
    if record.provenance is None:
        return None
    return sha256_text(inp.text) == record.provenance.input_hash
