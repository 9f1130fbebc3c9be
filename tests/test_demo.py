"""`run.py demo`: a whole demo day offline through the real night, lab and site, every output
marked; and `--serve` opening the review app on it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.demo.marks import LABEL, PREFIX
from pipeline.demo.replay import ReplayServer
from pipeline.demo.sample import load_sample

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


def test_serve_opens_the_review_app_on_the_demo_day(served: tuple[str, Path]) -> None:
    url, cwd = served
    with urllib.request.urlopen(url, timeout=10) as reply:
        page = reply.read().decode()
    assert 'id="demo-banner"' in page
    assert all(paper.title in page for paper in SAMPLE.papers)
    assert (cwd / "demo-data" / DAY / "digest.md").is_file()  # the default dir, where it started
