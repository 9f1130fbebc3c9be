"""Stage 4: a paper's three Korean sections from the LLM, validated, re-asked, cached.

A reply is cached under a hash of everything that shaped it (model, prompt content hash,
parameters and the exact messages, which carry the input text and any re-ask), so a re-run of a
finished night replays the same conversation from disk with zero calls, and changing any of
them asks again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .errors import LLMConfigError, ServiceError, SummaryError
from .llm import ContextTooLong, LLMClient, LLMReply, RequestRejected
from .models import DailyPaper, PaperInput, Provenance, Status, Summary, Usage
from .pricing import Price, cost
from .prompts import PromptTemplate, render_messages
from .store import Store
from .tokens import count_tokens, truncate_tokens
from .validate import summary_problems

MAX_CONTEXT_CUTS = 3


@dataclass
class SummaryOutcome:
    status: Status
    summary: Summary | None
    draft: Summary | None
    last_reply: str | None
    reason: str | None
    provenance: Provenance
    calls: int


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cache_key(model: str, template: PromptTemplate, messages: list[dict[str, str]]) -> str:
    payload = {
        "model": model,
        "prompt_hash": template.content_hash,
        "params": template.params,
        "messages": messages,
    }
    return sha256_text(json.dumps(payload, sort_keys=True, ensure_ascii=False))


def parse_reply(reply: LLMReply) -> tuple[Summary | None, list[str]]:
    """The draft the reply holds (if any) and what is wrong with it."""
    if reply.refusal:
        return None, [f"the model refused: {reply.refusal}"]
    if reply.finish_reason == "length":
        return None, ["the reply was cut off at the token limit; keep each section shorter"]
    if not reply.content or not reply.content.strip():
        return None, ["the reply was empty"]
    try:
        draft = Summary.model_validate_json(reply.content)
    except ValidationError as exc:
        detail = exc.errors()[0].get("msg", "invalid") if exc.errors() else "invalid"
        return None, [f"the reply is not a JSON object with the three sections ({detail})"]
    draft = Summary(**{k: v.strip() for k, v in draft.model_dump().items()})
    return draft, summary_problems(draft)


def paper_messages(template: PromptTemplate, paper: DailyPaper, text: str) -> list[dict[str, str]]:
    return render_messages(
        template,
        title=paper.title,
        authors=", ".join(paper.authors),
        abstract=paper.abstract,
        text=text,
        arxiv_id=paper.arxiv_id,
    )


def feedback(problems: list[str]) -> str:
    listed = "\n".join(f"- {p}" for p in problems)
    return (
        f"Your previous answer had these problems:\n{listed}\n"
        "Write all three sections again in Korean, fixing them. Reply with the JSON object only."
    )


class Summarizer:
    """Summarises papers with one client, one prompt template and one price."""

    def __init__(
        self,
        llm: LLMClient,
        template: PromptTemplate,
        store: Store,
        price: Price | None,
        reasks: int,
        use_cache: bool = True,
    ) -> None:
        self.llm = llm
        self.template = template
        self.store = store
        self.price = price
        self.reasks = reasks
        self.use_cache = use_cache

    def messages_for(self, paper: DailyPaper, text: str) -> list[dict[str, str]]:
        return paper_messages(self.template, paper, text)

    async def _ask(self, messages: list[dict[str, str]]) -> tuple[LLMReply, bool]:
        """The reply, from the cache if this exact conversation was had before."""
        key = cache_key(self.llm.model, self.template, messages)
        cached = self.store.load_llm(key) if self.use_cache else None
        if cached is not None:
            return LLMReply.model_validate(cached["reply"]), False
        reply = await self.llm.complete(messages, self.template.params)
        self.store.save_llm(
            key,
            {
                "model": self.llm.model,
                "prompt": f"{self.template.name}@{self.template.version}",
                "prompt_hash": self.template.content_hash,
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "reply": reply.model_dump(),
            },
        )
        return reply, True

    async def _first_reply(
        self, paper: DailyPaper, inp: PaperInput
    ) -> tuple[list[dict[str, str]], LLMReply, bool]:
        """Ask with the paper; when it doesn't fit the model's context, cut the text and ask
        again rather than failing the paper."""
        text = inp.text
        for _ in range(MAX_CONTEXT_CUTS + 1):
            messages = self.messages_for(paper, text)
            try:
                reply, fresh = await self._ask(messages)
                return messages, reply, fresh
            except ContextTooLong:
                text = truncate_tokens(
                    text, count_tokens(text, self.llm.model) // 2, self.llm.model
                )
        raise SummaryError(paper.arxiv_id, "the paper does not fit the model's context window")

    async def summarize(self, paper: DailyPaper, inp: PaperInput) -> SummaryOutcome:
        usage, latency, calls = Usage(), 0.0, 0
        draft: Summary | None = None
        last_reply: str | None = None
        problems: list[str] = []
        try:
            messages, reply, fresh = await self._first_reply(paper, inp)
            for turn in range(self.reasks + 1):
                if turn:
                    messages = [
                        *messages,
                        {"role": "assistant", "content": reply.content or ""},
                        {"role": "user", "content": feedback(problems)},
                    ]
                    reply, fresh = await self._ask(messages)
                calls += fresh
                usage, latency = usage + reply.usage, latency + reply.latency_s
                parsed, problems = parse_reply(reply)
                draft, last_reply = parsed or draft, reply.content
                if not problems or reply.refusal:
                    break
        except LLMConfigError:
            raise  # wrong key or model: the whole night stops, no paper is blamed
        except (RequestRejected, ServiceError) as exc:
            raise SummaryError(paper.arxiv_id, f"LLM request failed: {exc}") from exc
        provenance = self._provenance(inp, usage, latency, turn + 1)
        if problems:
            reason = "; ".join(problems)
            return SummaryOutcome(
                Status.NEEDS_REVIEW, None, draft, last_reply, reason, provenance, calls
            )
        return SummaryOutcome(Status.OK, draft, None, None, None, provenance, calls)

    def _provenance(self, inp: PaperInput, usage: Usage, latency: float, turns: int) -> Provenance:
        params: dict[str, Any] = dict(self.template.params)
        return Provenance(
            prompt_name=self.template.name,
            prompt_version=self.template.version,
            prompt_hash=self.template.content_hash,
            model=self.llm.model,
            params=params,
            input_hash=sha256_text(inp.text),
            input_source=inp.source,
            input_sections=inp.sections,
            usage=usage,
            cost_usd=cost(self.price, usage),
            latency_s=round(latency, 3),
            attempts=turns,
            created_at=dt.datetime.now(dt.UTC),
        )
