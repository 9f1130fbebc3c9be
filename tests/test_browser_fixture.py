"""The shared browser fixture itself: chromium opens a Korean page and a screenshot is kept
(look at tests/artifacts/browser-fixture.png: Hangul, not boxes, means fonts-noto-cjk works)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from tests.browser import PHONE, axe_violations, save_screenshot, sideways_overflow

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_browser_renders_korean_and_saves_a_screenshot(browser_page: Page) -> None:
    browser_page.set_content("<html><body><h1 id=t>한국어 논문 요약</h1></body></html>")
    assert browser_page.inner_text("#t") == "한국어 논문 요약"
    path = save_screenshot(browser_page, "browser-fixture")
    assert path.stat().st_size > 1000


def _serve(html: str) -> tuple[str, ThreadingHTTPServer]:
    """The page from a loopback server with the review app's strict CSP, so the check is known
    to work on pages that forbid inline scripts."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", "default-src 'self'")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


def test_axe_names_a_real_violation_and_passes_a_clean_page_under_csp(browser_page: Page) -> None:
    head = '<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>t</title></head>'
    body = "<body><main><h1>제목</h1>{}</main></body></html>"
    bad_url, bad = _serve(head + body.format('<input type="text">'))
    good_url, good = _serve(head + body.format('<label>이름 <input type="text"></label>'))
    try:
        browser_page.goto(bad_url)
        problems = axe_violations(browser_page)
        assert any(p.startswith("label ") for p in problems), problems
        browser_page.goto(good_url)
        assert axe_violations(browser_page) == []
    finally:
        bad.shutdown()
        good.shutdown()


def test_sideways_overflow_measures_what_scrolls_at_phone_width(browser_page: Page) -> None:
    browser_page.set_viewport_size(PHONE)
    browser_page.set_content('<body style="margin:0"><div style="width:500px">x</div></body>')
    assert sideways_overflow(browser_page) == 500 - PHONE["width"]
    browser_page.set_content('<body style="margin:0"><div style="max-width:100%">x</div></body>')
    assert sideways_overflow(browser_page) == 0
