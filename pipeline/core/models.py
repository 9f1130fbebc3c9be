"""Typed data that crosses a module boundary. Pure data: no I/O here."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Our own records: unknown fields are a bug, not something to carry along."""

    model_config = ConfigDict(extra="forbid")


# ---- Hugging Face API (third-party shape: ignore what we don't use) --------------------------


class _HF(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class HFAuthor(_HF):
    name: str


class HFPaperBody(_HF):
    id: str
    title: str
    upvotes: int = 0
    authors: list[HFAuthor] = Field(default_factory=list)
    summary: str = ""
    published_at: dt.datetime | None = Field(default=None, alias="publishedAt")


class HFSubmitter(_HF):
    avatar_url: str | None = Field(default=None, alias="avatarUrl")


class HFDailyEntry(_HF):
    paper: HFPaperBody
    thumbnail: str | None = None
    submitted_by: HFSubmitter | None = Field(default=None, alias="submittedBy")
    num_comments: int = Field(default=0, alias="numComments")


# ---- Our records -------------------------------------------------------------------------------


class DailyPaper(Model):
    """One paper of the day, as listed by Hugging Face, normalised."""

    arxiv_id: str
    title: str
    upvotes: int
    authors: list[str]
    abstract: str
    published_at: dt.datetime | None = None
    thumbnail: str | None = None
    submitter_avatar: str | None = None
    num_comments: int = 0
    flags: list[Flag] = Field(default_factory=list)
    """What the listing entry itself got wrong (an unsafe thumbnail URL, dropped)."""


class SkippedEntry(Model):
    """A listing entry too broken to be a paper: skipped, and named to the user."""

    index: int
    """Its position in the day's raw listing (0-based)."""
    arxiv_id: str | None
    """The id as a printable ``repr``, cut short; None when the entry had no id at all."""
    reason: str


class ArxivMeta(Model):
    arxiv_id: str
    version: int
    title: str
    pdf_url: str
    updated: dt.datetime | None = None

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"


class Flag(Model):
    """Something an editor should know about a paper (hidden text, abstract fallback, a number
    the paper does not contain, ...)."""

    code: str
    detail: str
    page: int | None = None
    section: str | None = None
    """The summary field the flag is about (whats_new, ...), when it is about one."""
    span: str | None = None
    """The exact text flagged, as it appears in that section."""


class SectionInfo(Model):
    name: str
    chars: int
    tokens: int


class Extraction(Model):
    """What the extract stage made of one PDF: the budgeted LLM context plus diagnostics."""

    extractor_version: str
    pdf_sha256: str
    budget_tokens: int | None = None
    tokenizer: str | None = None
    """The encoding the budget was counted in (o200k_base, cl100k_base)."""
    pages: int
    title: str | None = None
    sections: list[SectionInfo] = Field(default_factory=list)
    context: str
    context_tokens: int
    full_text: str = ""
    """Every section's text, title first: the source the faithfulness check looks things up in
    (a number the LLM never saw in the budgeted context may still be the paper's)."""
    kept: list[str] = Field(default_factory=list)
    shortened: list[str] = Field(default_factory=list)
    """Kept sections of which only part fit the budget (a subset of ``kept``)."""
    dropped: list[str] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    usable: bool = True
    """False when the quality gate failed: the caller falls back to the abstract."""


class PaperInput(Model):
    """The text a summary is made from, and where it came from."""

    text: str
    tokens: int
    source: str  # "pdf" or "abstract"
    sections: list[str] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    pdf_sha256: str | None = None
    """The PDF the text was extracted from (None for an abstract fallback)."""
    extractor_version: str | None = None


class Summary(BaseModel):
    """The three parts of a paper's entry, as the LLM must return them."""

    model_config = ConfigDict(extra="forbid")

    whats_new: str = Field(description="What's New: 이 논문이 새롭게 제시하는 것")
    technical_details: str = Field(description="Technical Details: 방법과 구조")
    performance_highlights: str = Field(description="Performance Highlights: 실험 결과")


SECTION_TITLES: dict[str, str] = {
    "whats_new": "What's New",
    "technical_details": "Technical Details",
    "performance_highlights": "Performance Highlights",
}
"""Each Summary field's display name: the digest's labels and the re-ask's wording."""


class Usage(Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Provenance(Model):
    """Who made a summary, from what: for editors reviewing and researchers comparing."""

    prompt_name: str
    prompt_version: str
    prompt_hash: str
    prompt_locked: bool | None = None
    """False: made from a prompt version not in versions.lock (an experiment); None: recorded
    before locks were checked."""
    model: str
    params: dict[str, Any]
    input_hash: str
    input_source: str
    input_sections: list[str] = Field(default_factory=list)
    pdf_sha256: str | None = None
    extractor_version: str | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    latency_s: float = 0.0
    attempts: int = 1
    created_at: dt.datetime


class Status(StrEnum):
    OK = "ok"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"
    PENDING = "pending"


RECORD_SCHEMA = 2
"""The version of PaperRecord and RunReport written today; older ones are migrated on read
(``store.migrations``)."""


class PaperRecord(Model):
    """The state of one paper on one date: what the store keeps and run.json reports."""

    schema_version: int = RECORD_SCHEMA
    paper: DailyPaper
    status: Status = Status.PENDING
    reason: str | None = None
    flags: list[Flag] = Field(default_factory=list)
    summary: Summary | None = None
    draft: Summary | None = None
    last_reply: str | None = None
    """The model's last raw answer when it could not be parsed into a draft."""
    provenance: Provenance | None = None
    input_tokens: int | None = None
    timings: dict[str, float] = Field(default_factory=dict)


class PaperReport(Model):
    arxiv_id: str
    title: str = ""
    """The listing's title (run.json rows written before 2026-12 have none)."""
    status: Status
    reason: str | None = None
    flags: list[Flag] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None


class RunReport(Model):
    schema_version: int = RECORD_SCHEMA
    date: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    exit_status: int | None = None
    dry_run: bool = False
    stage_timings: dict[str, float] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    llm_calls: int = 0
    prompts: list[str] = Field(default_factory=list)
    """The prompt(s) of the night, as ``name@version#hash12``."""
    models: list[str] = Field(default_factory=list)
    papers: list[PaperReport] = Field(default_factory=list)
    skipped: list[SkippedEntry] = Field(default_factory=list)
    """Listing entries too broken to be papers (the others went on)."""
    error: str | None = None
    """Why the run stopped, when it did (exit_status 1): the one line the user saw."""


class DigestEntry(Model):
    arxiv_id: str
    title: str
    url: str
    thumbnail: str | None
    upvotes: int
    authors: list[str]
    summary: Summary
    provenance: Provenance | None = None
    revised_at: dt.datetime | None = None
    """When an editor's text replaced the model's (an edit, a restore, an accepted regeneration);
    None for the model's own text. The feed's ``updated`` then moves forward, never back."""


class Digest(Model):
    date: dt.date
    papers: list[DigestEntry]
