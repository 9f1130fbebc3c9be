"""A night killed mid-run (SIGKILL, as an OOM killer or a reboot would) resumes without
repeating finished work. The real entry point runs in a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.test_nightly import PAPERS, populate
from tests.world import DATE, World

ROOT = Path(__file__).resolve().parent.parent


def test_killed_run_resumes_with_only_the_missing_papers(world: World) -> None:
    populate(world)
    world.llm.latency = 0.4
    env = {**os.environ, **world.env}
    child = subprocess.Popen(
        [
            sys.executable,
            "run.py",
            "--date",
            DATE,
            "--data-dir",
            str(world.data),
            "--concurrency",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cache = world.data / "cache" / "llm"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list(cache.glob("*.json"))) < 2:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    finished = len(list(cache.glob("*.json")))
    assert 2 <= finished < len(PAPERS), "the child should have been killed mid-night"
    assert not list(cache.glob(".*.tmp")), "no half-written cache entry"
    calls_before = world.llm.calls

    world.llm.latency = 0
    outcome = world.night()  # the lock died with the child: the rerun may start at once
    assert outcome.exit_code == 3, outcome.stderr  # one paper from its abstract (encrypted PDF)
    assert world.llm.calls - calls_before == len(PAPERS) - finished
    downloads = world.arxiv.pdf_downloads()
    assert len(downloads) == len(set(downloads)) == len(PAPERS)
    assert world.statuses() == dict.fromkeys(PAPERS, "ok")
