"""The report page: self-contained, escaped, its numbers those of the JSON, readable in Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.lab.html import render_html
from pipeline.lab.outcomes import EvalReport, PaperRef
from pipeline.lab.report import build_report
from tests.browser import save_screenshot
from tests.labdata import (
    BASE,
    CAND,
    SPECS,
    ReportPage,
    assert_html_matches_json,
    external_urls,
    manifest,
    outcome,
)

EVIL = '<script>alert("x")</script> & <img src=http://evil.example/x.png>'


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


def test_report_loads_nothing_from_outside() -> None:
    assert external_urls(render_html(_report())) == []


def test_everything_from_the_run_is_escaped() -> None:
    text = render_html(_report())
    assert '<script>alert("x")' not in text and "<img" not in text and "<b>새로운" not in text
    assert text.count("<script>") == 1  # the page's own keys
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in text
    assert "&lt;b&gt;새로운&lt;/b&gt;" in text


def test_html_numbers_equal_the_json() -> None:
    report = _report()
    data = report.model_dump(mode="json")
    assert data["comparisons"][0]["wins"] == 1 and data["comparisons"][0]["losses"] == 1
    assert_html_matches_json(render_html(report), data)


def test_the_checks_catch_an_external_url_and_a_wrong_number() -> None:
    """The two checks above can fail: a page with a remote image and a wrong number."""
    page = render_html(_report())
    assert external_urls(page.replace("<main", '<img src="https://x.example/a.png"><main')) != []
    shown = 'data-key="passed" data-value="2">'
    wrong = page.replace(shown + "2<", shown + "3<", 1)
    assert wrong != page
    with pytest.raises(AssertionError):
        assert_html_matches_json(wrong, _report().model_dump(mode="json"))


def test_regressions_first_and_every_paper_has_its_detail() -> None:
    page = ReportPage(render_html(_report()))
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
    browser_page.keyboard.press("j")  # the next paper in the matrix's order
    assert browser_page.locator("#paper-3").is_visible() and not detail.is_visible()
    browser_page.keyboard.press("Escape")
    assert browser_page.evaluate("location.hash") == "#matrix"
    save_screenshot(browser_page, "lab_report_paper")
    assert all(url.startswith("file://") for url in requests), requests


def test_report_on_a_phone_stacks_the_versions_and_fits(browser_page: Any) -> None:
    """390 px wide: nothing scrolls sideways, a paper's versions are stacked with its close link
    in view, and no header cell is empty (axe)."""
    from tests.browser import PHONE, axe_violations, sideways_overflow

    browser_page.set_viewport_size(PHONE)
    browser_page.set_content(render_html(_report()))
    assert sideways_overflow(browser_page) == 0
    assert browser_page.locator("th:empty").count() == 0
    empty = [v for v in axe_violations(browser_page, impacts=("minor", "moderate", "serious",
             "critical")) if v.startswith("empty-table-header")]  # fmt: skip
    assert empty == [] and axe_violations(browser_page) == []
    save_screenshot(browser_page, "lab_report_phone", full_page=True)
    browser_page.get_by_role("link", name="Steady paper").click()
    detail = browser_page.locator("#paper-2")
    columns = detail.locator(".col").all()
    assert len(columns) == 2
    first, second = (c.bounding_box() for c in columns)
    assert first is not None and second is not None
    assert second["y"] >= first["y"] + first["height"]  # stacked, not side by side
    assert second["x"] >= 0 and second["x"] + second["width"] <= PHONE["width"]
    close = detail.get_by_role("link", name="close ✕").bounding_box()
    assert close is not None and close["x"] + close["width"] <= PHONE["width"]
    assert sideways_overflow(browser_page) == 0
    save_screenshot(browser_page, "lab_report_phone_paper")


def test_a_judge_with_no_pair_to_judge_says_so() -> None:
    from pipeline.lab.cli import _report_lines
    from pipeline.lab.judge import tally

    report = _report()
    report.judge = [tally(BASE, CAND, "gpt-4.1-mini", "judge@v1", [])]
    line = next(line for line in _report_lines(report) if "judge" in line)
    assert "0 pairs judged" in line and "ties" not in line
    page = render_html(report)
    assert "no pair judged" in page and "0 ties" not in page
