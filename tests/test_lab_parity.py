"""The lab judges a paper exactly as the night does: a night, then an eval of the night's own
prompt and model on a set frozen from it, through the real CLI against the loopback fakes.

Five papers end five ways under the default faithfulness policy (review): a faithful summary is
published; a summary with a number the paper does not state is re-asked once and then waits for
review; a summary that names nothing of the paper goes to review without a re-ask; a model that
answers in English is re-asked about the form and waits for review; a paper that never fits the
model's context fails.
"""

from __future__ import annotations

import json
from typing import Any

from tests import pdfs
from tests.fakes.llm import Behaviour, summary_reply
from tests.world import DATE, World

FAITHFUL = ("2406.30001", "OrcaNet: Sparse Experts for Code Generation")
INVENTS = ("2406.30002", "OrcaNet Lite: Sparse Experts for Code Generation")
WRONG = ("2406.30005", "Quiet Routing for Small Mixtures")
ENGLISH = ("2406.30003", "Streaming Tokenizers at Scale")
TOO_LONG = ("2406.30004", "A Paper That Never Fits")
ABSTRACT = "We present OrcaNet, a Mixture-of-Experts code model with 236B parameters."
SECTIONS = {
    "Introduction": "Code models grow expensive. OrcaNet activates few experts per token.",
    "Experiments": "OrcaNet reaches 71.4% on GSM8K and 90.2% on HumanEval.",
}
GOOD = {
    "whats_new": "OrcaNet은 2,360억 개의 파라미터를 가진 Mixture-of-Experts 코드 모델입니다. "
    "토큰마다 일부 전문가만 쓰는 희소 구조로 코드 생성 비용을 줄입니다.",
    "technical_details": "OrcaNet은 토큰마다 소수의 전문가만 활성화하는 희소 구조를 사용해 "
    "같은 품질의 코드를 더 적은 계산으로 생성합니다.",
    "performance_highlights": "OrcaNet은 GSM8K에서 71.4%, HumanEval에서 90.2%를 기록해 "
    "효율과 성능을 함께 보여 줍니다.",
}
SLIP = {**GOOD, "whats_new": GOOD["whats_new"].replace("2,360억", "236억")}
REVIEW = {"DIGEST_FAITHFULNESS": "review"}
LAB_STATUS = {"ok": "passed", "needs_review": "needs_review", "failed": "failed"}


def _world(world: World) -> None:
    world.add(*FAITHFUL, 40, pdf=pdfs.paper_pdf(FAITHFUL[1], ABSTRACT, SECTIONS))
    world.llm.script_for(f"Title: {FAITHFUL[1]}", summary_reply(GOOD))
    world.add(*INVENTS, 30, pdf=pdfs.paper_pdf(INVENTS[1], ABSTRACT, SECTIONS))
    world.llm.script_for(f"Title: {INVENTS[1]}", summary_reply(SLIP), summary_reply(SLIP))
    world.add(*WRONG, 25)  # the fake's usual paragraphs name nothing of the paper
    world.add(*ENGLISH, 20)
    world.llm.always_for(Behaviour.ENGLISH, f"Title: {ENGLISH[1]}")
    world.add(*TOO_LONG, 10)
    world.llm.always_for(Behaviour.CONTEXT_LENGTH, f"Title: {TOO_LONG[1]}")


def _eval(world: World, *args: str) -> dict[str, Any]:
    out = world.run("eval", "night", "--json", *args, env=REVIEW)
    assert out.exit_code == 0, out.stderr
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def test_the_nights_prompt_on_a_set_frozen_from_the_night_replays_its_judgment(
    world: World,
) -> None:
    _world(world)
    night = world.night(env=REVIEW)
    assert night.exit_code == 3, night.stderr
    statuses = world.statuses()
    assert sorted(statuses.values()) == ["failed", *["needs_review"] * 3, "ok"]
    prompt = world.record(FAITHFUL[0])["provenance"]["prompt_version"]
    assert prompt == "v2"  # the night's default: the newest locked version
    created = world.run("evalset", "create", "night", "--date", DATE)
    assert created.exit_code == 0, created.stderr
    asked = len(world.llm.chat_bodies())

    report = _eval(world, "--prompts", f"summarize@{prompt}")

    lab = {o["arxiv_id"]: o for o in report["outcomes"]}
    assert {i: o["status"] for i, o in lab.items()} == {
        i: LAB_STATUS[s] for i, s in statuses.items()
    }
    version = report["versions"][f"summarize@{prompt}"]
    assert version["llm_calls"] == 0
    # Nothing was asked again, not even for the paper that never fits: a request that did not
    # fit the model's context is cached like a reply.
    assert world.llm.chat_bodies()[asked:] == []
    assert lab[INVENTS[0]]["faithfulness_reasks"] == 1 and lab[INVENTS[0]]["form_reasks"] == 0
    assert lab[WRONG[0]]["reasks"] == 0 and "another paper" in lab[WRONG[0]]["reason"]
    assert lab[ENGLISH[0]]["form_reasks"] == 2 and lab[ENGLISH[0]]["faithfulness_reasks"] == 0
    assert version["faithfulness_reasks"] == 1 and version["form_reasks"] == 2
    assert report["manifest"]["params"]["faithfulness"] == "review"
    # The night's reasons and its form flags, one per problem.
    assert lab[ENGLISH[0]]["reason"] == world.record(ENGLISH[0])["reason"]
    form = [f for f in lab[ENGLISH[0]]["flags"] if f["code"] == "form"]
    assert len(form) == 3 and all("is not written in Korean" in f["detail"] for f in form)
    assert form == [f for f in world.record(ENGLISH[0])["flags"] if f["code"] == "form"]


def test_the_policy_of_an_eval_is_a_choice_and_the_report_names_it(world: World) -> None:
    _world(world)
    assert world.night(env=REVIEW).exit_code == 3
    assert world.run("evalset", "create", "night", "--date", DATE).exit_code == 0
    report = _eval(world, "--prompts", "summarize@v2", "--faithfulness", "flag")
    lab = {o["arxiv_id"]: o for o in report["outcomes"]}
    # flag publishes with the flags and never re-asks about content.
    assert lab[WRONG[0]]["status"] == "passed" and lab[WRONG[0]]["faithfulness_reasks"] == 0
    assert any(f["code"].startswith("faithfulness_") for f in lab[WRONG[0]]["flags"])
    assert report["manifest"]["params"]["faithfulness"] == "flag"
    out = world.run("eval", "night", "--prompts", "summarize@v2", "--faithfulness", "off")
    assert out.exit_code == 0, out.stderr
    assert "faithfulness policy off" in out.stdout
    bad = world.run("eval", "night", "--prompts", "summarize@v2", "--faithfulness", "maybe")
    assert bad.exit_code == 2 and "faithfulness" in bad.stderr


# A tag whose attribute holds "; the reply ": the kind of text the old splitter of a joined
# reason read as the start of another problem.
TAGGED = {
    **GOOD,
    "whats_new": GOOD["whats_new"].replace(
        "희소 구조로", '<span title="x; the reply is fine">희소</span> 구조로'
    ),
    "technical_details": "OrcaNet은 토큰마다 소수의 전문가만 활성화하는 희소 구조를 씁니다. " * 40,
}
TWO_PROBLEMS = ("2406.30006", "Tagged Experts for Long Answers")


def test_two_form_problems_are_two_flags_in_the_night_and_in_the_lab(world: World) -> None:
    world.add(*TWO_PROBLEMS, 40, pdf=pdfs.paper_pdf(TWO_PROBLEMS[1], ABSTRACT, SECTIONS))
    world.llm.script_for(f"Title: {TWO_PROBLEMS[1]}", *[summary_reply(TAGGED)] * 3)
    night = world.night(env=REVIEW)
    record = world.record(TWO_PROBLEMS[0])
    assert record["status"] == "needs_review", night.stderr
    night_form = [f["detail"] for f in record["flags"] if f["code"] == "form"]
    assert len(night_form) == 2
    html, long = night_form
    assert html.startswith('What\'s New contains HTML (<span title="x; the reply is fine">')
    assert long.startswith("Technical Details is too long (") and "; keep it under" in long
    reported = next(p for p in world.run_json()["papers"] if p["arxiv_id"] == TWO_PROBLEMS[0])
    assert [f["detail"] for f in reported["flags"] if f["code"] == "form"] == night_form
    assert html in night.stdout and long in night.stdout  # the reason line shows both
    assert world.run("evalset", "create", "night", "--date", DATE).exit_code == 0

    report = _eval(world, "--prompts", f"summarize@{record['provenance']['prompt_version']}")

    [lab] = report["outcomes"]
    assert lab["status"] == "needs_review" and lab["reason"] == record["reason"]
    assert [f["detail"] for f in lab["flags"] if f["code"] == "form"] == night_form
    [version] = report["versions"].values()
    assert version["flag_codes"]["form"] == 2 and version["llm_calls"] == 0
