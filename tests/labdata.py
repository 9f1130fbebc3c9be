"""Builders of prompt-lab outcomes for the pure tests: a paper under a version, in one line."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from typing import Any

import pytest

from pipeline.core.models import Flag
from pipeline.lab.outcomes import PaperOutcome, PaperRef, PaperStatus, RunManifest
from pipeline.lab.report import VersionSpec

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


# ---- reading a rendered report ------------------------------------------------------------------


class ReportPage(HTMLParser):
    """Every tag with its attributes, the text of each element carrying data-key, the CSS."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: list[tuple[dict[str, str | None], list[str]]] = []
        self._in_style = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._in_style = tag == "style"
        if "data-key" in attributes:
            self._open.append((attributes, []))

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False
        if tag in ("td", "b") and self._open:
            attributes, text = self._open.pop()
            self.cells.append((attributes, "".join(text)))

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        for _, text in self._open:
            text.append(data)


_URL_ATTRIBUTES = ("src", "href", "action", "srcset", "poster", "data", "formaction")
_LOADING_TAGS = ("img", "link", "iframe", "object", "embed", "video", "audio")


def external_urls(page: str) -> list[str]:
    """Whatever in the page would load or point outside it: [] for a self-contained page."""
    parsed = ReportPage(page)
    found = [
        f"{tag} {name}={value}"
        for tag, attrs in parsed.tags
        for name in _URL_ATTRIBUTES
        if (value := attrs.get(name)) is not None and not value.startswith("#")
    ]
    found += [f"<{tag}>" for tag, _ in parsed.tags if tag in _LOADING_TAGS]
    css = "".join(parsed.styles)
    found += [f"css {word}" for word in ("url(", "@import") if word in css]
    return found


def assert_html_matches_json(page: str, data: dict[str, Any]) -> None:
    """Every number of the summary table and the verdicts is the JSON's, as shown."""
    parsed = ReportPage(page)
    versions = [(a, t) for a, t in parsed.cells if a.get("data-version")]
    assert len(versions) >= len(data["versions"]) * 12
    for attrs, shown in versions:
        key, version = attrs["data-key"] or "", attrs["data-version"] or ""
        summary = data["versions"][version]
        expected = summary["metrics"][key[8:]] if key.startswith("metrics.") else summary[key]
        assert float(attrs["data-value"] or "nan") == pytest.approx(expected), (key, version)
        digits = len(shown.split(".")[1].rstrip("s")) if "." in shown else 0
        number = float(shown.strip("$s").replace(",", ""))
        assert number == pytest.approx(expected, abs=0.5 * 10**-digits + 1e-12), (key, shown)
    verdicts = [c for c in parsed.cells if not c[0].get("data-version")]
    per_comparison = [verdicts[i : i + 4] for i in range(0, len(verdicts), 4)]
    assert len(per_comparison) == len(data["comparisons"])
    for cells, comparison in zip(per_comparison, data["comparisons"], strict=True):
        shown = {a["data-key"]: t for a, t in cells}
        for key in ("wins", "losses", "ties"):
            assert int(shown[key]) == comparison[key], key
        assert float(shown["p_value"]) == pytest.approx(comparison["p_value"], rel=1e-3)
