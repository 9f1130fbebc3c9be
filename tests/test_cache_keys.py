"""Whole nights against the fakes: caches that are honest about what shaped their content.

Each test defeats record reuse (deletes the records, or changes an input) so that only the
cache key decides whether the LLM is asked again."""

from __future__ import annotations

import json
import shutil
from typing import Any

from tests import pdfs
from tests.test_nightly import ABSTRACT_NIGHT, PAPERS, populate
from tests.world import World

PDF_PAPERS = [i for i in PAPERS if i != "2406.10003"]  # 10003 is locked: abstract fallback


def bodies_for(world: World, title: str) -> list[str]:
    """What the LLM was sent about one paper: every chat body naming it."""
    texts = [json.dumps(b["messages"], ensure_ascii=False) for b in world.llm.chat_bodies()]
    return [t for t in texts if f"Title: {title}" in t]


def test_deleting_the_records_costs_no_llm_call_the_reply_cache_answers(world: World) -> None:
    populate(world)
    assert world.night().exit_code == ABSTRACT_NIGHT
    calls = world.llm.calls
    shutil.rmtree(world.day / "papers")
    outcome = world.night()
    assert outcome.exit_code == ABSTRACT_NIGHT, outcome.stderr
    assert world.llm.calls == calls, "the LLM cache must answer a conversation it has seen"
    assert world.statuses() == dict.fromkeys(PAPERS, "ok")


def test_another_model_asks_again(world: World) -> None:
    populate(world)
    assert world.night().exit_code == ABSTRACT_NIGHT
    calls = world.llm.calls
    shutil.rmtree(world.day / "papers")
    world.llm.models.append("gpt-4o-mini")
    assert world.night("--model", "gpt-4o-mini").exit_code == ABSTRACT_NIGHT
    assert world.llm.calls == calls + len(PAPERS)
    assert world.record("2406.10001")["provenance"]["model"] == "gpt-4o-mini"
    assert world.run_json()["models"] == ["gpt-4o-mini"]


def test_a_new_pdf_version_resummarizes_and_keeps_the_old_summary(world: World) -> None:
    populate(world)
    assert world.night().exit_code == ABSTRACT_NIGHT
    before = world.record("2406.10001")["provenance"]
    calls = world.llm.calls
    title = PAPERS["2406.10001"]
    sections = {"Introduction": "VERSION-TWO-MARKER We revised the whole method section."}
    v2 = pdfs.paper_pdf(title, "A revised abstract.", sections=sections)
    world.arxiv.add_paper("2406.10001", v2, version=2, title=title)
    (world.data / "cache" / "arxiv" / "2406.10001.json").unlink()  # the new version is seen
    assert world.night().exit_code == ABSTRACT_NIGHT
    assert world.llm.calls == calls + 1  # only the changed paper
    after = world.record("2406.10001")["provenance"]
    assert (
        after["pdf_sha256"] != before["pdf_sha256"] and after["input_hash"] != before["input_hash"]
    )
    assert "VERSION-TWO-MARKER" in bodies_for(world, title)[-1]
    history = list((world.day / "papers" / "history").glob("2406.10001.*.json"))
    assert len(history) == 1


def test_a_smaller_budget_changes_the_context_and_resummarizes(world: World) -> None:
    populate(world)
    assert world.night().exit_code == ABSTRACT_NIGHT
    tokens_before = {i: world.record(i)["input_tokens"] for i in PDF_PAPERS}
    calls = world.llm.calls
    assert world.night(env={"DIGEST_TOKEN_BUDGET": "300"}).exit_code == ABSTRACT_NIGHT
    assert world.llm.calls == calls + len(PDF_PAPERS)  # the abstract-only paper is unchanged
    for arxiv_id in PDF_PAPERS:
        tokens = world.record(arxiv_id)["input_tokens"]
        assert tokens <= 300 < tokens_before[arxiv_id]
    extractions = list((world.data / "cache" / "extract").glob("*.json"))
    assert len(extractions) == 2 * len(PDF_PAPERS)  # one per (PDF, budget)


def test_force_extracts_again_instead_of_reusing_the_cached_extraction(world: World) -> None:
    populate(world)
    assert world.night().exit_code == ABSTRACT_NIGHT
    for path in (world.data / "cache" / "extract").glob("*.json"):
        cached: dict[str, Any] = json.loads(path.read_text())
        cached["context"] = "STALE-EXTRACTION-MARKER " + cached["context"]
        path.write_text(json.dumps(cached))
    assert world.night("--force").exit_code == ABSTRACT_NIGHT
    sent = " ".join(json.dumps(b["messages"]) for b in world.llm.chat_bodies()[len(PAPERS) :])
    assert sent and "STALE-EXTRACTION-MARKER" not in sent


def test_pdf_text_reaches_the_llm_and_an_abstract_fallback_sends_none(world: World) -> None:
    populate(world)
    assert world.night().exit_code == ABSTRACT_NIGHT
    for arxiv_id in PDF_PAPERS:
        (sent,) = bodies_for(world, PAPERS[arxiv_id])
        assert "INTRO-MARKER" in sent and "EXPERIMENT-MARKER" in sent, arxiv_id
        assert world.record(arxiv_id)["provenance"]["input_source"] == "pdf"
    (fallback,) = bodies_for(world, PAPERS["2406.10003"])
    assert "-MARKER" not in fallback and "## Abstract" in fallback
    assert world.record("2406.10003")["provenance"]["input_source"] == "abstract"
