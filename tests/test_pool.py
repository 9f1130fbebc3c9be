"""The extraction pool (``stages/pool.py``): worker processes give the night exactly what one
thread gives, a worker that dies fails only its own job (never a hang), the line is biggest
first, and the pool's size is checked where the user sets it."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.errors import ExitCode, ExtractionError
from pipeline.stages.pool import ExtractionPool, extraction_pool
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHF
from tests.fakes.llm import FakeLLM
from tests.test_nightly import PAPERS, populate
from tests.world import DATE, World

ROOT = Path(__file__).resolve().parent.parent


def _kill_myself() -> None:
    """A job that dies as a crash in MuPDF or the OOM killer would end its process."""
    os.kill(os.getpid(), signal.SIGKILL)


CLOCK = {"timings", "created_at", "latency_s"}
"""What differs between any two runs: when, and how many seconds."""


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in CLOCK}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _records(world: World) -> dict[str, Any]:
    """Each paper's record, without its clock readings."""
    return {
        path.stem: _timeless(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted((world.day / "papers").glob("*.json"))
    }


def test_worker_processes_give_the_digest_and_records_of_one_thread(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    """Two worker processes or one thread of the night: the same digest and records, the
    encrypted PDF's fallback included (its error crosses back from the worker); and a re-run
    with the pool makes no LLM call."""
    outcomes = {}
    for workers in ("1", "2"):
        world = World(fake_hf, fake_arxiv, fake_llm, tmp_path / f"data-{workers}")
        world.entries = []
        populate(world)
        world.env["DIGEST_EXTRACT_WORKERS"] = workers
        night = world.night()
        assert night.exit_code == 3, night.stderr  # one paper from its abstract
        outcomes[workers] = (world.digest(), _records(world))
        calls = fake_llm.calls
        assert world.night().exit_code == 3
        assert fake_llm.calls == calls, "a re-run asks the LLM nothing"
    assert outcomes["1"] == outcomes["2"]
    _, records = outcomes["2"]
    assert set(records) == set(PAPERS) and all(r["status"] == "ok" for r in records.values())
    locked = records["2406.10003"]["flags"]
    assert [f["code"] for f in locked] == ["abstract_fallback"]


def test_a_worker_that_dies_fails_only_its_own_job() -> None:
    """The job that kills its process fails with an ExtractionError naming its paper; the jobs
    in flight beside it are run again and succeed; the pool goes on working afterwards."""

    async def scenario() -> tuple[list[object], object]:
        with extraction_pool(2) as pool:
            jobs = [
                pool.run(functools.partial(pow, 2, 10), label="a"),
                pool.run(_kill_myself, label="2406.99999"),
                pool.run(functools.partial(pow, 3, 3), label="b"),
                pool.run(functools.partial(pow, 5, 2), label="c"),
            ]
            results = await asyncio.wait_for(
                asyncio.gather(*jobs, return_exceptions=True), timeout=120
            )
            after = await pool.run(functools.partial(pow, 7, 2), label="d")
        return results, after

    results, after = asyncio.run(scenario())
    assert results[0] == 1024 and results[2] == 27 and results[3] == 25
    error = results[1]
    assert isinstance(error, ExtractionError)
    assert "2406.99999" in str(error) and "process died" in str(error)
    assert after == 49


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _pool_workers() -> list[int]:
    """This process's extraction workers: the children of its fork server."""
    return [w for child in _children(os.getpid()) for w in _children(child)]


def test_a_night_whose_workers_are_killed_still_finishes(world: World) -> None:
    """Workers killed mid-night (the OOM killer): no hang, every paper still read from its PDF
    (the jobs they held are run again), the same digest as an undisturbed night."""
    for i in range(8):
        world.add(f"2406.2000{i}", f"Paper Number {i} on Killing", 10 + i, columns=1 + i % 2)
    world.env["DIGEST_EXTRACT_WORKERS"] = "2"
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (world.arxiv.pdf_downloads() and _pool_workers()):
            time.sleep(0.005)
        for pid in _pool_workers():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    thread = threading.Thread(target=killer)
    thread.start()
    night = world.night()
    thread.join()
    assert night.exit_code == 0, night.stderr
    assert killed, "the night's workers should have been found and killed"
    report = world.run_json()
    assert report["counts"]["ok"] == 8 and report["counts"]["abstract_only"] == 0


def test_the_line_is_biggest_first() -> None:
    """While the one worker is busy, waiting jobs start largest size first, whatever order
    they came in."""
    started: list[int] = []
    release = threading.Event()

    def busy() -> None:
        release.wait(timeout=30)

    async def scenario() -> None:
        pool = ExtractionPool(1)
        try:
            first = asyncio.create_task(pool.run(busy, size=1, label="busy"))
            await asyncio.sleep(0.05)
            waiting = [
                asyncio.create_task(
                    pool.run(functools.partial(started.append, size), size=size, label=str(size))
                )
                for size in (30, 5_000_000, 700, 120_000)
            ]
            await asyncio.sleep(0.05)
            release.set()
            await asyncio.gather(first, *waiting)
        finally:
            pool.close()

    asyncio.run(scenario())
    assert started == [5_000_000, 120_000, 700, 30]


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_the_pool_size_is_checked(world: World, value: str) -> None:
    world.add("2406.10001", "Any Paper", 3)
    night = world.night(env={"DIGEST_EXTRACT_WORKERS": value})
    assert night.exit_code == ExitCode.USAGE, night.stderr
    assert "DIGEST_EXTRACT_WORKERS" in night.stderr and "Traceback" not in night.stderr
    assert world.llm.calls == 0


def _descendants(pid: int) -> list[int]:
    return [d for child in _children(pid) for d in (child, *_descendants(child))]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_killed_night_leaves_no_process_behind(world: World) -> None:
    """SIGKILL (the OOM killer) gives the night no chance to stop its pool: the fork server
    and the workers notice on their own and end, instead of waiting for work forever."""
    for i in range(6):
        world.add(f"2406.4000{i}", f"Paper Number {i} on Orphans", 10 + i)
    world.llm.latency = 5.0  # the night is still waiting for its replies when it is killed
    env = {**os.environ, **world.env, "DIGEST_EXTRACT_WORKERS": "2"}
    child = subprocess.Popen(
        [sys.executable, "run.py", "--date", DATE, "--data-dir", str(world.data)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    extracted = world.data / "cache" / "extract"
    while time.monotonic() < deadline and not list(extracted.glob("*.json")):
        time.sleep(0.05)  # a worker has extracted a PDF: the pool is up
    helpers = _descendants(child.pid)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert len(helpers) >= 3, "the fork server, the resource tracker and a worker were running"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_running(p) for p in helpers):
        time.sleep(0.1)
    left = [p for p in helpers if _running(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "processes of the killed night still running"
