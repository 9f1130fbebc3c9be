"""The demo day: the real commands (night, evalset + eval, site) run against the replay, each
in its own process as a user would run them, their output passed through with the demo mark;
then their files are marked and the results listed.

The commands run in the demo's data dir with an environment that holds only the replay's
settings: neither the user's ``.env`` nor their ``DIGEST_*``/``OPENAI_*`` variables can send
a demo request elsewhere or write into their real data.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import DigestError, ExitCode, UsageError
from .marks import PREFIX, Echo, mark_file
from .replay import ReplayServer
from .sample import Sample, load_sample

MARKER = "DEMO.txt"
"""In the root of a demo data dir: the demo may replace such a dir, and only such a dir."""
EVALSET = "demo"
PROMPTS = "summarize@v1,summarize@v2"
CONSOLE = "korean-daily-papers"
_OURS = re.compile(r"^(DIGEST_|OPENAI_|SLACK_)|^(HF_ENDPOINT|ARXIV_API_URL)$")


class DemoError(DigestError):
    exit_code = ExitCode.FATAL


@dataclass
class DemoResult:
    data_dir: Path
    sample: Sample
    seconds: float
    digest: Path
    site: Path
    report: Path
    night_exit: int
    served: list[str] = field(default_factory=list)
    answered: list[tuple[str, str]] = field(default_factory=list)


def prepare(data_dir: Path) -> None:
    """An empty (or new) dir, or a former demo's, which is cleared; anything else is refused."""
    if data_dir.exists() and not data_dir.is_dir():
        raise UsageError(f"{data_dir} is a file: give the demo a directory (--data-dir)")
    if data_dir.is_dir() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).is_file():
            raise UsageError(
                f"{data_dir} is not empty and was not made by the demo: give --data-dir a new "
                "or empty directory (the demo never writes into real data)"
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text(
        "Made by `run.py demo`: a demo day from a shipped sample, summaries replayed.\n"
        "`run.py demo` replaces this directory when run again.\n",
        encoding="utf-8",
    )


def command_env(replay: ReplayServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _OURS.search(k)}
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return {**env, **replay.env()}


def run_command(args: list[str], env: dict[str, str], cwd: Path, echo: Echo) -> int:
    """``python -m pipeline <args>`` with its output (stdout and stderr) echoed line by line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, encoding="utf-8", errors="replace",
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        echo(PREFIX + line.rstrip("\n"))
    return process.wait()


def build_demo(data_dir: Path, echo: Echo) -> DemoResult:
    started = time.perf_counter()
    sample = load_sample()
    data_dir = data_dir.resolve()
    prepare(data_dir)
    date = sample.date.isoformat()
    site = data_dir / "site"
    with ReplayServer(sample) as replay:
        env = command_env(replay)
        echo(f"{PREFIX}replaying Hugging Face, arXiv and the LLM on {replay.url}")
        steps = [
            ("the night", ["--date", date, "--data-dir", str(data_dir)]),
            ("an eval set frozen from the night",
             ["evalset", "create", EVALSET, "--date", date, "--data-dir", str(data_dir)]),
            (f"the prompt lab ({PROMPTS})",
             ["eval", EVALSET, "--prompts", PROMPTS, "--data-dir", str(data_dir)]),
            ("the static site", ["site", "--out", str(site), "--data-dir", str(data_dir)]),
        ]  # fmt: skip
        exits: list[int] = []
        for what, args in steps:
            echo(f"{PREFIX}--- {what}: run.py {' '.join(args)}")
            code = run_command(args, env, data_dir, echo)
            if code not in (ExitCode.OK, ExitCode.ATTENTION):
                raise DemoError(f"demo: {what} ended with exit {code} (its lines are above)")
            exits.append(code)
        served, answered = list(replay.served), list(replay.answered)
    digest = data_dir / date / "digest.md"
    reports = sorted((data_dir / "evals" / EVALSET).glob("*/report.html"))
    if not digest.is_file() or not reports:
        raise DemoError(f"demo: the night or the lab wrote no {'digest' if reports else 'report'}")
    for path in [digest, *reports, *site.glob("*.html"), site / "feed.xml"]:
        mark_file(path)
    return DemoResult(
        data_dir, sample, time.perf_counter() - started, digest, site / "index.html",
        reports[-1], exits[0], served, answered,
    )  # fmt: skip


def invocation() -> tuple[str, str]:
    """How to run the next commands, and where the settings come from, as the user started the
    demo: the console command (a wheel installed with ``pip install .`` has no run.py and no
    .env.example), else the README's ``.venv/bin/python run.py`` in a checkout."""
    if Path(sys.argv[0]).name == CONSOLE:
        return CONSOLE, "write OPENAI_API_KEY=... (or OPENAI_BASE_URL=...) into ./.env, and"
    return (
        ".venv/bin/python run.py",
        "cp .env.example .env     then set OPENAI_API_KEY (or OPENAI_BASE_URL), and",
    )


def result_lines(result: DemoResult, shown_dir: str, default_dir: bool) -> list[str]:
    """Where each result is (under ``shown_dir``, as the user gave it), and what to run next."""
    command, settings = invocation()
    day = result.data_dir / result.sample.date.isoformat()

    def at(path: Path) -> str:
        return shown_dir.rstrip("/") + "/" + path.relative_to(result.data_dir).as_posix()

    again = "" if default_dir else f" --data-dir {shlex.quote(shown_dir)}"
    lines = [
        f"done in {result.seconds:.1f}s: the demo day {result.sample.date} "
        f"({len(result.sample.papers)} fictional papers), made by the real night, lab and site "
        "from a shipped sample; every summary is a recorded answer, replayed",
        f"  digest        {at(result.digest)}",
        f"  paper records {at(day / 'papers')}/  (summary, flags, provenance per paper)",
        f"  run report    {at(day / 'run.json')}",
        f"  lab report    {at(result.report)}  (summarize@v1 against v2, open in a browser)",
        f"  site          {at(result.site)}  (open in a browser; feed.xml beside it)",
        "next:",
        f"  {command} demo --serve{again}     the review app on this day (edit, approve, "
        "publish)",
        f"  {settings}",
        f"  {command} --date YYYY-MM-DD   a real night, in ./data",
    ]
    return [PREFIX + line for line in lines]
