"""What the model saw for a paper: the PDF's budgeted context, or the abstract it fell back to."""

from __future__ import annotations

from ..core.config import Settings
from ..core.hashing import sha256_text
from ..core.models import PaperInput, PaperRecord
from ..stages.inputs import abstract_input, build_input
from ..store import Store


async def paper_input(
    store: Store, record: PaperRecord, settings: Settings, *, download: bool
) -> PaperInput:
    """The paper's input text, built as the night builds it, with the settings (model: its
    tokenizer) of the summary on record. Without ``download`` only the cached PDF is used: the
    day view must not fetch anything while an editor reads."""
    settings = input_settings(settings, record)
    meta = store.load_arxiv(record.paper.arxiv_id)
    if not download and (meta is None or store.load_pdf(meta) is None):
        return abstract_input(record.paper, settings.model, record.flags)
    return await build_input(record.paper, meta, store=store, settings=settings)


def input_settings(settings: Settings, record: PaperRecord) -> Settings:
    """The settings the night built the paper's input with: the model of the summary on record
    chose the tokenizer, and so which cached extraction belongs to the input."""
    if record.provenance is None:
        return settings
    return settings.model_copy(update={"model": record.provenance.model})


def seen_by_model(inp: PaperInput, record: PaperRecord) -> bool | None:
    """Whether this is exactly the text the night's summary was made from (None: unknown)."""
    if record.provenance is None:
        return None
    return sha256_text(inp.text) == record.provenance.input_hash
