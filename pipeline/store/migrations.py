"""Ordered migrations of stored records, applied on read by ``store``.

``MIGRATIONS[kind][n]`` turns a version-``n`` record (a parsed JSON dict) into version ``n+1``.
A record without ``schema_version`` is version 0. A change to a stored model appends one step
here and bumps ``models.RECORD_SCHEMA``; a record is never renamed away and paid for again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.models import RECORD_SCHEMA

Raw = dict[str, Any]


def _v0_to_v1(raw: Raw) -> Raw:
    # v1 added schema_version itself, Provenance.pdf_sha256/extractor_version and
    # RunReport.prompts/models, all with defaults: nothing to rewrite.
    return raw


def _form_flag(paper: Raw) -> Raw:
    """v2 records one ``form`` flag per form problem; v1 kept them only joined into the reason,
    and a problem may itself contain "; ", so the reason is not split again: a paper sent to
    review with no faithfulness flag to explain it gets the whole reason as one problem. A failed
    paper gets none (v1 cannot tell a reply of the wrong form from a request that failed). The
    count may be low; it is never made up."""
    flags = paper.get("flags") or []
    codes = [str(flag.get("code", "")) for flag in flags]
    judged = paper.get("status") == "needs_review" and paper.get("reason")
    if not judged or any(c == "form" or c.startswith("faithfulness_") for c in codes):
        return paper
    return {**paper, "flags": [{"code": "form", "detail": paper["reason"]}, *flags]}


def _record_v1_to_v2(raw: Raw) -> Raw:
    return _form_flag(raw)


def _run_v1_to_v2(raw: Raw) -> Raw:
    return {**raw, "papers": [_form_flag(paper) for paper in raw.get("papers") or []]}


MIGRATIONS: dict[str, list[Callable[[Raw], Raw]]] = {
    "record": [_v0_to_v1, _record_v1_to_v2],
    "run": [_v0_to_v1, _run_v1_to_v2],
}


class TooNew(Exception):
    """Written by a newer version of the pipeline than this one."""


def migrate(kind: str, raw: Raw) -> Raw:
    """``raw`` brought up to ``RECORD_SCHEMA``, one ordered step at a time."""
    steps = MIGRATIONS[kind]
    assert len(steps) == RECORD_SCHEMA, "one migration per schema version"
    version = int(raw.get("schema_version", 0))
    if version > RECORD_SCHEMA:
        raise TooNew(f"schema_version {version} is newer than this pipeline's {RECORD_SCHEMA}")
    for step in steps[version:]:
        raw = step(raw)
        version += 1
        raw["schema_version"] = version
    return raw
