"""The editorial state machine on a real night's records: import, edits, conflicts, candidates,
restore, atomicity."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from pipeline.core.errors import EditConflict, ReviewRefused
from pipeline.core.models import Summary
from pipeline.review.editorial import DEFAULT_CHECKERS, Editorial
from pipeline.review.models import CandidateState, Origin, PaperState, State
from pipeline.store import Store
from tests.fakes.llm import Behaviour
from tests.review_world import DAY, ENGLISH, KOREAN_EDIT, PAPERS, editorial_for, night_world
from tests.world import World

FIRST = "2406.20001"


@pytest.fixture
def editorial(world: World) -> Iterator[Editorial]:
    night_world(world)
    editorial = editorial_for(world)
    yield editorial
    editorial.close()


def revisions(editorial: Editorial) -> int:
    return int(editorial.conn.execute("SELECT COUNT(*) FROM revisions").fetchone()[0])


def test_import_is_idempotent_and_keeps_vote_order(editorial: Editorial) -> None:
    before = revisions(editorial)
    editorial.import_day(DAY)
    editorial.import_day(DAY)
    assert revisions(editorial) == before == 3
    day = editorial.day(DAY)
    assert [p.arxiv_id for p in day] == ["2406.20001", "2406.20003", "2406.20002"]
    assert {p.state for p in day} == {State.DRAFT}
    first = day[0].current_revision
    assert first is not None and first.origin is Origin.NIGHT
    assert first.provenance is not None and first.provenance.prompt_version == "v2"
    assert first.author == first.provenance.model == "gpt-4.1-mini"


def test_edit_is_a_new_revision_and_an_english_edit_is_refused(editorial: Editorial) -> None:
    paper = editorial.edit(DAY, FIRST, {"whats_new": KOREAN_EDIT}, base=1, editor="mina")
    assert (paper.state, paper.current) == (State.EDITED, 2)
    current = paper.current_revision
    assert current is not None and current.summary.whats_new == KOREAN_EDIT
    assert (current.origin, current.author, current.based_on) == (Origin.EDIT, "mina", 1)
    with pytest.raises(ReviewRefused) as refused:
        editorial.edit(DAY, FIRST, {"technical_details": ENGLISH}, base=2, editor="mina")
    assert any("Technical Details is not written in Korean" in p for p in refused.value.problems)
    after = editorial.paper(DAY, FIRST)
    assert after.current == 2 and len(after.revisions) == 2 and after.state is State.EDITED


def test_second_save_from_the_same_revision_conflicts_with_both_texts(
    editorial: Editorial,
) -> None:
    editorial.edit(DAY, FIRST, {"whats_new": KOREAN_EDIT}, base=1, editor="mina")
    theirs = "다른 편집자가 먼저 저장한 문장입니다. 음성 인식을 위한 라우팅을 설명합니다."
    with pytest.raises(EditConflict) as conflict:
        editorial.edit(DAY, FIRST, {"whats_new": theirs}, base=1, editor="jun")
    assert conflict.value.theirs["whats_new"] == KOREAN_EDIT
    assert conflict.value.yours == {"whats_new": theirs}
    assert (conflict.value.base, conflict.value.current) == (1, 2)
    current = editorial.paper(DAY, FIRST).current_revision
    assert current is not None and current.summary.whats_new == KOREAN_EDIT
    # Approving what one has not seen is a conflict too.
    with pytest.raises(EditConflict):
        editorial.approve(DAY, FIRST, base=1, editor="jun")


def test_an_edit_on_an_older_revision_keeps_the_sections_changed_since(
    editorial: Editorial,
) -> None:
    night = editorial.paper(DAY, FIRST).revisions[0].summary
    theirs = "다른 편집자가 기술 세부 사항을 고쳤습니다. 라우터가 어댑터를 고르는 방식입니다."
    editorial.edit(DAY, FIRST, {"technical_details": theirs}, base=1, editor="jun")
    # mina loaded revision 1 and changes only What's New: jun's newer section is kept.
    saved = editorial.edit(DAY, FIRST, {"whats_new": KOREAN_EDIT}, base=1, editor="mina")
    current = saved.current_revision
    assert current is not None and (saved.current, current.author) == (3, "mina")
    assert current.summary == night.model_copy(
        update={"whats_new": KOREAN_EDIT, "technical_details": theirs}
    )
    assert (current.based_on, current.note) == (2, "edited on revision 1, onto revision 2")
    # A section changed since the editor's base is still a conflict, with both texts.
    mine = "제 편집입니다. 기술 세부 사항을 다른 말로 설명했습니다. 라우터의 동작 방식입니다."
    with pytest.raises(EditConflict) as conflict:
        editorial.edit(DAY, FIRST, {"technical_details": mine}, base=1, editor="mina")
    assert conflict.value.theirs["technical_details"] == theirs
    assert conflict.value.yours == {"technical_details": mine}
    assert editorial.paper(DAY, FIRST).current == 3


def test_approve_exclude_and_editing_an_approved_paper_needs_approval_again(
    editorial: Editorial,
) -> None:
    assert editorial.approve(DAY, FIRST, base=1, editor="mina").state is State.APPROVED
    excluded = editorial.exclude(DAY, "2406.20002", "off-topic", base=1, editor="mina")
    assert (excluded.state, excluded.reason) == (State.EXCLUDED, "off-topic")
    edited = editorial.edit(DAY, FIRST, {"whats_new": KOREAN_EDIT}, base=1, editor="mina")
    assert edited.state is State.EDITED
    events = [r["action"] for r in editorial.conn.execute("SELECT action FROM events")]
    assert events[-3:] == ["approve", "exclude", "edit"]


def test_restore_adds_a_revision_with_the_old_text(editorial: Editorial) -> None:
    night_text = editorial.paper(DAY, FIRST).revisions[0].summary
    editorial.edit(DAY, FIRST, {"whats_new": KOREAN_EDIT}, base=1, editor="mina")
    restored = editorial.restore(DAY, FIRST, 1, base=2, editor="mina")
    assert restored.current == 3 and len(restored.revisions) == 3
    current = restored.current_revision
    assert current is not None and current.summary == night_text
    assert (current.origin, current.note) == (Origin.RESTORE, "from revision 1")


def test_a_rerun_never_replaces_editor_work_it_becomes_a_candidate(world: World) -> None:
    night_world(world)
    editorial = editorial_for(world)
    editorial.approve(DAY, FIRST, base=1, editor="mina")
    editorial.edit(DAY, "2406.20003", {"whats_new": KOREAN_EDIT}, base=1, editor="mina")
    # The second paper is untouched: a re-run may replace its draft.
    for title in PAPERS.values():
        world.llm.script_for(title, Behaviour.CJK, Behaviour.CJK, Behaviour.CJK)
    assert world.night("--force").exit_code == 3
    # No import here: the night itself recorded its output in the editorial state.
    approved = editorial.paper(DAY, FIRST)
    assert (approved.state, approved.current) == (State.APPROVED, 1)
    [candidate] = approved.pending_candidates
    assert candidate.origin is Origin.NIGHT and candidate.number == 2
    edited = editorial.paper(DAY, "2406.20003")
    current = edited.current_revision
    assert current is not None and current.summary.whats_new == KOREAN_EDIT
    [offered] = edited.pending_candidates
    kept = editorial.discard(DAY, "2406.20003", offered.number, base=2, editor="mina")
    assert (kept.state, kept.current, kept.pending_candidates) == (State.EDITED, 2, [])
    assert kept.revisions[-1].candidate is CandidateState.DISCARDED
    untouched = editorial.paper(DAY, "2406.20002")
    assert (untouched.state, untouched.current, untouched.pending_candidates) == (
        State.NEEDS_REVIEW,
        2,
        [],
    )
    # Accepting the (failing) candidate makes it current but not approvable.
    accepted = editorial.accept(DAY, FIRST, 2, base=1, editor="mina")
    assert accepted.state is State.NEEDS_REVIEW and accepted.current == 2
    assert accepted.revisions[1].candidate is CandidateState.ACCEPTED
    with pytest.raises(ReviewRefused, match="cannot be approved"):
        editorial.approve(DAY, FIRST, base=2, editor="mina")
    editorial.close()


def test_a_failing_save_leaves_the_previous_revision_intact(world: World) -> None:
    night_world(world)

    def crashes_on_the_whole_text(
        summary: Summary, sections: Sequence[str], paper: PaperState
    ) -> list[str]:
        if len(sections) == 3:  # after the new revision row was written, inside the transaction
            raise RuntimeError("checker crashed")
        return []

    editorial = Editorial(Store(world.data), [*DEFAULT_CHECKERS, crashes_on_the_whole_text])
    editorial.import_day(DAY)
    with pytest.raises(RuntimeError):
        editorial.edit(DAY, FIRST, {"whats_new": KOREAN_EDIT}, base=1, editor="mina")
    paper = editorial.paper(DAY, FIRST)
    assert (paper.current, len(paper.revisions), paper.state) == (1, 1, State.DRAFT)
    # Another connection (another process) sees the same: nothing was committed.
    other = Editorial(Store(world.data))
    assert len(other.paper(DAY, FIRST).revisions) == 1
    other.close()
    editorial.close()


CRASHING_EDITOR = """
import pathlib, sys, time
from pipeline.review.editorial import DEFAULT_CHECKERS, Editorial
from pipeline.store import Store
from tests.review_world import DAY, KOREAN_EDIT

def hangs_mid_save(summary, sections, paper):
    if len(sections) == 3:  # the new revision row is written, the transaction still open
        pathlib.Path(sys.argv[2]).write_text("mid-save")
        time.sleep(60)
    return []

editorial = Editorial(Store(pathlib.Path(sys.argv[1])), [*DEFAULT_CHECKERS, hangs_mid_save])
editorial.edit(DAY, "2406.20001", {"whats_new": KOREAN_EDIT}, 1, "mina")
"""


def test_a_process_killed_mid_save_leaves_the_previous_revision(
    world: World, tmp_path: Path
) -> None:
    night_world(world)
    editorial_for(world).close()
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_EDITOR, str(world.data), str(marker)],
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the child never reached the middle of its save"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
    editorial = Editorial(Store(world.data))
    assert editorial.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    paper = editorial.paper(DAY, FIRST)
    assert (paper.current, len(paper.revisions), paper.state) == (1, 1, State.DRAFT)
    # The database is not left locked: the next save goes through.
    assert editorial.edit(DAY, FIRST, {"whats_new": KOREAN_EDIT}, 1, "jun").current == 2
    editorial.close()
