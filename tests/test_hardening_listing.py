"""Issue 8, item 6: each listing entry is validated on its own; a broken one is skipped and named,
the others go on."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pipeline.stages.listing import ListingReader, arxiv_id_problem, by_votes, parse_listing
from tests.fakes.hf import hf_entry


def _good(arxiv_id: str = "2406.00001", votes: int = 5) -> dict[str, Any]:
    return hf_entry(arxiv_id, f"Paper {arxiv_id}", votes, ["Ann Lee", "Bo Kim"], "An abstract.")


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(entry: dict[str, Any]) -> None:
        target = entry
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop_title(entry: dict[str, Any]) -> None:
    del entry["paper"]["title"]


def _nameless_author(entry: dict[str, Any]) -> None:
    del entry["paper"]["authors"][1]["name"]


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "null votes": (_set(("paper", "upvotes"), None), "paper.upvotes"),
    "missing title": (_drop_title, "paper.title"),
    "blank title": (_set(("paper", "title"), "  \n "), "title is empty"),
    "author without a name": (_nameless_author, "paper.authors.1.name"),
    "NUL in id": (_set(("paper", "id"), "2406.0\x0002"), "not an arXiv id"),
    "newline in id": (_set(("paper", "id"), "2406.00002\nx"), "not an arXiv id"),
    "300-char id": (_set(("paper", "id"), "2406." + "1" * 295), "not an arXiv id"),
    "empty id": (_set(("paper", "id"), ""), "id is empty"),
    "path-like id": (_set(("paper", "id"), "../../etc/passwd"), "not an arXiv id"),
    "id not a string": (_set(("paper", "id"), 2406.00002), "paper.id"),
    "paper not an object": (_set(("paper",), "2406.00002"), "paper"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_entry_is_skipped_and_named(case: str) -> None:
    change, says = BROKEN[case]
    broken = copy.deepcopy(_good("2406.00002", votes=50))
    change(broken)
    listing = parse_listing([_good("2406.00001"), broken, _good("2406.00003", votes=1)])
    assert [p.arxiv_id for p in listing.papers] == ["2406.00001", "2406.00003"]
    assert len(listing.skipped) == 1
    skipped = listing.skipped[0]
    assert skipped.index == 1 and says in skipped.reason
    assert "\n" not in skipped.reason and len(skipped.reason) < 200
    if skipped.arxiv_id is not None:  # printable, whatever the id held
        assert skipped.arxiv_id.isprintable() and len(skipped.arxiv_id) <= 40


def test_an_entry_that_is_not_an_object_is_skipped() -> None:
    listing = parse_listing([None, "x", 3, _good()])
    assert [s.index for s in listing.skipped] == [0, 1, 2]
    assert [p.arxiv_id for p in listing.papers] == ["2406.00001"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2406.01234", "2406.01234"),
        ("2406.0123", "2406.0123"),  # four-digit numbers before 2015
        ("2406.01234v2", "2406.01234"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v3", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("cond-mat/0102536", "cond-mat/0102536"),
        (" 2406.01234 ", "2406.01234"),
    ],
)
def test_arxiv_id_formats_are_accepted(given: str, stored: str) -> None:
    assert arxiv_id_problem(given.strip()) is None
    listing = parse_listing([_good(given)])
    assert [p.arxiv_id for p in listing.papers] == [stored] and listing.skipped == []


@pytest.mark.parametrize(
    "bad",
    [
        "2406.123",
        "2406.123456",
        "24061.01234",
        "2406.01234v",
        "hep_th/9901001",
        "HEP-TH/9901001",
        "hep-th/990100",
        "2406.01234/../x",
        "https://arxiv.org/abs/2406.01234",
    ],
)
def test_other_ids_are_refused(bad: str) -> None:
    assert arxiv_id_problem(bad) is not None


@pytest.mark.parametrize("page", [1, 2, 3, 50])
def test_a_listing_read_page_by_page_is_the_listing_read_whole(page: int) -> None:
    broken = _good("2406.00004")
    BROKEN["missing title"][0](broken)
    raw: list[Any] = [
        _good("2406.00001", votes=1),
        None,
        _good("2406.00002", votes=9),
        broken,
        _good("2406.00001", votes=7),  # the same paper on a later page counts once
        _good("2406.00003", votes=9),
        "x",
        _good("2406.00005", votes=3),
    ]
    reader = ListingReader()
    pages = [raw[start : start + page] for start in range(0, len(raw), page)]
    papers = [paper for items in pages for paper in reader.read(items)]
    whole = parse_listing(raw)
    assert by_votes((p.upvotes, p) for p in papers) == whole.papers
    assert reader.skipped == whole.skipped
    assert [s.index for s in whole.skipped] == [1, 3, 6]
    assert [p.arxiv_id for p in whole.papers] == [
        "2406.00002", "2406.00003", "2406.00005", "2406.00001"
    ]  # fmt: skip
