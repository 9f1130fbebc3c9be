"""Everyday trust in the editorial tool: the night never waits on it, a candidate from an older
revision never undoes a newer save, the CLI says what it acted on, two publishes at once stay
consistent. The concurrency cases run other processes (or other connections) for real."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.errors import EditConflict, ReviewRefused, UsageError
from pipeline.review.editorial import Editorial
from pipeline.review.ids import parse_arxiv_id, parse_day
from pipeline.review.models import Origin, State
from pipeline.review.regenerate import regenerate
from pipeline.review.views import candidate_view
from pipeline.store import Store
from tests.review_world import DAY, KOREAN_EDIT, PAPERS, _pdf, editorial_for, night_world
from tests.test_review_browser import chat_reply
from tests.world import DATE, World

ROOT = Path(__file__).resolve().parent.parent
FIRST = "2406.20001"
OTHER_EDIT = "다른 편집자가 기술 세부 사항을 고쳤습니다. 라우터가 어댑터를 고르는 방식입니다."
THIRD_EDIT = "세 번째 편집자가 새로운 점을 다시 썼습니다. 음성 인식에서 희소 라우팅을 사용합니다."


def add_papers(world: World) -> None:
    """The papers of night_world, without running its night (a test runs it its own way)."""
    for number, (arxiv_id, title) in enumerate(PAPERS.items()):
        world.add(arxiv_id, title, 50 - number, pdf=_pdf(title, 2 if number == 1 else 1))


def night_process(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    """The night as cron runs it: its own process."""
    env = {**os.environ, **world.env}
    command = [sys.executable, "run.py", "--data-dir", str(world.data), "--date", DATE, *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def db_path(world: World) -> Path:
    return world.data / "editorial.sqlite3"


def papers_in_db(world: World) -> int:
    with sqlite3.connect(db_path(world)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM papers").fetchone()[0])


# ---- the night never waits for editors --------------------------------------------------------


def test_a_night_with_the_editorial_database_locked_writes_its_digest_and_exits_ok(
    world: World,
) -> None:
    add_papers(world)
    Editorial(Store(world.data)).close()  # the database exists, with its schema
    holder = sqlite3.connect(db_path(world), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's long save holds the write lock
    try:
        night = night_process(world)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    output = night.stdout + night.stderr
    assert night.returncode in (0, 3), output
    assert "Traceback" not in output
    assert world.digest().count("## ") >= 3 and len(world.run_json()["papers"]) == 3
    [busy] = [line for line in output.splitlines() if "editorial database is busy" in line]
    assert "next opened" in busy
    assert (world.day / "editorial-import.pending").exists()
    assert papers_in_db(world) == 0
    # A read shows the night all the same, and still writes nothing.
    listed = world.run("review", "list", DATE, "--json")
    assert listed.exit_code == 0, listed.stderr
    assert len(json.loads(listed.stdout)["papers"]) == 3 and papers_in_db(world) == 0
    # The first action on the day is the retry: the night goes in, the mark goes away.
    approved = world.run("review", "approve", DATE, FIRST, "--editor", "mina")
    assert approved.exit_code == 0, approved.stderr
    assert papers_in_db(world) == 3 and not (world.day / "editorial-import.pending").exists()


def test_a_damaged_editorial_database_is_one_line_with_its_path_and_the_night_still_succeeds(
    world: World,
) -> None:
    add_papers(world)
    world.data.mkdir(parents=True, exist_ok=True)
    db_path(world).write_bytes(b"this is not a database, a disk ate it " * 200)
    outcome = world.night()
    assert outcome.exit_code in (0, 3), outcome.stderr
    assert world.digest().count("## ") >= 3
    output = outcome.stdout + outcome.stderr
    [line] = [line for line in output.splitlines() if "is damaged (" in line]
    assert str(db_path(world)) in line and ".recover" in line
    assert (world.day / "editorial-import.pending").exists()
    # The editors' commands say the same in one line, and exit 1.
    listed = world.run("review", "list", DATE)
    assert listed.exit_code == 1 and listed.stderr.count("\n") == 1
    assert ".recover" in listed.stderr


def test_the_next_night_brings_in_a_day_an_earlier_night_left_pending(world: World) -> None:
    night_world(world)
    store = Store(world.data)
    with sqlite3.connect(db_path(world)) as conn:
        conn.execute("DELETE FROM revisions")
        conn.execute("DELETE FROM papers")
    store.set_editorial_import_pending(DAY, True)
    assert world.night().exit_code == 0
    assert papers_in_db(world) == 3 and not store.editorial_import_pending(DAY)


def test_reads_never_create_or_change_the_database(world: World) -> None:
    night_world(world)
    db_path(world).unlink()
    for suffix in ("-wal", "-shm"):
        (world.data / f"editorial.sqlite3{suffix}").unlink(missing_ok=True)
    shown = world.run("review", "show", DATE, FIRST, "--json")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["revision"] == 1
    assert world.run("review", "list", DATE).exit_code == 0
    assert not db_path(world).exists()


# ---- a candidate from an older revision -------------------------------------------------------


def settings_for(world: World) -> Settings:
    return Settings(
        data_dir=world.data,
        **{"OPENAI_BASE_URL": world.llm.url + "/v1", "OPENAI_API_KEY": "test-key"},
    )


def test_a_section_regeneration_racing_an_edit_keeps_the_edit_when_accepted(
    world: World,
) -> None:
    night_world(world)
    editorial = editorial_for(world)
    other = Editorial(Store(world.data))  # the other editor: another connection
    night_text = editorial.paper(DAY, FIRST).revisions[0].summary
    reply = chat_reply(
        {**night_text.model_dump(), "whats_new": THIRD_EDIT, "technical_details": "무시될 문장."}
    )
    world.llm.script_for(PAPERS[FIRST], dataclasses.replace(reply, delay=1.5))

    async def race() -> int:
        started = asyncio.create_task(
            regenerate(
                editorial,
                settings_for(world),
                DAY,
                FIRST,
                prompt="summarize@v1",
                model="gpt-4.1-mini",
                section="whats_new",
            )
        )
        await asyncio.sleep(0.3)  # the model is still thinking
        edited = await asyncio.to_thread(
            other.edit, DAY, FIRST, {"technical_details": OTHER_EDIT}, 1, "jun"
        )
        assert edited.current == 2
        return (await started).number

    candidate = asyncio.run(race())
    before = editorial.paper(DAY, FIRST)
    assert before.revisions[candidate - 1].based_on == 1
    # The page shows what accepting does: What's New changes, the newer edit is not undone.
    shown = candidate_view(before, before.revisions[candidate - 1])
    assert [label for label, _ in shown.diffs] == ["What's New"] and shown.conflict == []
    accepted = editorial.accept(DAY, FIRST, candidate, base=2, editor="mina")
    current = accepted.current_revision
    assert current is not None and current.origin is Origin.MERGE
    assert current.summary.technical_details == OTHER_EDIT  # the newer edit is not undone
    assert current.summary.whats_new == THIRD_EDIT
    assert current.summary.performance_highlights == night_text.performance_highlights
    other.close()
    editorial.close()


def test_a_candidate_whose_section_was_edited_since_is_a_conflict_with_both_texts(
    world: World,
) -> None:
    night_world(world)
    editorial = editorial_for(world)
    night_text = editorial.paper(DAY, FIRST).revisions[0].summary
    offered = editorial.add_candidate(
        DAY, FIRST, night_text.model_copy(update={"whats_new": THIRD_EDIT}),
        Origin.REGENERATE, "gpt-4.1-mini", None, based_on=1,
    )  # fmt: skip
    editorial.edit(DAY, FIRST, {"whats_new": KOREAN_EDIT}, base=1, editor="jun")
    with pytest.raises(EditConflict) as refused:
        editorial.accept(DAY, FIRST, offered.number, base=3, editor="mina")
    assert refused.value.theirs == {"whats_new": KOREAN_EDIT}
    assert refused.value.yours == {"whats_new": THIRD_EDIT}
    paper = editorial.paper(DAY, FIRST)
    assert paper.current == 3 and paper.pending_candidates  # nothing changed
    editorial.close()


# ---- the command line says what it acted on ---------------------------------------------------


def test_cli_actions_take_base_and_without_it_name_the_revision_and_author(
    world: World, tmp_path: Path
) -> None:
    night_world(world)
    text = tmp_path / "fix.txt"
    text.write_text(KOREAN_EDIT, encoding="utf-8")
    edit = ("review", "edit", DATE, FIRST, "--section", "whats_new", "--text-file", str(text))
    assert world.run(*edit, "--editor", "jun").exit_code == 0
    stale = world.run("review", "approve", DATE, FIRST, "--base", "1")
    assert stale.exit_code == 1 and "revision 2 was saved since" in stale.stderr
    excluded = world.run("review", "exclude", DATE, FIRST, "--base", "1", "--reason", "x")
    assert excluded.exit_code == 1
    approved = world.run("review", "approve", DATE, FIRST, "--editor", "mina")
    assert approved.exit_code == 0
    assert "acted on revision 2 by jun" in approved.stdout
    shown = json.loads(world.run("review", "show", DATE, FIRST, "--json").stdout)
    assert (shown["state"], shown["decided_by"]) == ("approved", "mina")
    who = [(e["editor"], e["action"]) for e in shown["events"]]
    assert ("jun", "edit") in who and ("mina", "approve") in who
    assert world.run("review", "approve", DATE, FIRST, "--base", "2").exit_code == 0


def test_cli_text_file_reads_at_most_the_cap(world: World) -> None:
    night_world(world)
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    edit = ("review", "edit", DATE, FIRST, "--section", "whats_new", "--text-file", "/dev/zero")
    refused = world.run(*edit)
    assert refused.exit_code == 2 and "longer than one section" in refused.stderr


@pytest.mark.parametrize("value", ["2024-06-13\n", "٢٠٢٤-06-13", "9999-12-31", "20240613"])
def test_dates_are_validated_exactly(value: str) -> None:
    with pytest.raises(UsageError):
        parse_day(value)


@pytest.mark.parametrize("value", ["2406.20001\n", "٢٤٠٦.20001", "2406.2", "../etc"])
def test_ids_are_validated_exactly(value: str) -> None:
    with pytest.raises(UsageError):
        parse_arxiv_id(value)


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff" + KOREAN_EDIT,
        KOREAN_EDIT.replace("문장", "문\u200b장"),
        KOREAN_EDIT.replace("편집자", "\u202e편집자"),
    ],
)
def test_edits_refuse_invisible_and_bidi_characters(world: World, text: str) -> None:
    night_world(world)
    editorial = editorial_for(world)
    with pytest.raises(ReviewRefused, match="invisible"):
        editorial.edit(DAY, FIRST, {"whats_new": text}, base=1, editor="mina")
    editorial.close()


def test_an_oversized_section_is_refused_before_any_other_check(world: World) -> None:
    night_world(world)
    calls: list[int] = []

    def counting(summary: object, sections: object, paper: object) -> list[str]:
        calls.append(1)
        return []

    editorial = Editorial(Store(world.data), [counting])
    with pytest.raises(ReviewRefused, match="too long"):
        editorial.edit(DAY, FIRST, {"whats_new": "가" * 1_500_000}, base=1, editor="mina")
    assert calls == []
    editorial.close()


# ---- two publishes at once --------------------------------------------------------------------

PUBLISHER = """
import pathlib, sys, time
from pipeline.review.editorial import Editorial
from pipeline.review.publish import publish_day
from pipeline.store import Store
from tests.test_review_browser import chat_reply
from tests.review_world import DAY

editorial = Editorial(Store(pathlib.Path(sys.argv[1])))
while time.time() < float(sys.argv[3]):
    time.sleep(0.001)
try:
    pub = publish_day(editorial, DAY, sys.argv[2])
    print(f"version {pub.version} unchanged={pub.unchanged}")
except Exception as exc:
    print(f"refused {type(exc).__name__}: {exc}")
"""


def test_two_publishes_at_once_give_files_equal_to_the_database(world: World) -> None:
    import time

    night_world(world)
    editorial = editorial_for(world)
    for arxiv_id in PAPERS:
        editorial.approve(DAY, arxiv_id, base=None, editor="mina")
    editorial.close()
    start = str(time.time() + 3)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(world.data), name, start],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("p1", "p2")
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    lines = [out.strip() for out, _ in outputs]
    assert all(line.startswith("version 1") for line in lines), outputs
    assert sorted(line.endswith("unchanged=True") for line in lines) == [False, True]
    with sqlite3.connect(db_path(world)) as conn:
        rows = conn.execute("SELECT version, editor FROM publications").fetchall()
    [(version, editor)] = rows
    published = json.loads((world.day / "published.json").read_text(encoding="utf-8"))
    assert (published["version"], published["published_by"]) == (version, editor)
    assert published["approved_by"] == dict.fromkeys(PAPERS, "mina")
    assert (world.day / "published.v1.json").read_text(encoding="utf-8") == (
        world.day / "published.json"
    ).read_text(encoding="utf-8")
    assert State.APPROVED.decided


@pytest.mark.parametrize(
    "construct",
    ["__굵게__", "~~취소~~", "`code`", "[링크][1]", "https://example.com/x", "www.example.com"],
)
def test_edits_refuse_markdown_the_page_would_render(world: World, construct: str) -> None:
    night_world(world)
    editorial = editorial_for(world)
    text = KOREAN_EDIT.replace("문장입니다.", f"문장 {construct} 입니다.")
    with pytest.raises(ReviewRefused, match="Markdown"):
        editorial.edit(DAY, FIRST, {"whats_new": text}, base=1, editor="mina")
    assert editorial.paper(DAY, FIRST).current == 1
    editorial.close()
