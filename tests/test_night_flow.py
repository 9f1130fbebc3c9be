"""A day longer than the night runs at once (issue 20): papers start as others finish, so a slow
model does not make the night hold the whole day's PDFs and texts, and every paper still ends
in the listing's order with its listing entry intact."""

from __future__ import annotations

import threading
import time

from tests.world import World

PAPERS = 12
ENV = {
    "DIGEST_CONCURRENCY": "1",
    "DIGEST_DOWNLOAD_CONCURRENCY": "1",
    "DIGEST_EXTRACT_WORKERS": "1",
}
UNDER_WAY = 1 + (1 + 1 + 2 * 1)
"""The model's slots, plus the papers allowed between taken and extracted (download limit +
1 + 2 per extraction worker): how many papers can be under way at once."""


def _pdf_requests(world: World) -> int:
    return sum("/pdf/" in r.path for r in world.arxiv.requests)


def _settled(world: World, quiet_s: float = 0.4, longest_s: float = 3.0) -> int:
    """PDF requests once no new one came for ``quiet_s``."""
    deadline = time.monotonic() + longest_s
    seen, since = _pdf_requests(world), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = _pdf_requests(world)
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return seen


def test_a_slow_model_does_not_make_the_night_hold_the_whole_day(world: World) -> None:
    for i in range(PAPERS):
        world.add(f"2406.{10001 + i}", f"Paper {i} on Things", 100 - i)
    fetched_while_waiting: list[int] = []
    first = threading.Lock()

    def hold_the_first_call(text: str) -> None:
        # The model sits on its first answer: the night goes on downloading meanwhile, as far
        # as it will.
        if first.acquire(blocking=False):
            fetched_while_waiting.append(_settled(world))
        return None

    world.llm.respond_with(hold_the_first_call)
    outcome = world.night(env={**ENV, "DIGEST_LLM_TIMEOUT_S": "10"})
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert fetched_while_waiting and fetched_while_waiting[0] <= UNDER_WAY < PAPERS
    assert _pdf_requests(world) == PAPERS  # and then every paper, once


def test_every_paper_ends_in_order_with_its_listing_entry(world: World) -> None:
    titles = [f"Paper {i}: “quoted” & <odd> — 한국어 {i}" for i in range(PAPERS)]
    for i, title in enumerate(titles):
        world.add(f"2406.{10001 + i}", title, 100 - i, authors=[f"Zed {i}", "Amy", f"Bo {i}"])
    outcome = world.night(env=ENV)
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    rows = world.run_json()["papers"]
    assert [r["arxiv_id"] for r in rows] == [f"2406.{10001 + i}" for i in range(PAPERS)]
    assert [r["title"] for r in rows] == titles
    assert all(r["status"] == "ok" for r in rows)
    for i, row in enumerate(rows):
        paper = world.record(row["arxiv_id"])["paper"]
        assert (paper["title"], paper["authors"]) == (titles[i], [f"Zed {i}", "Amy", f"Bo {i}"])


def test_a_failed_papers_line_names_its_title(world: World) -> None:
    world.add("2406.10001", "A Paper the Model Refuses", 9)
    world.add("2406.10002", "A Paper That Goes Well", 8)
    world.llm.always_for("malformed", "Refuses")
    outcome = world.night()
    assert outcome.exit_code == 3, outcome.stdout
    failed = [line for line in outcome.stdout.splitlines() if "2406.10001" in line]
    assert failed and "A Paper the Model Refuses" in failed[0], outcome.stdout
    assert not any("2406.10002" in line for line in outcome.stdout.splitlines())
