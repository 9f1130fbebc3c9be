"""Editors' text checked against the paper: the faithfulness policy on edits, through the real CLI
and the app, over a real night (fake HF, arXiv and LLM; the paper says 236B = 2,360억)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from pipeline.core.config import Settings
from pipeline.review.app import ReviewApp, create_app
from pipeline.review.faithful import Faithfulness, open_editorial
from pipeline.review.security import Guard
from pipeline.store import Store
from tests.fakes.llm import summary_reply
from tests.review_world import DAY
from tests.test_faithfulness_night import GOOD, ID, SLIP, TITLE, add_paper
from tests.world import DATE, World

NUMBER = {"code": "faithfulness_number", "section": "whats_new", "span": "236억"}
FAITHFUL_EDIT = (
    "OrcaNet은 총 2,360억 개 파라미터의 Mixture-of-Experts 코드 모델이며, 토큰마다 일부 "
    "전문가만 활성화해 코드 생성 비용을 줄입니다."
)


def policy(name: str) -> dict[str, str]:
    return {"DIGEST_FAITHFULNESS": name}


def good_night(world: World) -> World:
    add_paper(world)
    world.llm.script_for(TITLE, summary_reply(GOOD))
    outcome = world.night(env=policy("review"))
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    return world


def edit(world: World, tmp_path: Path, text: str, name: str, section: str = "whats_new") -> Any:
    path = tmp_path / "edit.txt"
    path.write_text(text, encoding="utf-8")
    args = ("review", "edit", DATE, ID, "--section", section, "--text-file", str(path))
    return world.run(*args, env=policy(name))


def show(world: World) -> dict[str, Any]:
    shown = world.run("review", "show", DATE, ID, "--json")
    assert shown.exit_code == 0, shown.stderr
    value: dict[str, Any] = json.loads(shown.stdout)
    return value


def flag_keys(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: f.get(k) for k in ("code", "section", "span")} for f in flags]


def test_review_refuses_an_edit_that_brings_in_a_number_not_in_the_paper(
    world: World, tmp_path: Path
) -> None:
    good_night(world)
    refused = edit(world, tmp_path, SLIP["whats_new"], "review")
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "edit refused, nothing saved" in refused.stderr
    assert "What's New «236억»: the number 236억" in refused.stderr
    assert "does not occur in the paper" in refused.stderr
    after = show(world)
    assert after["revision"] == 1 and [r["number"] for r in after["revisions"]] == [1]
    assert after["sections"] == GOOD and after["state"] == "draft" and after["flags"] == []


def test_flag_saves_the_edit_and_shows_the_flag(world: World, tmp_path: Path) -> None:
    good_night(world)
    saved = edit(world, tmp_path, SLIP["whats_new"], "flag")
    assert saved.exit_code == 0, saved.stderr
    assert "saved revision 2 (edited)" in saved.stdout
    after = show(world)
    assert after["sections"]["whats_new"] == SLIP["whats_new"]
    assert flag_keys(after["flags"]) == [NUMBER]
    assert flag_keys(after["revisions"][1]["flags"]) == [NUMBER]
    listed = json.loads(world.run("review", "list", DATE, "--json").stdout)
    assert flag_keys(listed["papers"][0]["flags"]) == [NUMBER]


def test_a_faithful_edit_passes_under_review(world: World, tmp_path: Path) -> None:
    good_night(world)
    saved = edit(world, tmp_path, FAITHFUL_EDIT, "review")
    assert saved.exit_code == 0, saved.stderr
    after = show(world)
    assert after["state"] == "edited" and after["sections"]["whats_new"] == FAITHFUL_EDIT
    assert after["flags"] == [] and after["revisions"][1]["flags"] == []


def test_off_does_not_check_edits(world: World, tmp_path: Path) -> None:
    good_night(world)
    saved = edit(world, tmp_path, SLIP["whats_new"], "off")
    assert saved.exit_code == 0, saved.stderr
    after = show(world)
    assert after["sections"]["whats_new"] == SLIP["whats_new"]
    assert after["flags"] == [] and after["revisions"][1]["flags"] is None


def test_a_flag_the_text_already_had_does_not_block_and_goes_when_fixed(
    world: World, tmp_path: Path
) -> None:
    add_paper(world)
    world.llm.script_for(TITLE, summary_reply(SLIP))
    night = world.night(env=policy("flag"))
    assert night.exit_code == 0, night.stdout + night.stderr
    assert flag_keys(show(world)["flags"]) == [NUMBER]
    # Editing another section under review: the night's slip is not the editor's doing.
    other = "OrcaNet은 GSM8K에서 71.4%, HumanEval에서 90.2%를 기록했습니다."
    saved = edit(world, tmp_path, other, "review", "performance_highlights")
    assert saved.exit_code == 0, saved.stderr
    assert flag_keys(show(world)["flags"]) == [NUMBER]  # still in the text, still shown
    assert world.run("review", "approve", DATE, ID, env=policy("review")).exit_code == 0
    fixed = edit(world, tmp_path, GOOD["whats_new"], "review")
    assert fixed.exit_code == 0, fixed.stderr
    assert show(world)["flags"] == []


@contextlib.contextmanager
def app_client(world: World, name: str) -> Iterator[tuple[TestClient, Guard]]:
    """The app as ``review serve`` builds it, under the policy ``name``."""
    settings = Settings(
        data_dir=world.data, faithfulness=name, **{"OPENAI_BASE_URL": world.llm.url + "/v1"}
    )
    editorial = open_editorial(Store(world.data), settings)
    editorial.import_day(DAY)
    guard = Guard.for_bind("testserver", 80, None)
    guard = Guard(frozenset({"testserver"}), guard.token_hash)
    try:
        yield TestClient(create_app(ReviewApp(editorial, settings, "tester", guard))), guard
    finally:
        editorial.close()


def post_edit(http: TestClient, guard: Guard, text: str) -> Any:
    headers = {"Origin": "http://testserver", "X-CSRF-Token": guard.csrf_token}
    body = {"base": 1, "sections": {"whats_new": text}}
    return http.post(f"/api/{DATE}/{ID}/edit", json=body, headers=headers)


def test_the_app_refuses_the_edit_under_review_with_the_span(world: World) -> None:
    good_night(world)
    with app_client(world, "review") as (http, guard):
        refused = post_edit(http, guard, SLIP["whats_new"])
        assert refused.status_code == 422, refused.text
        problems = refused.json()["problems"]
        assert len(problems) == 1 and problems[0].startswith("What's New «236억»: the number")
        html = http.get(f"/day/{DATE}").text
    assert "236억" not in html and GOOD["whats_new"] in html
    assert show(world)["revision"] == 1


def test_the_day_view_shows_an_edit_flag_by_section_and_span(world: World) -> None:
    good_night(world)
    with app_client(world, "flag") as (http, guard):
        saved = post_edit(http, guard, SLIP["whats_new"])
        assert saved.status_code == 200, saved.text
        assert flag_keys(saved.json()["paper"]["flags"]) == [NUMBER]
        html = http.get(f"/day/{DATE}").text
    flags = html[html.index('<ul class="flags">') : html.index("</ul>", html.index('"flags"'))]
    assert "faithfulness_number" in flags and "does not occur in the paper" in flags
    assert "section: What&#39;s New" in flags and "span: 236억" in flags


def test_the_paper_is_indexed_once(world: World) -> None:
    good_night(world)
    store = Store(world.data)
    settings = Settings(data_dir=world.data, faithfulness="review")
    editorial = open_editorial(store, settings)
    try:
        paper = editorial.paper(DAY, ID)
        check = Faithfulness(store, settings)
        first = check.source(paper)
        assert check.source(paper) is first
        # The full text is indexed, not only the abstract: a figure only the body states.
        assert check.flags(paper.current_revision.summary, paper) == []  # type: ignore[union-attr]
    finally:
        editorial.close()
