"""Issue 8, item 4: nothing from the listing or the model reaches digest.md as live HTML or as a
link the digest did not make itself."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pipeline.core.escaping import escape_text, safe_url
from pipeline.core.models import DailyPaper, PaperRecord, Status, Summary
from pipeline.stages.render import build_digest, render_markdown
from pipeline.stages.validate import section_problems
from tests.commonmark import tree, urls
from tests.fakes.llm import Behaviour
from tests.world import World

HOSTILE_TITLE = (
    "Plain Head: <script>alert(1)</script> **Bold** [click](javascript:alert(1)) _x_ & `y`"
)
HOSTILE_AUTHOR = '<img src=x onerror="alert(1)">'
KOREAN = "이 논문은 새로운 방법을 제안하고 여러 벤치마크에서 좋은 결과를 보고합니다."


def _digest_for(title: str, authors: list[str], thumbnail: str | None, text: str = KOREAN) -> str:
    summary = Summary(whats_new=text, technical_details=KOREAN, performance_highlights=KOREAN)
    paper = DailyPaper(
        arxiv_id="2406.00001",
        title=title,
        upvotes=3,
        authors=authors,
        abstract="An abstract.",
        thumbnail=thumbnail,
    )
    record = PaperRecord(paper=paper, status=Status.OK, summary=summary)
    return render_markdown(build_digest(dt.date(2024, 6, 13), [record]))


def _live_html(markdown: str) -> list[str]:
    """Tags a Markdown renderer would pass through, other than the digest's own video block."""
    tags = re.findall(r"</?[A-Za-z][^>]*>", markdown)
    return [
        t
        for t in tags
        if not re.fullmatch(
            r"</?div>|<video controls src=\"[^\"]*\" "
            r"muted=\"false\">|</video>",
            t,
        )
    ]


def test_titles_and_names_are_literal_text() -> None:
    text = _digest_for(HOSTILE_TITLE, [HOSTILE_AUTHOR, "Ann *Star* Lee"], None)
    assert _live_html(text) == []
    root, comments = tree(text)
    assert comments == [] and {e.tag for e in root.elements()} <= {
        "h2",
        "h3",
        "a",
        "p",
        "ul",
        "li",
        "strong",
    }
    assert urls(root) == ["https://arxiv.org/abs/2406.00001"]
    assert root.find("a")[0].text() == HOSTILE_TITLE
    assert f"Authors: {HOSTILE_AUTHOR}, Ann *Star* Lee" in [p.text() for p in root.find("p")]


def test_escaping_keeps_ordinary_titles_readable() -> None:
    assert escape_text("Scaling Laws for LLMs: A Study") == "Scaling Laws for LLMs: A Study"
    assert escape_text("Q&A (H&E) #1 | 90% > 85%!") == "Q&A (H&E) #1 | 90% > 85%!"
    assert escape_text("&amp; <b>") == "&amp;amp; &lt;b>"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://cdn.example/a.png",
        "//",
        "https://",
        "https://cdn.example/a\n.png",
    ],
)
def test_only_https_urls_are_published(url: str) -> None:
    assert safe_url(url) is None
    text = _digest_for("Plain", ["A"], url)
    assert "![](" not in text and "<video" not in text


def test_a_paren_cannot_close_the_image_link() -> None:
    url = "https://cdn.example/a.png)[x](javascript:alert(1))"
    text = _digest_for("Plain", ["A"], url)
    assert "](javascript:" not in text
    image = re.search(r"!\[\]\(([^)]*)\)", text)
    assert image is not None and image.group(1).startswith("https://cdn.example/a.png%29")


def test_a_quote_cannot_leave_the_video_src() -> None:
    url = 'https://cdn.example/v.mp4?x="onmouseover="alert(1)'
    text = _digest_for("Plain", ["A"], url)
    video = re.search(r'<video controls src="([^"]*)" muted="false">', text)
    assert video is not None
    assert "onmouseover" in video.group(1) and '"' not in video.group(1)
    assert _live_html(text) == []


def test_model_text_cannot_carry_html_into_the_digest() -> None:
    text = _digest_for("Plain", ["A"], None, text="<script>alert(1)</script> " + KOREAN)
    assert _live_html(text) == [] and "&lt;script>" in text


@pytest.mark.parametrize(
    "injected",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<a href='https://evil.example'>여기</a>",
        "<div>",
        "<!-- 숨김 -->",
        "[여기](javascript:alert(1))",
        "![그림](https://evil.example/x.png)",
        "<javascript:alert(1)>",
    ],
)
def test_validator_rejects_html_and_links_in_model_text(injected: str) -> None:
    problems = section_problems(f"{KOREAN[:-1]} {injected} 입니다.")
    assert any("HTML" in p or "a link" in p for p in problems), problems


@pytest.mark.parametrize("token", ["<EOS>", "<think>", "<s>", "p < 0.05", "x<y, y>z"])
def test_token_names_and_comparisons_are_not_html(token: str) -> None:
    assert section_problems(f"이 방법은 {token} 을 사용해 성능을 높이고 결과를 보고합니다.") == []


def test_night_with_hostile_listing_and_model(world: World) -> None:
    world.add(
        "2406.00001",
        HOSTILE_TITLE,
        10,
        authors=[HOSTILE_AUTHOR, "Kim"],
        thumbnail="javascript:alert(1)",
    )
    world.add(
        "2406.00002",
        "Second Paper",
        5,
        thumbnail='https://cdn.example/v.mp4?")<script>alert(1)</script>',
    )
    world.llm.script_for("Second Paper", Behaviour.HTML)
    outcome = world.night()
    digest = world.digest()
    assert _live_html(digest) == []
    assert not any("javascript" in url for url in urls(tree(digest)[0]))
    # the model's HTML was sent back with the problem named, and the second answer published
    reasks = [b for b in world.llm.chat_bodies() if "contains HTML" in str(b["messages"][-1])]
    assert len(reasks) == 1
    assert world.statuses() == {"2406.00001": "ok", "2406.00002": "ok"}
    assert "https://cdn.example/v.mp4?%22%29%3Cscript%3Ealert%281%29%3C/script%3E" in digest
    flags = world.record("2406.00001")["paper"]["flags"]
    assert [f["code"] for f in flags] == ["unsafe_url"], outcome.stdout


def test_digest_json_carries_only_safe_urls() -> None:
    summary = Summary(whats_new=KOREAN, technical_details=KOREAN, performance_highlights=KOREAN)
    records = [
        PaperRecord(
            paper=DailyPaper(
                arxiv_id=f"2406.0000{i}",
                title="T",
                upvotes=1,
                authors=[],
                abstract="A.",
                thumbnail=url,
            ),
            status=Status.OK,
            summary=summary,
        )
        for i, url in enumerate(["javascript:alert(1)", 'https://cdn.example/a b".png'])
    ]
    digest = build_digest(dt.date(2024, 6, 13), records)
    assert [e.thumbnail for e in digest.papers] == [None, "https://cdn.example/a%20b%22.png"]
