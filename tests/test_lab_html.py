"""The report page: self-contained, escaped, its numbers those of the JSON, readable in Chromium."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from pipeline.lab.html import render_html
from pipeline.lab.outcomes import EvalReport, PaperRef
from pipeline.lab.report import build_report
from tests.browser import save_screenshot
from tests.labdata import BASE, CAND, SPECS, manifest, outcome

EVIL = '<script>alert("x")</script> & <img src=http://evil.example/x.png>'


class _Page(HTMLParser):
    """Every tag with its attributes, and the text of each element carrying data-key."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[tuple[dict[str, str | None], str]] = []
        self._open: list[tuple[dict[str, str | None], list[str]]] = []
        self.styles: list[str] = []
        self._in_style = False

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


def _report() -> EvalReport:
    papers = [
        PaperRef(arxiv_id="2406.00001", title=EVIL),
        PaperRef(arxiv_id="2406.00002", title="Steady paper"),
        PaperRef(arxiv_id="2406.00003", title="Better paper"),
    ]
    outcomes = [
        outcome("2406.00001", BASE, "passed", text="이 논문은 <b>새로운</b> 방법을 제안합니다."),
        outcome("2406.00001", CAND, "needs_review", flags=1, text=EVIL),
        outcome("2406.00002", BASE, "passed", latency=2.5),
        outcome("2406.00002", CAND, "passed", text="이 논문은 새로운 방법을 제시했습니다."),
        outcome("2406.00003", BASE, "failed"),
        outcome("2406.00003", CAND, "passed", flags=["faithfulness_number"], latency=3.25),
    ]
    return build_report(manifest(), SPECS, papers, outcomes)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def test_report_loads_nothing_from_outside() -> None:
    page = _parse(render_html(_report()))
    for tag, attrs in page.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
        assert tag not in ("script", "img", "link", "iframe", "object", "embed"), tag
    css = "".join(page.styles)
    assert "url(" not in css and "@import" not in css


def test_everything_from_the_run_is_escaped() -> None:
    text = render_html(_report())
    assert "<script>" not in text and "<img" not in text and "<b>새로운" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in text
    assert "&lt;b&gt;새로운&lt;/b&gt;" in text


def test_html_numbers_equal_the_json() -> None:
    report = _report()
    data = report.model_dump(mode="json")
    page = _parse(render_html(report))
    versions = [(a, t) for a, t in page.cells if a.get("data-version")]
    assert len(versions) >= len(data["versions"]) * 12
    for attrs, shown in versions:
        key, version = attrs["data-key"], attrs["data-version"]
        assert key is not None and version is not None
        summary = data["versions"][version]
        expected = summary["metrics"][key[8:]] if key.startswith("metrics.") else summary[key]
        assert float(attrs["data-value"] or "nan") == pytest.approx(expected)
        digits = len(shown.split(".")[1].rstrip("s")) if "." in shown else 0
        number = float(shown.strip("$s").replace(",", ""))
        assert number == pytest.approx(expected, abs=0.5 * 10**-digits + 1e-12), (key, shown)
    (comparison,) = data["comparisons"]
    verdict_numbers = {a["data-key"]: t for a, t in page.cells if not a.get("data-version")}
    assert int(verdict_numbers["wins"]) == comparison["wins"] == 1
    assert int(verdict_numbers["losses"]) == comparison["losses"] == 1
    assert int(verdict_numbers["ties"]) == comparison["ties"] == 1
    assert float(verdict_numbers["p_value"]) == pytest.approx(comparison["p_value"])


def test_regressions_first_and_every_paper_has_its_detail() -> None:
    page = _parse(render_html(_report()))
    links = [
        a["href"] for tag, a in page.tags if tag == "a" and a.get("href", "").startswith("#paper-")
    ]  # type: ignore[union-attr]
    assert links[0] == "#paper-1"  # the paper the candidate broke
    ids = {a.get("id") for _, a in page.tags}
    assert all(link[1:] in ids for link in links) and len(set(links)) == 3


def test_report_in_chromium(browser_page: Any, tmp_path: Path) -> None:
    """What a researcher sees: the summary, then a paper's versions side by side with the diff."""
    path = tmp_path / "report.html"
    path.write_text(render_html(_report()), encoding="utf-8")
    requests: list[str] = []
    browser_page.on("request", lambda r: requests.append(r.url))
    browser_page.goto(path.as_uri())
    assert browser_page.locator(".verdict .badge").inner_text() == "no significant difference"
    save_screenshot(browser_page, "lab_report", full_page=True)
    browser_page.get_by_role("link", name="Steady paper").click()
    detail = browser_page.locator("#paper-2")
    assert detail.is_visible()
    assert detail.locator(".text ins").first.inner_text() == "시했습"
    save_screenshot(browser_page, "lab_report_paper")
    assert all(url.startswith("file://") for url in requests), requests
