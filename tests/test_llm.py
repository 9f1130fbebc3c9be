"""OpenAILLM against the loopback OpenAI-compatible fake: what it sends, how it maps errors,
the json_object fallback with the schema in the prompt, and usage per call."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tenacity import RetryCallState

from pipeline.core.errors import (
    ContextTooLong,
    LLMConfigError,
    RequestRejected,
    ServiceError,
    TransientError,
)
from pipeline.core.retry import retry_policy
from pipeline.stages.llm import LLM, summary_schema
from pipeline.stages.openai_llm import OpenAILLM
from tests.fakes.llm import FakeLLM, openai_error

TITLE = "Sparse Adapter Routing for Speech"
MESSAGES = [
    {"role": "system", "content": "You write Korean newsletter entries as JSON."},
    {"role": "user", "content": f"Title: {TITLE}\n\nText: BODY-MARKER the router..."},
]
PARAMS: dict[str, Any] = {"temperature": 0.2, "max_tokens": 800}


def make(fake: FakeLLM, **kw: Any) -> OpenAILLM:
    options: dict[str, Any] = {"max_attempts": 3, "max_backoff_s": 0.01, "timeout_s": 2.0}
    return OpenAILLM("gpt-4.1-mini", base_url=fake.url + "/v1", api_key="k", **(options | kw))


@pytest.fixture
async def llm(fake_llm: FakeLLM) -> AsyncIterator[OpenAILLM]:
    async with make(fake_llm) as client:
        yield client


async def test_it_is_an_llm_and_sends_messages_params_and_the_strict_schema(
    llm: OpenAILLM, fake_llm: FakeLLM
) -> None:
    assert isinstance(llm, LLM)
    reply = await llm.complete(MESSAGES, PARAMS)
    assert json.loads(reply.content or "")["whats_new"]
    body = fake_llm.chat_bodies()[0]
    assert body["messages"] == MESSAGES and body["model"] == "gpt-4.1-mini"
    assert body["temperature"] == 0.2 and body["max_tokens"] == 800
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"] == summary_schema()


async def test_usage_comes_with_each_reply_not_from_a_shared_counter(
    llm: OpenAILLM, fake_llm: FakeLLM
) -> None:
    short = await llm.complete(MESSAGES, PARAMS)
    longer = [MESSAGES[0], {"role": "user", "content": MESSAGES[1]["content"] * 20}]
    long = await llm.complete(longer, PARAMS)
    served = [r.json for r in fake_llm.requests if r.path.endswith("/chat/completions")]
    assert len(served) == 2
    assert 0 < short.usage.prompt_tokens < long.usage.prompt_tokens
    assert short.usage.completion_tokens > 0
    assert not hasattr(llm, "usage") and not hasattr(llm, "calls")


async def test_a_server_without_json_schema_gets_json_object_with_the_schema_in_the_prompt(
    llm: OpenAILLM, fake_llm: FakeLLM
) -> None:
    fake_llm.supports_json_schema = False
    reply = await llm.complete(MESSAGES, PARAMS)
    assert json.loads(reply.content or "")["technical_details"]
    first, second = fake_llm.chat_bodies()
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"] == {"type": "json_object"}
    system = second["messages"][0]["content"]
    assert system.startswith(MESSAGES[0]["content"])
    assert json.dumps(summary_schema(), ensure_ascii=False) in system
    assert second["messages"][1:] == MESSAGES[1:]
    await llm.complete(MESSAGES, PARAMS)  # the downgrade sticks: no json_schema try again
    assert [b["response_format"]["type"] for b in fake_llm.chat_bodies()][2:] == ["json_object"]


async def test_json_object_configured_sends_the_schema_from_the_first_call(
    fake_llm: FakeLLM,
) -> None:
    async with make(fake_llm, structured_output="json_object") as llm:
        await llm.complete(MESSAGES, PARAMS)
    (body,) = fake_llm.chat_bodies()
    assert body["response_format"] == {"type": "json_object"}
    assert '"additionalProperties": false' in body["messages"][0]["content"]


async def test_json_schema_configured_never_downgrades(fake_llm: FakeLLM) -> None:
    fake_llm.supports_json_schema = False
    async with make(fake_llm, structured_output="json_schema") as llm:
        with pytest.raises(RequestRejected, match="json_schema"):
            await llm.complete(MESSAGES, PARAMS)
    assert fake_llm.calls == 1


async def test_errors_map_to_the_error_tree(llm: OpenAILLM, fake_llm: FakeLLM) -> None:
    fake_llm.script_for(TITLE, "context_length")
    with pytest.raises(ContextTooLong):
        await llm.complete(MESSAGES, PARAMS)
    fake_llm.script_for(TITLE, openai_error(400, "temperature must be at most 2"))
    with pytest.raises(RequestRejected, match="temperature must be at most 2"):
        await llm.complete(MESSAGES, PARAMS)
    fake_llm.script_for(TITLE, "server_error", "server_error", "server_error")
    quoted = r'HTTP 500 "The server had an error.*" after 3 attempts'
    with pytest.raises(ServiceError, match=quoted) as caught:
        await llm.complete(MESSAGES, PARAMS)
    assert not isinstance(caught.value, LLMConfigError) and caught.value.url == llm.base_url
    fake_llm.api_key = "the-right-key"
    with pytest.raises(LLMConfigError, match="OPENAI_API_KEY"):
        await llm.complete(MESSAGES, PARAMS)


async def test_an_unknown_model_is_a_configuration_error(fake_llm: FakeLLM) -> None:
    async with make(fake_llm) as llm:
        llm.model = "gpt-nonexistent"
        with pytest.raises(LLMConfigError, match="404"):
            await llm.complete(MESSAGES, PARAMS)
        warnings = await llm.check()  # a local server may serve models it does not list
    assert "gpt-nonexistent" in warnings[0] and "gpt-4.1-mini" in warnings[0]


async def test_transient_failures_are_retried(llm: OpenAILLM, fake_llm: FakeLLM) -> None:
    fake_llm.retry_after_s = 0.001
    fake_llm.script_for(TITLE, "rate_limit", "server_error")
    reply = await llm.complete(MESSAGES, PARAMS)
    assert reply.content and fake_llm.calls == 3


async def test_a_429_carries_the_servers_wait_into_the_retry_policy(
    llm: OpenAILLM, fake_llm: FakeLLM
) -> None:
    fake_llm.retry_after_s = 2.5  # retry-after-ms 2500, Retry-After 2 (whole seconds)
    fake_llm.script_for(TITLE, "rate_limit")
    with pytest.raises(TransientError) as caught:
        await llm._complete_once(MESSAGES, PARAMS)  # one attempt, no retry loop
    assert caught.value.retry_after == 2.5
    wait = retry_policy(5, 60.0)["wait"]
    state = RetryCallState(None, None, (), {})
    state.attempt_number = 1
    state.set_exception((TransientError, caught.value, None))
    assert wait(state) == 2.5  # type: ignore[operator]
    capped = retry_policy(5, 1.0)["wait"]
    assert capped(state) == 1.0  # type: ignore[operator]


async def test_a_reason_quotes_the_first_200_characters_of_the_servers_message(
    llm: OpenAILLM, fake_llm: FakeLLM
) -> None:
    said = "the request is invalid because " + "x" * 400 + " TAIL-MARKER"
    fake_llm.script_for(TITLE, openai_error(400, said))
    with pytest.raises(RequestRejected) as caught:
        await llm.complete(MESSAGES, PARAMS)
    reason = str(caught.value)
    assert said[:199] in reason and "TAIL-MARKER" not in reason
    assert len(reason) < 230
