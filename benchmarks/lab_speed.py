"""The prompt lab against the loopback fakes: how much an eval overlaps its LLM calls, and what
a repeated eval costs.

    python benchmarks/lab_speed.py [--papers 20] [--latency 0.5]

An eval of 2 prompt versions on N papers with an LLM that takes L seconds per call, run three
times on the same frozen set: at the default concurrency (32 calls in flight, as the night),
with --concurrency 1 (the sequential baseline, in a copy of the same data dir so its cache is
as cold), and again at the default (every reply cached). Targets: the parallel eval at least
5x faster than the sequential one; the repeat makes zero calls and takes under 2 s.

It runs the real ``create_set`` and ``run_eval`` in this process. Never asserts: prints numbers
and PASS/FAIL per target, and exits 0 unless it crashed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not installed: run from anywhere

from pipeline.core.config import Settings  # noqa: E402
from pipeline.lab.evalset import create_set  # noqa: E402
from pipeline.lab.run import EvalRequest, run_eval  # noqa: E402
from pipeline.stages.openai_llm import OpenAILLM  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests import pdfs  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.hf import FakeHF, hf_entry  # noqa: E402
from tests.fakes.llm import FakeLLM  # noqa: E402

DAY = dt.date(2024, 6, 13)
REQUEST = EvalRequest(evalset="bench", prompts=["summarize@v1", "summarize@v3"], models=["m"])


def _prompts(into: Path) -> Path:
    """A copy of prompts/ with a new, unlocked v3 that differs from v1 only by a comment line
    (a locked version is never overwritten: it would be refused)."""
    shutil.copytree(ROOT / "prompts", into)
    v1 = (into / "summarize" / "v1.yaml").read_text(encoding="utf-8")
    (into / "summarize" / "v3.yaml").write_text("# benchmark copy\n" + v1, encoding="utf-8")
    return into


def _world(hf: FakeHF, arxiv: FakeArxiv, papers: int) -> None:
    body = pdfs.paper_pdf("Sparse Routing at Scale", "We study sparse routing at scale.")
    entries = []
    for i in range(papers):
        arxiv_id, title = f"2406.{30001 + i}", f"Benchmark paper {i}"
        arxiv.add_paper(arxiv_id, body, title=title, abstract="We study sparse routing.")
        entries.append(hf_entry(arxiv_id, title, 100 - i, ["A. Author"], "We study routing."))
    hf.set_day(DAY.isoformat(), entries)


async def _timed_eval(settings: Settings) -> tuple[float, int]:
    async with OpenAILLM.from_settings(settings, "m") as llm:
        started = time.perf_counter()
        report = await run_eval(Store(settings.data_dir), settings, REQUEST, {"m": llm})
        elapsed = time.perf_counter() - started
    return elapsed, sum(v.llm_calls for v in report.versions.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeHF() as hf,
        FakeArxiv() as arxiv,
        FakeLLM(models=("m",)) as llm,
    ):
        llm.latency = args.latency
        _world(hf, arxiv, args.papers)
        base = Settings(
            hf_endpoint=hf.url,
            arxiv_api_url=arxiv.url + "/api/query",
            openai_base_url=llm.url + "/v1",
            openai_api_key="k",
            arxiv_delay_s=0,
            data_dir=Path(tmp) / "a",
            prompts_dir=_prompts(Path(tmp) / "prompts"),
            model="m",
        )
        asyncio.run(create_set(Store(base.data_dir), base, "bench", [DAY]))
        shutil.copytree(base.data_dir, Path(tmp) / "b")
        parallel, calls = asyncio.run(_timed_eval(base))
        repeat, repeat_calls = asyncio.run(_timed_eval(base))
        sequential_settings = base.model_copy(
            update={"data_dir": Path(tmp) / "b", "concurrency": 1}
        )
        sequential, _ = asyncio.run(_timed_eval(sequential_settings))
    ratio = sequential / parallel
    print(f"eval of 2 versions x {args.papers} papers, LLM latency {args.latency}s per call")
    print(f"  parallel (concurrency 32): {parallel:.2f}s, {calls} LLM calls")
    print(f"  sequential (concurrency 1): {sequential:.2f}s  -> parallel is {ratio:.1f}x faster")
    print(f"  repeat (all cached): {repeat:.2f}s, {repeat_calls} LLM calls")
    print(f"{'PASS' if ratio >= 5 else 'FAIL'} parallel at least 5x faster than sequential")
    print(f"{'PASS' if repeat_calls == 0 and repeat < 2 else 'FAIL'} repeat: 0 calls, under 2 s")


if __name__ == "__main__":
    main()
