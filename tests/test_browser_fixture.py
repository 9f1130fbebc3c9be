"""The shared browser fixture itself: chromium opens a Korean page and a screenshot is kept
(look at tests/artifacts/browser-fixture.png: Hangul, not boxes, means fonts-noto-cjk works)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser import save_screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_browser_renders_korean_and_saves_a_screenshot(browser_page: Page) -> None:
    browser_page.set_content("<html><body><h1 id=t>한국어 논문 요약</h1></body></html>")
    assert browser_page.inner_text("#t") == "한국어 논문 요약"
    path = save_screenshot(browser_page, "browser-fixture")
    assert path.stat().st_size > 1000
