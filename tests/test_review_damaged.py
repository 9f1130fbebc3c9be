"""A damaged editorial database, as an editor in a browser meets it: a readable page with the
one-line cause and the commands that recover the file, not a JSON 500; scripts keep their
one-line JSON."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import httpx2 as httpx

from pipeline.review.editorial import Editorial
from pipeline.store import Store
from tests.browser import PHONE, axe_violations, save_screenshot, sideways_overflow
from tests.review_world import live_review
from tests.world import DATE, World

if TYPE_CHECKING:
    from playwright.sync_api import Page

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def damaged(world: World) -> Path:
    """The editorial database with every page after the first overwritten with garbage: the
    header and schema still open (so ``review serve`` starts), the first read of a table finds
    garbage, as after a bad disk sector or a half-copied file."""
    Editorial(Store(world.data)).close()
    path = world.data / "editorial.sqlite3"
    conn = sqlite3.connect(path)
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    conn.close()
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(page_size)
        f.write(random.Random(17).randbytes(size - page_size))
    return path


def test_a_page_on_a_damaged_database_is_a_readable_page_with_the_way_out(world: World) -> None:
    path = damaged(world)
    with live_review(world) as url:
        for page in ("/", f"/day/{DATE}"):
            answer = httpx.get(url + page, headers=HTML)
            assert answer.status_code == 500
            assert answer.headers["content-type"].startswith("text/html")
            html = answer.text
            assert "<h1>편집 데이터베이스가 손상되었습니다</h1>" in html
            assert f"the editorial database {path} is damaged" in html
            assert f"sqlite3 {path} .recover | sqlite3 {path}.recovered" in html
            assert f"mv {path} {path}.damaged" in html
            assert "Traceback" not in html and "sqlite3.DatabaseError" not in html
        future = httpx.get(f"{url}/day/9999-12-31", headers=HTML)
        assert future.status_code == 400 and "is in the future" in future.text
        assert "<h1>페이지를 열 수 없습니다</h1>" in future.text
        # A script (no text/html in its Accept) keeps the one-line JSON.
        plain = httpx.get(url + "/")
        assert plain.status_code == 500 and "is damaged" in plain.json()["error"]


def test_the_damaged_database_page_in_a_browser(world: World, browser_page: Page) -> None:
    path = damaged(world)
    page = browser_page
    with live_review(world) as url:
        answer = page.goto(f"{url}/")
        assert answer is not None and answer.status == 500
        heading = page.locator("h1").inner_text()
        assert heading == "편집 데이터베이스가 손상되었습니다"
        assert f"{path} is damaged" in page.locator("[role=alert]").inner_text()
        assert f"sqlite3 {path} .recover" in page.locator("pre.commands").inner_text()
        assert axe_violations(page) == []
        save_screenshot(page, "review-damaged-database")
        page.set_viewport_size(PHONE)
        assert sideways_overflow(page) == 0
        save_screenshot(page, "review-damaged-database-phone")
