"""The pairwise judge: an LLM shown the paper and two summaries, once in each order.

Models prefer whichever answer they see first (or second) more often than chance; asking twice
with the entries swapped and counting only a preference that survives the swap (MT-Bench's
rule) turns that bias into ties instead of fake wins. The judge's prompt is a versioned template
(``prompts/judge/vN.yaml``) like the summariser's, and its replies are cached apart from the
summaries' under their own key, so a repeated eval asks it nothing either.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.core.errors import CallFailure, LLMConfigError
from pipeline.core.hashing import sha256_json
from pipeline.core.models import DailyPaper, PaperInput
from pipeline.stages.llm import LLMReply, Messages
from pipeline.stages.prompts import PromptTemplate, render_messages
from pipeline.stages.validate import SECTION_TITLES
from pipeline.store import Store

from .outcomes import JudgeSummary, JudgeVote, PaperOutcome
from .stats import wilson_interval

Choice = Literal["A", "B", "tie"]

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "preferred": {"type": "string", "enum": ["A", "B", "tie"]},
        "reason": {"type": "string"},
    },
    "required": ["preferred", "reason"],
    "additionalProperties": False,
}


class Judgement(BaseModel):
    model_config = ConfigDict(extra="ignore")

    preferred: Choice
    reason: str = ""


class JudgeLLM(Protocol):
    """What the judge needs of a model: an answer in its own JSON schema."""

    model: str

    async def complete(
        self,
        messages: Messages,
        params: dict[str, Any],
        *,
        schema: tuple[str, dict[str, Any]] | None = None,
    ) -> LLMReply: ...


def entry_text(outcome: PaperOutcome) -> str:
    """A summary as the judge reads it: the three sections under their titles."""
    return "\n\n".join(
        f"{title}: {outcome.sections.get(field, '')}" for field, title in SECTION_TITLES.items()
    )


def judge_messages(
    template: PromptTemplate, paper: DailyPaper, inp: PaperInput, first: str, second: str
) -> Messages:
    return render_messages(
        template,
        title=paper.title,
        authors=", ".join(paper.authors),
        abstract=paper.abstract,
        text=inp.text,
        arxiv_id=paper.arxiv_id,
        summary_a=first,
        summary_b=second,
    )


def parse_judgement(reply: LLMReply) -> Judgement:
    """The judge's answer; anything unreadable counts as a tie (no preference), not an error:
    one confused reply should not stop an eval, and a tie cannot fake a win."""
    try:
        return Judgement.model_validate_json(reply.content or "")
    except ValidationError:
        return Judgement(preferred="tie", reason=f"unreadable reply: {(reply.content or '')[:80]}")


def combine(arxiv_id: str, baseline_first: Judgement, candidate_first: Judgement) -> JudgeVote:
    """One vote from the two orders. In the first ask A is the baseline, in the second A is
    the candidate; a preference counts only when both asks name the same summary."""
    as_first = {"A": "baseline", "B": "candidate", "tie": "tie"}[baseline_first.preferred]
    as_second = {"A": "candidate", "B": "baseline", "tie": "tie"}[candidate_first.preferred]
    preferred = as_first if as_first == as_second else "inconsistent"
    return JudgeVote(
        arxiv_id=arxiv_id,
        baseline_first=baseline_first.preferred,
        candidate_first=candidate_first.preferred,
        preferred=preferred,  # type: ignore[arg-type]
        reasons=[baseline_first.reason, candidate_first.reason],
    )


def tally(
    baseline: str,
    candidate: str,
    judge_model: str,
    judge_prompt: str,
    votes: Sequence[JudgeVote],
) -> JudgeSummary:
    """The candidate's win rate over consistent preferences, with its Wilson 95% interval."""
    counts = Counter(v.preferred for v in votes)
    wins, losses = counts["candidate"], counts["baseline"]
    low, high = wilson_interval(wins, wins + losses)
    return JudgeSummary(
        baseline=baseline,
        candidate=candidate,
        judge_model=judge_model,
        judge_prompt=judge_prompt,
        candidate_wins=wins,
        baseline_wins=losses,
        ties=counts["tie"],
        inconsistent=counts["inconsistent"],
        win_rate=wins / (wins + losses) if wins + losses else None,
        ci_low=low,
        ci_high=high,
        votes=list(votes),
    )


def judge_cache_key(model: str, template: PromptTemplate, messages: Messages) -> str:
    return sha256_json(
        {
            "kind": "judge",
            "model": model,
            "prompt_hash": template.content_hash,
            "params": template.params,
            "messages": messages,
        }
    )


class Judge:
    """Asks one judge model with one judge template; replies cached in the store."""

    def __init__(self, llm: JudgeLLM, template: PromptTemplate, store: Store) -> None:
        self.llm = llm
        self.template = template
        self.store = store
        self.calls = 0

    @property
    def spec(self) -> str:
        return f"{self.template.name}@{self.template.version}"

    async def ask(self, messages: Messages) -> Judgement:
        key = judge_cache_key(self.llm.model, self.template, messages)
        cached = self.store.load_judge(key)
        if cached is not None:
            return parse_judgement(LLMReply.model_validate(cached["reply"]))
        try:
            reply = await self.llm.complete(
                messages, self.template.params, schema=("pairwise_judgement", JUDGE_SCHEMA)
            )
        except LLMConfigError as exc:  # its model came from --judge, not --model
            problem = f"--judge {self.llm.model}: {exc.problem}"
            raise LLMConfigError(exc.service, exc.url, problem, "check --judge") from exc
        except CallFailure as exc:
            # Too long for the judge's window, or refused: no preference, like an unreadable
            # reply (not cached: a bigger window or another judge may answer it).
            return Judgement(preferred="tie", reason=f"the judge could not answer: {exc}"[:200])
        self.calls += 1
        self.store.save_judge(
            key,
            {
                "model": self.llm.model,
                "prompt": self.spec,
                "prompt_hash": self.template.content_hash,
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "reply": json.loads(reply.model_dump_json()),
            },
        )
        return parse_judgement(reply)

    async def vote(
        self,
        paper: DailyPaper,
        inp: PaperInput,
        baseline: PaperOutcome,
        candidate: PaperOutcome,
    ) -> JudgeVote:
        base, cand = entry_text(baseline), entry_text(candidate)
        first = await self.ask(judge_messages(self.template, paper, inp, base, cand))
        second = await self.ask(judge_messages(self.template, paper, inp, cand, base))
        return combine(paper.arxiv_id, first, second)
