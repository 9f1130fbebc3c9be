"""Stage 4: a paper's three Korean sections from the LLM, validated, re-asked, cached.

``summarize_paper(paper, inp, llm, template)`` is the one verb: one paper, one prompt, one
model -> a ``SummaryOutcome`` with provenance and the usage of this call only.

A reply is cached under a hash of everything that shaped it (model, prompt content hash,
parameters and the exact messages, which carry the input text and any re-ask), so a re-run of a
finished night replays the same conversation from disk with zero calls, and changing any of
them asks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..core.errors import (
    CallFailure,
    ContextTooLong,
    LLMConfigError,
    ServiceError,
    SummaryError,
)
from ..core.hashing import sha256_json, sha256_text
from ..core.models import DailyPaper, PaperInput, Provenance, Status, Summary, Usage
from ..core.pricing import Price, cost
from ..core.tokens import count_tokens, truncate_tokens
from ..store import Store
from .llm import LLM, LLMReply, Messages
from .prompts import PromptTemplate, render_messages
from .validate import summary_problems

MAX_CONTEXT_CUTS = 3


__all__ = [
    "SummaryOutcome",
    "cache_key",
    "feedback",
    "paper_messages",
    "problems_line",
    "summarize_paper",
]


def problems_line(problems: list[str]) -> str | None:
    """The one line a person reads for a list of problems (a record's ``reason``). Only ever
    built from the list, never split back into it: a problem may itself contain "; "."""
    return "; ".join(problems) or None


@dataclass
class SummaryOutcome:
    """``status`` is OK (``summary`` set), NEEDS_REVIEW (``draft``/``last_reply``, ``problems``)
    or FAILED (no reply held a draft: ``last_reply`` and ``problems``).

    ``usage``, ``calls`` and ``cost_usd`` count only requests this call sent (replayed cache
    entries are free); ``provenance.usage`` is what the whole conversation took."""

    status: Status
    summary: Summary | None
    draft: Summary | None
    last_reply: str | None
    problems: list[str]
    """The form problems left after the re-asks, one per problem; empty when OK."""
    provenance: Provenance
    calls: int
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None

    @property
    def reason(self) -> str | None:
        return problems_line(self.problems)


def cache_key(model: str, template: PromptTemplate, messages: Messages) -> str:
    """Everything that shapes a reply: the same key is the same question."""
    return sha256_json(
        {
            "model": model,
            "prompt_hash": template.content_hash,
            "params": template.params,
            "messages": messages,
        }
    )


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


def paper_messages(template: PromptTemplate, paper: DailyPaper, text: str) -> Messages:
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


@dataclass
class _Conversation:
    """One paper's exchange with one model under one prompt."""

    llm: LLM
    template: PromptTemplate
    store: Store | None
    use_cache: bool
    calls: int = 0
    fresh_usage: Usage = field(default_factory=Usage)
    usage: Usage = field(default_factory=Usage)
    latency: float = 0.0

    async def ask(self, messages: Messages) -> LLMReply:
        """The reply, from the cache if this exact conversation was had before. A request
        that did not fit the model's context is remembered too: asking it again would overflow
        again, and a batch's next export must ask the shorter request instead."""
        key = cache_key(self.llm.model, self.template, messages)
        cached = self.store.load_llm(key) if self.store and self.use_cache else None
        if cached is not None and "context_overflow" in cached:
            raise ContextTooLong(str(cached["context_overflow"]))
        if cached is not None:
            reply = LLMReply.model_validate(cached["reply"])
        else:
            try:
                reply = await self.llm.complete(messages, self.template.params)
            except ContextTooLong as exc:
                if self.store is not None:
                    entry = self._entry(context_overflow=str(exc))
                    await asyncio.to_thread(self.store.save_llm, key, entry)
                raise
            except ServiceError as exc:  # attempts that timed out half-way are billed too
                self.fresh_usage += exc.usage or Usage()
                self.usage += exc.usage or Usage()
                raise
            self.calls += 1
            self.fresh_usage += reply.usage
            if self.store is not None:
                # In a thread: its fsync on the loop would queue each reply of a night (they
                # arrive together) behind the others' writes.
                entry = self._entry(reply=reply.model_dump())
                await asyncio.to_thread(self.store.save_llm, key, entry)
        self.usage, self.latency = self.usage + reply.usage, self.latency + reply.latency_s
        return reply

    def _entry(self, **outcome: object) -> dict[str, Any]:
        return {
            "model": self.llm.model,
            "prompt": f"{self.template.name}@{self.template.version}",
            "prompt_hash": self.template.content_hash,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            **outcome,
        }

    async def first(self, paper: DailyPaper, text: str) -> tuple[Messages, LLMReply]:
        """Ask with the paper; when it doesn't fit the model's context, cut the text in half
        and ask again rather than failing the paper."""
        model = self.llm.model
        for _ in range(MAX_CONTEXT_CUTS + 1):
            messages = paper_messages(self.template, paper, text)
            try:
                return messages, await self.ask(messages)
            except ContextTooLong:
                text = truncate_tokens(text, count_tokens(text, model) // 2, model)
        raise SummaryError(paper.arxiv_id, "the paper does not fit the model's context window")

    async def reask(
        self, first: Messages, sofar: Messages, reply: LLMReply, note: str
    ) -> tuple[Messages, LLMReply] | None:
        """The conversation so far, the model's reply and ``note``. A re-ask carries the reply
        (up to ``max_tokens`` more), which overflows a small window (llama.cpp's default is
        2048): then once more with the paper and the note alone. None when neither fits."""
        full = [*sofar, {"role": "assistant", "content": reply.content or ""}, _user(note)]
        with contextlib.suppress(ContextTooLong):
            return full, await self.ask(full)
        alone = [*first, _user(note)]
        with contextlib.suppress(ContextTooLong):
            return alone, await self.ask(alone)
        return None


def _user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}


REASK_TOO_LONG = "the re-ask did not fit the model's context window (even without the reply)"


async def summarize_paper(
    paper: DailyPaper,
    inp: PaperInput,
    llm: LLM,
    template: PromptTemplate,
    *,
    store: Store | None = None,
    price: Price | None = None,
    reasks: int = 2,
    use_cache: bool = True,
    content_check: Callable[[Summary], str | None] | None = None,
) -> SummaryOutcome:
    """Summarise one paper with one model and one prompt, re-asking with the specific problem
    up to ``reasks`` times. Replies are cached in ``store`` (when given) unless ``use_cache``
    is off. Whatever the server answers ends as this paper's outcome: a SummaryError when the
    LLM gives no answer at all (it carries the last draft, reply and attempts); only
    LLMConfigError (nothing can work) escapes otherwise.

    ``content_check`` looks at a draft that passed the form checks and returns a re-ask
    message (faithfulness: numbers not in the paper) or None; it gets one re-ask, whose draft
    replaces the first one only if it passes the form checks too. The caller judges the
    final summary's content itself."""
    talk = _Conversation(llm, template, store, use_cache)
    try:
        return await _summarize(paper, inp, talk, price, reasks, content_check)
    except SummaryError as exc:
        exc.usage, exc.calls = talk.fresh_usage, talk.calls
        raise


async def _summarize(
    paper: DailyPaper,
    inp: PaperInput,
    talk: _Conversation,
    price: Price | None,
    reasks: int,
    content_check: Callable[[Summary], str | None] | None,
) -> SummaryOutcome:
    llm, template = talk.llm, talk.template
    draft: Summary | None = None
    last_reply: str | None = None
    problems: list[str] = []
    turns = 0
    try:
        first, reply = await talk.first(paper, inp.text)
        messages = first
        for turn in range(reasks + 1):
            if turn:
                asked = await talk.reask(first, messages, reply, feedback(problems))
                if asked is None:
                    problems = [*problems, REASK_TOO_LONG]
                    break
                messages, reply = asked
            turns = turn + 1
            parsed, problems = parse_reply(reply)
            draft, last_reply = parsed or draft, reply.content
            if not problems or reply.refusal:
                break
    except LLMConfigError:
        raise  # wrong key or model: the whole night stops, no paper is blamed
    except (CallFailure, ServiceError) as exc:
        raise SummaryError(
            paper.arxiv_id,
            f"LLM request failed: {exc}",
            draft=draft,
            last_reply=last_reply,
            attempts=turns + 1,
        ) from exc
    note = content_check(draft) if content_check and draft and not problems else None
    if note and draft is not None:
        draft, turns = await _content_reask(talk, first, messages, reply, note, draft, turns)
    provenance = _provenance(llm.model, template, inp, talk, price, turns)
    fresh = (talk.calls, talk.fresh_usage, cost(price, talk.fresh_usage))
    if problems:
        # Without any draft there is nothing for an editor to fix: the paper failed.
        status = Status.NEEDS_REVIEW if draft is not None else Status.FAILED
        return SummaryOutcome(status, None, draft, last_reply, problems, provenance, *fresh)
    return SummaryOutcome(Status.OK, draft, None, None, [], provenance, *fresh)


async def _content_reask(
    talk: _Conversation,
    first: Messages,
    messages: Messages,
    reply: LLMReply,
    note: str,
    draft: Summary,
    turns: int,
) -> tuple[Summary, int]:
    """One re-ask about the content of a well-formed draft. The first draft stays when the
    answer is malformed, does not fit or the request fails: it is still a summary an editor
    can fix."""
    try:
        asked = await talk.reask(first, messages, reply, note)
    except LLMConfigError:
        raise
    except (CallFailure, ServiceError):
        return draft, turns + 1
    if asked is None:
        return draft, turns + 1
    revised, problems = parse_reply(asked[1])
    return (revised if revised is not None and not problems else draft), turns + 1


def _provenance(
    model: str,
    template: PromptTemplate,
    inp: PaperInput,
    talk: _Conversation,
    price: Price | None,
    turns: int,
) -> Provenance:
    return Provenance(
        prompt_name=template.name,
        prompt_version=template.version,
        prompt_hash=template.content_hash,
        prompt_locked=template.locked,
        model=model,
        params=dict(template.params),
        input_hash=sha256_text(inp.text),
        input_source=inp.source,
        input_sections=inp.sections,
        pdf_sha256=inp.pdf_sha256,
        extractor_version=inp.extractor_version,
        usage=talk.usage,
        cost_usd=cost(price, talk.usage),
        latency_s=round(talk.latency, 3),
        attempts=turns,
        created_at=dt.datetime.now(dt.UTC),
    )
