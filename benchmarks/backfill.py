"""A backfill on the Batch API against the loopback fakes: N papers over synthetic days.

    python benchmarks/backfill.py [--papers 1000] [--per-day 30] [--polls 3] [--poll-s 0.2]

Runs the real command, ``run.py --from D1 --to D2 --batch``, as a child process against the
fakes of ``tests/fakes`` (HF, arXiv API + PDF host, OpenAI Files + Batches), and kills it with
SIGKILL once its batch is submitted (a restart in the middle), then runs it again to the end.
Prints:

- wall time split into preparation (list, arXiv, download, extraction, planning: start to
  upload), batch wait (submitted to completed at the fake) and ingestion (the rest);
- papers per second of preparation, and per CPU-second the child used preparing (per core);
- peak RSS (VmHWM sampled) of the largest process (the run, or an extraction worker), and for a run
  with a fifth of the papers first (memory should not grow with the papers: PDFs are held only
  between download and extraction);
- requests sent, by kind; a second batch is never created by the restart.

Never asserts: it prints numbers, and exits 0 unless it crashed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))  # `tests` and the other benchmark are not installed

from pipeline_speed import base_pdfs, make_papers, publish_day  # noqa: E402

from tests.fakes import endpoint_env  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.batch import FakeBatchLLM  # noqa: E402
from tests.fakes.hf import FakeHF  # noqa: E402

FIRST_DAY = dt.date(2024, 1, 1)
QUIET = subprocess.DEVNULL  # the children's progress lines


def days_for(papers: int, per_day: int) -> list[dt.date]:
    count = -(-papers // per_day)
    return [FIRST_DAY + dt.timedelta(days=i) for i in range(count)]


def populate(hf: FakeHF, arxiv: FakeArxiv, papers: int, per_day: int, prefix: str) -> list[dt.date]:
    bases = base_pdfs(8, pad_kb=300, repeat=20)
    everything = make_papers(prefix, papers, bases)
    days = days_for(papers, per_day)
    for n, day in enumerate(days):
        publish_day(hf, arxiv, day, everything[n * per_day : (n + 1) * per_day])
    return days


def command(data: Path, days: list[dt.date]) -> list[str]:
    return [
        sys.executable, str(ROOT / "run.py"), "--data-dir", str(data),
        "--from", days[0].isoformat(), "--to", days[-1].isoformat(), "--batch",
    ]  # fmt: skip


def child_env(hf: FakeHF, arxiv: FakeArxiv, llm: FakeBatchLLM, poll_s: float) -> dict[str, str]:
    return {
        **os.environ,
        **endpoint_env(hf, arxiv, llm, "bench"),
        "DIGEST_BATCH_POLL_S": str(poll_s),
        "DIGEST_BATCH_POLL_MAX_S": str(poll_s),
        # The fake model writes the same paragraphs for every paper, with figures the generated
        # PDFs don't contain: checking them would send every paper to needs_review.
        "DIGEST_FAITHFULNESS": "off",
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class PeakRSS:
    """The largest VmHWM (peak RSS since exec) of a process and its descendants, sampled while
    they run. Not getrusage(RUSAGE_CHILDREN): on Linux a fork+exec child is charged with this
    process's size at fork time, and this process holds the fakes (every PDF) in memory."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._pids: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, pid: int) -> None:
        self._pids.append(pid)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for pid in list(self._pids):
                for one in _family(pid):
                    self.peak_kb = max(self.peak_kb, _hwm_kb(one))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def _family(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *(p for c in children for p in _family(int(c)))]


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def wait_for(process: subprocess.Popen[bytes], ready: Any) -> float:
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"the run ended (exit {process.returncode}) before the moment")
        time.sleep(0.01)
    return time.perf_counter()


def polls(llm: FakeBatchLLM) -> int:
    return sum(r.method == "GET" and r.path.startswith("/v1/batches/") for r in llm.requests)


def requests_by_kind(hf: FakeHF, arxiv: FakeArxiv, llm: FakeBatchLLM) -> dict[str, int]:
    return {
        "HF list": hf.count("/api/daily_papers"),
        "arXiv API": len(arxiv.api_queries()),
        "PDF downloads": len(arxiv.pdf_downloads()),
        "file uploads": llm.count("/v1/files", method="POST"),
        "batches created": sum(
            r.method == "POST" and r.path == "/v1/batches" for r in llm.requests
        ),
        "batch polls": polls(llm),
        "online chat calls": llm.calls,
    }


def run(args: argparse.Namespace, papers: int, restart: bool) -> dict[str, Any]:
    with ExitStack() as stack:
        hf = stack.enter_context(FakeHF())
        arxiv = stack.enter_context(FakeArxiv())
        llm = stack.enter_context(FakeBatchLLM())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="backfill-bench-")))
        days = populate(hf, arxiv, papers, args.per_day, f"{papers % 10}")
        env = child_env(hf, arxiv, llm, args.poll_s)
        if args.workers is not None:
            env["DIGEST_EXTRACT_WORKERS"] = str(args.workers)
        cmd = command(tmp / "data", days)
        cpu_before = cpu_seconds()
        peak = PeakRSS()
        started = time.perf_counter()
        llm.polls_to_finish = 10**9 if restart else args.polls
        first = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=QUIET, stderr=QUIET)
        peak.watch(first.pid)
        uploaded = wait_for(first, lambda: llm.count("/v1/files", method="POST") > 0)
        prep_cpu = cpu_seconds() - cpu_before  # not exact: the child is still running
        submitted = wait_for(first, lambda: bool(llm.created()))
        resumed_at = done_at = None
        if restart:
            wait_for(first, lambda: polls(llm) > 1)
            first.send_signal(signal.SIGKILL)
            first.wait()
            prep_cpu = cpu_seconds() - cpu_before
            llm.polls_to_finish = args.polls
            resumed_at = time.perf_counter()
            second = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=QUIET)
            peak.watch(second.pid)
            done_at = wait_for(second, lambda: any(b.status == "completed" for b in llm.created()))
            out_bytes, _ = second.communicate()
            code, out = second.returncode, out_bytes.decode()
        else:
            out_bytes, _ = first.communicate()
            code, out = first.returncode, ""
        ended = time.perf_counter()
        completed = [b for b in llm.created() if b.status == "completed"]
        return {
            "papers": papers,
            "days": len(days),
            "exit": code,
            "total_line": out.strip().splitlines()[-1] if out.strip() else "",
            "prepare_s": uploaded - started,
            "submit_s": submitted - uploaded,
            "resumed_at_s": (resumed_at - started) if resumed_at else None,
            "done_at_s": (done_at - started) if done_at else None,
            "wall_s": ended - started,
            "prep_cpu_s": prep_cpu,
            "peak_mb": peak.stop(),
            "batches": len(llm.created()),
            "completed": len(completed),
            "requests": requests_by_kind(hf, arxiv, llm),
        }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--per-day", type=int, default=30)
    parser.add_argument("--polls", type=int, default=3, help="retrievals until a batch is done")
    parser.add_argument("--poll-s", type=float, default=0.2, help="DIGEST_BATCH_POLL_S")
    parser.add_argument("--no-small", action="store_true", help="skip the memory comparison run")
    parser.add_argument(
        "--workers", type=int, default=None, help="DIGEST_EXTRACT_WORKERS [default: the cores]"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    cores = os.cpu_count() or 1
    workers = args.workers or min(cores, 8)
    print(
        f"backfill benchmark: {args.papers} papers, {args.per_day} a day, {cores} cores, "
        f"{workers} extraction workers"
    )
    small_peak = None
    if not args.no_small:
        small = run(args, max(args.per_day, args.papers // 5), restart=False)
        small_peak = small["peak_mb"]
        print(f"  {small['papers']} papers, no restart: wall {small['wall_s']:.1f} s, "
              f"peak RSS {small_peak:.0f} MB, exit {small['exit']}")  # fmt: skip
    big = run(args, args.papers, restart=True)
    peak = big["peak_mb"]
    prep, papers = big["prepare_s"], big["papers"]
    print(f"  {papers} papers over {big['days']} days, killed after submit and restarted:")
    print(f"    preparation (list, arXiv, PDFs, extraction, plan): {prep:8.1f} s")
    print(f"    upload + create batch:                             {big['submit_s']:8.1f} s")
    killed = (big["resumed_at_s"] or 0.0) - prep - big["submit_s"]
    wait = (big["done_at_s"] or 0.0) - (big["resumed_at_s"] or 0.0)
    ingest = big["wall_s"] - (big["done_at_s"] or 0.0)
    print(f"    polling until killed (SIGKILL):                    {killed:8.1f} s")
    print(f"    restart -> batch completed (resume, batch wait):   {wait:8.1f} s")
    print(f"    ingestion (the nights, records, digests):          {ingest:8.1f} s")
    print(f"    wall in all:                                       {big['wall_s']:8.1f} s")
    per_cpu = papers / max(big["prep_cpu_s"], 1e-9)
    print(
        f"    preparation: {papers / prep:.1f} papers/s wall; {per_cpu:.1f} papers per CPU-second"
    )
    print(f"      of the child, i.e. per core busy ({cores} cores on this machine)")
    note = f" (vs {small_peak:.0f} MB for a fifth of the papers)" if small_peak else ""
    print(f"    peak RSS of the largest process (the run or a worker): {peak:.0f} MB{note}")
    print(
        f"    batches created: {big['batches']} (completed {big['completed']}); exit {big['exit']}"
    )
    for kind, count in big["requests"].items():
        print(f"    requests: {kind:<18} {count}")
    print(f"    {big['total_line']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
