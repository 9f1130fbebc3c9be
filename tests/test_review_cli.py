"""The review command-line twins, run through the real CLI against a real night."""

from __future__ import annotations

import json
from pathlib import Path

from tests.review_world import ENGLISH, KOREAN_EDIT, night_world
from tests.world import DATE, World


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
