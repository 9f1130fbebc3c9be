"""``OpenAILLM``: the ``LLM`` for an OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama,
llama.cpp's server), and the mapping of the openai SDK's errors onto ours.

The SDK's own retries are off; this module owns the one retry layer. It returns what the model
said, untouched: parsing and validation live in ``summarize``. Kept apart from ``llm`` (the
protocol) because importing the SDK costs ~0.3 s, which the night spends off its critical path.

Replies are streamed (``stream``), so the SDK's read timeout is the gap between two chunks and
``deadline_s`` bounds the whole call. ``auto`` structured output asks for json_schema and, on a
refusal of the response format (llama.cpp answers it with a 500), switches to json_object for
the rest of the run and remembers it in the store for this server and model.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx2
import openai
from openai import AsyncOpenAI

from ..core.config import Settings
from ..core.errors import (
    ContextTooLong,
    LLMConfigError,
    RequestRejected,
    ServiceError,
    TransientError,
)
from ..core.models import Usage
from ..core.retry import (
    connection_failed,
    retrying,
    timed_out,
    transient_status,
)
from ..store import Store
from .llm import (
    OPENAI_URL,
    LLMReply,
    Messages,
    Mode,
    Schema,
    chat_request,
    names_context_overflow,
    server_key,
)
from .stream import Arrived, Malformed, read_answer

__all__ = ["LLMClient", "OpenAILLM", "sdk_transient"]

log = logging.getLogger("pipeline")


def _error_text(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    message = error.get("message") if isinstance(error, dict) else None
    return str(message or exc.message)


QUOTED_CHARS = 200
"""How much of a server's error message a failure reason quotes."""


def _quoted(exc: openai.APIStatusError) -> str:
    text = " ".join(_error_text(exc).split())
    return text if len(text) <= QUOTED_CHARS else text[: QUOTED_CHARS - 1] + "…"


_FORMAT_WORDS = ("response_format", "json_schema", "schema", "json_object")
"""Words by which a refusal names the response format. llama.cpp's server names none of the
first three: it answers json_schema with 500 "Input should be 'text' or 'json_object'"."""


def _refuses_format(exc: openai.APIStatusError) -> bool:
    """A 400, 422 or 5xx whose body names the response format: this server cannot do what was
    asked of ``response_format``, and asking the same way again will not help."""
    status = exc.status_code
    if status not in (400, 422) and status < 500:
        return False
    text = (_error_text(exc) + " " + json.dumps(exc.body, default=str)).lower()
    return any(word in text for word in _FORMAT_WORDS)


def _is_context_error(exc: openai.APIStatusError) -> bool:
    return names_context_overflow(_error_text(exc) + " " + str(getattr(exc, "code", "") or ""))


class OpenAILLM:
    """An OpenAI-compatible chat endpoint. ``OpenAILLM.from_settings(settings)`` is the usual
    way to build one; ``async with`` (or ``await close()``) closes its connections."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 180.0,
        structured_output: str = "auto",
        max_attempts: int = 5,
        max_backoff_s: float = 60.0,
        deadline_s: float = 600.0,
        memory: Store | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url or OPENAI_URL
        self.base_url_source = (
            "set by OPENAI_BASE_URL"
            if base_url
            else "OpenAI's default, as OPENAI_BASE_URL is not set"
        )
        self._client = AsyncOpenAI(
            api_key=api_key or "not-needed-for-local-servers",
            base_url=self.base_url,
            max_retries=0,
            timeout=timeout_s,
        )
        self.mode: Mode = "json_object" if structured_output == "json_object" else "json_schema"
        self._may_downgrade = structured_output == "auto"
        self._memory = memory
        """Where ``auto`` remembers what this server accepts (the store's cache), if anywhere."""
        self._recalled = memory is None or not self._may_downgrade
        self.timeout_s = timeout_s
        """With streaming, the longest gap between two chunks (the SDK's read timeout)."""
        self._stream_usage = True
        self.max_attempts = max_attempts
        self.max_backoff_s = max_backoff_s
        self.deadline_s = deadline_s
        """Longest one call may take: the SDK's timeout is per read, so a server trickling its
        reply would never trip it."""

    @classmethod
    def from_settings(cls, settings: Settings, model: str | None = None) -> OpenAILLM:
        return cls(
            model or settings.model,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            timeout_s=settings.llm_timeout_s,
            structured_output=settings.structured_output,
            max_attempts=settings.max_attempts,
            max_backoff_s=settings.max_backoff_s,
            deadline_s=settings.llm_deadline_s,
            memory=Store(settings.data_dir),
        )

    async def __aenter__(self) -> OpenAILLM:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._client.close()

    def _config_error(self, problem: str, hint: str) -> LLMConfigError:
        return LLMConfigError("LLM endpoint", self.base_url, problem, hint)

    async def check(self, option: str = "--model") -> list[str]:
        """Fail fast on a wrong key, a wrong URL or an unknown model; returns warnings.
        ``option``: where the model's name came from, for the hints."""
        try:
            models = [m.id async for m in self._client.models.list()]
        except openai.AuthenticationError as exc:
            raise self._config_error("401 unauthorized", "check OPENAI_API_KEY") from exc
        except openai.NotFoundError as exc:
            if self._lacks_v1():
                raise self._config_error("HTTP 404 on /models", self._v1_hint()) from exc
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
            raise self._config_error(f"model {self.model!r} not found", f"check {option}")
        listed = ", ".join(models[:5]) + (f" and {len(models) - 5} more" if len(models) > 5 else "")
        return [
            f"model {self.model!r} is not one the server lists ({listed}); a local server may "
            "answer any name, but this one goes into every summary's provenance and its price: "
            f"pass {option} with a listed id"
        ]

    def _lacks_v1(self) -> bool:
        return not self.base_url.rstrip("/").endswith("/v1")

    def _v1_hint(self) -> str:
        return (
            f"the base URL probably lacks /v1: try OPENAI_BASE_URL={self.base_url.rstrip('/')}/v1"
        )

    async def complete(
        self, messages: Messages, params: dict[str, Any], *, schema: Schema | None = None
    ) -> LLMReply:
        """One answer, with transient failures retried and json_schema downgraded if needed.
        ``schema`` asks for another JSON shape than a summary (the prompt lab's judge). The
        reply's usage includes what failed attempts consumed (a call timed out half-way)."""
        if not self._recalled:
            self._recall()
        lost = Usage()

        async def attempt() -> LLMReply:
            nonlocal lost
            try:
                return await self._complete_once(messages, params, schema)
            except TransientError as exc:
                lost += exc.usage or Usage()
                raise

        try:
            reply = await retrying(
                attempt,
                service="LLM",
                url=self.base_url,
                attempts=self.max_attempts,
                max_backoff=self.max_backoff_s,
            )
        except ServiceError as exc:
            exc.usage = lost
            raise
        return reply.model_copy(update={"usage": reply.usage + lost})

    async def _complete_once(
        self, messages: Messages, params: dict[str, Any], schema: Schema | None = None
    ) -> LLMReply:
        mode = self.mode
        body = chat_request(self.model, messages, params, mode, schema)
        body["stream"] = True
        if self._stream_usage:
            body["stream_options"] = {"include_usage": True}
        started, got = time.perf_counter(), Arrived()
        try:
            async with asyncio.timeout(self.deadline_s):
                create = self._client.chat.completions.with_streaming_response.create
                async with create(**body) as response:
                    kind = response.headers.get("content-type", "")
                    await read_answer(kind, response.iter_lines(), got)
        except TimeoutError as exc:  # the deadline; the SDK's own timeouts are APITimeoutError
            raise self._lost(f"no complete answer within {self.deadline_s:g}s", body, got) from exc
        except (openai.APITimeoutError, httpx2.TimeoutException) as exc:
            raise self._lost(f"no chunk within {self.timeout_s:g}s", body, got) from exc
        except openai.APIConnectionError as exc:
            raise sdk_transient(exc) or connection_failed(exc) from exc
        except httpx2.RequestError as exc:  # the stream broke (or would not decode) mid-way
            raise self._lost(str(connection_failed(exc)), body, got) from exc
        except openai.APIStatusError as exc:
            raise self._status_failure(exc, mode) from exc
        except Malformed as exc:
            raise TransientError(f"malformed reply ({exc})") from exc
        return LLMReply(
            content=got.text(),
            refusal="".join(got.refusal) or None,
            finish_reason=got.finish_reason,
            usage=got.counted(_prompt_text(body), self.model),
            latency_s=time.perf_counter() - started,
        )

    def _lost(self, problem: str, body: dict[str, Any], got: Arrived) -> TransientError:
        """A call stopped half-way: retried, and what arrived is still counted."""
        return TransientError(problem, usage=got.counted(_prompt_text(body), self.model))

    def _status_failure(self, exc: openai.APIStatusError, mode: Mode) -> Exception:
        """What an HTTP error answer means for this call, its reason quoting the server."""
        status, said = exc.status_code, _quoted(exc)
        if status == 400 and _is_context_error(exc):
            return ContextTooLong(said)
        if mode == "json_schema" and _refuses_format(exc):
            if self._may_downgrade:
                self._downgrade(status, said)
                return TransientError(f'HTTP {status} refusing json_schema "{said}"', 0.0)
            return RequestRejected(
                f"HTTP {status}: {said} (if the server cannot do json_schema, "
                "use --structured-output json_object)"
            )
        if self._stream_usage and status in (400, 422) and "stream_options" in _error_text(exc):
            # A server without usage in streams: the tokens are counted from the chunks.
            self._stream_usage = False
            return TransientError(f'HTTP {status} refusing stream_options "{said}"', 0.0)
        if status in (401, 403):
            return self._config_error(f"HTTP {status}: {said}", "check OPENAI_API_KEY")
        if status == 404:
            hint = (
                self._v1_hint()
                if self._lacks_v1() and "model" not in said.lower()
                else f"check --model; the URL is {self.base_url_source}"
            )
            return self._config_error(f"HTTP 404: {said}", hint)
        if status == 429 and "insufficient_quota" in str(exc.body):
            return self._config_error("quota exhausted", "check your plan")
        if transient := transient_status(status, exc.response.headers):
            # Quoted, as "after N attempts" follows it in the final reason.
            return TransientError(f'HTTP {status} "{said}"', transient.retry_after)
        return RequestRejected(f"HTTP {status}: {said}")

    def _recall(self) -> None:
        """Start with json_object when this server refused json_schema before. Read at the
        first call, not when built: a data dir that cannot be read is the night's to report."""
        self._recalled = True
        assert self._memory is not None
        known = self._memory.load_llm_server(server_key(self.base_url, self.model)) or {}
        if known.get("structured_output") == "json_object" and self.mode == "json_schema":
            self.mode = "json_object"
            log.info("%s: using json_object for %s (it refused json_schema before)",
                     self.base_url, self.model)  # fmt: skip

    def _downgrade(self, status: int, said: str) -> None:
        """json_object, with the schema in the prompt, for the rest of the run, said once, and
        remembered for this server and model."""
        if self.mode == "json_object":
            return  # a call sent before another one's refusal switched the mode
        self.mode = "json_object"
        log.warning(
            "%s refused json_schema (HTTP %d: %s): using json_object with the schema in the "
            "prompt from now on", self.base_url, status, said,
        )  # fmt: skip
        if self._memory is not None:
            self._memory.save_llm_server(
                server_key(self.base_url, self.model),
                {"base_url": self.base_url, "model": self.model, "structured_output": self.mode},
            )


def sdk_transient(exc: openai.APIConnectionError | openai.APIStatusError) -> TransientError | None:
    """The TransientError for an openai SDK failure worth another try, or None: one mapping for
    every endpoint reached through the SDK (chat, files, batches)."""
    if isinstance(exc, openai.APITimeoutError):
        return timed_out()
    if isinstance(exc, openai.APIConnectionError):
        return connection_failed(exc)
    return transient_status(exc.status_code, exc.response.headers)


def _prompt_text(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content") or "") for m in body.get("messages", []))


LLMClient = OpenAILLM
"""The name before the LLM protocol existed; build with ``OpenAILLM.from_settings``."""
