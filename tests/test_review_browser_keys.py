"""The review page for an editor at a keyboard, on a phone, with a screen reader (real chromium):
the current paper follows focus, actions update the card in place and keep focus, the queue,
no sideways scrolling at phone width, no serious or critical axe-core violation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser import PHONE, axe_violations, in_thread, save_screenshot, sideways_overflow
from tests.review_world import live_review, night_world
from tests.world import DATE, World

if TYPE_CHECKING:
    from playwright.sync_api import Page

FIRST, SECOND, THIRD = "2406.20001", "2406.20003", "2406.20002"  # vote order


def card(arxiv_id: str) -> str:
    return f".card[data-id='{arxiv_id}']"


def focused_card(page: Page) -> str | None:
    value: str | None = page.evaluate(
        "() => { const c = document.activeElement.closest('.card'); return c && c.dataset.id; }"
    )
    return value


def current_cards(page: Page) -> list[str]:
    ids: list[str] = page.evaluate(
        "() => Array.from(document.querySelectorAll('.card[aria-current=true]'))"
        ".map((c) => c.dataset.id)"
    )
    return ids


def test_a_acts_on_the_paper_that_has_focus_and_jk_move_focus(
    world: World, browser_page: Page
) -> None:
    in_thread(night_world, world)
    page = browser_page
    with live_review(world) as url:
        page.goto(f"{url}/day/{DATE}")
        page.wait_for_selector(".card")
        assert current_cards(page) == [FIRST]  # on load: the first paper
        # Focus a control in the third paper, then press a: the third is approved, not the first.
        page.focus(f"{card(THIRD)} .exclude")
        assert current_cards(page) == [THIRD]
        page.keyboard.press("a")
        page.wait_for_selector(f"{card(THIRD)} .badge.state-approved")
        assert page.locator(f"{card(FIRST)} .badge.state-draft").count() == 1
        assert focused_card(page) == THIRD  # the redrawn card kept focus
        # k and j move the current paper and focus together.
        page.keyboard.press("k")
        assert focused_card(page) == SECOND and current_cards(page) == [SECOND]
        page.keyboard.press("k")
        assert focused_card(page) == FIRST and current_cards(page) == [FIRST]
        page.keyboard.press("j")
        assert focused_card(page) == SECOND
        # A click makes the clicked paper current.
        page.click(f"{card(FIRST)} .authors")
        assert current_cards(page) == [FIRST]


def test_actions_update_the_card_in_place_and_the_queue_counts(
    world: World, browser_page: Page
) -> None:
    in_thread(night_world, world)
    page = browser_page
    with live_review(world) as url:
        page.goto(f"{url}/day/{DATE}")
        page.wait_for_selector(".card")
        page.evaluate("window.notReloaded = true")
        assert page.inner_text("#progress").startswith("0 / 3")
        page.focus(f"{card(SECOND)} .approve")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"{card(SECOND)} .badge.state-approved")
        assert page.evaluate("window.notReloaded") is True  # no full reload
        assert page.evaluate("document.activeElement.matches('.approve')")
        assert focused_card(page) == SECOND
        assert page.inner_text("#progress").startswith("1 / 3")
        # n jumps to the next undecided paper.
        page.keyboard.press("n")
        assert focused_card(page) == THIRD
        # The filter shows one state; "undecided" hides the decided paper.
        page.select_option("#filter", "approved")
        assert page.locator("#queue > li:not([hidden])").count() == 1
        page.select_option("#filter", "undecided")
        assert page.locator("#queue > li:not([hidden])").count() == 2
        assert not page.is_visible(card(SECOND))


def test_the_day_fits_a_phone_and_has_no_serious_accessibility_violation(
    world: World, browser_page: Page
) -> None:
    in_thread(night_world, world)
    page = browser_page
    with live_review(world) as url:
        for viewport, name in (({"width": 1400, "height": 900}, "desktop"), (PHONE, "phone")):
            page.set_viewport_size(viewport)
            page.goto(f"{url}/")
            page.wait_for_selector("table.days")
            assert sideways_overflow(page) == 0, name
            assert axe_violations(page) == [], name
            page.goto(f"{url}/day/{DATE}")
            page.wait_for_selector(".card")
            assert sideways_overflow(page) == 0, name
            assert axe_violations(page) == [], name
            # An open editor and the help dialog are labelled too.
            page.click(f"{card(FIRST)} .section[data-section=whats_new] .edit")
            page.wait_for_selector(f"{card(FIRST)} textarea")
            assert axe_violations(page) == [], name
            save_screenshot(page, f"review-day-{name}")
            page.keyboard.press("Escape")
            page.click("#show-help")
            assert page.is_visible("#help")
            assert page.evaluate("document.getElementById('help').open") is True
            assert axe_violations(page) == [], name
            page.keyboard.press("Escape")
        # Every state's card meets contrast AA (an excluded card used to be faded).
        page.focus(f"{card(FIRST)} .approve")
        page.keyboard.press("a")
        page.wait_for_selector(f"{card(FIRST)} .badge.state-approved")
        page.focus(f"{card(SECOND)} .approve")
        page.keyboard.press("x")
        page.fill(f"{card(SECOND)} .reason-input", "주제와 맞지 않음")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"{card(SECOND)} .badge.state-excluded")
        assert axe_violations(page) == []
        word_break = page.evaluate("getComputedStyle(document.body).wordBreak")
        assert word_break == "keep-all"
        source_below = page.evaluate(
            f"""() => {{
              const c = document.querySelector("{card(FIRST)}");
              return c.querySelector('.source').getBoundingClientRect().top >
                     c.querySelector('.entry').getBoundingClientRect().bottom - 1;
            }}"""
        )
        assert source_below is True  # at phone width the source is under the card
