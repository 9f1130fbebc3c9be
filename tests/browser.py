"""A real browser for tests: Debian's chromium driven by Playwright, headless.

``browser_page`` is a fresh page (its own context: no cookies shared between tests) on a
chromium started for that test. Playwright's own browser download is never used (it needs the
internet): the test is skipped, with the reason shown by ``-ra``, when chromium or the
playwright package is missing. ``save_screenshot`` keeps what a person would see under
``tests/artifacts/`` (git-ignored) for a human to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = os.environ.get("DIGEST_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _chromium_or_skip() -> str:
    path = CHROMIUM if os.path.isfile(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.skip(f"browser test skipped: no chromium at {CHROMIUM} (apt-get install chromium)")
    return path


# Per test, not per session: while sync_playwright is open its event loop counts as running in
# the main thread, so every later test that calls asyncio.run() (the CLI does) would fail.
@pytest.fixture
def _browser() -> Iterator[Any]:
    executable = _chromium_or_skip()
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("browser test skipped: the playwright package is not installed ('.[dev]')")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=executable,
                headless=True,
                # CI runs as root, where chromium's sandbox cannot start.
                args=["--no-sandbox", "--disable-dev-shm-usage"],
            )
        except Error as exc:
            pytest.skip(f"browser test skipped: chromium at {executable} did not start: {exc}")
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser: Any) -> Iterator[Page]:
    context = _browser.new_context(viewport={"width": 1400, "height": 900}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def save_screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Write ``tests/artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name.removesuffix('.png')}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
