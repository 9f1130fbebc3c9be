"""The review command-line twins, run through the real CLI against a real night."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.review.models import Origin
from tests.review_world import DAY, ENGLISH, KOREAN_EDIT, editorial_for, night_world
from tests.world import DATE, World

FIRST = "2406.20001"
OTHER_TEXT = "세 번째 편집자가 새로운 점을 다시 썼습니다. 음성 인식에서 희소 라우팅을 사용합니다."


def test_list_and_show_json_shapes(world: World) -> None:
    night_world(world)
    listed = world.run("review", "list", DATE, "--json")
    assert listed.exit_code == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["date"] == DATE
    assert [p["arxiv_id"] for p in data["papers"]] == ["2406.20001", "2406.20003", "2406.20002"]
    first = data["papers"][0]
    assert set(first) == {"arxiv_id", "title", "state", "status", "revision", "flags"}
    assert (first["state"], first["status"], first["revision"]) == ("draft", "ok", 1)
    shown = json.loads(world.run("review", "show", DATE, "2406.20001", "--json").stdout)
    assert set(shown["sections"]) == {"whats_new", "technical_details", "performance_highlights"}
    assert [r["origin"] for r in shown["revisions"]] == ["night"]
    assert shown["revisions"][0]["provenance"]["prompt_version"] == "v2"


def test_edit_approve_exclude_publish_from_the_command_line(world: World, tmp_path: Path) -> None:
    night_world(world)
    bad = tmp_path / "english.txt"
    bad.write_text(ENGLISH, encoding="utf-8")
    refused = world.run(
        "review", "edit", DATE, "2406.20001", "--section", "whats_new", "--text-file", str(bad)
    )
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1 and "not written in Korean" in refused.stderr
    good = tmp_path / "korean.txt"
    good.write_text(KOREAN_EDIT + "\n", encoding="utf-8")
    edited = world.run(
        "review",
        "edit",
        DATE,
        "2406.20001",
        "--section",
        "whats_new",
        "--text-file",
        str(good),
        "--editor",
        "mina",
    )
    assert edited.exit_code == 0 and "revision 2 (edited)" in edited.stdout
    stale = world.run(
        "review",
        "edit",
        DATE,
        "2406.20001",
        "--section",
        "whats_new",
        "--text-file",
        str(good),
        "--base",
        "1",
    )
    assert stale.exit_code == 1 and "revision 2 was saved since" in stale.stderr
    early = world.run("review", "publish", DATE)
    assert early.exit_code == 1 and "3 papers are not approved or excluded" in early.stderr
    assert world.run("review", "approve", DATE, "2406.20001", "--editor", "mina").exit_code == 0
    assert world.run("review", "approve", DATE, "2406.20003").exit_code == 0
    out = world.run("review", "exclude", DATE, "2406.20002", "--reason", "off-topic")
    assert out.exit_code == 0 and "off-topic" in out.stdout
    published = world.run("review", "publish", DATE)
    assert published.exit_code == 0 and "version 1 (2 papers)" in published.stdout
    text = (world.day / "published.md").read_text(encoding="utf-8")
    assert KOREAN_EDIT in text and "2406.20002" not in text
    shown = json.loads(world.run("review", "show", DATE, "2406.20001", "--json").stdout)
    assert shown["revisions"][1]["author"] == "mina" and shown["state"] == "approved"


def test_unknown_paper_and_bad_date_are_one_line_errors(world: World) -> None:
    night_world(world)
    missing = world.run("review", "approve", DATE, "2406.99999")
    assert missing.exit_code == 1 and missing.stderr.startswith("error: paper 2406.99999")
    empty = world.run("review", "list", "2024-06-01")
    assert empty.exit_code == 1 and "no papers for 2024-06-01" in empty.stderr
    bad = world.run("review", "list", "2024-13-01")
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1


def test_accept_discard_restore_from_the_command_line_say_what_they_acted_on(world: World) -> None:
    night_world(world)
    editorial = editorial_for(world)
    night = editorial.paper(DAY, FIRST).revisions[0]
    for text in (KOREAN_EDIT, OTHER_TEXT):
        editorial.add_candidate(
            DAY, FIRST, night.summary.model_copy(update={"whats_new": text}),
            Origin.REGENERATE, "gpt-4.1-mini", None, based_on=1,
        )  # fmt: skip
    editorial.close()
    accepted = world.run("review", "accept", DATE, FIRST, "2", "--editor", "mina")
    assert accepted.exit_code == 0, accepted.stderr
    assert accepted.stdout == (
        f"{FIRST}: accepted candidate 2 as revision 2 (edited) "
        f"(acted on revision 1 by {night.author}; --base N pins one)\n"
    )
    stale = world.run("review", "discard", DATE, FIRST, "3", "--base", "1")
    assert stale.exit_code == 1 and stale.stderr.count("\n") == 1
    assert "revision 2 was saved since you loaded revision 1" in stale.stderr
    discarded = world.run("review", "discard", DATE, FIRST, "3", "--base", "2", "--editor", "jun")
    assert (discarded.exit_code, discarded.stdout) == (0, f"{FIRST}: discarded candidate 3\n")
    gone = world.run("review", "accept", DATE, FIRST, "3")
    assert gone.exit_code == 1 and "has no pending candidate 3" in gone.stderr
    restored = world.run("review", "restore", DATE, FIRST, "1", "--base", "2", "--editor", "jun")
    assert restored.stdout == f"{FIRST}: restored revision 1 as revision 4 (edited)\n"
    shown = json.loads(world.run("review", "show", DATE, FIRST, "--json").stdout)
    assert shown["sections"]["whats_new"] == night.summary.whats_new
    assert [(r["number"], r["author"], r["candidate"]) for r in shown["revisions"][1:]] == [
        (2, "gpt-4.1-mini", "accepted"),
        (3, "gpt-4.1-mini", "discarded"),
        (4, "jun", None),
    ]
    who = [(e["editor"], e["action"]) for e in shown["events"][-3:]]
    assert who == [("mina", "accept"), ("jun", "discard"), ("jun", "restore")]


def test_an_editor_name_unfit_for_the_history_is_a_usage_error(world: World) -> None:
    night_world(world)
    refused = world.run("review", "approve", DATE, FIRST, "--editor", "<b>mina</b>")
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert "editor name" in refused.stderr
    shown = json.loads(world.run("review", "show", DATE, FIRST, "--json").stdout)
    assert shown["state"] == "draft"
    # The name the app would record for every browser is checked before it starts.
    served = world.run("review", "serve", "--no-browser", "--editor", "mina\u202e")
    assert served.exit_code == 2 and "editor name" in served.stderr
