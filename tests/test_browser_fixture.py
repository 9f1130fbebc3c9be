"""The shared browser fixture itself: chromium renders Korean text and a screenshot is kept."""

from __future__ import annotations

from tests.browser import save_screenshot


def test_browser_renders_korean_and_saves_a_screenshot(browser_page) -> None:  # type: ignore[no-untyped-def]
    browser_page.set_content("<html><body><h1 id=t>한국어 논문 요약</h1></body></html>")
    assert browser_page.inner_text("#t") == "한국어 논문 요약"
    # Hangul must be drawn with a real font: a missing CJK font renders zero-width boxes.
    width = browser_page.evaluate("document.getElementById('t').getBoundingClientRect().width")
    assert width > 100
    path = save_screenshot(browser_page, "browser-fixture")
    assert path.stat().st_size > 1000
