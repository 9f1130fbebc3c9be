"""One editor's action, as both doors take it: the CLI twins (``review edit|approve|exclude|
accept|discard|restore``) and the web app's JSON API parse their input into an ``Action`` and
call ``perform``. What an action does, which revision it acts on and whose name it records live
here and in ``Editorial``, never in a door, so the two doors cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import StrEnum

from pydantic import Field

from ..core.errors import UsageError
from ..core.models import Model
from .editorial import Editorial
from .models import PaperState

_EDITOR_NAME = re.compile(r"[^\x00-\x1f\x7f<>\"'`\\]{1,40}\Z")


def editor_name(value: str) -> str | None:
    """A name fit for the history: 1-40 visible characters, nothing that could format."""
    name = unicodedata.normalize("NFC", value).strip()
    if not _EDITOR_NAME.match(name) or any(unicodedata.category(c) == "Cf" for c in name):
        return None
    return name


def checked_editor(value: str) -> str:
    name = editor_name(value)
    if name is None:
        raise UsageError(
            f"editor name {value[:50]!r} is not 1 to 40 visible characters "
            "(no quotes, angle brackets or backslashes)"
        )
    return name


class Kind(StrEnum):
    EDIT = "edit"
    APPROVE = "approve"
    EXCLUDE = "exclude"
    ACCEPT = "accept"
    DISCARD = "discard"
    RESTORE = "restore"


NEEDS_NUMBER = frozenset({Kind.ACCEPT, Kind.DISCARD, Kind.RESTORE})


class Action(Model):
    kind: Kind
    editor: str
    base: int | None = None
    """The revision the editor saw; None: the current one, pinned and named in ``Done``."""
    sections: dict[str, str] = Field(default_factory=dict)
    """edit: section name -> new text."""
    number: int | None = None
    """accept, discard: the candidate; restore: the earlier revision."""
    reason: str = ""
    """exclude: why."""


class Done(Model):
    paper: PaperState
    """The paper after the action."""
    acted_on: int
    """The revision the action was checked against."""
    acted_on_author: str | None = None
    """Its author, when the editor gave no base (so a script learns what it acted on)."""


def perform(editorial: Editorial, date: dt.date, arxiv_id: str, action: Action) -> Done:
    """Do ``action`` on one paper: the one place both doors act through."""
    editor = checked_editor(action.editor)
    if action.kind in NEEDS_NUMBER and action.number is None:
        raise UsageError(f"{action.kind} needs the revision number it acts on")
    base, author = action.base, None
    if base is None:
        # Pinned: a save landing between this read and the write is a conflict, not a surprise.
        paper = editorial.paper(date, arxiv_id)
        base = paper.current
        current = paper.current_revision
        author = current.author if current else "nobody"
    number = action.number or 0
    match action.kind:
        case Kind.EDIT:
            done = editorial.edit(date, arxiv_id, action.sections, base, editor)
        case Kind.APPROVE:
            done = editorial.approve(date, arxiv_id, base, editor)
        case Kind.EXCLUDE:
            done = editorial.exclude(date, arxiv_id, action.reason, base, editor)
        case Kind.ACCEPT:
            done = editorial.accept(date, arxiv_id, number, base, editor)
        case Kind.DISCARD:
            done = editorial.discard(date, arxiv_id, number, base, editor)
        case Kind.RESTORE:
            done = editorial.restore(date, arxiv_id, number, base, editor)
    return Done(paper=done, acted_on=base, acted_on_author=author)
