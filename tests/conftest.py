"""Shared fixtures: the loopback fakes of every external service, one fresh server per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import browser_page  # noqa: F401  (the browser tests' fixture)
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHF
from tests.fakes.llm import FakeLLM
from tests.world import World


@pytest.fixture
def fake_hf() -> Iterator[FakeHF]:
    with FakeHF() as server:
        yield server


@pytest.fixture
def fake_arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        yield server


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def world(fake_hf: FakeHF, fake_arxiv: FakeArxiv, fake_llm: FakeLLM, tmp_path: Path) -> World:
    """All three fakes wired to a fresh data dir; add papers, then ``world.night()``."""
    return World(fake_hf, fake_arxiv, fake_llm, tmp_path / "data")
