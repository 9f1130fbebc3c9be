"""The static site and its Atom feed: what a reader gets, built from a real store."""

from __future__ import annotations

import datetime as dt
import functools
import html as html_lib
import http.server
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.models import Digest, DigestEntry
from pipeline.demo.marks import LABEL
from pipeline.site.build import build_site, load_editions, write_site
from pipeline.store import Store
from tests.browser import axe_violations, save_screenshot
from tests.digests import entry
from tests.world import World

A = "{http://www.w3.org/2005/Atom}"
HOSTILE = "<script>alert(\"t\")</script> & ]]> 'q' </title><img src=x onerror=alert(1)>\x01"
HOSTILE_SHOWN = HOSTILE.replace("\x01", "")
D1, D2, D3, EMPTY = (dt.date(2024, 6, d) for d in (11, 12, 13, 14))


def save(store: Store, date: dt.date, name: str, papers: list[DigestEntry]) -> None:
    value = Digest(date=date, papers=papers).model_dump(mode="json")
    if name == "published.json":  # the review app's published.json: a digest and its version
        value |= {"version": 2, "published_at": "2024-06-12T09:00:00Z", "published_by": "ed"}
    store.publish(date, name, json.dumps(value, ensure_ascii=False).encode())


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Three days with digests (the middle one also published by editors) and an empty day."""
    store = Store(tmp_path / "data")
    save(store, D1, "digest.json", [entry("2406.00001", "Old Day Paper", 3)])
    save(
        store,
        D2,
        "digest.json",
        [entry("2406.10001", "Night Draft Title", 9), entry("2406.10002", "Dropped", 1)],
    )
    save(store, D2, "published.json", [entry("2406.10001", "Editor Fixed Title", 9)])
    save(
        store,
        D3,
        "digest.json",
        [
            entry("2406.20001", HOSTILE, 52, thumb="javascript:alert(1)"),
            entry(
                "2406.20002",
                "비디오 논문: 한국어 제목이 아주 길어서 줄바꿈이 일어납니다",
                40,
                thumb="https://cdn.example/clip.mp4",
            ),
            entry("2406.20003", "Relative Thumbnail", 7, thumb="/blog/assets/thumb.png"),
            entry("hep-th/9901001", "Old Style Id", 2),
        ],
    )
    store.save_listing(EMPTY, [])  # a day HF listed nothing: a folder, no digest
    (store.root / "cache" / "pdf").mkdir(parents=True)  # not a day
    return store


def site(store: Store, **kw: Any) -> dict[str, bytes]:
    options: dict[str, Any] = {
        "site_url": None,
        "media_base": "https://huggingface.co",
        "feed_days": 7,
    } | kw
    return build_site(load_editions(store), **options)


class Page(HTMLParser):
    """What a browser would see: text, ids, links, images, tags."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("href", "src") and value is not None:
                self.urls.append((tag, name, value))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def test_index_lists_days_newest_first_with_the_published_edition(store: Store) -> None:
    files = site(store)
    assert sorted(files) == [
        "2024-06-11.html",
        "2024-06-12.html",
        "2024-06-13.html",
        "favicon.svg",
        "feed.xml",
        "index.html",
        "robots.txt",
        "style.css",
    ]  # the empty day has no page
    index = Page(files["index.html"].decode())
    day_links = [u for _, _, u in index.urls if re.fullmatch(r"\d{4}-\d\d-\d\d\.html", u)]
    assert day_links == ["2024-06-13.html", "2024-06-12.html", "2024-06-11.html"]
    assert "Editor Fixed Title" in index.all_text and "Night Draft Title" not in index.all_text
    assert "편집본" in index.all_text

    edited = Page(files["2024-06-12.html"].decode()).all_text
    assert "Editor Fixed Title" in edited and "Dropped" not in edited and "편집자 검토본" in edited


def test_day_page_has_an_anchor_per_paper_and_links_to_neighbours(store: Store) -> None:
    page = Page(site(store)["2024-06-13.html"].decode())
    assert [i for i in page.ids if i.startswith("p-")] == [
        "p-2406.20001",
        "p-2406.20002",
        "p-2406.20003",
        "p-hep-th-9901001",
    ]
    hrefs = [u for t, n, u in page.urls if t == "a"]
    assert "#p-hep-th-9901001" in hrefs and "https://arxiv.org/abs/hep-th/9901001" in hrefs
    assert "2024-06-12.html" in hrefs  # older day; no newer one
    assert "2024-06-11.html" not in hrefs
    middle = Page(site(store)["2024-06-12.html"].decode())
    assert {"2024-06-13.html", "2024-06-11.html"} <= {u for _, _, u in middle.urls}


def test_thumbnails_are_linked_to_their_source_never_copied_and_never_a_script(
    store: Store,
) -> None:
    files = site(store)
    assert not [n for n in files if n.endswith((".png", ".mp4", ".jpg"))]
    page = Page(files["2024-06-13.html"].decode())
    media = {(t, n, u) for t, n, u in page.urls if t in ("img", "video")}
    assert media == {
        ("video", "src", "https://cdn.example/clip.mp4"),
        ("img", "src", "https://huggingface.co/blog/assets/thumb.png"),
    }
    assert ("a", "href", "https://huggingface.co/blog/assets/thumb.png") in page.urls
    assert not [u for _, _, u in page.urls if u.lower().startswith(("javascript:", "data:"))]


def test_everything_shown_is_escaped(store: Store) -> None:
    html = site(store)["2024-06-13.html"].decode()
    page = Page(html)
    assert "script" not in page.tags and "img" in page.tags  # only the one real thumbnail
    assert page.tags.count("img") == 1 and "onerror" not in html.replace("onerror=alert", "")
    assert HOSTILE_SHOWN in page.all_text  # shown as text, exactly
    assert "Adam <b>Abel</b>" in page.all_text and "b" not in page.tags
    assert "</dd><script>x()</script>" in page.all_text
    assert "\x01" not in html


def test_self_contained_no_external_script_style_or_font(store: Store) -> None:
    files = site(store)
    for name, data in files.items():
        if not name.endswith(".html"):
            continue
        page = Page(data.decode())
        assert "script" not in page.tags, name
        for tag, _, url in page.urls:
            if tag == "link":  # stylesheet and feed: files of the site itself
                assert url in ("style.css", "feed.xml", "favicon.svg"), (name, url)
        assert "content=\"default-src 'none'" in data.decode()
    css = files["style.css"].decode()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert "word-break: keep-all" in css


def feed_entries(data: bytes) -> list[ET.Element]:
    root = ET.fromstring(data)
    assert root.tag == f"{A}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{A}{required}") is not None, required
    return root.findall(f"{A}entry")


def test_feed_is_valid_atom_with_one_entry_per_paper_of_the_latest_days(store: Store) -> None:
    data = site(store, site_url="https://digest.example/kr/")["feed.xml"]
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    entries = feed_entries(data)
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(ids) == len(set(ids)) == 4 + 1 + 1  # every published paper of every day
    titles = [e.findtext(f"{A}title") for e in entries]
    assert titles[0] == f"[2024-06-13] {HOSTILE_SHOWN}"  # escaped in XML, exact once parsed
    assert "[2024-06-12] Editor Fixed Title" in titles and not any("Dropped" in t for t in titles)
    for e in entries:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.findtext(f"{A}updated") or "")
        content = e.find(f"{A}content")
        assert content is not None and content.get("type") == "html"
    first = entries[0]
    link = first.find(f"{A}link[@rel='alternate']")
    assert link is not None
    assert link.get("href") == "https://digest.example/kr/2024-06-13.html#p-2406.20001"
    content_html = Page(first.findtext(f"{A}content") or "")
    assert "script" not in content_html.tags
    assert "</dd><script>x()</script>" in content_html.all_text

    newest_only = feed_entries(site(store, feed_days=1)["feed.xml"])
    assert len(newest_only) == 4
    alt = newest_only[0].find(f"{A}link[@rel='alternate']")
    assert alt is not None and alt.get("href") == "https://arxiv.org/abs/2406.20001"


def test_a_real_nights_feed_carries_no_demo_mark(store: Store) -> None:
    """Only `run.py demo` marks its feed: a night's entries are titled by date and paper, with
    no demo summary or notice."""
    data = site(store, site_url="https://digest.example/kr/")["feed.xml"]
    assert LABEL.encode() not in data and LABEL.upper().encode() not in data
    for e in feed_entries(data):
        assert re.match(r"\[\d{4}-\d\d-\d\d\] ", e.findtext(f"{A}title") or "")
        assert e.find(f"{A}summary") is None


def test_write_site_skips_unchanged_files_and_cli_reports(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    runner = CliRunner()
    args = ["site", "--out", str(out), "--data-dir", str(store.root)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "3 days, 8 of 8 files written" in first.stdout
    assert (out / "2024-06-13.html").read_bytes() == site(store)["2024-06-13.html"]
    assert write_site(out, site(store)) == []
    save(store, D3, "published.json", [entry("2406.20002", "Only This One", 40)])
    second = runner.invoke(app, args)
    # the edited day, its neighbour (its pager is unchanged: no), the index and the feed
    assert "3 days, 3 of 8 files written" in second.stdout, second.stdout


def test_a_broken_published_file_is_one_clear_error_and_is_not_moved(
    store: Store, tmp_path: Path
) -> None:
    broken = store.day(D2) / "published.json"
    broken.write_text('{"date": "2024-06-12", "papers": [{"title": 1}]}')
    result = CliRunner().invoke(
        app, ["site", "--out", str(tmp_path / "s"), "--data-dir", str(store.root)]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {broken} is not a readable digest")
    assert "Traceback" not in result.output and broken.exists()


@pytest.fixture
def served(store: Store, tmp_path: Path) -> Iterator[str]:
    """The written site behind a plain static HTTP server on 127.0.0.1, as a host would serve it."""
    out = tmp_path / "site"
    write_site(out, site(store))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.RequestHandlerClass.log_message = lambda *a: None  # type: ignore[method-assign]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_day_page_in_chromium_on_a_phone(browser_page: Any, served: str) -> None:
    page = browser_page
    outside: list[str] = []
    # Nothing leaves the machine: the linked thumbnails are the only outside requests, refused.
    page.route(
        re.compile(r"^(?!" + re.escape(served) + ").*"),
        lambda route: (outside.append(route.request.url), route.abort()),
    )
    statuses: dict[str, int] = {}
    page.on("response", lambda r: statuses.update({r.url.rsplit("/", 1)[1]: r.status}))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{served}/2024-06-13.html#p-2406.20002")
    title = page.inner_text("#p-2406\\.20001 h2")
    assert HOSTILE_SHOWN in title  # the hostile title is text, not markup
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.body); return [s.wordBreak, s.fontSize]; })()"
    )
    assert style == ["keep-all", "17px"]  # the stylesheet loaded (CSP allows 'self')
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert overflow <= 0  # no sideways scrolling on a phone
    assert set(outside) <= {
        "https://cdn.example/clip.mp4",
        "https://huggingface.co/blog/assets/thumb.png",
    }
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert [n for n, status in statuses.items() if status >= 400] == []
    assert axe_violations(page) == []  # every link has a name, the thumbnails' too
    save_screenshot(page, "site_day_phone", full_page=True)
    page.goto(f"{served}/index.html")
    assert page.inner_text("a.day >> nth=0") == "2024-06-13"
    save_screenshot(page, "site_index_phone", full_page=True)
    page.goto(f"{served}/favicon.svg")  # what a browser asks for, whether it shows it or not
    assert statuses["favicon.svg"] == 200


def test_a_day_an_editor_published_in_the_review_app_is_the_one_readers_get(
    world: World, tmp_path: Path
) -> None:
    """The real review app's publish (approve two, exclude one), then the site."""
    from tests.review_world import DATE as DAY_TEXT
    from tests.review_world import PAPERS, night_world

    night_world(world)
    one, two, three = PAPERS
    for args in (("approve", DAY_TEXT, one), ("approve", DAY_TEXT, three),
                 ("exclude", DAY_TEXT, two, "--reason", "off topic"),
                 ("publish", DAY_TEXT)):  # fmt: skip
        result = CliRunner().invoke(app, ["review", *args, "--data-dir", str(world.data)])
        assert result.exit_code == 0, result.output
    out = tmp_path / "site"
    built = CliRunner().invoke(app, ["site", "--out", str(out), "--data-dir", str(world.data)])
    assert built.exit_code == 0, built.output
    page = Page((out / f"{DAY_TEXT}.html").read_text())
    assert "편집자 검토본" in page.all_text
    anchors = [i for i in page.ids if i.startswith("p-")]
    assert anchors == [f"p-{one}", f"p-{three}"]  # vote order, the excluded paper left out
    entries = feed_entries((out / "feed.xml").read_bytes())
    assert [e.findtext(f"{A}id", "").rsplit(":", 1)[1] for e in entries] == [one, three]


def _feed_by_id(out: Path) -> dict[str, str]:
    entries = feed_entries((out / "feed.xml").read_bytes())
    return {e.findtext(f"{A}id", ""): e.findtext(f"{A}updated", "") for e in entries}


def test_an_editors_correction_is_an_update_with_the_same_entry_id(
    world: World, tmp_path: Path
) -> None:
    """Night build, then edit + approve + publish + build: same ids, the corrected paper's
    ``updated`` moves forward and the others' stay as they were."""
    from tests.review_world import DATE as DAY_TEXT
    from tests.review_world import KOREAN_EDIT, PAPERS, night_world

    night_world(world)
    out = tmp_path / "site"
    site_args = ["site", "--out", str(out), "--data-dir", str(world.data)]
    assert CliRunner().invoke(app, site_args).exit_code == 0
    night = _feed_by_id(out)
    time.sleep(1.05)  # the feed's times are in whole seconds: the edit comes in a later one
    one, two, three = PAPERS
    text = tmp_path / "edit.txt"
    text.write_text(KOREAN_EDIT, encoding="utf-8")
    edit = ["edit", DAY_TEXT, one, "--section", "whats_new", "--text-file", str(text)]
    for args in (edit, ("approve", DAY_TEXT, one), ("approve", DAY_TEXT, two),
                 ("approve", DAY_TEXT, three), ("publish", DAY_TEXT)):  # fmt: skip
        result = CliRunner().invoke(app, ["review", *args, "--data-dir", str(world.data)])
        assert result.exit_code == 0, result.output
    assert CliRunner().invoke(app, site_args).exit_code == 0
    published = _feed_by_id(out)
    assert set(published) == set(night) and len(night) == 3  # ids stable across the builds
    corrected = next(i for i in night if i.endswith(one))
    assert published[corrected] > night[corrected]
    assert {i: t for i, t in published.items() if i != corrected} == {
        i: t for i, t in night.items() if i != corrected
    }


def test_feed_links_itself_and_the_site_when_the_site_url_is_given(store: Store) -> None:
    root = ET.fromstring(site(store, site_url="https://digest.example/kr/")["feed.xml"])
    links = {(e.get("rel"), e.get("href")) for e in root.findall(f"{A}link")}
    assert links == {
        ("self", "https://digest.example/kr/feed.xml"),
        ("alternate", "https://digest.example/kr/index.html"),
    }
    bare = ET.fromstring(site(store)["feed.xml"])
    assert bare.findall(f"{A}link") == []  # no guessed address without --site-url


def test_every_page_has_its_own_description_and_thumbnail_links_have_a_name(store: Store) -> None:
    files = site(store)
    pages = {n: d.decode() for n, d in files.items() if n.endswith(".html")}
    found = {}
    for name, html in pages.items():
        match = re.search(r'<meta name="description" content="([^"]+)">', html)
        assert match, name
        found[name] = html_lib.unescape(match[1])
        assert len(found[name]) <= 160
    assert len(set(found.values())) == len(found)  # one per page, not one for the site
    assert "Editor Fixed Title" in found["2024-06-12.html"]
    assert "4편" in found["2024-06-13.html"]
    for link in re.findall(r"<a [^>]*>\s*<img [^>]*>", pages["2024-06-13.html"]):
        assert re.search(r'alt="[^"]+"', link), link
    assert files["robots.txt"] == b"User-agent: *\nAllow: /\n"
    assert files["favicon.svg"].startswith(b"<svg")
