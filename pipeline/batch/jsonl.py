"""Batch request and result lines, in the format of OpenAI's Batch API and ``vllm run-batch``.

A request's ``custom_id`` is ``<date>:<arxiv id>:<key>``, the key a hash of the request body:
results come back in any order, and a result names the day, the paper and the very question
it answers.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from ..core.hashing import sha256_json
from ..core.models import Model, Usage
from ..stages.llm import LLMReply, Messages, Mode, chat_request

ENDPOINT: Final = "/v1/chat/completions"


def request_key(model: str, messages: Messages, params: dict[str, Any]) -> str:
    return sha256_json({"model": model, "messages": messages, "params": params})[:32]


def custom_id(date: dt.date, arxiv_id: str, key: str) -> str:
    return f"{date.isoformat()}:{arxiv_id}:{key}"


def parse_custom_id(value: str) -> tuple[dt.date, str, str]:
    """(date, arxiv id, key); ValueError when it is not one of ours."""
    day, sep, rest = value.partition(":")
    arxiv_id, sep2, key = rest.rpartition(":")
    if not (sep and sep2 and arxiv_id and len(key) == 32):
        raise ValueError(f"custom_id {value!r} was not written by this pipeline")
    return dt.date.fromisoformat(day), arxiv_id, key


class BatchRequest(Model):
    custom_id: str
    method: str = "POST"
    url: str = ENDPOINT
    body: dict[str, Any]


def request_line(
    date: dt.date,
    arxiv_id: str,
    model: str,
    messages: Messages,
    params: dict[str, Any],
    mode: Mode = "json_schema",
) -> BatchRequest:
    """The same body the online call sends (messages, parameters, strict JSON schema, or
    json_object with the schema in the prompt). The key is the conversation's, whatever the
    mode, so a result is matched to its paper either way."""
    key = request_key(model, messages, params)
    return BatchRequest(
        custom_id=custom_id(date, arxiv_id, key), body=chat_request(model, messages, params, mode)
    )


def encode(requests: list[BatchRequest]) -> bytes:
    return b"".join(
        json.dumps(r.model_dump(), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        for r in requests
    )


# ---- results -----------------------------------------------------------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Response(_Loose):
    status_code: int
    body: Any = None


class _Error(_Loose):
    code: str | None = None
    message: str | None = None


class _ResultLine(_Loose):
    custom_id: str
    response: _Response | None = None
    error: _Error | None = None


class BatchResult(Model):
    """One request's outcome: a reply, or why there is none (failed, expired, malformed)."""

    custom_id: str
    key: str
    date: dt.date
    arxiv_id: str
    reply: LLMReply | None = None
    error: str | None = None


def reply_from_body(body: Any) -> LLMReply:
    """A chat completion body as the LLM protocol's reply; ValueError if it is not one."""
    try:
        choice = body["choices"][0]
        message = choice["message"]
        usage = body.get("usage") or {}
        return LLMReply(
            content=message.get("content"),
            refusal=message.get("refusal"),
            finish_reason=choice.get("finish_reason"),
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
            ),
        )
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a chat completion ({type(exc).__name__}: {exc})") from exc


def _error_text(line: _ResultLine) -> str | None:
    if line.error is not None and (line.error.code or line.error.message):
        return f"{line.error.code or 'error'}: {line.error.message or ''}".strip()
    if line.response is None:
        return "no response"
    if line.response.status_code != 200:
        body = line.response.body if isinstance(line.response.body, dict) else {}
        message = (body.get("error") or {}).get("message") if body else None
        return f"HTTP {line.response.status_code}: {message or 'error'}"
    return None


def parse_result(raw: bytes) -> BatchResult:
    """One output line; ValueError when it is not a result line of ours."""
    try:
        line = _ResultLine.model_validate_json(raw)
    except ValidationError as exc:
        raise ValueError(f"not a batch result line ({exc.errors()[0]['msg']})") from exc
    date, arxiv_id, key = parse_custom_id(line.custom_id)
    found = BatchResult(custom_id=line.custom_id, key=key, date=date, arxiv_id=arxiv_id)
    error = _error_text(line)
    if error is not None:
        return found.model_copy(update={"error": error})
    assert line.response is not None
    try:
        return found.model_copy(update={"reply": reply_from_body(line.response.body)})
    except ValueError as exc:
        return found.model_copy(update={"error": str(exc)})


def parse_results(data: bytes) -> tuple[list[BatchResult], list[str]]:
    """Every result in an output (or error) file, and a note per unreadable line."""
    results: list[BatchResult] = []
    problems: list[str] = []
    for number, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            results.append(parse_result(raw))
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
    return results, problems
