"""The editorial state machine over the SQLite store: import, edit, decide, candidates.

    night draft --import--> draft | needs_review
    draft, needs_review, edited --edit/accept/restore--> edited (needs_review if checks fail)
    any state with text --approve--> approved        any --exclude(reason)--> excluded
    approved, excluded --edit/accept/restore--> edited (a changed text must be approved again)

Every change names the revision the editor saw (``base``); when another save came first, the
change is refused with both texts (EditConflict) and nothing is written, except an edit whose
sections nobody changed since: it lands on the current revision (``merge_edit``). The checks
(validator, faithfulness) run *before* the write transaction, which then only re-checks that
the paper did not move on and writes: one slow check never holds the lock others wait for. A
candidate made from an older revision is merged per section (``merge_candidate``). Any SQLite
failure leaves as one StoreError naming the file (EditorialBusy when another writer holds it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..core.errors import EditConflict, ReviewRefused
from ..core.models import DailyPaper, Flag, PaperRecord, Provenance, Status, Summary
from ..stages.summarize import problems_line
from ..stages.validate import MAX_CHARS, SECTION_TITLES, section_problems
from ..store import Store
from .db import BUSY_TIMEOUT_S, connect, connect_readonly, in_memory_copy, mapped, transaction
from .models import SECTION_NAMES, CandidateState, Event, Origin, PaperState, Revision, State

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


def typed_text_problems(sections: dict[str, str]) -> list[str]:
    """What only an editor's typing or pasting brings: Markdown the validator lets pass in a
    model's paragraph, and invisible characters (BOM, zero-width, bidi controls). Checked on
    the sections an edit changes, never on a model's draft awaiting approval."""
    return [
        f"{SECTION_TITLES[name]} {problem}"
        for name, text in sections.items()
        for problem in (*_more_markdown(text), *_invisible(text))
    ]


# What the validator lets through in a model's paragraph (where it is rare) but an editor types
# on purpose, and Markdown renders: an edit must publish as the plain text it shows.
_EDIT_MARKDOWN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bold or italic text", re.compile(r"(?<![\w])__\S.*?__|(?<![\w*])\*\S[^*]*\*(?!\*)")),
    ("struck-through text", re.compile(r"~~\S.*?~~")),
    ("inline code", re.compile(r"`[^`]+`")),
    ("a reference link", re.compile(r"\[[^\]\n]+\]\s?\[[^\]\n]*\]|^\s*\[[^\]]+\]:")),
    ("a bare URL", re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)),
    ("a quote or rule", re.compile(r"^\s*(?:>|-{3,}|\*{3,}|_{3,})")),
)


def _more_markdown(text: str) -> list[str]:
    found = [label for label, pattern in _EDIT_MARKDOWN if pattern.search(text)]
    if not found:
        return []
    return [f"contains Markdown ({', '.join(found)}); write one plain paragraph"]


# Invisible in a page, they reorder or split what readers see: U+202E shows text backwards.
_INVISIBLE = frozenset("\ufeff\u200b\u200c\u200d\u2060\u180e\u00ad") | frozenset(
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
)


def _invisible(text: str) -> list[str]:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in _INVISIBLE})
    if not found:
        return []
    listed = ", ".join(found)
    return [f"contains invisible or direction-changing characters ({listed}); remove them"]


def capped(sections: dict[str, str]) -> dict[str, str]:
    """Refuse any section over the validator's maximum before any other work is done on it."""
    unknown = sorted(set(sections) - set(SECTION_NAMES))
    if unknown or not sections:
        raise ReviewRefused(
            f"unknown section {', '.join(unknown) or '(none)'}; use {', '.join(SECTION_NAMES)}"
        )
    long = [
        f"{SECTION_TITLES[name]} is too long ({len(text)} characters; keep it under {MAX_CHARS})"
        for name, text in sections.items()
        if len(text) > MAX_CHARS * 2 or len(text.strip()) > MAX_CHARS
    ]
    if long:
        raise ReviewRefused("edit refused, nothing saved", long)
    return {name: unicodedata.normalize("NFC", text).strip() for name, text in sections.items()}


def merge_candidate(paper: PaperState, candidate: Revision) -> tuple[Summary, bool]:
    """The text accepting ``candidate`` makes current, and whether it differs from the candidate.

    A candidate carries every section of the revision it was made from (``based_on``); a section
    it did not change must not undo an edit saved since. Per section: unchanged by the candidate
    -> the current text; unchanged since -> the candidate's; both changed -> a conflict with
    both texts."""
    current = paper.current_revision
    based = next((r for r in paper.revisions if r.number == candidate.based_on), None)
    if current is None or based is None or candidate.based_on == paper.current:
        return candidate.summary, False
    merged: dict[str, str] = {}
    clashes = []
    for name in SECTION_NAMES:
        theirs, base, now = (getattr(r.summary, name) for r in (candidate, based, current))
        if theirs in (base, now):
            merged[name] = now
        elif now == base:
            merged[name] = theirs
        else:
            clashes.append(name)
    if clashes:
        raise EditConflict(
            paper.arxiv_id,
            candidate.based_on,
            paper.current,
            {n: getattr(current.summary, n) for n in clashes},
            {n: getattr(candidate.summary, n) for n in clashes},
        )
    text = Summary(**merged)
    return text, text != candidate.summary


def merge_edit(paper: PaperState, base: int | None, sections: dict[str, str]) -> int | None:
    """Whether an edit made on revision ``base`` may be saved onto the current one: None when
    ``base`` is current (or not given), ``base`` when only *other* sections changed since (their
    newer text is kept, the edit lands on the current revision). A section the edit changes
    that someone else changed since is a conflict with both texts, nothing written."""
    if base is None or base == paper.current:
        return None
    current = paper.current_revision
    based = next((r for r in paper.revisions if r.number == base), None)
    was_current = based is not None and based.candidate in (None, CandidateState.ACCEPTED)
    if (
        current is None
        or based is None
        or not was_current
        or any(getattr(based.summary, n) != getattr(current.summary, n) for n in sections)
    ):
        theirs = current.summary.model_dump() if current else {}
        raise EditConflict(paper.arxiv_id, base, paper.current, theirs, sections)
    return base


DEFAULT_CHECKERS: tuple[Checker, ...] = (validator_checker,)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _db_path(editorial: Editorial) -> Path:
    return editorial.path


class Editorial:
    def __init__(
        self,
        store: Store,
        checkers: Sequence[Checker] = DEFAULT_CHECKERS,
        flaggers: Sequence[Flagger] = (),
        *,
        readonly: bool = False,
        timeout: float = BUSY_TIMEOUT_S,
    ) -> None:
        """``readonly``: never write the file (reads from the command line); a pending night is
        imported into a copy in memory, so what is shown is current all the same."""
        self.store = store
        self.checkers = tuple(checkers)
        self.flaggers = tuple(flaggers)
        self.readonly = readonly
        self.path = store.editorial_db_path()
        self.conn: sqlite3.Connection = (
            connect_readonly(self.path, timeout) if readonly else connect(self.path, timeout)
        )

    def close(self) -> None:
        self.conn.close()

    @mapped(_db_path)
    def needs_import(self, date: dt.date) -> bool:
        """The night of ``date`` is not (all) in the database: it failed to import it, or the
        day predates the database."""
        if self.store.editorial_import_pending(date):
            return True
        row = self.conn.execute(
            "SELECT 1 FROM papers WHERE date = ? LIMIT 1", (date.isoformat(),)
        ).fetchone()
        return row is None and (self.store.day(date) / "papers").is_dir()

    @mapped(_db_path)
    def open_day(self, date: dt.date) -> None:
        """Bring a pending night in before showing or changing the day (the retry the night
        left for the next open). Read-only: into a copy in memory, the file untouched."""
        if not self.needs_import(date):
            return
        if self.readonly:
            if self.conn.execute("PRAGMA database_list").fetchone()["file"]:
                copy = in_memory_copy(self.conn)
                self.conn.close()
                self.conn = copy
            self.import_day(date)
            return
        self.import_day(date)
        self.store.set_editorial_import_pending(date, False)

    def problems(
        self, summary: Summary, paper: PaperState, sections: Sequence[str] = SECTION_NAMES
    ) -> list[str]:
        return [p for check in self.checkers for p in check(summary, sections, paper)]

    # ---- reading ------------------------------------------------------------------------------
    @mapped(_db_path)
    def days(self) -> list[tuple[dt.date, dict[str, int]]]:
        """Every date the store or the editorial state knows, newest first, with state counts.

        A read: nothing is imported here. A day the database does not have yet is listed with
        no counts (opening it brings its night in)."""
        counts: dict[str, dict[str, int]] = {}
        for row in self.conn.execute(
            "SELECT date, state, COUNT(*) AS n FROM papers GROUP BY date, state"
        ):
            counts.setdefault(row["date"], {})[row["state"]] = row["n"]
        for date in self.store.list_days():
            if (self.store.day(date) / "papers").is_dir():
                counts.setdefault(date.isoformat(), {})
        return [(dt.date.fromisoformat(d), counts[d]) for d in sorted(counts, reverse=True)]

    @mapped(_db_path)
    def day(self, date: dt.date) -> list[PaperState]:
        rows = self.conn.execute(
            "SELECT arxiv_id FROM papers WHERE date = ? ORDER BY position", (date.isoformat(),)
        ).fetchall()
        return [self.paper(date, row["arxiv_id"]) for row in rows]

    @mapped(_db_path)
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
        events = [
            Event(at=dt.datetime.fromisoformat(e["at"]), editor=e["editor"],
                  action=e["action"], detail=e["detail"])
            for e in self.conn.execute(
                "SELECT at, editor, action, detail FROM events WHERE date = ? AND arxiv_id = ? "
                "ORDER BY id",
                (date.isoformat(), arxiv_id),
            )
        ]  # fmt: skip
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
            events=events,
        )

    # ---- the night's records ------------------------------------------------------------------
    @mapped(_db_path)
    def import_day(self, date: dt.date) -> None:
        """Bring the night's records into the editorial state; running it again changes nothing."""
        for position, record in enumerate(self.store.day_records(date)):
            self.import_record(date, record, position)

    @mapped(_db_path)
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
    # Each: read and check outside any transaction, then write in one short transaction that
    # first makes sure the paper is still at the revision the checks saw (``_write``).
    @mapped(_db_path)
    def edit(
        self, date: dt.date, arxiv_id: str, sections: dict[str, str], base: int | None, editor: str
    ) -> PaperState:
        """Save new text for one or more sections, checked like the model's output."""
        cleaned = capped(sections)
        paper = self.paper(date, arxiv_id)
        merged_from = merge_edit(paper, base, cleaned)
        current = paper.current_revision
        old = current.summary.model_dump() if current else dict.fromkeys(SECTION_NAMES, "")
        text = Summary(**{**old, **cleaned})
        if current is not None and text == current.summary:
            raise ReviewRefused(f"paper {arxiv_id}: the text is unchanged")
        problems = typed_text_problems(cleaned) + self.problems(text, paper, list(cleaned))
        if problems:
            raise ReviewRefused(f"paper {arxiv_id}: edit refused, nothing saved", problems)
        after = self.problems(text, paper)
        flags = self._flags(text, paper, Origin.EDIT)
        note = None
        if merged_from is not None:
            note = f"edited on revision {merged_from}, onto revision {paper.current}"
        with self._write(paper, cleaned) as fresh:
            number = self._add_revision(
                fresh, text, Origin.EDIT, editor, None, note=note, flags=flags
            )
            self._become_current(fresh, number, editor, after)
            self._log(fresh, editor, "edit", f"revision {number}: {', '.join(cleaned)}")
        return self.paper(date, arxiv_id)

    @mapped(_db_path)
    def approve(self, date: dt.date, arxiv_id: str, base: int | None, editor: str) -> PaperState:
        paper = self._checked(date, arxiv_id, base)
        current = paper.current_revision
        if current is None:
            raise ReviewRefused(f"paper {arxiv_id} has no text to approve; edit or regenerate")
        problems = self.problems(current.summary, paper)
        if problems:
            raise ReviewRefused(f"paper {arxiv_id} cannot be approved as it is", problems)
        with self._write(paper) as fresh:
            self._set(fresh, editor, state=State.APPROVED, reason=None)
            self._log(fresh, editor, "approve", f"revision {fresh.current}")
        return self.paper(date, arxiv_id)

    @mapped(_db_path)
    def exclude(
        self, date: dt.date, arxiv_id: str, reason: str, base: int | None, editor: str
    ) -> PaperState:
        reason = reason.strip()[:500] or "excluded by the editor"
        paper = self._checked(date, arxiv_id, base)
        with self._write(paper) as fresh:
            self._set(fresh, editor, state=State.EXCLUDED, reason=reason)
            self._log(fresh, editor, "exclude", reason)
        return self.paper(date, arxiv_id)

    @mapped(_db_path)
    def add_candidate(
        self,
        date: dt.date,
        arxiv_id: str,
        text: Summary,
        origin: Origin,
        author: str,
        provenance: Provenance | None,
        note: str | None = None,
        based_on: int | None = None,
        flags: list[Flag] | None = None,
    ) -> Revision:
        """Offer a text beside the current one (a regeneration); the editor accepts or not.
        ``based_on``: the revision the text was made from (a regeneration that started before
        another save), so accepting it merges per section instead of undoing that save.
        ``flags``: what judging the text as the night judges found (a regeneration); without
        them the editors' checks flag it."""
        paper = self._checked(date, arxiv_id, None)
        if flags is None:
            flags = self._flags(text, paper, origin)
        with transaction(self.conn):
            fresh = self.paper(date, arxiv_id)
            number = self._add_revision(
                fresh, text, origin, author, provenance, CandidateState.PENDING, note,
                flags=flags, based_on=based_on,
            )  # fmt: skip
            self._log(fresh, author, f"{origin} candidate", f"revision {number}")
        return next(r for r in self.paper(date, arxiv_id).revisions if r.number == number)

    @mapped(_db_path)
    def accept(
        self, date: dt.date, arxiv_id: str, number: int, base: int | None, editor: str
    ) -> PaperState:
        paper = self._checked(date, arxiv_id, base)
        candidate = self._pending(paper, number)
        text, merged = merge_candidate(paper, candidate)
        after = self.problems(text, paper)
        flags = self._flags(text, paper, Origin.MERGE) if merged else None
        with self._write(paper) as fresh:
            self._pending(fresh, number)
            self._mark(fresh, number, CandidateState.ACCEPTED)
            current = number
            if merged:
                current = self._add_revision(
                    fresh, text, Origin.MERGE, editor, candidate.provenance,
                    note=f"revision {number} merged onto revision {fresh.current}", flags=flags,
                )  # fmt: skip
            self._become_current(fresh, current, editor, after)
            detail = f"revision {number}" + (f" as {current}" if merged else "")
            self._log(fresh, editor, "accept", detail)
        return self.paper(date, arxiv_id)

    @mapped(_db_path)
    def discard(
        self, date: dt.date, arxiv_id: str, number: int, base: int | None, editor: str
    ) -> PaperState:
        paper = self._checked(date, arxiv_id, base)
        self._pending(paper, number)
        with self._write(paper) as fresh:
            self._pending(fresh, number)
            self._mark(fresh, number, CandidateState.DISCARDED)
            self._log(fresh, editor, "discard", f"revision {number}")
        return self.paper(date, arxiv_id)

    @mapped(_db_path)
    def restore(
        self, date: dt.date, arxiv_id: str, number: int, base: int | None, editor: str
    ) -> PaperState:
        """Make an earlier revision's text current again, as a new revision: history only grows."""
        paper = self._checked(date, arxiv_id, base)
        old = next((r for r in paper.revisions if r.number == number), None)
        if old is None or old.candidate is CandidateState.PENDING:
            raise ReviewRefused(f"paper {arxiv_id} has no earlier revision {number}")
        if number == paper.current:
            raise ReviewRefused(f"paper {arxiv_id}: revision {number} is already current")
        after = self.problems(old.summary, paper)
        flags = self._flags(old.summary, paper, Origin.RESTORE)
        with self._write(paper) as fresh:
            new = self._add_revision(
                fresh, old.summary, Origin.RESTORE, editor, None,
                note=f"from revision {number}", flags=flags,
            )  # fmt: skip
            self._become_current(fresh, new, editor, after)
            self._log(fresh, editor, "restore", f"revision {number} as {new}")
        return self.paper(date, arxiv_id)

    # ---- settings -----------------------------------------------------------------------------
    @mapped(_db_path)
    def setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    @mapped(_db_path)
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

    @contextlib.contextmanager
    def _write(self, seen: PaperState, yours: dict[str, str] | None = None) -> Iterator[PaperState]:
        """One write transaction for a change checked against ``seen``: refused as a conflict
        if another save made the paper move on since (between the checks and now)."""
        with transaction(self.conn):
            fresh = self.paper(seen.date, seen.arxiv_id)
            if fresh.current != seen.current or fresh.state is not seen.state:
                current = fresh.current_revision
                theirs = current.summary.model_dump() if current else {}
                raise EditConflict(seen.arxiv_id, seen.current, fresh.current, theirs, yours or {})
            yield fresh

    def _flags(self, text: Summary, paper: PaperState, origin: Origin) -> list[Flag] | None:
        # A night draft's flags are the night record's (papers.flags), checked by the night.
        if not self.flaggers or origin is Origin.NIGHT:
            return None
        return [f for flagger in self.flaggers for f in flagger(text, paper)]

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
        *,
        flags: list[Flag] | None = None,
        based_on: int | None = None,
    ) -> int:
        number = max((r.number for r in paper.revisions), default=0) + 1
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
                paper.current if based_on is None else based_on,
                candidate.value if candidate else None,
                note,
                None if flags is None else json.dumps([f.model_dump(mode="json") for f in flags]),
            ),
        )
        return number

    def _become_current(
        self, paper: PaperState, number: int, editor: str, problems: list[str]
    ) -> None:
        """``problems``: the new current text's, found before the transaction began."""
        state = State.NEEDS_REVIEW if problems else State.EDITED
        self._set(paper, editor, state=state, reason=problems_line(problems), current=number)

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
