"""Shared fixtures: the loopback fakes of every external service, one fresh server per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from tests.browser import browser_page  # noqa: F401  (the browser tests' fixture)
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHF
from tests.fakes.llm import FakeLLM
from tests.world import World


@pytest.fixture(autouse=True)
def no_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own `.env` in the checkout must not configure the tests' in-process
    commands (tests of `.env` itself run the command in a subprocess, in a temp directory)."""
    monkeypatch.setitem(Settings.model_config, "env_file", None)


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
