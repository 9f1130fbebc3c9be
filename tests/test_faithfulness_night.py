"""The night's faithfulness policy end to end: fake HF, arXiv and LLM, the real CLI.

The paper is generated with known figures (236B parameters, 71.4% on GSM8K); the fake LLM is
scripted to answer with a summary that states them faithfully, or with a unit slip (236억 for
236B), or with a paragraph about nothing in particular.
"""

from __future__ import annotations

import json

from tests import pdfs
from tests.fakes.llm import summary_reply
from tests.world import DATE, World

ID, TITLE = "2406.20001", "OrcaNet: Sparse Experts for Code Generation"
ABSTRACT = "We present OrcaNet, a Mixture-of-Experts code model with 236B parameters."
SECTIONS = {
    "Introduction": "Code models grow expensive. OrcaNet activates few experts per token.",
    "Experiments": "OrcaNet reaches 71.4% on GSM8K and 90.2% on HumanEval, and decodes 14x "
    "faster than Llama-3-70B.",
}
GOOD = {
    "whats_new": "OrcaNet은 2,360억 개의 파라미터를 가진 Mixture-of-Experts 코드 모델입니다. "
    "토큰마다 일부 전문가만 쓰는 희소 구조로 코드 생성 비용을 줄입니다.",
    "technical_details": "OrcaNet은 토큰마다 소수의 전문가만 활성화하는 희소 구조를 사용하며, "
    "이 설계 덕분에 Llama-3-70B보다 14배 빠르게 디코딩합니다.",
    "performance_highlights": "OrcaNet은 GSM8K에서 71.4%, HumanEval에서 90.2%를 기록해 "
    "효율과 성능을 함께 보여 줍니다.",
}
SLIP = {**GOOD, "whats_new": GOOD["whats_new"].replace("2,360억", "236억")}
GENERIC = {
    "whats_new": "새로운 인공지능 모델이 소개되었습니다. 이 모델은 기존 방법의 한계를 극복합니다.",
    "technical_details": "제안된 방법은 효율적인 구조로 계산 비용을 줄이면서 성능을 유지합니다.",
    "performance_highlights": "여러 벤치마크에서 기존 모델보다 우수한 성능을 보였습니다.",
}
REVIEW = {"DIGEST_FAITHFULNESS": "review"}


def add_paper(world: World) -> None:
    world.add(ID, TITLE, 40, pdf=pdfs.paper_pdf(TITLE, ABSTRACT, SECTIONS))
    # World.add writes its own abstract into the listing; the model reads ours from the PDF.


def user_messages(world: World) -> list[str]:
    return [m["content"] for m in world.llm.chat_bodies()[-1]["messages"] if m["role"] == "user"]


def test_a_faithful_summary_is_published_without_a_reask(world: World) -> None:
    add_paper(world)
    world.llm.script_for(TITLE, summary_reply(GOOD))
    outcome = world.night(env=REVIEW)
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert world.llm.calls == 1
    record = world.record(ID)
    assert record["status"] == "ok" and record["flags"] == []
    assert "2,360억" in world.digest()


def test_an_unsupported_number_is_reasked_by_name_and_the_fix_published(world: World) -> None:
    add_paper(world)
    world.llm.script_for(TITLE, summary_reply(SLIP), summary_reply(GOOD))
    outcome = world.night(env=REVIEW)
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert world.llm.calls == 2
    reask = user_messages(world)[-1]
    # The re-ask is prompts/summarize/v2.yaml's text, naming the span and its section.
    assert "이 숫자나 이름은 논문에 없습니다" in reask
    assert "- 236억 (What's New)" in reask
    record = world.record(ID)
    assert record["status"] == "ok" and record["summary"] == GOOD and record["flags"] == []
    assert record["provenance"]["attempts"] == 2 and record["provenance"]["prompt_version"] == "v2"


def test_a_number_that_stays_unsupported_waits_for_review_with_its_draft(world: World) -> None:
    add_paper(world)
    world.llm.script_for(TITLE, summary_reply(SLIP), summary_reply(SLIP))
    outcome = world.night(env=REVIEW)
    assert outcome.exit_code == 1  # its only paper waits for an editor: nothing published
    assert world.llm.calls == 2  # one re-ask, not the form checks' budget of re-asks
    record = world.record(ID)
    assert record["status"] == "needs_review" and record["summary"] is None
    assert record["draft"] == SLIP
    [flag] = [f for f in record["flags"] if f["code"].startswith("faithfulness")]
    assert (flag["code"], flag["section"], flag["span"]) == (
        "faithfulness_number", "whats_new", "236억",
    )  # fmt: skip
    assert "236억" in record["reason"]
    [paper] = world.run_json()["papers"]
    assert paper["status"] == "needs_review" and paper["flags"][0]["span"] == "236억"
    assert f"needs_review: {ID}" in outcome.stdout and "faithfulness_number" in outcome.stdout
    assert not (world.day / "digest.md").exists()  # its only paper is not publishable


def test_a_summary_of_nothing_in_the_paper_goes_straight_to_review(world: World) -> None:
    add_paper(world)
    world.llm.script_for(TITLE, summary_reply(GENERIC))
    outcome = world.night(env=REVIEW)
    assert outcome.exit_code == 1  # its only paper waits for an editor: nothing published
    assert world.llm.calls == 1  # no re-ask: rewording cannot make it this paper's summary
    record = world.record(ID)
    assert record["status"] == "needs_review" and record["draft"] == GENERIC
    assert [f["code"] for f in record["flags"]] == ["faithfulness_paper"]
    assert record["reason"].startswith("may summarise another paper")


def test_flag_policy_publishes_with_the_flag_and_check_date_finds_it(world: World) -> None:
    add_paper(world)
    world.llm.script_for(TITLE, summary_reply(SLIP))
    outcome = world.night("--faithfulness", "flag")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert world.llm.calls == 1
    record = world.record(ID)
    assert record["status"] == "ok" and record["summary"] == SLIP
    assert [f["span"] for f in record["flags"]] == ["236억"]
    assert "236억" in world.digest()
    assert f"flagged: {ID} - faithfulness_number" in outcome.stdout

    recheck = world.run("check", "--date", DATE, "--json")
    assert recheck.exit_code == 0, recheck.stderr
    [line] = [json.loads(x) for x in recheck.stdout.splitlines()]
    assert line["id"] == ID
    assert [(f["kind"], f["section"], f["span"]) for f in line["flags"]] == [
        ("number", "whats_new", "236억"),
    ]


def test_off_does_not_check(world: World) -> None:
    add_paper(world)
    world.llm.script_for(TITLE, summary_reply(SLIP))
    assert world.night(env={"DIGEST_FAITHFULNESS": "off"}).exit_code == 0
    assert world.record(ID)["flags"] == [] and world.llm.calls == 1


def test_an_unknown_policy_is_a_usage_error(world: World) -> None:
    outcome = world.night("--faithfulness", "strict")
    assert outcome.exit_code == 2 and "faithfulness" in outcome.stderr


def test_an_extraction_cached_without_full_text_is_checked_against_the_llms_text(
    world: World,
) -> None:
    # A cache entry written before extractions kept the full text: the check falls back to the
    # text the LLM was given, so the body's figures (71.4%, 14x) are still found.
    from pipeline.extract.extractor import EXTRACTOR_VERSION, extract_pdf
    from pipeline.stages.inputs import tokenizer_name
    from pipeline.store import Store

    pdf = pdfs.paper_pdf(TITLE, ABSTRACT, SECTIONS)
    world.add(ID, TITLE, 40, pdf=pdf)
    old = extract_pdf(pdf, budget_tokens=12_000, model="gpt-4.1-mini").model_copy(
        update={
            "full_text": "",
            "budget_tokens": 12_000,
            "tokenizer": tokenizer_name("gpt-4.1-mini"),
        }
    )
    assert old.extractor_version == EXTRACTOR_VERSION
    Store(world.data).save_extraction(old)
    world.llm.script_for(TITLE, summary_reply(GOOD))
    outcome = world.night(env=REVIEW)
    assert outcome.exit_code == 0, outcome.stdout
    assert world.record(ID)["flags"] == [] and world.llm.calls == 1
