"""Issue 19, fidelity: the digest's raw Markdown is the text as written, and a CommonMark renderer
with raw HTML on (as GitHub renders it) shows every title, name and section exactly as its own
text, while hostile input renders no live element, attribute or URL. Every check runs twice:
also with linkify on, since GitHub and many renderers turn bare URLs, ``www.`` hosts and e-mail
addresses into live links."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest

from pipeline.core.models import SECTION_TITLES, Digest, DigestEntry, Summary
from pipeline.stages.render import render_entry, render_markdown
from tests.commonmark import FLAVORS, Element, Flavor, tree, urls
from tests.test_hardening_escaping import HOSTILE_AUTHOR, HOSTILE_TITLE

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
ARXIV = "https://arxiv.org/abs/2406.00001"
THUMB = "https://cdn.example/t.png"
OWN_TAGS = {"h2", "h3", "a", "p", "img", "ul", "li", "strong"}  # no s, em, code, table

INJECTIONS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<a href='https://evil.example'>여기</a>",
    "<div>",
    "<!-- 숨김 -->",
    "[여기](javascript:alert(1))",
    "![그림](https://evil.example/x.png)",
    "<javascript:alert(1)>",
    "<https://evil.example>",
    "<![CDATA[x]]>",
    "<?php x ?>",
    "<!DOCTYPE html>",
    "</p><p onclick=x>",
    "&lt;script&gt;",
    "&#60;b&#62;",
    "**굵게** *기울임* _밑줄_ __강조__ `코드` ``두 개`` ~~취소~~",
    "[참조][1]",
    "\\<b>\\",
    "a\\*b*c*",
]
# Text that GitHub's extended autolinks or markdown-it's linkify (linkify-it) would make a link.
BARE_LINKS = [
    "https://llm-council.com",
    "https://github.com/org/repo?x=1#y",
    "http://x.y",
    "HTTP://EXAMPLE.ORG/A",
    "ftp://files.example.net/a.txt",
    "http://localhost:8080/x",
    "https://192.168.0.1/x",
    "www.example.com",
    "WWW.Example.Org/path",
    "www.foo.bar",
    "(www.x.io)",
    "*www.x.io*",
    "_www.x.io_",
    "~https://x.y~",
    "user@example.com",
    "first.last+tag@mail.example.co.kr",
    "a@b.c",
    "mailto:a@b",
    "xmpp:a@b.c",
    "//cdn.example.com/x",
    "//localhost/x",
    "example.com",
    "arxiv.org/abs/2406.00001",
    "huggingface.co",
    "train.py",
    "모델.kr",
    "foo.рф",
    "a.b.co.uk",
    "x.ai",
    "e.g.",
    "Sec.IV",
]
# Pieces that CommonMark or HTML give a meaning to, mixed with ordinary words.
PIECES = [
    *INJECTIONS,
    *BARE_LINKS,
    "<",
    ">",
    "&",
    "&amp;",
    "&#x41;",
    "&copy",
    "&nbsp;",
    "*",
    "**",
    "_",
    "__",
    "`",
    "```",
    "~",
    "~~",
    "[",
    "]",
    "](",
    "(",
    ")",
    "!",
    "![",
    "#",
    "|",
    "\\",
    "\\\\",
    "\\*",
    "<b>",
    "</b>",
    "<!--",
    "-->",
    "<x",
    "p < 0.05",
    "90% > 85%",
    "Art & Sports",
    "(H&E)",
    "R&B",
    "snake_case",
    "__init__",
    "2*3",
    "~1B",
    "http://x.y",
    "www.example.com",
    ":",
    "-",
    "+",
    "1.",
    "=",
    "{",
    "}",
    "Model",
    "모델",
    "성능을",
    "GPT-4o",
    "x",
    "y",
    " ",
    " ",
    " ",
    " ",
]


def _text(rng: random.Random) -> str:
    raw = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
    return re.sub(r"\s+", " ", raw).strip() or "x"


def _entry(
    title: str, authors: list[str], sections: list[str], thumb: str | None, url: str = ARXIV
) -> DigestEntry:
    return DigestEntry(
        arxiv_id="2406.00001",
        title=title,
        url=url,
        thumbnail=thumb,
        upvotes=3,
        authors=authors,
        summary=Summary(**dict(zip(SECTION_TITLES, sections, strict=True))),
    )


def _check_renders_as_written(entry: DigestEntry) -> None:
    for flavor in FLAVORS:
        _check_rendered(entry, flavor)


def _check_rendered(entry: DigestEntry, flavor: Flavor) -> None:
    root, comments = tree(render_entry(entry), flavor)
    assert set(comments) <= {""}  # only the empty ones that keep an e-mail address from linking
    heading = root.find("h3")
    assert len(heading) == 1 and [c.tag for c in heading[0].elements()] == ["a"]
    link = heading[0].elements()[0]
    assert link.attrs == {"href": ARXIV} and link.text() == entry.title
    paragraphs = [p for p in root.find("p") if p.text().startswith("Authors: ")]
    assert len(paragraphs) == 1 and paragraphs[0].elements() == []
    assert paragraphs[0].text() == "Authors: " + ", ".join(entry.authors)
    items = root.find("li")
    assert [i.text() for i in items] == [
        f"{label}: {getattr(entry.summary, field)}" for field, label in SECTION_TITLES.items()
    ]
    assert all([e.tag for e in i.elements()] == ["strong"] for i in items)
    _check_nothing_live(root, entry.thumbnail)


def _check_nothing_live(root: Element, thumb: str | None) -> None:
    assert {e.tag for e in root.elements()} <= OWN_TAGS
    assert set(urls(root)) <= {ARXIV, thumb}
    for element in root.elements():
        assert set(element.attrs) <= {"href", "src", "alt"}, element


def test_generated_titles_names_and_sections_render_as_written() -> None:
    rng = random.Random(19)
    for _ in range(1500):
        authors = [_text(rng) for _ in range(rng.randint(1, 4))]
        entry = _entry(
            _text(rng), authors, [_text(rng) for _ in range(3)], rng.choice([None, THUMB])
        )
        _check_renders_as_written(entry)


@pytest.mark.parametrize("injected", [*INJECTIONS, *BARE_LINKS, HOSTILE_TITLE, HOSTILE_AUTHOR])
def test_hostile_text_renders_as_text_everywhere(injected: str) -> None:
    entry = _entry(
        injected, [injected, "Kim"], [injected, f"앞 {injected} 뒤", "평범합니다."], None
    )
    _check_renders_as_written(entry)


def test_ordinary_punctuation_stays_as_written() -> None:
    entry = _entry(
        "Art & Sports (H&E)! #1 | A Study: Q&A",
        ["Ann O'Neil", "Li_Wei", "R&D Team"],
        [
            "정확도가 90% > 85%로 올랐습니다.",
            "p < 0.05 수준에서 유의합니다.",
            "x_i와 2*3을 씁니다. Qwen2.5-7B와 GPT-4.5 (e.g. 1.5B, Sec. 3.2, U.S.)",
        ],
        None,
    )
    text = render_entry(entry)
    assert "Qwen2.5-7B와 GPT-4.5 (e.g. 1.5B, Sec. 3.2, U.S.)" in text  # no host, no escape
    assert "### [Art & Sports (H&E)! #1 | A Study: Q&A](" in text
    assert "Authors: Ann O'Neil, Li_Wei, R&D Team\n" in text
    assert "90% > 85%" in text and "x_i와 2*3을" in text
    assert "p &lt; 0.05" not in text and "p < 0.05" in text


def _reference_entries() -> list[tuple[str, list[str]]]:
    """(file, lines) of each paper in the published reference digests."""
    found = []
    for path in sorted(REFERENCE.glob("*.md")):
        for block in path.read_text(encoding="utf-8").split("\n### ")[1:]:
            found.append((path.name, ("### " + block).splitlines()))
    return found


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference is not here")
def test_published_reference_digests_render_byte_for_byte() -> None:
    """Every heading, authors line and section of the published KO digests comes out of the
    renderer byte for byte (their blank lines between bullets aside), except text that is a live
    link there when bare URLs are linked (one section's ``https://llm-council.com``): it comes
    out as the same visible text, not a link."""
    checked = defused = 0
    for name, lines in _reference_entries():
        heading = re.fullmatch(r"### \[(.*)\]\((https://arxiv\.org/abs/[^)]+)\)", lines[0])
        assert heading, (name, lines[0])
        authors = next(line for line in lines if line.startswith("Authors: "))
        sections = [m[1] for line in lines if (m := re.fullmatch(r"- \*+[^*]+\*+: (.*)", line))]
        if len(sections) != len(SECTION_TITLES):
            continue  # a hand-edited entry with an extra bullet
        entry = _entry(
            re.sub(r"\\([\\\[\]])", r"\1", heading[1]),
            authors.removeprefix("Authors: ").split(", "),
            sections,
            None,
            heading[2],
        )
        produced = render_entry(entry).splitlines()
        assert produced[0] == lines[0] and authors in produced, name
        ours = [p.split(": ", 1)[1] for p in produced if p.startswith("- **")]
        for written, published in zip(ours, sections, strict=True):
            if written != published:
                assert _linked(published) and not _linked(written), (name, written)
                assert _text_of(written) == _text_of(published)
                defused += 1
        checked += 1
    assert checked >= 50 and defused <= 1


def _linked(markdown: str) -> bool:
    return any(tree(markdown, flavor)[0].find("a") for flavor in FLAVORS)


def _text_of(markdown: str) -> str:
    return tree(markdown, "github")[0].text()


def test_the_whole_digest_has_only_its_own_elements() -> None:
    entries = [
        _entry(HOSTILE_TITLE, [HOSTILE_AUTHOR], [i, i, i], "https://cdn.example/v.mp4")
        for i in INJECTIONS[:3]
    ]
    text = render_markdown(Digest(date=dt.date(2024, 6, 13), papers=entries))
    root, comments = tree(text)
    assert comments == []
    assert {e.tag for e in root.elements()} == OWN_TAGS - {"img"} | {"div", "video"}
    assert set(urls(root)) == {ARXIV, "https://cdn.example/v.mp4"}
