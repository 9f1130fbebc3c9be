"""Issue 8, items 1, 3 and 6 end to end: a partial run never shrinks the digest; a night made from
abstracts or hiding text says so and exits 3; a broken listing entry costs only itself."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pipeline.review.editorial import Editorial
from pipeline.review.models import PaperState
from pipeline.store import Store
from tests import pdfs
from tests.fakes.arxiv import html_error_page
from tests.fakes.hostile import html_page
from tests.world import DATE, World

TITLES = [f"Paper Number {i} On Things" for i in range(1, 4)]


def _three(world: World) -> None:
    for i, title in enumerate(TITLES, start=1):
        world.add(f"2406.1000{i}", title, 60 - i)


def test_limit_never_shrinks_the_digest(world: World) -> None:
    _three(world)
    assert world.night().exit_code == 0
    full = world.digest()
    assert all(t in full for t in TITLES)
    calls = world.llm.calls
    partial = world.night("--limit", "1")
    assert partial.exit_code == 0, partial.stdout
    assert world.digest() == full  # every finished paper of the day, whatever this run did
    assert world.llm.calls == calls


def test_limit_on_a_new_day_adds_to_what_is_there(world: World) -> None:
    _three(world)
    assert world.night("--limit", "1").exit_code == 0
    assert [t in world.digest() for t in TITLES] == [True, False, False]
    assert world.night("--limit", "2").exit_code == 0
    assert [t in world.digest() for t in TITLES] == [True, True, False]


def test_a_night_made_from_abstracts_exits_3_and_says_so_first(world: World) -> None:
    _three(world)
    # arXiv answers an HTML page for every PDF (each download is tried twice)
    world.arxiv.script("/pdf/", *[html_error_page()] * 6)
    outcome = world.night()
    assert outcome.exit_code == 3, outcome.stdout
    lines = outcome.stdout.splitlines()
    assert lines[0].startswith("WARNING: most papers (3 of 3) were summarized from the abstract")
    assert "3 of 3 papers were summarized from the abstract only: PDF unavailable (3)" in lines
    report = world.run_json()
    assert report["exit_status"] == 3 and report["counts"]["abstract_only"] == 3
    assert set(world.statuses().values()) == {"ok"}  # published, but not a plain success


def test_a_non_atom_arxiv_api_is_a_failed_request_not_unknown_papers(world: World) -> None:
    # Parsed as a feed, an HTML page has no entries: every paper would look unknown to arXiv
    # and quietly fall back to its abstract. Like a 5xx, it is retried, then named.
    world.add("2406.10001", TITLES[0], 9)
    world.arxiv.script("/api/query", *[html_page()] * 5)
    outcome = world.night()
    line = [x for x in outcome.stderr.splitlines() if x.startswith("error: ")]
    assert outcome.exit_code == 1 and "Traceback" not in outcome.stderr
    assert "arXiv API" in line[0] and "text/html, not an Atom feed after 5 attempts" in line[0]
    assert not (world.day / "digest.md").exists()


def test_one_non_atom_answer_is_retried(world: World) -> None:
    world.add("2406.10001", TITLES[0], 9)
    world.arxiv.script("/api/query", html_page())
    assert world.night().exit_code == 0
    assert world.run_json()["counts"]["abstract_only"] == 0


def test_a_few_fallbacks_and_hidden_text_exit_3_without_the_headline(world: World) -> None:
    _three(world)
    world.add("2406.10007", "A Locked Paper", 5, pdf=pdfs.encrypted_pdf())
    world.add("2406.10008", "Hidden White Text", 4, pdf=pdfs.hidden_text_pdf("white"))
    outcome = world.night()
    assert outcome.exit_code == 3
    assert not outcome.stdout.startswith("WARNING")
    fallbacks = "1 of 5 papers were summarized from the abstract only: PDF unreadable (1)"
    assert fallbacks in outcome.stdout
    assert "1 paper has hidden text or instructions in their PDF: 2406.10008" in outcome.stdout
    counts = world.run_json()["counts"]
    assert counts["abstract_only"] == 1 and counts["hidden_text"] == 1 and counts["ok"] == 5


def _broken_entries(world: World) -> list[dict[str, Any]]:
    good = world.entries[0]
    broken = []
    for change in (
        lambda p: p.update(upvotes=None),
        lambda p: p.pop("title"),
        lambda p: p.update(id="2406.0\x0009"),
        lambda p: p.update(id="x" * 300),
        lambda p: p.update(id=""),
        lambda p: p["authors"][0].pop("name"),
    ):
        entry = {
            **good,
            "paper": {**good["paper"], "authors": [dict(a) for a in good["paper"]["authors"]]},
        }
        change(entry["paper"])
        broken.append(entry)
    return broken


def test_broken_listing_entries_are_skipped_and_named(world: World) -> None:
    world.add("2406.10001", TITLES[0], 50)
    world.add("2406.10002", TITLES[1], 40)
    world.hf.set_day("2024-06-13", [*world.entries, *_broken_entries(world)])
    outcome = world.night()
    assert outcome.exit_code == 3, outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert "6 listing entries skipped as broken:" in outcome.stdout
    assert "skipped: entry 2 '2406.10001' - paper.upvotes" in outcome.stdout
    assert "skipped: entry 4 '2406.0\\x0009' - the id is not an arXiv id" in outcome.stdout
    skipped = world.run_json()["skipped"]
    assert [s["index"] for s in skipped] == [2, 3, 4, 5, 6, 7]
    assert world.statuses() == {"2406.10001": "ok", "2406.10002": "ok"}
    assert TITLES[0] in world.digest() and TITLES[1] in world.digest()


def test_a_listing_of_only_broken_entries_exits_3(world: World) -> None:
    world.add("2406.10001", TITLES[0], 50)
    world.hf.set_day("2024-06-13", _broken_entries(world))
    outcome = world.night()
    assert outcome.exit_code == 3 and "6 listing entries skipped" in outcome.stdout
    assert len(world.run_json()["skipped"]) == 6


def test_a_fatal_run_writes_its_own_failed_report(world: World) -> None:
    _three(world)
    assert world.night().exit_code == 0 and world.run_json()["exit_status"] == 0
    world.hf.script("/api/daily_papers", *[html_page(503)] * 5)  # Hugging Face down
    assert world.night().exit_code == 1
    report = world.run_json()
    assert report["exit_status"] == 1 and "Hugging Face" in report["error"]
    assert report["finished_at"] is not None
    world.llm.api_key = "another-key"  # the LLM check fails before the night begins
    assert world.night().exit_code == 1
    assert world.run_json()["exit_status"] == 1 and "401" in world.run_json()["error"]
    assert all(t in world.digest() for t in TITLES)  # the published digest is untouched


def test_force_never_unpublishes_the_last_good_summary(world: World) -> None:
    _three(world)
    assert world.night().exit_code == 0
    before = world.digest()
    world.llm.script_for(TITLES[0], *[html_page()] * 2)  # the new attempt fails
    world.llm.script_for(TITLES[1], "english", "english", "english")  # ... or never passes
    outcome = world.night("--force", env={"DIGEST_MAX_ATTEMPTS": "2"})
    assert outcome.exit_code == 3, outcome.stdout
    assert world.digest() == before  # built from the good summaries, still current
    assert world.statuses() == {
        "2406.10001": "failed",
        "2406.10002": "needs_review",
        "2406.10003": "ok",
    }
    assert world.record("2406.10001")["status"] == "ok"  # the store's current record
    assert "flagged: 2406.10001 - kept_previous (the new attempt is failed" in outcome.stdout
    assert "flagged: 2406.10002 - kept_previous (the new attempt is needs_review" in outcome.stdout
    history = sorted((world.day / "papers" / "history").glob("2406.10001.*.json"))
    assert history and '"failed"' in history[-1].read_text()
    # The editors see what the night made: the attempt that did not pass (held only by the
    # night, the store's current record is the good one) is the draft they review, and the good
    # summary stays among its revisions.
    attempt = _editorial(world, "2406.10002")
    assert attempt.night_status == "needs_review" and attempt.current_revision is not None
    assert attempt.current_revision.summary.model_dump() == _last_draft(world, "2406.10002")
    good = world.record("2406.10002")["summary"]
    assert any(r.summary.model_dump() == good for r in attempt.revisions)
    # the next plain night reuses the good summary: no flag, no LLM call, exit 0
    calls = world.llm.calls
    assert world.night().exit_code == 0 and world.llm.calls == calls


def _editorial(world: World, arxiv_id: str) -> PaperState:
    editorial = Editorial(Store(world.data))
    try:
        return editorial.paper(dt.date.fromisoformat(DATE), arxiv_id)
    finally:
        editorial.close()


def _last_draft(world: World, arxiv_id: str) -> dict[str, Any]:
    history = sorted((world.day / "papers" / "history").glob(f"{arxiv_id}.*.json"))
    draft: dict[str, Any] = json.loads(history[-1].read_text())["draft"]
    return draft


def test_the_editors_copy_is_what_the_night_made_with_the_days_votes(world: World) -> None:
    """The editorial import reads each record back from the store after the digest (the night
    keeps no texts): each paper's text is its record's summary, and a re-run that reuses the
    summaries brings the listing's new votes and order along."""
    _three(world)
    assert world.night().exit_code == 0
    for i in range(1, 4):
        state = _editorial(world, f"2406.1000{i}")
        assert state.current_revision is not None
        assert state.current_revision.summary.model_dump() == world.record(f"2406.1000{i}")[
            "summary"
        ]
    world.entries[2]["paper"]["upvotes"] = 500  # the third paper climbs to the top
    world.hf.set_day(DATE, world.entries)
    calls = world.llm.calls
    assert world.night().exit_code == 0 and world.llm.calls == calls
    top = _editorial(world, "2406.10003")
    assert top.paper.upvotes == 500 and top.position == 0
    assert len(top.revisions) == 1  # the same text: no new revision
