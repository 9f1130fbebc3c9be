"""Builders of prompt-lab outcomes for the pure tests: a paper under a version, in one line."""

from __future__ import annotations

import datetime as dt

from pipeline.lab.outcomes import PaperOutcome, PaperRef, PaperStatus, RunManifest
from pipeline.lab.report import VersionSpec
from pipeline.models import Flag

BASE, CAND = "summarize@v1", "summarize@v2"
SPECS = [
    VersionSpec(BASE, BASE, "a" * 64, "gpt-4.1-mini"),
    VersionSpec(CAND, CAND, "b" * 64, "gpt-4.1-mini"),
]


def outcome(
    arxiv_id: str,
    version: str,
    status: PaperStatus = "passed",
    flags: int | list[str] = 0,
    text: str = "이 논문은 새로운 방법을 제안합니다.",
    latency: float = 1.0,
) -> PaperOutcome:
    codes = ["form"] * flags if isinstance(flags, int) else flags
    sections = (
        {}
        if status == "failed"
        else {
            "whats_new": text,
            "technical_details": "제안 방법은 Transformer 위에 어댑터를 더합니다.",
            "performance_highlights": "실험에서 정확도가 3%p 올랐습니다.",
        }
    )
    return PaperOutcome(
        arxiv_id=arxiv_id,
        version=version,
        status=status,
        reason=None if status == "passed" else "What's New is not written in Korean",
        reasks=0 if status == "passed" else 2,
        flags=[Flag(code=c, detail=f"detail of {c}") for c in codes],
        sections=sections,
        hangul_share=None if status == "failed" else 0.8,
        prompt_tokens=1000,
        completion_tokens=200,
        cost_usd=0.00072,
        latency_s=latency,
        llm_calls=1,
    )


def refs(n: int) -> list[PaperRef]:
    return [PaperRef(arxiv_id=f"2406.{i:05d}", title=f"Paper {i}") for i in range(n)]


def manifest(evalset: str = "june") -> RunManifest:
    return RunManifest(
        evalset=evalset,
        set_hash="c" * 64,
        run_id="20240613T000000Z",
        created_at=dt.datetime(2024, 6, 13, tzinfo=dt.UTC),
        git_commit="deadbeef",
        prompts={BASE: "a" * 64, CAND: "b" * 64},
        models=["gpt-4.1-mini"],
        params={"concurrency": 32, "reasks": 2},
    )
