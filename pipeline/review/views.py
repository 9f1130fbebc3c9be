"""What the day view shows of each paper: plain data for the templates, no HTML here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.config import Settings
from ..core.errors import EditConflict
from ..core.escaping import safe_url
from ..core.models import Flag, PaperInput, Provenance
from ..stages.render import SECTIONS, abs_url
from ..stages.validate import SECTION_TITLES
from ..store import Store
from .diff import Segment, diff_text
from .editorial import merge_candidate
from .models import CandidateState, PaperState, Revision
from .source import paper_input, seen_by_model


@dataclass
class SectionView:
    name: str
    label: str
    text: str


@dataclass
class RevisionView:
    revision: Revision
    diffs: list[tuple[str, list[Segment]]]
    """Per section label, the diff from the current text to this revision's text (for a
    candidate: to what accepting it would make current)."""
    conflict: list[str] = field(default_factory=list)
    """Sections a candidate from an older revision changed and someone edited since."""


def candidate_view(paper: PaperState, candidate: Revision) -> RevisionView:
    """What accepting shows: the per-section merge onto the current text, or the clash."""
    current = paper.current_revision
    try:
        text, _ = merge_candidate(paper, candidate)
    except EditConflict as exc:
        labels = [SECTION_TITLES.get(name, name) for name in exc.yours]
        return RevisionView(candidate, section_diffs(current, candidate), labels)
    merged = candidate.model_copy(update={"summary": text})
    return RevisionView(candidate, section_diffs(current, merged))


@dataclass
class Card:
    paper: PaperState
    sections: list[SectionView]
    provenance: Provenance | None
    flags: list[Flag]
    candidates: list[RevisionView]
    history: list[RevisionView]
    source: PaperInput | None
    source_matches: bool | None
    thumbnail: str | None = None
    last_reply: str | None = None
    """The model's raw answer when it could not be read as a draft: something to start from."""
    links: dict[str, str] = field(default_factory=dict)


def flag_extras(flag: Flag) -> list[tuple[str, object]]:
    """Whatever a flag carries beyond code and detail (page, section, span, ...), generically;
    a section by its heading."""
    extra = flag.model_dump(mode="json", exclude={"code", "detail"}, exclude_none=True)
    if flag.section in SECTION_TITLES:
        extra["section"] = SECTION_TITLES[flag.section]
    return list(extra.items())


def model_provenance(paper: PaperState) -> Provenance | None:
    """The model behind the current text: its own, or for an edit the model draft it started
    from (the newest model revision up to the current one)."""
    lineage = [r for r in paper.revisions if r.number <= paper.current and _was_current(r)]
    return next((r.provenance for r in reversed(lineage) if r.provenance is not None), None)


def _was_current(revision: Revision) -> bool:
    return revision.candidate in (None, CandidateState.ACCEPTED)


def section_diffs(old: Revision | None, new: Revision) -> list[tuple[str, list[Segment]]]:
    diffs = []
    for name, label in SECTIONS:
        before = getattr(old.summary, name) if old else ""
        after = getattr(new.summary, name)
        if before != after:
            diffs.append((label, diff_text(before, after)))
    return diffs


async def card(store: Store, paper: PaperState, settings: Settings) -> Card:
    current = paper.current_revision
    sections = [
        SectionView(name, label, getattr(current.summary, name) if current else "")
        for name, label in SECTIONS
    ]
    record = store.load_record(paper.date, paper.arxiv_id)
    source = await paper_input(store, record, settings, download=False) if record else None
    pdf = store.load_arxiv(paper.arxiv_id)
    # The same filter as the digest: arXiv's (or anyone's) javascript: link is no href here.
    links = {"arXiv": abs_url(paper.arxiv_id)}
    pdf_url = safe_url(pdf.pdf_url) if pdf is not None else None
    if pdf_url is not None:
        links["PDF"] = pdf_url
    return Card(
        paper=paper,
        sections=sections,
        provenance=model_provenance(paper),
        flags=paper.current_flags,
        candidates=[candidate_view(paper, r) for r in paper.pending_candidates],
        history=[
            RevisionView(r, section_diffs(current, r))
            for r in reversed(paper.revisions)
            if _was_current(r)
        ],
        source=source,
        source_matches=seen_by_model(source, record) if source and record else None,
        last_reply=record.last_reply if record and current is None else None,
        links=links,
        thumbnail=safe_url(paper.paper.thumbnail),
    )
