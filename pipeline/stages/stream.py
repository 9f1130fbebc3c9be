"""A chat completion's answer as it arrives: server-sent chunks (``stream=True``), or one JSON
body from a server that ignores ``stream``. Used by ``llm`` only.

Streaming makes the read timeout the longest gap between two chunks, so a slow local model
that keeps writing is never cut off while one that stalls is; and a call stopped half-way
still knows how much it had received (``Arrived``), to be costed. A body of any other shape
(a proxy's HTML page, ``"choices": []``, cut-off JSON) raises ``Malformed``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ..core.models import Usage
from ..core.tokens import count_tokens

__all__ = ["Arrived", "Malformed", "read_answer"]


class Malformed(ValueError):
    """The body is not a chat completion; the message says what it was instead."""


@dataclass
class Arrived:
    """What a call received so far: the text, and the usage once the server sends it."""

    content: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    choices: int = 0
    """Chunks (or bodies) that carried a choice: none at all is a malformed answer."""

    def add(self, chunk: dict[str, Any]) -> None:
        if isinstance(chunk.get("usage"), dict):
            self.usage = _usage(chunk["usage"])
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise Malformed(f"a chunk without choices: {_start(json.dumps(chunk))!r}")
        for choice in choices[:1]:
            self.choices += 1
            part = choice.get("delta") or choice.get("message") or {}
            if isinstance(part.get("content"), str):
                self.content.append(part["content"])
            if isinstance(part.get("refusal"), str):
                self.refusal.append(part["refusal"])
            self.finish_reason = choice.get("finish_reason") or self.finish_reason

    def text(self) -> str | None:
        return "".join(self.content) if self.content else None

    def counted(self, prompt: str, model: str) -> Usage:
        """The server's usage, or, when it sent none (or the call stopped before it did),
        the tokens counted here: the prompt as sent, the reply as far as it arrived."""
        if self.usage is not None:
            return self.usage
        return Usage(
            prompt_tokens=count_tokens(prompt, model),
            completion_tokens=count_tokens(self.text() or "", model) if self.content else 0,
        )


async def read_answer(content_type: str, lines: AsyncIterator[str], got: Arrived) -> None:
    """Fill ``got`` from a response: its SSE ``data:`` lines, or its one JSON body."""
    if "text/event-stream" not in content_type:
        body = "\n".join([line async for line in lines])
        got.add(_completion(body))
        return
    async for line in lines:
        if not line.startswith("data:"):
            continue  # comments (": keep-alive"), event names, blank separators
        payload = line.removeprefix("data:").strip()
        if payload == "[DONE]":
            break
        try:
            chunk = json.loads(payload)
        except ValueError as exc:
            raise Malformed(f"a chunk that is not JSON: {_start(payload)!r}") from exc
        if not isinstance(chunk, dict):
            raise Malformed(f"a chunk that is not an object: {_start(payload)!r}")
        if "error" in chunk and "choices" not in chunk:  # an error reported mid-stream
            raise Malformed(f"an error in the stream: {_start(json.dumps(chunk['error']))!r}")
        got.add(chunk)
    if not got.choices:
        raise Malformed("no choices")


def _completion(body: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError as exc:
        start = _start(body)
        raise Malformed(f"not a chat completion: {start!r}" if start else "an empty body") from exc
    if not isinstance(value, dict) or not isinstance(value.get("choices"), list):
        raise Malformed(f"not a chat completion: {_start(body)!r}")
    if not value["choices"]:
        raise Malformed("no choices")
    return value


def _usage(raw: dict[str, Any]) -> Usage:
    return Usage(
        prompt_tokens=int(raw.get("prompt_tokens") or 0),
        completion_tokens=int(raw.get("completion_tokens") or 0),
    )


def _start(text: str) -> str:
    return " ".join(text.split())[:60]
