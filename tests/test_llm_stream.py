"""Streaming: DIGEST_LLM_TIMEOUT_S is the longest gap between two chunks, DIGEST_LLM_DEADLINE_S
the whole call, and the tokens of a call stopped half-way are counted as far as they arrived."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.core.errors import ServiceError
from pipeline.core.tokens import count_tokens
from pipeline.stages.openai_llm import OpenAILLM
from tests.fakes.llm import FakeLLM, openai_error, streamed, summary_for, summary_reply
from tests.fakes.server import Reply
from tests.world import World

TITLE = "Streaming Adapter Routing"
MESSAGES = [
    {"role": "system", "content": "You write Korean newsletter entries as JSON."},
    {"role": "user", "content": f"Title: {TITLE}\n\nText: the router..."},
]
PARAMS: dict[str, Any] = {"max_tokens": 800}
STREAM = {"stream": True, "stream_options": {"include_usage": True}}


def make(fake: FakeLLM, **kw: Any) -> OpenAILLM:
    options = {"max_attempts": 1, "max_backoff_s": 0.01, "timeout_s": 0.5, "deadline_s": 10.0}
    return OpenAILLM("gpt-4.1-mini", base_url=fake.url + "/v1", **(options | kw))


def slow(every_s: float, *, usage: bool = True) -> Reply:
    """A good answer whose chunks arrive ``every_s`` apart (a CPU model writing)."""
    answer = streamed(
        summary_reply(summary_for(TITLE)), STREAM if usage else {"stream": True}, pieces=20
    )
    assert isinstance(answer.body, str)
    return Reply(200, answer.body, answer.headers, trickle_chunk=600, trickle_s=every_s)


async def test_it_streams_and_takes_the_servers_usage(fake_llm: FakeLLM) -> None:
    async with make(fake_llm) as llm:
        reply = await llm.complete(MESSAGES, PARAMS)
    [body] = fake_llm.chat_bodies()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert json.loads(reply.content or "")["whats_new"] and reply.finish_reason == "stop"
    content_tokens = len(reply.content or "") // 4  # the fake's own count
    assert reply.usage.completion_tokens == content_tokens and reply.usage.prompt_tokens > 0


async def test_without_usage_in_the_stream_the_tokens_are_counted(fake_llm: FakeLLM) -> None:
    fake_llm.script_for(TITLE, slow(0.0, usage=False))
    async with make(fake_llm) as llm:
        reply = await llm.complete(MESSAGES, PARAMS)
    assert reply.usage.completion_tokens == count_tokens(reply.content or "", "gpt-4.1-mini")
    assert reply.usage.prompt_tokens >= count_tokens(MESSAGES[1]["content"], "gpt-4.1-mini")


async def test_a_slow_writer_within_the_gap_finishes_past_the_read_timeout(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script_for(TITLE, slow(0.1))  # every gap < 0.5 s, the whole answer ~1 s
    async with make(fake_llm) as llm:
        reply = await llm.complete(MESSAGES, PARAMS)
    assert reply.latency_s > 0.8 and json.loads(reply.content or "")["performance_highlights"]


async def test_the_deadline_stops_the_whole_call_and_counts_what_arrived(
    fake_llm: FakeLLM,
) -> None:
    fake_llm.script_for(TITLE, slow(0.1))
    async with make(fake_llm, deadline_s=0.6) as llm:
        with pytest.raises(ServiceError, match=r"no complete answer within 0\.6s") as caught:
            await llm.complete(MESSAGES, PARAMS)
    lost = caught.value.usage
    assert lost is not None and lost.prompt_tokens > 0
    whole = count_tokens(json.dumps(summary_for(TITLE), ensure_ascii=False), "gpt-4.1-mini")
    assert 0 < lost.completion_tokens < whole  # as far as it arrived, not the whole reply


async def test_a_stall_between_chunks_is_the_gap_timeout(fake_llm: FakeLLM) -> None:
    fake_llm.script_for(TITLE, slow(0.8))
    async with make(fake_llm) as llm:
        with pytest.raises(ServiceError, match=r"no chunk within 0\.5s"):
            await llm.complete(MESSAGES, PARAMS)


async def test_a_server_refusing_stream_options_is_asked_without_them(fake_llm: FakeLLM) -> None:
    fake_llm.script_for(TITLE, openai_error(422, "stream_options: Extra inputs are not permitted"))
    async with make(fake_llm, max_attempts=2) as llm:
        reply = await llm.complete(MESSAGES, PARAMS)
        await llm.complete(MESSAGES, PARAMS)
    first, second, third = fake_llm.chat_bodies()
    assert "stream_options" in first and "stream_options" not in second | third
    assert second["stream"] and reply.usage.completion_tokens > 0


def test_a_night_records_the_tokens_of_a_paper_whose_calls_timed_out(world: World) -> None:
    world.add("2406.50001", "Streaming Adapter Routing", 9)
    world.add("2406.50002", "Healthy Paper", 5)
    world.llm.script_for(TITLE, slow(0.1), slow(0.1))
    env = {"DIGEST_LLM_DEADLINE_S": "0.6", "DIGEST_MAX_ATTEMPTS": "2"}
    outcome = world.night(env=env)
    assert outcome.exit_code == 3, outcome.stdout + outcome.stderr
    assert world.statuses() == {"2406.50001": "failed", "2406.50002": "ok"}
    healthy = world.run_json()["papers"][1]["usage"]
    spent = world.run_json()["usage"]
    # The run's total holds the healthy paper and both half-way answers of the failed one.
    assert spent["completion_tokens"] > healthy["completion_tokens"]
    assert spent["prompt_tokens"] > healthy["prompt_tokens"]


async def test_a_stream_cut_mid_way_is_retried_and_its_tokens_still_count(
    fake_llm: FakeLLM,
) -> None:
    whole = slow(0.0)
    assert isinstance(whole.body, str)
    cut = Reply(200, whole.body, whole.headers, close_early=True, close_after=len(whole.body) // 2)
    async with make(fake_llm, max_attempts=2) as llm:
        clean = await llm.complete(MESSAGES, PARAMS)
        fake_llm.script_for(TITLE, cut)
        retried = await llm.complete(MESSAGES, PARAMS)
    assert retried.content == clean.content and fake_llm.calls == 3
    assert retried.usage.completion_tokens > clean.usage.completion_tokens  # half a reply more
    assert retried.usage.prompt_tokens > clean.usage.prompt_tokens
