"""The LLM edge: the ``LLM`` protocol every stage takes, its reply, and the body of a chat
request. The implementation for an OpenAI-compatible endpoint is ``openai_llm.OpenAILLM``.

This module never imports the openai SDK (~0.3 s): the night imports it in a thread while it
lists and downloads, so its own import must not pull the SDK in.

A client is built by the caller (the CLI, a test, the prompt lab) and passed in; stages never
build one. Each reply carries its own usage, so two prompts in one process are costed apart.
"""

from __future__ import annotations

import json
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from ..core.errors import ContextTooLong, RequestRejected
from ..core.hashing import sha256_text
from ..core.models import Summary, Usage

__all__ = [
    "LLM",
    "ContextTooLong",
    "LLMReply",
    "Messages",
    "Mode",
    "RequestRejected",
    "chat_request",
    "names_context_overflow",
    "with_schema_in_prompt",
]

Mode = Literal["json_schema", "json_object"]
OPENAI_URL = "https://api.openai.com/v1"


Messages = list[dict[str, str]]


class LLMReply(BaseModel):
    """One answer, with what that one call consumed."""

    content: str | None
    refusal: str | None = None
    finish_reason: str | None = None
    usage: Usage = Usage()
    latency_s: float = 0.0


@runtime_checkable
class LLM(Protocol):
    """What a stage needs of a model: its name, and one answer per conversation.

    ``complete`` retries transient failures itself and raises ``ContextTooLong`` (cut the text),
    ``RequestRejected`` (this request will never work), ``LLMConfigError`` (stop everything) or
    ``ServiceError`` (retries exhausted)."""

    model: str

    async def complete(self, messages: Messages, params: dict[str, Any]) -> LLMReply: ...


def summary_schema() -> dict[str, Any]:
    schema = Summary.model_json_schema()
    schema["additionalProperties"] = False
    return schema


Schema = tuple[str, dict[str, Any]]
"""A reply's JSON schema and its name; the default is the summary's."""


def _response_format(mode: Mode, schema: Schema | None = None) -> dict[str, Any]:
    if mode == "json_object":
        return {"type": "json_object"}
    name, body = schema or ("paper_summary", summary_schema())
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": body}}


def chat_request(
    model: str,
    messages: Messages,
    params: dict[str, Any],
    mode: Mode = "json_schema",
    schema: Schema | None = None,
) -> dict[str, Any]:
    """The body of one chat completion request: what the online call sends, and what a Batch
    API or ``vllm run-batch`` line carries."""
    sent = with_schema_in_prompt(messages, schema) if mode == "json_object" else messages
    return {
        "model": model,
        "messages": sent,
        "response_format": _response_format(mode, schema),
        **params,
    }


def with_schema_in_prompt(messages: Messages, schema: Schema | None = None) -> Messages:
    """For servers without json_schema: the schema goes into the system message instead."""
    body = schema[1] if schema else summary_schema()
    note = "\n\nReply with only a JSON object that matches this JSON schema:\n" + json.dumps(
        body, ensure_ascii=False
    )
    first, *rest = messages
    return [{**first, "content": first["content"] + note}, *rest]


def names_context_overflow(text: str) -> bool:
    """Whether a server's error says the request did not fit the model's context window."""
    text = text.lower()
    return "context_length" in text or "context length" in text or "maximum context" in text


def server_key(base_url: str, model: str) -> str:
    """Which server and model a remembered structured-output mode belongs to."""
    return sha256_text(f"{base_url.rstrip('/')}\n{model}")
