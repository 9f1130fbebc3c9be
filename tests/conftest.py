"""Shared fixtures: the loopback fakes of every external service, one fresh server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHF
from tests.fakes.llm import FakeLLM


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
