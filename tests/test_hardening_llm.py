"""Issue 8, item 2: a malformed LLM reply is a failed attempt of that paper (retried like a 5xx,
then ``failed`` with the reason); the other papers publish and the night exits 3."""

from __future__ import annotations

import pytest

from tests.fakes.hostile import html_page, no_choices, not_json
from tests.fakes.server import Reply
from tests.world import World

MALFORMED = {"no choices": no_choices, "not JSON": not_json, "HTML page": html_page}
ATTEMPTS = 3


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_reply_fails_one_paper_not_the_night(world: World, kind: str) -> None:
    world.add("2406.00001", "Broken Replies Paper", 9)
    world.add("2406.00002", "Healthy Paper", 5)
    bad: Reply = MALFORMED[kind]()
    world.llm.script_for("Broken Replies Paper", *[bad] * ATTEMPTS)
    outcome = world.night(env={"DIGEST_MAX_ATTEMPTS": str(ATTEMPTS)})
    assert outcome.exit_code == 3, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert world.statuses() == {"2406.00001": "failed", "2406.00002": "ok"}
    reason = world.record("2406.00001")["reason"]
    assert "malformed reply" in reason and f"after {ATTEMPTS} attempts" in reason
    assert "failed: 2406.00001" in outcome.stdout and "malformed reply" in outcome.stdout
    digest = world.digest()
    assert "Healthy Paper" in digest and "Broken Replies Paper" not in digest
    assert world.llm.scripted_left() == 0


def test_a_malformed_reply_is_retried_like_a_5xx(world: World) -> None:
    world.add("2406.00001", "Flaky Gateway Paper", 9)
    world.llm.script_for("Flaky Gateway Paper", html_page(), no_choices())
    outcome = world.night()
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert world.statuses() == {"2406.00001": "ok"} and world.llm.calls == 3
