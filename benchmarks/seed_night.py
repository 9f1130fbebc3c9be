"""The seed night as a person runs it: ``run.py --date D`` from process start to exit, vs L.

    python benchmarks/seed_night.py [--papers 21] [--latency 3] [--runs 3]
                                    [--pdfs light | heavy | DIR]

The physical limit of a night is one LLM call (every paper's request in flight at once); the
target is the best of ``--runs`` nights within 1.5 x L. Each night is the real command in a
child process, in a fresh data dir, against the fakes of ``tests/fakes`` served from this
process (HF list, arXiv API + PDF host, an OpenAI-compatible LLM taking L seconds per call).
The PDFs: ``light`` (the default) are the tests' generated papers (``tests.pdfs.paper_pdf``,
one and two columns, a few pages: the day ``tests/world.py`` builds); ``heavy`` are
``pipeline_speed``'s (~1 MB, 12 and 24 pages); a directory serves its real PDFs (cycled to
``--papers``). Every paper's PDF is unique (a comment after ``%%EOF``), so no extraction is
shared. After the timed nights the last day is run again: it must make no
LLM call.

Prints each night's wall time and ratio to L, the stage timings from its ``run.json``, the load
average before and after (the machine may be shared: a busy one makes every number worse), and
PASS/FAIL for the targets. Never asserts; exits 0 unless it crashed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))  # `tests` and the other benchmark are not installed

from pipeline_speed import (  # noqa: E402
    Paper,
    base_pdfs,
    chain,
    load,
    make_papers,
    print_chain,
    publish_day,
)

from tests import pdfs  # noqa: E402
from tests.fakes import endpoint_env  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.hf import FakeHF  # noqa: E402
from tests.fakes.llm import FakeLLM  # noqa: E402

DAY = dt.date(2024, 6, 13)
TARGET = 1.5  # x L, best of the runs


def day_papers(kind: str, n: int) -> list[Paper]:
    if kind == "heavy":
        return make_papers("1", n, base_pdfs(8, 1024, 20))
    if kind == "light":
        bases = [pdfs.paper_pdf(f"Paper {i}", "We study it.", columns=1 + i % 2) for i in range(8)]
        return make_papers("1", n, bases)
    files = sorted(Path(kind).glob("*.pdf"))
    if not files:
        raise SystemExit(f"--pdfs: no PDF in {kind}")
    return make_papers("1", n, [f.read_bytes() for f in files])


def child_env(hf: FakeHF, arxiv: FakeArxiv, llm: FakeLLM) -> dict[str, str]:
    return {
        **os.environ,
        **endpoint_env(hf, arxiv, llm, "bench"),
        # The fake model's figures are not in the generated PDFs: the check would re-ask every
        # paper and time a second round trip that a faithful model does not cost.
        "DIGEST_FAITHFULNESS": "off",
    }


@dataclass
class SeedNight:
    wall: float
    exit_code: int
    llm_calls: int
    report: dict[str, Any] = field(default_factory=dict)
    """The night's run.json."""

    def links(self) -> list[tuple[str, float]]:
        span = 0.0
        if self.report.get("started_at") and self.report.get("finished_at"):
            started = dt.datetime.fromisoformat(self.report["started_at"])
            span = (dt.datetime.fromisoformat(self.report["finished_at"]) - started).total_seconds()
        papers = [p.get("timings", {}) for p in self.report.get("papers", [])]
        stages = self.report.get("stage_timings", {})
        return chain(self.wall, stages, papers, outside=self.wall - span)


def night(data: Path, env: dict[str, str], llm: FakeLLM) -> SeedNight:
    """``run.py --date DAY`` in a child process, timed from start to exit."""
    command = [sys.executable, str(ROOT / "run.py"), "--data-dir", str(data), "--date", str(DAY)]
    before = llm.calls
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
    run_json = data / DAY.isoformat() / "run.json"
    report = json.loads(run_json.read_text()) if run_json.exists() else {}
    return SeedNight(wall, done.returncode, llm.calls - before, report)


def seed_nights(
    kind: str, papers: int, latency: float, runs: int
) -> tuple[list[SeedNight], SeedNight]:
    """``runs`` nights, each in a fresh data dir, then the last day run again."""
    day = day_papers(kind, papers)
    nights = []
    with ExitStack() as stack:
        hf = stack.enter_context(FakeHF())
        arxiv = stack.enter_context(FakeArxiv())
        llm = stack.enter_context(FakeLLM())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seed-night-")))
        publish_day(hf, arxiv, DAY, day)
        llm.latency = latency
        env = child_env(hf, arxiv, llm)
        for i in range(runs):
            nights.append(night(tmp / f"run-{i + 1}", env, llm))
        rerun = night(tmp / f"run-{runs}", env, llm)
    return nights, rerun


def report(nights: list[SeedNight], rerun: SeedNight, latency: float) -> None:
    for i, one in enumerate(nights, start=1):
        print(
            f"  night {i}: {one.wall:6.2f} s = {one.wall / latency:.2f} L  exit {one.exit_code}, "
            f"{one.llm_calls} LLM calls"
        )
    best = min(nights, key=lambda n: n.wall)
    print(f"  the best night's critical path ({best.wall:.2f} s):")
    print_chain(best.links(), best.wall, latency)
    print(
        f"  re-run of the last day: {rerun.wall:.2f} s, exit {rerun.exit_code}, "
        f"{rerun.llm_calls} LLM calls"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=21)
    parser.add_argument("--latency", type=float, default=3.0, help="LLM seconds per call (L)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pdfs", default="light", help="light, heavy or a directory of PDFs")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    latency = args.latency
    print(
        f"seed night: {args.papers} papers, {args.pdfs} PDFs, L = {latency:g} s, "
        f"{args.runs} runs as processes"
    )
    print(f"  before: {load()}")
    nights, rerun = seed_nights(args.pdfs, args.papers, latency, args.runs)
    report(nights, rerun, latency)
    print(f"  after: {load()}")
    best = min(n.wall for n in nights)
    print("targets")
    verdict = "PASS" if best <= TARGET * latency else "FAIL"
    print(f"  best of {args.runs} <= {TARGET:g} L: {verdict} ({best / latency:.2f} L)")
    calls = rerun.llm_calls
    print(f"  re-run makes 0 LLM calls: {'PASS' if calls == 0 else 'FAIL'} ({calls})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
