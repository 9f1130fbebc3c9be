"""The editorial state machine over the SQLite store: import, edit, decide, candidates.

    night draft --import--> draft | needs_review
    draft, needs_review, edited --edit/accept/restore--> edited (needs_review if checks fail)
    any state with text --approve--> approved        any --exclude(reason)--> excluded
    approved, excluded --edit/accept/restore--> edited (a changed text must be approved again)

Every change names the revision the editor saw (``base``); when another save came first, the
change is refused with both texts (EditConflict) and nothing is written. Each operation is one
SQLite transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Sequence

from ..core.errors import EditConflict, ReviewRefused
from ..core.models import DailyPaper, Flag, PaperRecord, Provenance, Status, Summary
from ..stages.validate import SECTION_TITLES, section_problems
from ..store import Store
from .db import connect, transaction
from .models import SECTION_NAMES, CandidateState, Origin, PaperState, Revision, State

Checker = Callable[[Summary, Sequence[str], PaperState], list[str]]
"""Problems with the named sections of a text about to become current; [] when fine.

The validator runs on every edit; more checkers (faithfulness, ...) plug in through
``Editorial(checkers=...)``."""

Flagger = Callable[[Summary, PaperState], list[Flag]]
"""What an editor should know about a text an editor or a regeneration saves, kept on its
revision (``Editorial(flaggers=...)``); a flag does not refuse anything."""


def validator_checker(summary: Summary, sections: Sequence[str], paper: PaperState) -> list[str]:
    """The same checks the model's output must pass (pipeline/stages/validate.py)."""
    return [
        f"{SECTION_TITLES[name]} {problem}"
        for name in sections
        for problem in section_problems(getattr(summary, name))
    ]


DEFAULT_CHECKERS: tuple[Checker, ...] = (validator_checker,)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Editorial:
    def __init__(
        self,
        store: Store,
        checkers: Sequence[Checker] = DEFAULT_CHECKERS,
        flaggers: Sequence[Flagger] = (),
    ) -> None:
        self.store = store
        self.checkers = tuple(checkers)
        self.flaggers = tuple(flaggers)
        self.conn: sqlite3.Connection = connect(store.editorial_db_path())

    def close(self) -> None:
        self.conn.close()

    def problems(
        self, summary: Summary, paper: PaperState, sections: Sequence[str] = SECTION_NAMES
    ) -> list[str]:
        return [p for check in self.checkers for p in check(summary, sections, paper)]

    # ---- reading ------------------------------------------------------------------------------
    def days(self) -> list[tuple[dt.date, dict[str, int]]]:
        """Every date the store or the editorial state knows, newest first, with state counts.

        Days not seen before are imported here; known days are kept current by the nightly
        hook and by opening them (a full re-import of every day would read every record)."""
        known = {row[0] for row in self.conn.execute("SELECT DISTINCT date FROM papers")}
        for date in self.store.list_days():
            if date.isoformat() not in known:
                self.import_day(date)
        counts: dict[str, dict[str, int]] = {}
        for row in self.conn.execute(
            "SELECT date, state, COUNT(*) AS n FROM papers GROUP BY date, state"
        ):
            counts.setdefault(row["date"], {})[row["state"]] = row["n"]
        return [(dt.date.fromisoformat(d), counts[d]) for d in sorted(counts, reverse=True)]

    def day(self, date: dt.date) -> list[PaperState]:
        rows = self.conn.execute(
            "SELECT arxiv_id FROM papers WHERE date = ? ORDER BY position", (date.isoformat(),)
        ).fetchall()
        return [self.paper(date, row["arxiv_id"]) for row in rows]

    def paper(self, date: dt.date, arxiv_id: str) -> PaperState:
        row = self.conn.execute(
            "SELECT * FROM papers WHERE date = ? AND arxiv_id = ?", (date.isoformat(), arxiv_id)
        ).fetchone()
        if row is None:
            raise ReviewRefused(
                f"paper {arxiv_id} is not in the editorial state of {date}", not_found=True
            )
        revisions = [
            _revision(r)
            for r in self.conn.execute(
                "SELECT * FROM revisions WHERE date = ? AND arxiv_id = ? ORDER BY number",
                (date.isoformat(), arxiv_id),
            )
        ]
        return PaperState(
            date=date,
            paper=DailyPaper.model_validate_json(row["paper"]),
            position=row["position"],
            night_status=row["night_status"],
            flags=[Flag.model_validate(f) for f in json.loads(row["flags"])],
            state=State(row["state"]),
            reason=row["reason"],
            current=row["current"],
            updated_at=dt.datetime.fromisoformat(row["updated_at"]),
            updated_by=row["updated_by"],
            revisions=revisions,
        )

    # ---- the night's records ------------------------------------------------------------------
    def import_day(self, date: dt.date) -> None:
        """Bring the night's records into the editorial state; running it again changes nothing."""
        for position, record in enumerate(self.store.day_records(date)):
            self.import_record(date, record, position)

    def import_record(self, date: dt.date, record: PaperRecord, position: int) -> None:
        """A night's output for one paper. It replaces the current text only while no editor
        has acted on the paper; otherwise it becomes a candidate beside the current text."""
        text = record.summary or record.draft
        author = record.provenance.model if record.provenance else "nightly"
        with transaction(self.conn):
            existing = self._row(date, record.paper.arxiv_id)
            fields = (
                record.paper.model_dump_json(),
                position,
                record.status.value,
                json.dumps([f.model_dump(mode="json") for f in record.flags]),
            )
            if existing is None:
                self._insert_paper(date, record, fields, author)
            else:
                self.conn.execute(
                    "UPDATE papers SET paper = ?, position = ?, night_status = ?, flags = ? "
                    "WHERE date = ? AND arxiv_id = ?",
                    (*fields, date.isoformat(), record.paper.arxiv_id),
                )
            if text is None or self._has_text(date, record.paper.arxiv_id, text):
                return
            paper = self.paper(date, record.paper.arxiv_id)
            current = paper.current_revision
            replace = not paper.state.editorial and (
                current is None or current.origin is Origin.NIGHT
            )
            number = self._add_revision(
                paper,
                text,
                Origin.NIGHT,
                author,
                record.provenance,
                candidate=None if replace else CandidateState.PENDING,
            )
            if replace:
                state = State.DRAFT if record.status is Status.OK else State.NEEDS_REVIEW
                self._set(paper, author, state=state, reason=record.reason, current=number)
                self._log(paper, author, "night draft", f"revision {number}")
            else:
                self._log(paper, author, "night candidate", f"revision {number}")

    def _insert_paper(
        self, date: dt.date, record: PaperRecord, fields: tuple[object, ...], author: str
    ) -> None:
        state = State.DRAFT if record.status is Status.OK else State.NEEDS_REVIEW
        reason = record.reason
        if record.status is Status.PENDING:
            reason = reason or "the night has not summarised this paper yet"
        self.conn.execute(
            "INSERT INTO papers (date, arxiv_id, paper, position, night_status, flags, state, "
            "reason, current, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (
                date.isoformat(),
                record.paper.arxiv_id,
                *fields,
                state,
                reason,
                _now().isoformat(),
                author,
            ),
        )

    # ---- editors' actions ---------------------------------------------------------------------
    def edit(
        self, date: dt.date, arxiv_id: str, sections: dict[str, str], base: int | None, editor: str
    ) -> PaperState:
        """Save new text for one or more sections, checked like the model's output."""
        unknown = sorted(set(sections) - set(SECTION_NAMES))
        if unknown or not sections:
            raise ReviewRefused(
                f"unknown section {', '.join(unknown) or '(none)'}; use {', '.join(SECTION_NAMES)}"
            )
        with transaction(self.conn):
            paper = self._checked(date, arxiv_id, base, sections)
            current = paper.current_revision
            old = current.summary.model_dump() if current else dict.fromkeys(SECTION_NAMES, "")
            cleaned = {k: v.strip() for k, v in sections.items()}
            text = Summary(**{**old, **cleaned})
            problems = self.problems(text, paper, list(cleaned))
            if problems:
                raise ReviewRefused(f"paper {arxiv_id}: edit refused, nothing saved", problems)
            if current is not None and text == current.summary:
                raise ReviewRefused(f"paper {arxiv_id}: the text is unchanged")
            number = self._add_revision(paper, text, Origin.EDIT, editor, None)
            self._become_current(paper, number, text, editor)
            self._log(paper, editor, "edit", f"revision {number}: {', '.join(cleaned)}")
        return self.paper(date, arxiv_id)

    def approve(self, date: dt.date, arxiv_id: str, base: int | None, editor: str) -> PaperState:
        with transaction(self.conn):
            paper = self._checked(date, arxiv_id, base)
            current = paper.current_revision
            if current is None:
                raise ReviewRefused(f"paper {arxiv_id} has no text to approve; edit or regenerate")
            problems = self.problems(current.summary, paper)
            if problems:
                raise ReviewRefused(f"paper {arxiv_id} cannot be approved as it is", problems)
            self._set(paper, editor, state=State.APPROVED, reason=None)
            self._log(paper, editor, "approve", f"revision {paper.current}")
        return self.paper(date, arxiv_id)

    def exclude(
        self, date: dt.date, arxiv_id: str, reason: str, base: int | None, editor: str
    ) -> PaperState:
        reason = reason.strip() or "excluded by the editor"
        with transaction(self.conn):
            paper = self._checked(date, arxiv_id, base)
            self._set(paper, editor, state=State.EXCLUDED, reason=reason)
            self._log(paper, editor, "exclude", reason)
        return self.paper(date, arxiv_id)

    def add_candidate(
        self,
        date: dt.date,
        arxiv_id: str,
        text: Summary,
        origin: Origin,
        author: str,
        provenance: Provenance | None,
        note: str | None = None,
    ) -> Revision:
        """Offer a text beside the current one (a regeneration); the editor accepts or not."""
        with transaction(self.conn):
            paper = self._checked(date, arxiv_id, None)
            number = self._add_revision(
                paper, text, origin, author, provenance, CandidateState.PENDING, note
            )
            self._log(paper, author, f"{origin} candidate", f"revision {number}")
        return next(r for r in self.paper(date, arxiv_id).revisions if r.number == number)

    def accept(
        self, date: dt.date, arxiv_id: str, number: int, base: int | None, editor: str
    ) -> PaperState:
        with transaction(self.conn):
            paper = self._checked(date, arxiv_id, base)
            candidate = self._pending(paper, number)
            self._mark(paper, number, CandidateState.ACCEPTED)
            self._become_current(paper, number, candidate.summary, editor)
            self._log(paper, editor, "accept", f"revision {number}")
        return self.paper(date, arxiv_id)

    def discard(
        self, date: dt.date, arxiv_id: str, number: int, base: int | None, editor: str
    ) -> PaperState:
        with transaction(self.conn):
            paper = self._checked(date, arxiv_id, base)
            self._pending(paper, number)
            self._mark(paper, number, CandidateState.DISCARDED)
            self._log(paper, editor, "discard", f"revision {number}")
        return self.paper(date, arxiv_id)

    def restore(
        self, date: dt.date, arxiv_id: str, number: int, base: int | None, editor: str
    ) -> PaperState:
        """Make an earlier revision's text current again, as a new revision: history only grows."""
        with transaction(self.conn):
            paper = self._checked(date, arxiv_id, base)
            old = next((r for r in paper.revisions if r.number == number), None)
            if old is None or old.candidate is CandidateState.PENDING:
                raise ReviewRefused(f"paper {arxiv_id} has no earlier revision {number}")
            if number == paper.current:
                raise ReviewRefused(f"paper {arxiv_id}: revision {number} is already current")
            new = self._add_revision(
                paper, old.summary, Origin.RESTORE, editor, None, note=f"from revision {number}"
            )
            self._become_current(paper, new, old.summary, editor)
            self._log(paper, editor, "restore", f"revision {number} as {new}")
        return self.paper(date, arxiv_id)

    # ---- settings -----------------------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_setting(self, key: str, value: str) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # ---- inside a transaction -----------------------------------------------------------------
    def _row(self, date: dt.date, arxiv_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM papers WHERE date = ? AND arxiv_id = ?", (date.isoformat(), arxiv_id)
        ).fetchone()
        return row

    def _checked(
        self,
        date: dt.date,
        arxiv_id: str,
        base: int | None,
        yours: dict[str, str] | None = None,
    ) -> PaperState:
        """The paper, if ``base`` is still its current revision (None: whatever is current)."""
        paper = self.paper(date, arxiv_id)
        if base is not None and base != paper.current:
            current = paper.current_revision
            theirs = current.summary.model_dump() if current else {}
            raise EditConflict(arxiv_id, base, paper.current, theirs, yours or {})
        return paper

    def _has_text(self, date: dt.date, arxiv_id: str, text: Summary) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM revisions WHERE date = ? AND arxiv_id = ? AND summary = ?",
            (date.isoformat(), arxiv_id, text.model_dump_json()),
        ).fetchone()
        return row is not None

    def _add_revision(
        self,
        paper: PaperState,
        text: Summary,
        origin: Origin,
        author: str,
        provenance: Provenance | None,
        candidate: CandidateState | None = None,
        note: str | None = None,
    ) -> int:
        number = max((r.number for r in paper.revisions), default=0) + 1
        # A night draft's flags are the night record's (papers.flags), checked by the night.
        flags = None
        if self.flaggers and origin is not Origin.NIGHT:
            flags = [f for flagger in self.flaggers for f in flagger(text, paper)]
        self.conn.execute(
            "INSERT INTO revisions (date, arxiv_id, number, origin, author, created_at, summary, "
            "provenance, based_on, candidate, note, flags) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                paper.date.isoformat(),
                paper.arxiv_id,
                number,
                origin.value,
                author,
                _now().isoformat(),
                text.model_dump_json(),
                provenance.model_dump_json() if provenance else None,
                paper.current,
                candidate.value if candidate else None,
                note,
                None if flags is None else json.dumps([f.model_dump(mode="json") for f in flags]),
            ),
        )
        return number

    def _become_current(self, paper: PaperState, number: int, text: Summary, editor: str) -> None:
        problems = self.problems(text, paper)
        state = State.NEEDS_REVIEW if problems else State.EDITED
        self._set(paper, editor, state=state, reason="; ".join(problems) or None, current=number)

    def _pending(self, paper: PaperState, number: int) -> Revision:
        found = next((r for r in paper.pending_candidates if r.number == number), None)
        if found is None:
            raise ReviewRefused(f"paper {paper.arxiv_id} has no pending candidate {number}")
        return found

    def _mark(self, paper: PaperState, number: int, mark: CandidateState) -> None:
        self.conn.execute(
            "UPDATE revisions SET candidate = ? WHERE date = ? AND arxiv_id = ? AND number = ?",
            (mark.value, paper.date.isoformat(), paper.arxiv_id, number),
        )

    def _set(
        self,
        paper: PaperState,
        editor: str,
        *,
        state: State,
        reason: str | None,
        current: int | None = None,
    ) -> None:
        self.conn.execute(
            "UPDATE papers SET state = ?, reason = ?, current = ?, updated_at = ?, "
            "updated_by = ? WHERE date = ? AND arxiv_id = ?",
            (
                state.value,
                reason,
                paper.current if current is None else current,
                _now().isoformat(),
                editor,
                paper.date.isoformat(),
                paper.arxiv_id,
            ),
        )

    def _log(self, paper: PaperState, editor: str, action: str, detail: str) -> None:
        self.conn.execute(
            "INSERT INTO events (date, arxiv_id, at, editor, action, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (paper.date.isoformat(), paper.arxiv_id, _now().isoformat(), editor, action, detail),
        )


def _revision(row: sqlite3.Row) -> Revision:
    return Revision(
        number=row["number"],
        origin=Origin(row["origin"]),
        author=row["author"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        summary=Summary.model_validate_json(row["summary"]),
        provenance=Provenance.model_validate_json(row["provenance"]) if row["provenance"] else None,
        based_on=row["based_on"],
        candidate=CandidateState(row["candidate"]) if row["candidate"] else None,
        note=row["note"],
        flags=None
        if row["flags"] is None
        else [Flag.model_validate(f) for f in json.loads(row["flags"])],
    )


def record_night(store: Store, date: dt.date, records: list[PaperRecord]) -> None:
    """The nightly job's hook: its records enter the editorial state (as candidates where an
    editor has acted), so no run, --force or new prompt version replaces an editor's work."""
    editorial = Editorial(store)
    try:
        for position, record in enumerate(records):
            editorial.import_record(date, record, position)
    finally:
        editorial.close()
