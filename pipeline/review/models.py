"""The editorial model's records: states, revisions, and what a reviewer sees of a paper."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from ..core.models import DailyPaper, Flag, Model, Provenance, Summary
from ..faithfulness import flag_kind
from ..stages.checked import FORM

SECTION_NAMES = ("whats_new", "technical_details", "performance_highlights")


class State(StrEnum):
    DRAFT = "draft"  # from the model, unreviewed
    NEEDS_REVIEW = "needs_review"  # failed checks: the draft and the reasons are shown
    EDITED = "edited"
    APPROVED = "approved"
    EXCLUDED = "excluded"

    @property
    def decided(self) -> bool:
        return self in (State.APPROVED, State.EXCLUDED)

    @property
    def editorial(self) -> bool:
        """An editor has acted: a night may no longer replace the current text."""
        return self in (State.EDITED, State.APPROVED, State.EXCLUDED)


class Origin(StrEnum):
    NIGHT = "night"  # the nightly job's draft
    EDIT = "edit"
    REGENERATE = "regenerate"
    RESTORE = "restore"
    MERGE = "merge"  # a candidate from an older revision, merged per section on accepting


class CandidateState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DISCARDED = "discarded"


class Revision(Model):
    number: int
    origin: Origin
    author: str
    """An editor's name, or the model's name for night and regenerate revisions."""
    created_at: dt.datetime
    summary: Summary
    provenance: Provenance | None = None
    based_on: int
    candidate: CandidateState | None = None
    """Set for a revision offered beside the current text (a re-run, a regeneration)."""
    note: str | None = None
    flags: list[Flag] | None = None
    """What the checks found in this text when it was saved (faithfulness under the ``flag``
    policy, or what the text kept from before under ``review``); None: not checked on saving (a
    night draft, whose flags are the paper's ``flags``)."""


class Event(Model):
    """One thing someone did to a paper (edit, approve, exclude, accept, ...), as logged."""

    at: dt.datetime
    editor: str
    action: str
    detail: str | None = None


class PaperState(Model):
    """One paper of one day under review: the listing, the state, the current text."""

    date: dt.date
    paper: DailyPaper
    position: int
    night_status: str
    flags: list[Flag] = Field(default_factory=list)
    state: State
    reason: str | None = None
    current: int
    updated_at: dt.datetime
    updated_by: str
    revisions: list[Revision] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    """Who did what, oldest first: approvals and exclusions are not revisions."""

    @property
    def arxiv_id(self) -> str:
        return self.paper.arxiv_id

    @property
    def current_revision(self) -> Revision | None:
        return next((r for r in self.revisions if r.number == self.current), None)

    @property
    def current_flags(self) -> list[Flag]:
        """The flags an editor sees: the night's, except that once the current text was checked
        when it was saved, that check replaces the night's flags about the text (its numbers,
        names, whether it is about this paper); flags about the paper itself stay. The night's
        form problems are about the night's text only: any other text was checked when it became
        current, and the paper's reason says what that found."""
        current = self.current_revision
        flags = self.flags
        if current is not None and current.origin is not Origin.NIGHT:
            flags = [f for f in flags if f.code != FORM]
        if current is None or current.flags is None:
            return flags
        return [f for f in flags if flag_kind(f) is None] + current.flags

    @property
    def pending_candidates(self) -> list[Revision]:
        return [r for r in self.revisions if r.candidate is CandidateState.PENDING]


class Publication(Model):
    date: dt.date
    version: int
    published_at: dt.datetime
    editor: str
    path: str
    papers: int
    unchanged: bool = False
