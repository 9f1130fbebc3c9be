"""The review app under an outside lock, and what a day page weighs: a 21-paper night on the
loopback fakes, the app under uvicorn.

    python benchmarks/review_responsiveness.py [--papers 21] [--hold 3]

Prints:

- ``GET /static/review.css`` time with the editorial database free (baseline), and while another
  connection holds its write lock and an approve waits on it (the database runs off the event
  loop, so the ratio should stay near 1, not grow with ``--hold``);
- what the waiting approve answers once the lock outlives the app's busy timeout (503);
- the day page's bytes sent with and without gzip, and their ratio;
- how long a 1.5M-character edit takes to be refused (the length check comes first).

Never asserts: it prints numbers, and exits 0 unless it crashed.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not installed

import httpx2 as httpx  # noqa: E402

from pipeline.core.errors import ReviewRefused  # noqa: E402
from pipeline.review.editorial import Editorial  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.hf import FakeHF  # noqa: E402
from tests.fakes.llm import FakeLLM  # noqa: E402
from tests.review_world import DAY, live_review  # noqa: E402
from tests.world import DATE, World  # noqa: E402


def static_ms(url: str, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        httpx.get(f"{url}/static/review.css", timeout=60).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=21)
    parser.add_argument("--hold", type=float, default=3.0, help="seconds the lock is held")
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        hf = stack.enter_context(FakeHF())
        arxiv = stack.enter_context(FakeArxiv())
        llm = stack.enter_context(FakeLLM())
        world = World(hf, arxiv, llm, tmp / "data")
        for n in range(args.papers):
            world.add(f"2406.{30001 + n}", f"Benchmark Paper Number {n} on Routing", 100 - n)
        outcome = world.night()
        print(f"night: exit {outcome.exit_code}, {args.papers} papers")
        Editorial(Store(world.data)).close()
        with live_review(world) as url:
            page = httpx.get(f"{url}/day/{DATE}", timeout=60)
            csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
            plain = httpx.get(f"{url}/day/{DATE}", headers={"Accept-Encoding": "identity"})
            zipped = httpx.get(f"{url}/day/{DATE}", headers={"Accept-Encoding": "gzip"})
            sent_plain = len(plain.content)
            sent_zipped = int(zipped.headers.get("content-length", len(zipped.content)))
            print(
                f"day page: {sent_plain / 1000:.1f} KB plain, {sent_zipped / 1000:.1f} KB gzip "
                f"(x{sent_plain / max(sent_zipped, 1):.1f} smaller)"
            )
            free = static_ms(url)
            holder = sqlite3.connect(world.data / "editorial.sqlite3", isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            answers: list[int] = []

            def approve() -> None:
                answer = httpx.post(
                    f"{url}/api/{DATE}/2406.30001/approve",
                    json={"base": 1},
                    headers={"Origin": url, "X-CSRF-Token": csrf},
                    timeout=120,
                )
                answers.append(answer.status_code)

            saver = threading.Thread(target=approve)
            saver.start()
            time.sleep(0.2)
            locked = static_ms(url)
            time.sleep(max(0.0, args.hold - 0.2))
            holder.execute("ROLLBACK")
            holder.close()
            saver.join(120)
            print(
                f"static file: {free:.1f} ms free, {locked:.1f} ms while a save waits on an "
                f"outside lock (x{locked / free:.2f}); the waiting save answered {answers}"
            )
        editorial = Editorial(Store(world.data))
        started = time.perf_counter()
        with suppress(ReviewRefused):
            editorial.edit(DAY, "2406.30001", {"whats_new": "가" * 1_500_000}, 1, "bench")
        print(f"1.5M-character edit refused in {(time.perf_counter() - started) * 1000:.1f} ms")
        editorial.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
