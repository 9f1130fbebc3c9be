"""The HTML part of the newsletter as a reader's mail client shows it: real chromium, at phone and
desktop width. Thumbnails are served by the test (the page would load them from HF)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pymupdf

from pipeline.core.models import Digest, DigestEntry, Summary
from pipeline.mail.message import Letterhead, build_message
from pipeline.site.model import Edition
from tests.browser import PHONE, axe_violations, save_screenshot, sideways_overflow

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

DAY = dt.date(2024, 6, 13)
THUMBS = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/"


def _paper(arxiv_id: str, title: str, votes: int, thumbnail: str | None) -> DigestEntry:
    return DigestEntry(
        arxiv_id=arxiv_id,
        title=title,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        thumbnail=thumbnail,
        upvotes=votes,
        authors=["김민아", "Adam <b>Abel</b>", "Zoe Zhang"],
        summary=Summary(
            whats_new=f"{title}는 긴 문맥을 다루는 언어 모델의 추론 비용을 줄이는 새로운 방법을 "
            "제안합니다. 기존 방법과 달리 추가 학습 없이 적용할 수 있습니다.",
            technical_details="어텐션 헤드마다 중요도를 추정해 덜 중요한 키-값 캐시를 잘라내고, "
            "잘라낸 정보는 작은 요약 벡터로 보존합니다 <script>x()</script>.",
            performance_highlights="LongBench에서 메모리를 62% 줄이면서도 정확도는 원래 "
            "모델의 98.7%를 유지했습니다.",
        ),
    )


def html_part() -> str:
    edition = Edition(
        digest=Digest(
            date=DAY,
            papers=[
                _paper("2406.10001", "SnapKV: 보고 기억하는 KV 캐시 압축", 52, THUMBS + "a.png"),
                _paper("2406.10002", "Two-Column Transformers & <Friends>", 17, None),
            ],
        ),
        edited=True,
    )
    letterhead = Letterhead(
        sender="Korean Daily Papers <digest@papers.example>",
        mailing=0,
        unsubscribe="https://papers.example/unsubscribe",
        site_url="https://papers.example/digest",
    )
    when = dt.datetime(2024, 6, 14, tzinfo=dt.UTC)
    body = build_message(edition, letterhead, "alice@example.org", when)
    html = body.get_body(("html",))
    assert html is not None
    content: str = html.get_content()
    return content


def _thumbnail() -> bytes:
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 600, 300), False)
    pixmap.set_rect(pixmap.irect, (70, 110, 200))
    pixmap.set_rect(pymupdf.IRect(40, 40, 560, 260), (235, 240, 250))
    data: bytes = pixmap.tobytes("png")
    return data


def _show(page: Page) -> list[str]:
    """Load the HTML part as a mail client would; every request it makes, listed."""
    requests: list[str] = []
    png = _thumbnail()

    def serve(route: Route) -> None:
        requests.append(route.request.url)
        if route.request.url.startswith(THUMBS):
            route.fulfill(status=200, content_type="image/png", body=png)
        else:
            route.abort()

    page.route("**/*", serve)
    page.set_content(html_part(), wait_until="load")
    return requests


def test_html_part_fits_a_phone_and_a_desktop_and_loads_nothing_but_its_thumbnail(
    browser_page: Page,
) -> None:
    page = browser_page
    page.set_viewport_size(PHONE)
    requests = _show(page)
    assert requests == [THUMBS + "a.png"]
    assert sideways_overflow(page) == 0
    image = page.locator("img")
    assert image.get_attribute("alt") == "SnapKV: 보고 기억하는 KV 캐시 압축"
    assert page.evaluate("document.querySelector('img').naturalWidth") == 600
    assert image.bounding_box()["width"] <= PHONE["width"]  # type: ignore[index]
    titles = page.locator("h2 a")
    assert titles.all_inner_texts() == [
        "SnapKV: 보고 기억하는 KV 캐시 압축",
        "Two-Column Transformers & <Friends>",
    ]
    assert titles.first.get_attribute("href") == "https://arxiv.org/abs/2406.10001"
    keep_all = "getComputedStyle(document.querySelector('h2').closest('table')).wordBreak"
    assert page.evaluate(keep_all) == "keep-all"
    assert page.locator("script").count() == 0
    assert axe_violations(page) == []
    save_screenshot(page, "email-phone", full_page=True)

    page.set_viewport_size({"width": 1280, "height": 900})
    assert sideways_overflow(page) == 0
    width = page.evaluate("document.querySelector('h1').closest('table').offsetWidth")
    assert width <= 640  # a column a reader's eye can follow, not the whole window
    save_screenshot(page, "email-desktop", full_page=True)
