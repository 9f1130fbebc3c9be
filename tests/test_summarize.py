"""summarize_paper called directly with a scripted LLM: what it sends, what it caches, how it
re-asks, cuts an oversized text and reports usage. No night, no HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.errors import ContextTooLong, LLMConfigError, RequestRejected, SummaryError
from pipeline.core.models import DailyPaper, PaperInput, Status, Usage
from pipeline.core.tokens import count_tokens
from pipeline.stages.llm import LLMReply
from pipeline.stages.prompts import PromptTemplate, load_prompt
from pipeline.stages.summarize import MAX_CONTEXT_CUTS, summarize_paper
from pipeline.store import Store
from tests.fakes.llm import summary_for
from tests.fakes.scripted_llm import ScriptedLLM, good_reply

PAPER = DailyPaper(
    arxiv_id="2406.10001",
    title="Sparse Adapter Routing for Speech",
    upvotes=5,
    authors=["Yuna Park"],
    abstract="We route speech frames to sparse adapters.",
)
BODY = " ".join(f"BODY-MARKER-{i} The router sends each frame to one adapter." for i in range(80))


def paper_input(text: str = BODY, sha: str = "a" * 64) -> PaperInput:
    return PaperInput(
        text=text, tokens=count_tokens(text), source="pdf", sections=["Method"],
        pdf_sha256=sha, extractor_version="1.0.2",
    )  # fmt: skip


@pytest.fixture(scope="module")
def template() -> PromptTemplate:
    return load_prompt(Settings().prompts_dir, "summarize")


def reply_with(**sections: str) -> str:
    return json.dumps({**summary_for(PAPER.title), **sections}, ensure_ascii=False)


ENGLISH = reply_with(whats_new="This paper proposes a new routing method for speech models.")
EMPTY_LAST = reply_with(performance_highlights="")


async def test_the_paper_text_is_what_the_llm_reads(template: PromptTemplate) -> None:
    llm = ScriptedLLM()
    out = await summarize_paper(PAPER, paper_input(), llm, template)
    assert out.status is Status.OK and out.summary is not None
    sent = llm.user_text(0)
    assert "BODY-MARKER-0" in sent and "BODY-MARKER-79" in sent
    assert f"Title: {PAPER.title}" in sent
    assert llm.asked[0][1] == template.params


async def test_provenance_records_prompt_model_input_and_pdf(template: PromptTemplate) -> None:
    out = await summarize_paper(PAPER, paper_input(sha="b" * 64), ScriptedLLM(), template)
    p = out.provenance
    assert (p.prompt_name, p.prompt_version, p.prompt_hash) == (
        "summarize", template.version, template.content_hash,
    )  # fmt: skip
    assert p.model == "gpt-4.1-mini" and p.pdf_sha256 == "b" * 64
    assert p.extractor_version == "1.0.2" and p.input_source == "pdf" and p.attempts == 1


async def test_a_cached_conversation_costs_nothing_and_anything_that_shapes_it_asks_again(
    template: PromptTemplate, tmp_path: Path
) -> None:
    store = Store(tmp_path)
    llm = ScriptedLLM()
    first = await summarize_paper(PAPER, paper_input(), llm, template, store=store)
    assert first.calls == 1 and first.usage.prompt_tokens > 0
    again = await summarize_paper(PAPER, paper_input(), llm, template, store=store)
    assert llm.calls == 1, "the same conversation must come from the cache"
    assert again.calls == 0 and again.usage == Usage() and again.summary == first.summary
    assert again.provenance.usage == first.provenance.usage  # what the summary took, still

    other_model = ScriptedLLM(model="gpt-4o")
    await summarize_paper(PAPER, paper_input(), other_model, template, store=store)
    assert other_model.calls == 1
    new_prompt = template.model_copy(update={"content_hash": "0" * 64})
    await summarize_paper(PAPER, paper_input(), llm, new_prompt, store=store)
    new_params = template.model_copy(update={"params": {**template.params, "temperature": 0.9}})
    await summarize_paper(PAPER, paper_input(), llm, new_params, store=store)
    new_pdf = paper_input(BODY + " A sentence only the second version has.", sha="c" * 64)
    await summarize_paper(PAPER, new_pdf, llm, template, store=store)
    assert llm.calls == 4
    await summarize_paper(PAPER, paper_input(), llm, template, store=store, use_cache=False)
    assert llm.calls == 5


async def test_without_a_store_nothing_is_cached(template: PromptTemplate) -> None:
    llm = ScriptedLLM()
    for _ in range(2):
        await summarize_paper(PAPER, paper_input(), llm, template)
    assert llm.calls == 2


async def test_context_overflow_cuts_the_text_before_asking_again(template: PromptTemplate) -> None:
    llm = ScriptedLLM().queue(ContextTooLong("maximum context length is 100 tokens"))
    out = await summarize_paper(PAPER, paper_input(), llm, template)
    assert out.status is Status.OK and llm.calls == 2
    first, second = llm.user_text(0), llm.user_text(1)
    assert "BODY-MARKER-79" in first and "BODY-MARKER-79" not in second
    assert "BODY-MARKER-0 " in second  # the beginning is kept, the end cut
    assert count_tokens(second) < count_tokens(first) * 0.75


async def test_a_text_that_never_fits_fails_the_paper(template: PromptTemplate) -> None:
    llm = ScriptedLLM().queue(*(ContextTooLong("too long") for _ in range(MAX_CONTEXT_CUTS + 1)))
    with pytest.raises(SummaryError, match="context window"):
        await summarize_paper(PAPER, paper_input(), llm, template)
    lengths = [len(llm.user_text(i)) for i in range(llm.calls)]
    assert lengths == sorted(lengths, reverse=True) and len(set(lengths)) == len(lengths)


async def test_each_reask_states_the_problem_the_last_reply_had(template: PromptTemplate) -> None:
    llm = ScriptedLLM().queue(ENGLISH, EMPTY_LAST, good_reply)
    out = await summarize_paper(PAPER, paper_input(), llm, template)
    assert out.status is Status.OK and out.provenance.attempts == 3
    first_feedback = llm.asked[1][0][-1]["content"]
    second_feedback = llm.asked[2][0][-1]["content"]
    assert "What's New is not written in Korean" in first_feedback
    assert "Performance Highlights is empty" in second_feedback
    assert "Korean (only" not in second_feedback  # says what is wrong now, not a fixed phrase
    assert llm.asked[2][0][-2] == {"role": "assistant", "content": EMPTY_LAST}


async def test_a_reply_that_never_passes_is_kept_as_a_draft_for_review(
    template: PromptTemplate,
) -> None:
    llm = ScriptedLLM().queue(ENGLISH, ENGLISH, ENGLISH)
    out = await summarize_paper(PAPER, paper_input(), llm, template, reasks=2)
    assert out.status is Status.NEEDS_REVIEW and out.summary is None
    assert out.draft is not None and out.last_reply == ENGLISH
    assert "not written in Korean" in (out.reason or "") and out.provenance.attempts == 3


async def test_a_refusal_is_not_reasked(template: PromptTemplate) -> None:
    llm = ScriptedLLM().queue(LLMReply(content=None, refusal="I can't help with that."))
    out = await summarize_paper(PAPER, paper_input(), llm, template)
    assert out.status is Status.FAILED and llm.calls == 1 and "refused" in (out.reason or "")


async def test_a_rejected_request_fails_the_paper_with_what_the_model_said(
    template: PromptTemplate,
) -> None:
    llm = ScriptedLLM().queue(ENGLISH, RequestRejected("HTTP 400: bad request"))
    with pytest.raises(SummaryError) as caught:
        await summarize_paper(PAPER, paper_input(), llm, template)
    assert caught.value.last_reply == ENGLISH and caught.value.attempts == 2
    assert caught.value.draft is not None and caught.value.paper_id == PAPER.arxiv_id
    assert caught.value.calls == 1 and caught.value.usage is not None  # the answered call
    assert caught.value.usage.prompt_tokens > 0  # is still costed


async def test_a_configuration_error_is_not_blamed_on_the_paper(template: PromptTemplate) -> None:
    llm = ScriptedLLM().queue(LLMConfigError("LLM endpoint", "http://x", "HTTP 401"))
    with pytest.raises(LLMConfigError):
        await summarize_paper(PAPER, paper_input(), llm, template)


async def test_usage_is_this_calls_only(template: PromptTemplate) -> None:
    llm = ScriptedLLM().queue(
        LLMReply(content=ENGLISH, usage=Usage(prompt_tokens=100, completion_tokens=10)),
        LLMReply(content=good_reply([]), usage=Usage(prompt_tokens=200, completion_tokens=20)),
    )
    out = await summarize_paper(PAPER, paper_input(), llm, template)
    assert out.usage == Usage(prompt_tokens=300, completion_tokens=30) and out.calls == 2
    assert out.cost_usd is None  # no price given: unknown, not zero
