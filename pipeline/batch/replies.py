"""``BatchLLM``: the LLM protocol answered from batch results.

The night and ``summarize_paper`` run unchanged with it: a request whose result is known gets
that reply (with the usage the batch reported); one without a usable result goes to an online
model when one is given, a bounded number of times (re-asks after a failed validation, failed
or expired lines), and is otherwise noted in ``wanted`` and refused, so the paper is recorded
as failed and the next batch asks for it.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import ContextTooLong, RequestRejected
from ..stages.llm import LLM, LLMReply, Messages, Mode, names_context_overflow
from .jsonl import BatchResult, request_key

BATCH_PRICE_FACTOR = 0.5
"""The Batch API bills half the online price."""


class BatchLLM:
    def __init__(
        self,
        model: str,
        results: list[BatchResult] | None = None,
        *,
        online: LLM | None = None,
        online_budget: int = 0,
        price_factor: float = BATCH_PRICE_FACTOR,
        mode: Mode = "json_schema",
    ) -> None:
        self.model = model
        self.mode: Mode = mode
        """How the requests it wants ask for JSON (``vllm run-batch`` serving a model that
        cannot do json_schema needs json_object)."""
        self.price_factor = price_factor
        self.results: dict[str, BatchResult] = {}
        self.online = online
        self.online_left = online_budget
        self.wanted: dict[str, tuple[Messages, dict[str, Any]]] = {}
        self.answered = 0
        self.online_calls = 0
        self.add(results or [])

    def add(self, results: list[BatchResult]) -> None:
        for result in results:
            known = self.results.get(result.key)
            if known is None or known.reply is None:  # a reply beats an earlier failure
                self.results[result.key] = result

    async def complete(self, messages: Messages, params: dict[str, Any]) -> LLMReply:
        key = request_key(self.model, messages, params)
        found = self.results.get(key)
        if found is not None and found.reply is not None:
            self.answered += 1
            return found.reply
        if self.online is not None and self.online_left > 0:
            self.online_left -= 1
            self.online_calls += 1
            return await self.online.complete(messages, params)
        if found is not None and names_context_overflow(found.error or ""):
            # Asking the same again would overflow again: the conversation cuts the text or
            # leaves out the previous reply, and the next batch asks that instead.
            raise ContextTooLong(found.error or "")
        self.wanted[key] = (messages, params)
        if found is not None:
            raise RequestRejected(f"the batch could not answer ({found.error})")
        raise RequestRejected("no batch reply yet: the next batch asks for it")
