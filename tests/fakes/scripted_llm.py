"""An in-process LLM for unit tests: a queue of replies and a record of what it was asked.

It implements ``pipeline.stages.llm.LLM`` (like simonw/llm's mock model). A queued item is a reply
text, an ``LLMReply``, an exception to raise, or a function of the messages that returns one of
those — so an answer can depend on what was sent. With the queue empty it answers with a valid
Korean summary of the paper named in the ``Title:`` line.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.models import Usage
from pipeline.stages.llm import LLMReply, Messages
from tests.fakes.llm import summary_for

Answer = str | LLMReply | BaseException
Item = Answer | Callable[[Messages], Answer]


def title_of(messages: Messages) -> str:
    for message in messages:
        for line in message["content"].splitlines():
            if line.startswith("Title:"):
                return line.removeprefix("Title:").strip()
    return ""


def good_reply(messages: Messages) -> str:
    return json.dumps(summary_for(title_of(messages)), ensure_ascii=False)


@dataclass
class ScriptedLLM:
    model: str = "gpt-4.1-mini"
    replies: deque[Item] = field(default_factory=deque)
    asked: list[tuple[Messages, dict[str, Any]]] = field(default_factory=list)

    def queue(self, *items: Item) -> ScriptedLLM:
        self.replies.extend(items)
        return self

    async def complete(self, messages: Messages, params: dict[str, Any]) -> LLMReply:
        self.asked.append(([dict(m) for m in messages], dict(params)))
        item: Item = self.replies.popleft() if self.replies else good_reply
        answer = item(messages) if callable(item) else item
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, LLMReply):
            return answer
        tokens = sum(len(m["content"]) for m in messages) // 4
        return LLMReply(
            content=answer,
            finish_reason="stop",
            usage=Usage(prompt_tokens=tokens, completion_tokens=len(answer) // 4),
        )

    @property
    def calls(self) -> int:
        return len(self.asked)

    def user_text(self, call: int = -1) -> str:
        """Everything the user messages of one call said."""
        messages, _ = self.asked[call]
        return "\n".join(m["content"] for m in messages if m["role"] == "user")
