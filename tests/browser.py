"""A real browser for tests: Debian's chromium driven by Playwright, headless.

``browser_page`` is a fresh page in a fresh headless chromium for each test. Playwright's own
browser download is never used (it needs the internet): the test is skipped, with the reason
shown by ``-ra``, when chromium or the playwright package is missing. ``save_screenshot``
keeps what a person would see under ``tests/artifacts/`` (git-ignored) for a human to look at.

While the page is open, Playwright's sync API keeps an asyncio loop running on the test's
thread, so code that calls ``asyncio.run`` (a night through ``World``) must run elsewhere:
``in_thread(world.night)``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

T = TypeVar("T")

CHROMIUM = os.environ.get("DIGEST_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _chromium_or_skip() -> str:
    path = CHROMIUM if os.path.isfile(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.skip(f"browser test skipped: no chromium at {CHROMIUM} (apt-get install chromium)")
    return path


@pytest.fixture
def browser_page() -> Iterator[Page]:
    # Per test, not per session: Playwright's sync API marks an asyncio loop as running on
    # this thread until it stops, which would break every later test that uses asyncio.
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
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ko-KR")
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()


def save_screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Write ``tests/artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name.removesuffix('.png')}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn`` on a worker thread and return its result (see the module's docstring)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


PHONE = {"width": 390, "height": 844}
"""A phone's viewport (iPhone 12-15 class): pages must fit it without sideways scrolling."""

AXE_JS = Path(
    os.environ.get(
        "DIGEST_TEST_AXE",
        Path(__file__).resolve().parent / ".node" / "node_modules" / "axe-core" / "axe.min.js",
    )
)


def axe_violations(page: Page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of these impacts on the page as it is now, one line each (rule,
    impact, how many nodes, the first node's selector), so a failing assert says what is wrong.
    axe-core comes from npm (``.ci/run`` installs it under ``tests/.node``); without it the test
    is skipped, saying so. It runs through DevTools, so the page's CSP does not block it."""
    if not AXE_JS.is_file():
        pytest.skip(
            f"accessibility check skipped: no axe-core at {AXE_JS} "
            "(npm install --prefix tests/.node axe-core@4)"
        )
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']}): "
        f"{v['help']}"
        for v in result
        if v.get("impact") in impacts
    ]


def sideways_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 when nothing scrolls sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))
