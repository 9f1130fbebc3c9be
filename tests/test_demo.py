"""`run.py demo`: a whole demo day offline through the real night, lab and site, every output
marked; and `--serve` opening the review app on it."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.demo.marks import LABEL, PREFIX
from pipeline.demo.replay import ReplayServer
from pipeline.demo.sample import load_sample
from tests.browser import PHONE, axe_violations, save_screenshot, sideways_overflow

SAMPLE = load_sample()
DAY = SAMPLE.date.isoformat()
COMMAND = Path(sys.executable).parent / "korean-daily-papers"

# Loaded by every Python process the demo starts (it runs on PYTHONPATH): any connection or
# name lookup that is not loopback is written to a file and refused.
NO_NETWORK = '''
import os, socket
_LOG = os.environ["DEMO_TEST_NETWORK_LOG"]
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
def _note(what):
    with open(_LOG, "a") as f:
        f.write(repr(what) + "\\n")
_connect = socket.socket.connect
def connect(self, address):
    if isinstance(address, tuple) and address[0] not in _LOOPBACK:
        _note(address)
        raise OSError("outside network refused by the demo test")
    return _connect(self, address)
socket.socket.connect = connect
_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if host not in _LOOPBACK and host is not None:
        _note(host)
        raise socket.gaierror("outside network refused by the demo test")
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
'''


@dataclass
class Demo:
    exit_code: int
    output: str
    data: Path
    network_log: Path


def run_demo(tmp: Path, *extra: str) -> Demo:
    guard = tmp / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(NO_NETWORK)
    log = tmp / "network.log"
    log.touch()
    data = tmp / "demo-data"
    env = {
        "PYTHONPATH": str(guard),
        "DEMO_TEST_NETWORK_LOG": str(log),
        # What a user's shell may hold must not reach the demo's night.
        "OPENAI_BASE_URL": "http://203.0.113.1/v1",
        "OPENAI_API_KEY": "sk-real-key",
        "HF_ENDPOINT": "https://huggingface.co",
        "DIGEST_DATA_DIR": str(tmp / "real-data"),
    }
    result = CliRunner().invoke(app, ["demo", "--data-dir", str(data), *extra], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Demo(result.exit_code, result.output, data, log)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return run_demo(tmp_path_factory.mktemp("demo"))


def test_the_demo_builds_every_artifact_offline(demo: Demo) -> None:
    assert demo.exit_code == 0, demo.output
    assert demo.network_log.read_text() == ""  # no process of the demo left 127.0.0.1
    day = demo.data / DAY
    for paper in SAMPLE.papers:
        assert (day / "papers" / f"{paper.arxiv_id}.json").is_file()
        assert list((demo.data / "cache" / "pdf").glob(f"{paper.arxiv_id}v*.pdf"))
    assert len(list((demo.data / "cache" / "extract").glob("*.json"))) == len(SAMPLE.papers)
    for name in ("digest.md", "digest.json", "run.json"):
        assert (day / name).is_file(), name
    reports = list((demo.data / "evals" / "demo").glob("*/report.html"))
    assert len(reports) == 1 and (reports[0].parent / "report.json").is_file()
    for name in ("index.html", f"{DAY}.html", "feed.xml", "style.css"):
        assert (demo.data / "site" / name).is_file(), name
    assert not (demo.data.parent / "real-data").exists()


def test_every_line_and_page_says_demo(demo: Demo) -> None:
    lines = demo.output.splitlines()
    assert lines and all(line.startswith(PREFIX) for line in lines), [
        line for line in lines if not line.startswith(PREFIX)
    ]
    digest = (demo.data / DAY / "digest.md").read_text()
    assert LABEL in digest.split("###", 1)[0]  # in the header, before the first paper
    pages = [*(demo.data / "site").glob("*.html"), *(demo.data / "evals").glob("*/*/*.html")]
    assert len(pages) == 3
    for page in pages:
        assert 'id="demo-banner"' in page.read_text() and LABEL.upper() in page.read_text()


def test_the_feed_and_every_entry_say_demo(demo: Demo) -> None:
    """A feed reader shows the feed's title beside every entry, but one entry can also be seen
    alone (shared, starred, in a list of many feeds): each says demo in its title, its summary
    and at the top of its content, and is otherwise the night's entry."""
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(demo.data / "site" / "feed.xml").getroot()
    assert LABEL in (feed.findtext(f"{atom}title") or "")
    assert LABEL in (feed.findtext(f"{atom}subtitle") or "")
    entries = feed.findall(f"{atom}entry")
    assert {e.findtext(f"{atom}id", "").rsplit(":", 1)[1] for e in entries} == {
        p.arxiv_id for p in SAMPLE.papers
    }
    titles = {p.title for p in SAMPLE.papers}
    for entry in entries:
        title = entry.findtext(f"{atom}title", "")
        assert title.startswith(PREFIX) and title.removeprefix(PREFIX)[13:] in titles, title
        assert LABEL in entry.findtext(f"{atom}summary", "")
        content = entry.findtext(f"{atom}content", "")
        assert content.startswith("<p><strong>" + LABEL.upper()), content[:80]
        card = content.partition("</p>")[2]
        assert LABEL not in card and "Vote: " in card and "<dd>" in card  # the night's card


@pytest.fixture
def demo_served(demo: Demo) -> Iterator[str]:
    """The demo's data dir (site and lab report) behind a static HTTP server on 127.0.0.1, so
    the site's CSP (stylesheets from 'self') applies as a host would serve it."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(demo.data))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.RequestHandlerClass.log_message = lambda *a: None  # type: ignore[method-assign]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def luminance(css: str) -> float:
    """WCAG relative luminance of a computed ``rgb(r, g, b)`` colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


BANNER_LOOK = """(() => {
  const b = document.getElementById('demo-banner'), r = b.getBoundingClientRect();
  const s = getComputedStyle(b), body = getComputedStyle(document.body);
  return {top: r.top, height: r.height, width: r.width, fg: s.color, bg: s.backgroundColor,
          bodyBg: body.backgroundColor, text: b.innerText};
})()"""


def check_banner(page: Any, name: str) -> None:
    """The banner is the first thing on the page, across its width, styled by the page's own
    stylesheet (not the browser's default), readable (WCAG AA), and the page stays axe-clean."""
    look = page.evaluate(BANNER_LOOK)
    viewport = page.viewport_size
    assert look["top"] == 0 and look["height"] > 0, (name, look)
    assert look["width"] >= viewport["width"] - 40, (name, look)  # a strip, not a word
    assert look["bg"] not in ("rgba(0, 0, 0, 0)", "transparent", look["bodyBg"]), (name, look)
    assert contrast(look["fg"], look["bg"]) >= 4.5, (name, look)
    assert LABEL.upper() in look["text"]
    assert sideways_overflow(page) <= 0, name
    assert axe_violations(page) == [], name
    save_screenshot(page, name)


def test_the_banner_is_styled_and_readable_on_every_page(
    demo: Demo, demo_served: str, browser_page: Any
) -> None:
    page = browser_page
    # Nothing leaves the machine: a page's outside links (thumbnails) are refused.
    page.route(re.compile(r"^(?!" + re.escape(demo_served) + ").*"), lambda r: r.abort())
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    (report,) = (demo.data / "evals").glob("*/*/report.html")
    pages = {
        "site-index": "site/index.html",
        "site-day": f"site/{DAY}.html",
        "lab-report": report.relative_to(demo.data).as_posix(),
    }
    for size, viewport in (("desktop", {"width": 1400, "height": 900}), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        for name, path in pages.items():
            page.goto(f"{demo_served}/{path}")
            check_banner(page, f"demo-banner-{name}-{size}")
    assert blocked == []  # the banner needs no inline style the CSP would refuse


def test_it_says_where_each_result_is_and_what_to_run_next(demo: Demo) -> None:
    shown = [line.removeprefix(PREFIX).strip() for line in demo.output.splitlines()]
    named = dict(re.findall(r"^(digest|lab report|site) +(\S+)", "\n".join(shown), re.M))
    assert set(named) == {"digest", "lab report", "site"}
    assert all(Path(path).is_file() for path in named.values()), named
    assert any("run.py demo --serve" in line for line in shown)


def test_the_digest_is_the_nights_from_the_replayed_answers(demo: Demo) -> None:
    """The night's own code made it: its faithfulness check caught the recorded first answer
    of 2406.90003 (a number not in the paper), its re-ask got the recorded second one."""
    digest = (demo.data / DAY / "digest.md").read_text()
    for paper in SAMPLE.papers:
        recorded = SAMPLE.answers[paper.arxiv_id]
        published = recorded.reasked or recorded.first
        assert paper.title in digest
        assert all(text in digest for text in published.values()), paper.arxiv_id
    assert "1만 2천" in SAMPLE.answers["2406.90003"].first["whats_new"]
    assert "1만 2천" not in digest
    run = json.loads((demo.data / DAY / "run.json").read_text())
    assert run["exit_status"] == 0 and run["models"] == [SAMPLE.model]
    assert {p["status"] for p in run["papers"]} == {"ok"}
    assert len(run["papers"]) == len(SAMPLE.papers)


def test_the_demo_never_writes_into_a_directory_it_did_not_make(tmp_path: Path) -> None:
    data = tmp_path / "demo-data"
    data.mkdir()
    (data / "editorial.sqlite3").write_bytes(b"an editor's work")
    result = run_demo(tmp_path)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "not empty" in result.output
    assert [p.name for p in data.iterdir()] == ["editorial.sqlite3"]


def test_the_replay_answers_only_what_it_recorded() -> None:
    with ReplayServer(SAMPLE) as replay:
        body = json.dumps({"model": SAMPLE.model, "messages": [
            {"role": "system", "content": "Summarize."},
            {"role": "user", "content": "Title: Another Paper\narXiv: 2406.12345"},
        ]}).encode()  # fmt: skip
        request = urllib.request.Request(
            replay.url + "/v1/chat/completions", data=body, method="POST",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
        assert replay.answered == []


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`korean-daily-papers demo --serve` started from another directory, stopped at the end."""
    port = free_port()
    process = subprocess.Popen(
        [str(COMMAND), "demo", "--serve", "--no-browser", "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "OPENAI_"))},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/day/{DAY}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        yield url, tmp_path
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_opens_the_review_app_on_the_demo_day(
    served: tuple[str, Path], browser_page: Any
) -> None:
    url, cwd = served
    with urllib.request.urlopen(url, timeout=10) as reply:
        page = reply.read().decode()
    assert 'id="demo-banner"' in page
    assert all(paper.title in page for paper in SAMPLE.papers)
    assert (cwd / "demo-data" / DAY / "digest.md").is_file()  # the default dir, where it started
    browser_page.goto(url)
    check_banner(browser_page, "demo-banner-review-desktop")
    browser_page.set_viewport_size(PHONE)
    browser_page.goto(url)
    check_banner(browser_page, "demo-banner-review-phone")
