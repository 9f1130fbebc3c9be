"""A whole night against the loopback fakes: HF list, arXiv API + PDFs, an OpenAI-compatible LLM.

``World`` registers papers on the fakes and runs the real CLI in-process, with the environment a
cron job would have; nothing of ours is replaced.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pipeline.cli import app
from tests import pdfs
from tests.fakes import endpoint_env
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHF, hf_entry
from tests.fakes.llm import FakeLLM

DATE = "2024-06-13"


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class World:
    hf: FakeHF
    arxiv: FakeArxiv
    llm: FakeLLM
    data: Path
    entries: list[dict[str, Any]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {
            **endpoint_env(self.hf, self.arxiv, self.llm, "test-key"),
            "DIGEST_HTTP_TIMEOUT_S": "2",
            "DIGEST_LLM_TIMEOUT_S": "2",
            "DIGEST_MAX_BACKOFF_S": "0.05",
            # The fake LLM's paragraphs carry numbers the generated papers never state; tests
            # of the faithfulness check (test_faithfulness_night.py) turn it on.
            "DIGEST_FAITHFULNESS": "off",
        }

    def add(
        self,
        arxiv_id: str,
        title: str,
        votes: int,
        *,
        pdf: bytes | None = None,
        columns: int = 1,
        authors: list[str] | None = None,
        thumbnail: str | None = None,
    ) -> None:
        """A paper on HF's list and on arXiv; ``pdf`` defaults to a generated paper."""
        abstract = f"We study {title.lower()} and report strong results on three benchmarks."
        body = pdf if pdf is not None else pdfs.paper_pdf(title, abstract, columns=columns)
        self.arxiv.add_paper(arxiv_id, body, title=title, abstract=abstract)
        self.entries.append(
            hf_entry(
                arxiv_id,
                title,
                votes,
                authors or ["Zoe Zhang", "Adam Abel", "Mina Kim"],
                abstract,
                thumbnail=thumbnail,
            )
        )
        self.hf.set_day(DATE, self.entries)

    def run(self, *args: str, env: dict[str, str | None] | None = None) -> Outcome:
        runner = CliRunner()
        merged: dict[str, str | None] = {**self.env, **(env or {})}
        result = runner.invoke(app, ["--data-dir", str(self.data), *args], env=merged)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    def night(self, *args: str, **kw: Any) -> Outcome:
        return self.run("--date", DATE, *args, **kw)

    @property
    def day(self) -> Path:
        return self.data / DATE

    def digest(self) -> str:
        return (self.day / "digest.md").read_text(encoding="utf-8")

    def run_json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads((self.day / "run.json").read_text(encoding="utf-8"))
        return value

    def statuses(self) -> dict[str, str]:
        return {p["arxiv_id"]: p["status"] for p in self.run_json()["papers"]}

    def record(self, arxiv_id: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(
            (self.day / "papers" / f"{arxiv_id}.json").read_text(encoding="utf-8")
        )
        return value


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
