"""No server answer escapes a paper: a context overflow, a refusal or a failed request in any
call of a conversation (first ask, form re-asks, the faithfulness re-ask) becomes that paper's
outcome, at every call site (the night, the review app's regenerate, the lab, the batch).

A re-ask carries the model's previous reply, which overflows a small window: it is asked once
more with the feedback alone, then the paper keeps its best draft or fails with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.errors import ContextTooLong, RequestRejected, SummaryError
from pipeline.core.models import Status
from pipeline.lab.judge import Judge
from pipeline.stages.llm import LLMReply
from pipeline.stages.prompts import PromptTemplate, load_prompt
from pipeline.stages.summarize import REASK_TOO_LONG, summarize_paper
from pipeline.store import Store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.batch import FakeBatchLLM
from tests.fakes.hf import FakeHF
from tests.fakes.llm import SECTIONS, summary_reply
from tests.fakes.local import GGUF, FakeLlamaCpp
from tests.fakes.scripted_llm import ScriptedLLM, good_reply
from tests.fakes.server import Reply
from tests.review_world import DAY, night_world
from tests.test_batch_offline import D1, batch, export, make_world, vllm
from tests.test_review_api import make_client, post
from tests.test_summarize import PAPER, paper_input
from tests.world import DATE, World

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = "This paper proposes a new routing method that works well on many benchmarks. "
OVERFLOW = ContextTooLong("This model's maximum context length is 2048 tokens.")


@pytest.fixture
def template() -> PromptTemplate:
    return load_prompt(ROOT / "prompts", "summarize@v2")


def english_reply() -> str:
    return json.dumps(dict.fromkeys(SECTIONS, ENGLISH * 3))


def long_english(chars: int = 70_000) -> Reply:
    """A well-formed reply in English (the form check re-asks it) so long that a re-ask
    carrying it cannot fit a 16k window."""
    return summary_reply(dict.fromkeys(SECTIONS, (ENGLISH * (chars // len(ENGLISH)))[: chars // 3]))


def roles(messages: list[dict[str, str]]) -> list[str]:
    return [m["role"] for m in messages]


# ---- the conversation itself ------------------------------------------------------------------


async def test_a_reask_that_overflows_is_asked_again_with_the_feedback_alone(
    template: PromptTemplate,
) -> None:
    llm = ScriptedLLM().queue(english_reply(), OVERFLOW, good_reply)
    out = await summarize_paper(PAPER, paper_input(), llm, template)
    assert out.status is Status.OK
    (first, _), (full, _), (alone, _) = llm.asked
    assert roles(full) == ["system", "user", "assistant", "user"]
    assert alone == [*first, full[-1]]  # the paper, then the feedback: no previous reply
    assert "Korean" in alone[-1]["content"]


async def test_when_neither_reask_fits_the_paper_keeps_its_best_draft(
    template: PromptTemplate,
) -> None:
    llm = ScriptedLLM().queue(english_reply(), OVERFLOW, OVERFLOW)
    out = await summarize_paper(PAPER, paper_input(), llm, template)
    assert out.status is Status.NEEDS_REVIEW and out.draft is not None
    assert out.problems[-1] == REASK_TOO_LONG  # a problem of its own, after the reply's
    assert len(out.problems) == 4 and all("Korean" in p for p in out.problems[:3])
    assert llm.calls == 3


async def test_without_any_draft_the_paper_fails_with_the_reason(
    template: PromptTemplate,
) -> None:
    cut = LLMReply(content='{"whats_new": "이 논문은', finish_reason="length")
    llm = ScriptedLLM().queue(cut, OVERFLOW, OVERFLOW)
    out = await summarize_paper(PAPER, paper_input(), llm, template)
    assert out.status is Status.FAILED and out.draft is None and out.summary is None
    assert "cut off" in (out.reason or "") and REASK_TOO_LONG in (out.reason or "")


async def test_a_rejected_reask_fails_the_paper_carrying_its_draft(
    template: PromptTemplate,
) -> None:
    llm = ScriptedLLM().queue(english_reply(), RequestRejected("HTTP 422: bad request"))
    with pytest.raises(SummaryError, match="HTTP 422") as caught:
        await summarize_paper(PAPER, paper_input(), llm, template)
    assert caught.value.draft is not None and caught.value.attempts == 2


async def test_a_faithfulness_reask_that_overflows_keeps_the_first_draft(
    template: PromptTemplate,
) -> None:
    llm = ScriptedLLM().queue(good_reply, OVERFLOW, OVERFLOW)
    out = await summarize_paper(
        PAPER, paper_input(), llm, template, content_check=lambda _: "Check the numbers."
    )
    assert out.status is Status.OK and out.summary is not None and llm.calls == 3
    assert roles(llm.asked[2][0]) == ["system", "user", "user"]


# ---- each call site ---------------------------------------------------------------------------


def test_the_night_survives_overflowing_reasks_on_a_small_llama_cpp_window(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, tmp_path: Path
) -> None:
    with FakeLlamaCpp(n_ctx=16384) as llama:
        world = World(fake_hf, fake_arxiv, llama, tmp_path / "data")  # type: ignore[arg-type]
        world.add("2406.30001", "Recovered Routing", 30)
        world.add("2406.30002", "Stubborn Routing", 20)
        world.add("2406.30003", "Plain Routing", 10)
        llama.script_for("Recovered Routing", long_english())
        llama.script_for("Stubborn Routing", long_english(), "context_length")
        outcome = world.night(env={"DIGEST_MODEL": GGUF})
        assert outcome.exit_code == 3, outcome.stdout + outcome.stderr
        statuses = world.statuses()
        assert statuses == {"2406.30001": "ok", "2406.30002": "needs_review", "2406.30003": "ok"}
        stubborn = world.record("2406.30002")
        assert REASK_TOO_LONG in stubborn["reason"] and stubborn["draft"] is not None
        assert "Recovered Routing" in world.digest()
        again = world.night(env={"DIGEST_MODEL": GGUF})  # the cached replies replay cleanly
        assert again.exit_code == 3 and world.statuses() == statuses


def test_regenerate_in_the_review_app_survives_an_overflowing_reask(world: World) -> None:
    reviewed = night_world(world)
    http, editorial, guard = make_client(reviewed)
    try:
        title = editorial.paper(DAY, "2406.20002").paper.title
        reviewed.llm.script_for(title, long_english(), "context_length")
        url = f"/api/{DATE}/2406.20002/regenerate"
        answer = post(http, guard, url, {"prompt": "summarize@v1", "model": "gpt-4.1-mini"})
        assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
        body = reviewed.llm.chat_bodies()[-1]
        assert roles(body["messages"])[-2:] == ["user", "user"]  # asked with the feedback alone
        [candidate] = editorial.paper(DAY, "2406.20002").pending_candidates
        assert "routing method" not in candidate.summary.whats_new  # the Korean answer, kept
    finally:
        editorial.close()


def test_the_lab_records_an_overflowing_paper_and_finishes(world: World) -> None:
    world.add("2406.40001", "Lab Routing One", 20)
    world.add("2406.40002", "Lab Routing Two", 10)
    assert world.run("evalset", "create", "small", "--date", DATE).exit_code == 0
    world.llm.script_for("Lab Routing Two", long_english(), "context_length", "context_length")
    out = world.run("eval", "small", "--json", "--prompts", "summarize@v1")
    assert out.exit_code in (0, 3), out.stderr
    report = json.loads(out.stdout)
    text = json.dumps(report)
    assert "2406.40001" in text and REASK_TOO_LONG in text
    [two] = [o for o in report["outcomes"] if o["arxiv_id"] == "2406.40002"]
    form = [f["detail"] for f in two["flags"] if f["code"] == "form"]
    assert form[-1] == REASK_TOO_LONG and form.count(REASK_TOO_LONG) == 1


def test_a_batch_line_that_overflows_is_asked_again_without_the_reply(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, tmp_path: Path
) -> None:
    with FakeBatchLLM() as llm:
        bw = make_world(fake_hf, fake_arxiv, llm, tmp_path / "data")
        llm.script_for("Batch Paper Beta", long_english(9_000), "context_length")
        requests, results = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
        export(bw, requests)
        vllm(bw, requests, results)
        assert batch(bw, "import", "--in", str(results)).exit_code == 3
        assert len(export(bw, tmp_path / "second.jsonl")) == 1  # the re-ask, with the reply
        vllm(bw, tmp_path / "second.jsonl", results)
        assert batch(bw, "import", "--in", str(results)).exit_code == 3  # the re-ask overflowed
        third = export(bw, tmp_path / "third.jsonl")
        assert [line["custom_id"].split(":")[1] for line in third] == ["2406.20002"]
        assert roles(third[0]["body"]["messages"])[-2:] == ["user", "user"]
        vllm(bw, tmp_path / "third.jsonl", results)
        done = batch(bw, "import", "--in", str(results))
        assert done.exit_code == 0, done.stdout
        record = json.loads((bw.data / D1 / "papers" / "2406.20002.json").read_text())
        assert record["status"] == "ok"


class _OverflowingJudge:
    model = "gpt-4.1-mini"

    async def complete(
        self, messages: list[dict[str, str]], params: dict[str, object], *, schema: object = None
    ) -> LLMReply:
        raise OVERFLOW


async def test_a_judge_call_that_overflows_is_no_preference(tmp_path: Path) -> None:
    judge = Judge(_OverflowingJudge(), load_prompt(ROOT / "prompts", "judge@v1"), Store(tmp_path))
    said = await judge.ask([{"role": "user", "content": "Which summary is better?"}])
    assert said.preferred == "tie" and "maximum context length" in said.reason
