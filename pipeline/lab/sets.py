"""An eval set: papers frozen with exactly the text a model would see, and a manifest of hashes.

The inputs are copied, not referenced: a later night with another extractor version, budget or
a re-downloaded PDF must not change what an old eval measured. A different budget or extractor
is therefore a new set, never an edit of one.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field

from pipeline.core.errors import UsageError
from pipeline.core.hashing import sha256_json
from pipeline.core.models import DailyPaper, Extraction, Model, PaperInput

SET_SCHEMA = 1
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_name(name: str) -> str:
    """A set name is a plain file name: it becomes a folder under the data dir."""
    if not NAME.match(name) or name.endswith(".") or ".." in name:
        raise UsageError(
            f"eval set name {name!r} must be letters, digits, '-', '_' or '.' (at most 64), "
            "starting with a letter or digit"
        )
    return name


class FrozenPaper(Model):
    """One paper of a set: listing data, the text sent to the model, and where it came from."""

    date: dt.date
    paper: DailyPaper
    input: PaperInput
    extraction: Extraction | None = None
    """The whole extraction the input came from (None for an abstract fallback): checks that
    look things up in the paper (faithfulness) have its full text without re-reading the PDF."""

    def content_hash(self) -> str:
        return sha256_json(self.model_dump(mode="json"))


class SetEntry(Model):
    arxiv_id: str
    date: dt.date
    title: str
    input_source: str
    input_tokens: int
    input_flags: list[str] = Field(default_factory=list)
    sha256: str
    """Of the frozen paper's canonical JSON: a changed file is caught when the set is read."""


class EvalSetManifest(Model):
    schema_version: int = SET_SCHEMA
    name: str
    created_at: dt.datetime
    dates: list[dt.date]
    ids: list[str] | None = None
    """The ids asked for with --ids; None for every listed paper of the dates."""
    token_budget: int
    extractor_version: str
    tokenizer: str
    model: str
    """The model whose tokenizer counted the budget."""
    papers: list[SetEntry]
    set_hash: str


class FrozenSet(Model):
    """The frozen papers, in set order (kept apart from the manifest so listing sets is cheap)."""

    name: str
    papers: list[FrozenPaper]


def set_hash(manifest_fields: dict[str, object], entries: list[SetEntry]) -> str:
    return sha256_json({**manifest_fields, "papers": [[e.arxiv_id, e.sha256] for e in entries]})


def entry_for(frozen: FrozenPaper) -> SetEntry:
    return SetEntry(
        arxiv_id=frozen.paper.arxiv_id,
        date=frozen.date,
        title=frozen.paper.title,
        input_source=frozen.input.source,
        input_tokens=frozen.input.tokens,
        input_flags=[f.code for f in frozen.input.flags],
        sha256=frozen.content_hash(),
    )
