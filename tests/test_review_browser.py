"""What an editor does in a real browser (Debian's chromium via Playwright): open a day, edit,
see an English edit refused, approve with the keyboard, regenerate a section and accept the
diff, publish. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser import in_thread, save_screenshot
from tests.fakes.server import Reply
from tests.review_world import ENGLISH, KOREAN_EDIT, PAPERS, live_review, night_world
from tests.world import DATE, World

if TYPE_CHECKING:
    from playwright.sync_api import Page

REGENERATED = (
    "검색 헤드는 긴 문맥에서 필요한 정보를 찾아오는 소수의 attention head이며, 제안한 방법은 "
    "이 헤드만 남겨 메모리를 40% 줄입니다."
)


def chat_reply(sections: dict[str, str]) -> Reply:
    """A chat completion whose content is exactly ``sections``."""
    content = json.dumps(sections, ensure_ascii=False)
    return Reply(
        body={
            "id": "chatcmpl-regen",
            "object": "chat.completion",
            "created": 1718064000,
            "model": "gpt-4.1-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 900, "completion_tokens": 120, "total_tokens": 1020},
        }
    )


def card(page: Page, arxiv_id: str) -> str:
    return f".card[data-id='{arxiv_id}']"


def test_an_editor_reviews_and_publishes_a_night(world: World, browser_page: Page) -> None:
    in_thread(night_world, world)
    page = browser_page
    with live_review(world) as url:
        page.goto(f"{url}/")
        page.click(f"a[href='/day/{DATE}']")
        page.wait_for_selector(".card")
        first = card(page, "2406.20001")
        save_screenshot(page, "review-day")

        # Edit a section in place.
        page.click(f"{first} .section[data-section=whats_new] .edit")
        page.fill(f"{first} textarea", KOREAN_EDIT)
        page.click(f"{first} .save")
        page.wait_for_selector(f"{first} .badge.state-edited")
        assert KOREAN_EDIT in page.inner_text(f"{first} .section[data-section=whats_new]")

        # An English edit is refused with the problem listed; the text stays.
        page.click(f"{first} .section[data-section=technical_details] .edit")
        page.fill(f"{first} textarea", ENGLISH)
        page.click(f"{first} .save")
        message = page.wait_for_selector(f"{first} .entry > .message:not([hidden])")
        assert message is not None and "not written in Korean" in message.inner_text()
        save_screenshot(page, "review-refused-edit")
        page.keyboard.press("Escape")  # leaves the textarea; shortcuts work again

        # ? shows the keys; Esc hides them.
        page.click(f"{first} h4")
        page.keyboard.press("?")
        assert page.is_visible("#help")
        page.keyboard.press("Escape")
        assert not page.is_visible("#help")

        # Approve with the keyboard: the first card is the current one.
        page.keyboard.press("a")
        page.wait_for_selector(f"{first} .badge.state-approved")

        # Regenerate one section of the second paper and accept the diff.
        second = card(page, "2406.20003")
        world.llm.script_for(
            PAPERS["2406.20003"],
            chat_reply(
                {
                    "whats_new": "무시될 문장입니다.",
                    "technical_details": REGENERATED,
                    "performance_highlights": "무시될 문장입니다.",
                }
            ),
        )
        page.click(f"{second} .regen summary")
        page.select_option(f"{second} .regen-section", "technical_details")
        page.click(f"{second} .regenerate")
        candidate = page.wait_for_selector(f"{second} .candidate")
        assert candidate is not None
        assert "40%" in page.inner_text(f"{second} .candidate .diff")
        assert page.locator(f"{second} .candidate ins").count() >= 1
        assert page.locator(f"{second} .candidate .diff").count() == 1  # one section only
        save_screenshot(page, "review-candidate")
        page.click(f"{second} .candidate .accept")
        page.wait_for_selector(f"{second} .badge.state-edited")
        assert REGENERATED in page.inner_text(f"{second} .section[data-section=technical_details]")

        # j moves to the next card; a approves it; x excludes the last with a reason.
        page.click(f"{second} h4")
        page.keyboard.press("a")
        page.wait_for_selector(f"{second} .badge.state-approved")
        page.keyboard.press("j")
        page.keyboard.press("x")
        third = card(page, "2406.20002")
        page.fill(f"{third} .reason-input", "주제와 맞지 않음")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"{third} .badge.state-excluded")

        page.click("#publish")
        done = page.wait_for_selector("#day-message.ok")
        assert done is not None and "v1" in done.inner_text()
        page.evaluate("window.scrollTo(0, 0)")
        save_screenshot(page, "review-published")
    published = (world.day / "published.md").read_text(encoding="utf-8")
    assert KOREAN_EDIT in published and REGENERATED in published
    assert "2406.20002" not in published


def test_a_save_from_a_stale_page_shows_both_texts(
    world: World, browser_page: Page, tmp_path: Path
) -> None:
    in_thread(night_world, world)
    page = browser_page
    theirs = "다른 편집자가 먼저 저장한 문장입니다. 음성 인식을 위한 라우팅을 설명합니다."
    their_file = tmp_path / "theirs.txt"
    their_file.write_text(theirs, encoding="utf-8")
    with live_review(world) as url:
        page.goto(f"{url}/day/{DATE}")
        first = card(page, "2406.20001")
        page.click(f"{first} .section[data-section=whats_new] .edit")
        page.fill(f"{first} textarea", KOREAN_EDIT)
        # Meanwhile another editor saves the same paper from the command line.
        other = in_thread(
            world.run,
            "review",
            "edit",
            DATE,
            "2406.20001",
            "--section",
            "whats_new",
            "--text-file",
            str(their_file),
            "--editor",
            "jun",
        )
        assert other.exit_code == 0, other.stderr
        page.click(f"{first} .save")
        message = page.wait_for_selector(f"{first} .entry > .message:not([hidden])")
        assert message is not None
        shown = message.inner_text()
        assert "revision 2 was saved since you loaded revision 1" in shown
        assert KOREAN_EDIT in shown and theirs in shown
        save_screenshot(page, "review-conflict")
