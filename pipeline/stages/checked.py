"""A paper's outcome under the night's content policy: one judgment for the night and the lab.

``summarize_checked`` is ``summarize_paper`` (form checks and their re-asks) plus the
faithfulness policy (its re-ask, ``needs_review`` with the draft, a wrong paper sent to review)
plus the Korean style flags, with one ``form`` flag per form problem left. The nightly job, the
prompt lab and the review app's regenerate all call it, so a prompt judged in the lab (or a
regenerated candidate) is judged exactly as the night would judge it, with the same cached
replies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..core.errors import SummaryError
from ..core.models import (
    DailyPaper,
    Flag,
    PaperInput,
    PaperRecord,
    Provenance,
    Status,
    Summary,
    Usage,
)
from ..core.pricing import Price
from ..faithfulness import SourceIndex
from ..faithfulness.policy import Policy, apply_policy, content_check
from ..store import Store
from .llm import LLM
from .prompts import PromptTemplate
from .style import style_flags
from .summarize import problems_line, summarize_paper

__all__ = ["FORM", "CheckedOutcome", "form_flags", "summarize_checked"]

FORM = "form"
"""The flag of one form problem left after the re-asks (empty, cut off, Markdown, not Korean,
...): the night records them and the lab counts them, one per problem."""


def form_flags(problems: list[str]) -> list[Flag]:
    return [Flag(code=FORM, detail=problem) for problem in problems]


@dataclass
class CheckedOutcome:
    """What the night records for a paper and the lab compares. ``status`` is OK (``summary``
    set), NEEDS_REVIEW (``draft``, ``reason``) or FAILED (``reason``, perhaps a ``draft``)."""

    status: Status
    reason: str | None
    summary: Summary | None
    draft: Summary | None
    last_reply: str | None
    provenance: Provenance | None
    flags: list[Flag] = field(default_factory=list)
    """What the output earned: one ``form`` flag per problem of ``problems``, faithfulness under
    the policy, and style (never a rejection)."""
    problems: list[str] = field(default_factory=list)
    """The form problems left after the re-asks, one per problem (``reason`` joins them when
    they are why the paper did not pass)."""
    form_reasks: int = 0
    faithfulness_reasks: int = 0
    calls: int = 0
    """Requests sent for this paper now (cached replies are free)."""
    usage: Usage = field(default_factory=Usage)
    """What those requests took."""


async def summarize_checked(
    paper: DailyPaper,
    inp: PaperInput,
    llm: LLM,
    template: PromptTemplate,
    policy: Policy,
    source: SourceIndex | None,
    *,
    store: Store | None = None,
    price: Price | None = None,
    reasks: int = 2,
    use_cache: bool = True,
) -> CheckedOutcome:
    """One paper, judged as the night judges it. ``source`` is the paper to check numbers and
    names against (None with the policy off). Raises what ``summarize_paper`` raises for the
    whole run (LLMConfigError); a paper's own failure is a FAILED outcome."""
    asked: list[str] = []
    check = content_check(policy, template, source) if source is not None else None
    try:
        outcome = await summarize_paper(
            paper, inp, llm, template, store=store, price=price, reasks=reasks,
            use_cache=use_cache, content_check=_counting(check, asked) if check else None,
        )  # fmt: skip
    except SummaryError as exc:
        # No reply to judge (the request failed, the paper never fit): one problem, whatever its
        # text holds, and no form flag: the model's form is not what went wrong.
        return CheckedOutcome(
            Status.FAILED, problems_line([exc.problem]), None, exc.draft, exc.last_reply, None,
            problems=[exc.problem],
            form_reasks=max(exc.attempts - 1, 0), calls=exc.calls, usage=exc.usage or Usage(),
        )  # fmt: skip
    faithful = len(asked)
    checked = CheckedOutcome(
        outcome.status, outcome.reason, outcome.summary, outcome.draft, outcome.last_reply,
        outcome.provenance, flags=form_flags(outcome.problems), problems=list(outcome.problems),
        form_reasks=max(outcome.provenance.attempts - 1 - faithful, 0),
        faithfulness_reasks=faithful, calls=outcome.calls, usage=outcome.usage,
    )  # fmt: skip
    if source is not None and policy is not Policy.OFF:
        _apply_policy(policy, paper, checked, source)
    text = checked.summary or checked.draft
    if text is not None:
        checked.flags += style_flags(text, inp.text)
    return checked


def _counting(
    check: Callable[[Summary], str | None], asked: list[str]
) -> Callable[[Summary], str | None]:
    """``check``, remembering each re-ask it asks for (the lab counts re-asks by kind)."""

    def counted(draft: Summary) -> str | None:
        note = check(draft)
        if note:
            asked.append(note)
        return note

    return counted


def _apply_policy(
    policy: Policy, paper: DailyPaper, outcome: CheckedOutcome, source: SourceIndex
) -> None:
    """The night's policy (``faithfulness.policy.apply_policy``) on the outcome, in place."""
    record = PaperRecord(
        paper=paper, status=outcome.status, reason=outcome.reason, summary=outcome.summary,
        draft=outcome.draft,
    )  # fmt: skip
    outcome.flags += apply_policy(policy, record, source)
    outcome.status, outcome.reason = record.status, record.reason
    outcome.summary, outcome.draft = record.summary, record.draft
