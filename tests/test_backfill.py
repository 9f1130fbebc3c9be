"""Date ranges: ``run.py --from D1 --to D2`` runs each unfinished day as its own night."""

from __future__ import annotations

import time
from functools import cache

import pytest

from pipeline.stages import arxiv_api
from tests import pdfs
from tests.fakes.hf import hf_entry
from tests.fakes.server import server_error
from tests.world import World

DAYS = ("2024-06-10", "2024-06-11", "2024-06-12", "2024-06-13")


@cache
def pdf_for(title: str) -> bytes:
    return pdfs.paper_pdf(title, f"We study {title.lower()}.")


def add_day(world: World, date: str, papers: list[tuple[str, str, int]]) -> None:
    """Papers on HF's list for ``date`` and on arXiv (the World's own day is 2024-06-13)."""
    entries = []
    for arxiv_id, title, votes in papers:
        abstract = f"We study {title.lower()}."
        world.arxiv.add_paper(arxiv_id, pdf_for(title), title=title, abstract=abstract)
        entries.append(hf_entry(arxiv_id, title, votes, ["Mina Kim"], abstract))
    world.hf.set_day(date, entries)


def populate(world: World) -> None:
    add_day(world, DAYS[0], [("2406.00101", "Range Paper One", 9), ("2406.00102", "Two", 3)])
    # DAYS[1]: Hugging Face lists nothing
    add_day(world, DAYS[2], [("2406.00301", "Stubborn Paper", 5), ("2406.00302", "Fine", 4)])
    add_day(world, DAYS[3], [("2406.00401", "Last Day Paper", 7)])
    world.llm.script_for("Stubborn Paper", "english", "english", "english")


def listed_dates(world: World) -> list[str]:
    return [r.query["date"] for r in world.hf.requests if r.path == "/api/daily_papers"]


def test_a_range_runs_oldest_first_skips_finished_days_and_exits_with_the_worst(
    world: World,
) -> None:
    populate(world)
    first = world.run("--from", DAYS[0], "--to", DAYS[3])
    assert first.exit_code == 3, first.stderr  # one paper needs review on DAYS[2]
    lines = first.stdout.splitlines()
    assert len(lines) == 6 and lines[1] == f"{DAYS[1]}: Hugging Face lists no papers"
    assert lines[0].startswith(f"{DAYS[0]}: 2 ok, 0 need review, 0 failed, 0 pending; 2 LLM calls")
    assert lines[2].startswith(f"{DAYS[2]}: 1 ok, 1 needs review, 0 failed")
    assert lines[3].startswith(f"{DAYS[3]}: 1 ok, 0 need review")
    assert lines[4].startswith(f"total {DAYS[0]}..{DAYS[3]}: 4 days (0 skipped), 4 ok, 1 needs")
    assert lines[4].endswith("exit 3")
    # the reason is where the person looks, counted, not only in papers/<id>.json
    assert lines[5].startswith("  why (papers): 1x ") and "Korean" in lines[5], lines[5]
    assert listed_dates(world) == list(DAYS)  # oldest first
    for day in (DAYS[0], DAYS[2], DAYS[3]):
        assert (world.data / day / "digest.md").exists()

    calls = world.llm.calls
    second = world.run("--from", DAYS[0], "--to", DAYS[3])
    assert second.exit_code == 3
    assert second.stdout.splitlines()[:2] == [
        f"{DAYS[0]}: skipped, finished earlier (2 ok)",
        f"{DAYS[1]}: skipped, no papers listed",
    ]
    assert f"{DAYS[3]}: skipped, finished earlier (1 ok)" in second.stdout
    assert listed_dates(world) == [*DAYS, DAYS[2]]  # only the unfinished day is listed again
    assert world.llm.calls == calls  # and its summaries are reused: nothing asked again

    requests = len(world.hf.requests) + len(world.arxiv.requests) + len(world.llm.requests)
    finished = world.run("--from", DAYS[0], "--to", DAYS[1])
    assert finished.exit_code == 0 and "2 days (2 skipped)" in finished.stdout
    after = len(world.hf.requests) + len(world.arxiv.requests) + len(world.llm.requests)
    assert after == requests  # a finished range sends no request at all


def test_a_day_that_fails_does_not_stop_the_range(world: World) -> None:
    populate(world)
    world.hf.script("/api/daily_papers", *[server_error()] * 5)  # every attempt at DAYS[0]
    result = world.run("--from", DAYS[0], "--to", DAYS[3])
    assert result.exit_code == 1  # fatal beats "needs attention"
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{DAYS[0]}: error: Hugging Face failed at ")
    assert lines[2].startswith(f"{DAYS[2]}: 1 ok, 1 needs review")
    assert lines[-3].endswith("exit 1")
    assert lines[-1].startswith("  why (days): 1x Hugging Face failed at ")


def test_range_usage_errors(world: World) -> None:
    assert world.run("--from", DAYS[3], "--to", DAYS[0]).exit_code == 2
    both = world.run("--date", DAYS[0], "--from", DAYS[0])
    assert both.exit_code == 2 and "either --date or --from" in both.stderr
    assert world.run("--from", "2999-01-01").exit_code == 2
    dry = world.run("--from", DAYS[0], "--dry-run")
    assert dry.exit_code == 2 and "--dry-run works on one --date" in dry.stderr
    assert world.llm.calls == 0 and not world.hf.requests


def test_arxiv_queries_keep_their_pace_across_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arxiv_api, "_last_query", float("-inf"))
    started = time.monotonic()
    arxiv_api._pace(0.2)  # the first query goes at once
    assert time.monotonic() - started < 0.2
    arxiv_api._pace(0.2)  # the next waits for the rest of the delay, whoever calls
    assert time.monotonic() - started >= 0.2
