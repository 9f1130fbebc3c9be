"""Local model servers on the defaults: llama.cpp's and Ollama's servers, as measured (the
fakes in ``tests/fakes/local.py``), negotiated with and published against."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.errors import RequestRejected
from pipeline.stages.openai_llm import OpenAILLM
from pipeline.store import Store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHF
from tests.fakes.local import GGUF, FakeLlamaCpp, FakeOllama
from tests.world import World

MESSAGES = [
    {"role": "system", "content": "You write Korean newsletter entries."},
    {"role": "user", "content": "Title: Sparse Adapter Routing\n\nText: the router..."},
]
PARAMS: dict[str, Any] = {"temperature": 0.2, "max_tokens": 800}


@pytest.fixture
def llama() -> Iterator[FakeLlamaCpp]:
    with FakeLlamaCpp() as server:
        yield server


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server


def client(fake: FakeLlamaCpp | FakeOllama, model: str = GGUF, **kw: Any) -> OpenAILLM:
    return OpenAILLM(model, base_url=fake.url + "/v1", max_attempts=3, max_backoff_s=0.01, **kw)


def formats(fake: FakeLlamaCpp | FakeOllama) -> list[str]:
    return [b["response_format"]["type"] for b in fake.chat_bodies()]


async def test_auto_switches_once_on_llama_cpps_500_and_remembers_it(
    llama: FakeLlamaCpp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path / "data")
    with caplog.at_level(logging.INFO, logger="pipeline"):
        async with client(llama, memory=store) as llm:
            first = await llm.complete(MESSAGES, PARAMS)
            await llm.complete(MESSAGES, PARAMS)
    assert first.content and '"whats_new"' in first.content
    assert formats(llama) == ["json_schema", "json_object", "json_object"]
    switched = [r for r in caplog.records if "refused json_schema" in r.getMessage()]
    assert len(switched) == 1
    assert "Input should be 'text' or 'json_object'" in switched[0].getMessage()
    async with client(llama, memory=store) as again:  # the next night starts with what works
        await again.complete(MESSAGES, PARAMS)
    assert formats(llama)[3:] == ["json_object"]


async def test_the_memory_is_per_server_and_model(llama: FakeLlamaCpp, tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    async with client(llama, memory=store) as llm:
        await llm.complete(MESSAGES, PARAMS)
    async with client(llama, model="another.gguf", memory=store) as other:
        await other.complete(MESSAGES, PARAMS)
    assert formats(llama)[2] == "json_schema"


async def test_json_schema_forced_fails_at_once_quoting_the_server_and_the_fix(
    llama: FakeLlamaCpp,
) -> None:
    async with client(llama, structured_output="json_schema") as llm:
        with pytest.raises(RequestRejected) as caught:
            await llm.complete(MESSAGES, PARAMS)
    assert "HTTP 500: Input should be 'text' or 'json_object'" in str(caught.value)
    assert "--structured-output json_object" in str(caught.value)
    assert llama.calls == 1


async def test_a_5xx_that_does_not_name_the_format_is_retried_not_downgraded(
    ollama: FakeOllama,
) -> None:
    ollama.script_for("Sparse Adapter", "server_error")
    async with client(ollama, model="llama3.2:latest") as llm:
        await llm.complete(MESSAGES, PARAMS)
    assert formats(ollama) == ["json_schema", "json_schema"]


async def test_ollama_keeps_json_schema(ollama: FakeOllama) -> None:
    async with client(ollama, model="llama3.2:latest") as llm:
        await llm.complete(MESSAGES, PARAMS)
        await llm.complete(MESSAGES, PARAMS)
    assert formats(ollama) == ["json_schema", "json_schema"]


def local_world(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, fake: FakeLlamaCpp | FakeOllama, data: Path
) -> World:
    world = World(fake_hf, fake_arxiv, fake, data)  # type: ignore[arg-type]
    del world.env["OPENAI_API_KEY"]  # local servers need none
    world.add("2406.20001", "Sparse Adapter Routing for Speech", 40)
    world.add("2406.20002", "Curriculum Distillation of Vision Transformers", 30)
    return world


def test_a_night_on_the_defaults_publishes_against_llama_cpp(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, llama: FakeLlamaCpp, tmp_path: Path
) -> None:
    world = local_world(fake_hf, fake_arxiv, llama, tmp_path / "data")
    outcome = world.night(env={"DIGEST_MODEL": GGUF})
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert world.statuses() == {"2406.20001": "ok", "2406.20002": "ok"}
    assert "Sparse Adapter Routing" in world.digest()
    sent = formats(llama)
    # Papers asked at once may each be refused once (both were sent before the switch), never
    # more: a retry after the switch is json_object.
    assert sent.count("json_schema") <= 2 and sent.count("json_object") == 2
    rerun = world.night("--force", env={"DIGEST_MODEL": GGUF})
    assert rerun.exit_code == 0
    assert set(formats(llama)[len(sent) :]) == {"json_object"}  # remembered across runs


def test_a_night_on_the_defaults_publishes_against_ollama(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, ollama: FakeOllama, tmp_path: Path
) -> None:
    world = local_world(fake_hf, fake_arxiv, ollama, tmp_path / "data")
    outcome = world.night(env={"DIGEST_MODEL": "llama3.2:latest"})
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert world.statuses() == {"2406.20001": "ok", "2406.20002": "ok"}
    assert set(formats(ollama)) == {"json_schema"}


def test_a_night_that_publishes_nothing_exits_1_with_the_servers_reason(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, llama: FakeLlamaCpp, tmp_path: Path
) -> None:
    world = local_world(fake_hf, fake_arxiv, llama, tmp_path / "data")
    outcome = world.night("--structured-output", "json_schema", env={"DIGEST_MODEL": GGUF})
    assert outcome.exit_code == 1
    assert llama.calls == 2  # refused once per paper, never retried
    last = outcome.stdout.strip().splitlines()[-1]
    assert last.startswith("no paper was published: 2x failed: LLM request failed: HTTP 500: ")
    assert "Input should be 'text' or 'json_object'" in last
    assert "--structured-output json_object" in last
    report = world.run_json()
    assert report["exit_status"] == 1 and report["error"] == last
    assert not (world.day / "digest.md").exists()


# ---- money and models --------------------------------------------------------------------------


def test_an_unknown_price_is_said_at_the_start_and_refused_with_max_cost(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, llama: FakeLlamaCpp, tmp_path: Path
) -> None:
    world = local_world(fake_hf, fake_arxiv, llama, tmp_path / "data")
    outcome = world.night(env={"DIGEST_MODEL": GGUF})
    assert outcome.exit_code == 0
    first = outcome.stderr.index("no price known for model")
    assert first < outcome.stderr.index("summarized")  # at the start, before any paper
    calls = llama.calls
    refused = world.night("--max-cost", "1", env={"DIGEST_MODEL": GGUF})
    assert refused.exit_code == 2 and llama.calls == calls  # nothing asked
    assert "--max-cost needs the price of model" in refused.stderr
    assert "DIGEST_PRICE_INPUT" in refused.stderr
    priced = {"DIGEST_MODEL": GGUF, "DIGEST_PRICE_INPUT": "0", "DIGEST_PRICE_OUTPUT": "0"}
    assert world.night("--max-cost", "1", "--force", env=priced).exit_code == 0
    assert world.run_json()["cost_usd"] == 0


def test_a_model_the_server_does_not_list_is_a_warning_naming_the_listed_ids(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, llama: FakeLlamaCpp, tmp_path: Path
) -> None:
    world = local_world(fake_hf, fake_arxiv, llama, tmp_path / "data")
    outcome = world.night()  # gpt-4.1-mini, which llama.cpp answers all the same
    assert outcome.exit_code == 0
    assert "model 'gpt-4.1-mini' is not one the server lists" in outcome.stderr
    assert GGUF in outcome.stderr and "pass --model with a listed id" in outcome.stderr


def test_a_base_url_without_v1_says_so(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, llama: FakeLlamaCpp, tmp_path: Path
) -> None:
    world = local_world(fake_hf, fake_arxiv, llama, tmp_path / "data")
    outcome = world.night(env={"OPENAI_BASE_URL": llama.url, "DIGEST_MODEL": GGUF})
    assert outcome.exit_code == 1 and llama.calls == 0
    assert "HTTP 404 on /models" in outcome.stderr
    assert f"the base URL probably lacks /v1: try OPENAI_BASE_URL={llama.url}/v1" in outcome.stderr
