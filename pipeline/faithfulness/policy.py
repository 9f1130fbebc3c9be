"""The night's faithfulness policy: what a flag does to a paper. Pure functions.

review  numbers or names not in the paper -> one re-ask naming them (the text comes from the
        prompt version); still there -> needs_review with the flags, the draft kept. A
        wrong-paper flag goes to needs_review at once: a re-ask cannot fix another paper.
flag    publish, with the flags on the record for editors.
off     no check.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from pipeline.core.models import Flag, PaperRecord, Status, Summary
from pipeline.stages.prompts import PromptTemplate
from pipeline.stages.validate import SECTION_TITLES

from . import PAPER, SourceIndex, check_summary


class Policy(StrEnum):
    REVIEW = "review"
    FLAG = "flag"
    OFF = "off"


def reask_message(template: PromptTemplate, flags: list[Flag]) -> str | None:
    """The prompt version's re-ask naming each unsupported span; None if it has none."""
    if template.faithfulness_reask is None or not flags:
        return None
    listed = "\n".join(
        f"- {flag.span} ({SECTION_TITLES.get(flag.section or '', 'summary')})" for flag in flags
    )
    return template.faithfulness_reask.format(problems=listed)


def content_check(
    policy: Policy, template: PromptTemplate, source: SourceIndex
) -> Callable[[Summary], str | None] | None:
    """What ``summarize_paper`` re-asks with after the form checks pass (review policy only)."""
    if policy is not Policy.REVIEW or template.faithfulness_reask is None:
        return None

    def check(draft: Summary) -> str | None:
        flags = check_summary(draft, source)
        if any(flag.code == PAPER for flag in flags):
            return None  # straight to review: no re-ask turns a summary into another paper's
        return reask_message(template, flags)

    return check


def apply_policy(policy: Policy, record: PaperRecord, source: SourceIndex) -> list[Flag]:
    """Check a finished (``ok``) record's summary and apply the policy to the record, in place
    (the night is still building it). Returns the flags found."""
    if policy is Policy.OFF or record.status is not Status.OK or record.summary is None:
        return []
    flags = check_summary(record.summary, source)
    record.flags = [*record.flags, *flags]
    if flags and policy is Policy.REVIEW:
        record.status, record.reason = Status.NEEDS_REVIEW, review_reason(flags)
        record.summary, record.draft = None, record.summary
    return flags


def review_reason(flags: list[Flag]) -> str:
    """One line for an editor: what to look at first."""
    wrong = [f for f in flags if f.code == PAPER]
    if wrong:
        return f"may summarise another paper: {wrong[0].detail}"
    spans = ", ".join(dict.fromkeys(f.span or "" for f in flags))
    return f"numbers or names not found in the paper: {spans}"
