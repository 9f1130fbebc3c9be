"""The LLM edge: an OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp's server).

The SDK's own retries are off; this module owns the one retry layer. It returns what the model
said, untouched: parsing and validation live in ``summarize``.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

import openai
from openai import AsyncOpenAI
from pydantic import BaseModel
from tenacity import AsyncRetrying, retry_if_exception_type

from .config import Settings
from .errors import LLMConfigError, ServiceError
from .models import Summary, Usage
from .retry import TransientError, retry_after_seconds, retry_policy

Mode = Literal["json_schema", "json_object"]
OPENAI_URL = "https://api.openai.com/v1"


class LLMReply(BaseModel):
    content: str | None
    refusal: str | None = None
    finish_reason: str | None = None
    usage: Usage = Usage()
    latency_s: float = 0.0


class ContextTooLong(Exception):
    """The request didn't fit the model's context: the caller cuts the text and asks again."""


class RequestRejected(Exception):
    """A 400 that another identical try would not fix."""


def summary_schema() -> dict[str, Any]:
    schema = Summary.model_json_schema()
    schema["additionalProperties"] = False
    return schema


def _response_format(mode: Mode) -> dict[str, Any]:
    if mode == "json_object":
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {"name": "paper_summary", "strict": True, "schema": summary_schema()},
    }


def with_schema_in_prompt(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """For servers without json_schema: the schema goes into the system message instead."""
    note = "\n\nReply with only a JSON object that matches this JSON schema:\n" + json.dumps(
        summary_schema(), ensure_ascii=False
    )
    first, *rest = messages
    return [{**first, "content": first["content"] + note}, *rest]


def _error_text(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    message = error.get("message") if isinstance(error, dict) else None
    return str(message or exc.message)


def _is_schema_unsupported(exc: openai.BadRequestError) -> bool:
    text = _error_text(exc).lower()
    return "json_schema" in text or "response_format" in text


def _is_context_error(exc: openai.BadRequestError) -> bool:
    text = (_error_text(exc) + " " + str(getattr(exc, "code", "") or "")).lower()
    return "context_length" in text or "context length" in text or "maximum context" in text


class LLMClient:
    def __init__(self, settings: Settings) -> None:
        self.model = settings.model
        self.base_url = settings.openai_base_url or OPENAI_URL
        self.base_url_source = (
            "set by OPENAI_BASE_URL"
            if settings.openai_base_url
            else "OpenAI's default, as OPENAI_BASE_URL is not set"
        )
        self._settings = settings
        self._client = AsyncOpenAI(
            api_key=settings.openai_api_key or "not-needed-for-local-servers",
            base_url=self.base_url,
            max_retries=0,
            timeout=settings.llm_timeout_s,
        )
        configured = settings.structured_output
        self.mode: Mode = "json_object" if configured == "json_object" else "json_schema"
        self._may_downgrade = configured == "auto"
        self.calls = 0
        self.usage = Usage()
        """What this client's calls consumed: cached replies cost nothing and are not here."""

    async def close(self) -> None:
        await self._client.close()

    def _config_error(self, problem: str, hint: str) -> LLMConfigError:
        return LLMConfigError("LLM endpoint", self.base_url, problem, hint)

    async def check(self) -> list[str]:
        """Fail fast on a wrong key, a wrong URL or an unknown model; returns warnings."""
        try:
            models = [m.id async for m in self._client.models.list()]
        except openai.AuthenticationError as exc:
            raise self._config_error("401 unauthorized", "check OPENAI_API_KEY") from exc
        except openai.NotFoundError:
            return []  # some local servers have no /models; the first call will tell
        except openai.APIConnectionError as exc:
            raise self._config_error(
                "unreachable", f"the URL is {self.base_url_source}; is the server running?"
            ) from exc
        except openai.APIStatusError as exc:
            raise self._config_error(f"HTTP {exc.status_code}", "try again later") from exc
        if not models or self.model in models:
            return []
        if self.base_url == OPENAI_URL:
            raise self._config_error(f"model {self.model!r} not found", "check --model")
        return [f"model {self.model!r} is not in the server's list {models[:5]}; trying anyway"]

    async def complete(self, messages: list[dict[str, str]], params: dict[str, Any]) -> LLMReply:
        """One answer, with transient failures retried and json_schema downgraded if needed."""
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(TransientError),
                **retry_policy(self._settings.max_attempts, self._settings.max_backoff_s),  # type: ignore[arg-type]
            ):
                with attempt:
                    return await self._complete_once(messages, params)
        except TransientError as exc:
            raise ServiceError(
                "LLM", self.base_url, f"{exc} after {self._settings.max_attempts} attempts"
            ) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _complete_once(
        self, messages: list[dict[str, str]], params: dict[str, Any]
    ) -> LLMReply:
        mode = self.mode
        sent = with_schema_in_prompt(messages) if mode == "json_object" else messages
        started = time.perf_counter()
        self.calls += 1
        try:
            response = await self._client.chat.completions.create(  # type: ignore[call-overload]
                model=self.model,
                messages=sent,
                response_format=_response_format(mode),
                **params,
            )
        except openai.BadRequestError as exc:
            if _is_context_error(exc):
                raise ContextTooLong(_error_text(exc)) from exc
            if mode == "json_schema" and self._may_downgrade and _is_schema_unsupported(exc):
                self.mode = "json_object"
                raise TransientError("server has no json_schema; using json_object", 0.0) from exc
            raise RequestRejected(f"HTTP 400: {_error_text(exc)}") from exc
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise self._config_error(f"HTTP {exc.status_code}", "check OPENAI_API_KEY") from exc
        except openai.NotFoundError as exc:
            raise self._config_error(
                f"HTTP 404: {_error_text(exc)}",
                f"check --model; the URL is {self.base_url_source}",
            ) from exc
        except openai.RateLimitError as exc:
            if "insufficient_quota" in str(exc.body):
                raise self._config_error("quota exhausted", "check your plan") from exc
            raise TransientError("HTTP 429", retry_after_seconds(exc.response.headers)) from exc
        except openai.APITimeoutError as exc:
            raise TransientError("timed out") from exc
        except openai.APIConnectionError as exc:
            raise TransientError(f"connection failed ({exc})") from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500 or exc.status_code in (408, 409):
                raise TransientError(
                    f"HTTP {exc.status_code}", retry_after_seconds(exc.response.headers)
                ) from exc
            raise RequestRejected(f"HTTP {exc.status_code}: {_error_text(exc)}") from exc
        choice = response.choices[0]
        usage = Usage(
            prompt_tokens=response.usage.prompt_tokens if response.usage else 0,
            completion_tokens=response.usage.completion_tokens if response.usage else 0,
        )
        self.usage = self.usage + usage
        return LLMReply(
            content=choice.message.content,
            refusal=getattr(choice.message, "refusal", None),
            finish_reason=choice.finish_reason,
            usage=usage,
            latency_s=time.perf_counter() - started,
        )
