"""The command group: the bare nightly call cron makes, `run`, and options given in the wrong
place refused instead of silently ignored."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.errors import ExitCode
from pipeline.core.progress import StageProgress
from pipeline.entry import is_the_night
from tests import pdfs

ROOT = Path(__file__).resolve().parent.parent
TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_usage_line_shows_that_a_bare_nightly_call_is_valid() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    assert "[OPTIONS] [COMMAND [ARGS]...]" in out
    assert "run" in out and "extract" in out


def test_the_nightly_options_work_bare_and_under_run() -> None:
    # A future date is refused before any network use: proves both spellings parse --date.
    for args in (("--date", TOMORROW), ("run", "--date", TOMORROW), ("--date", TOMORROW, "run")):
        code, _, err = invoke(*args)
        assert code == ExitCode.USAGE, args
        assert "is in the future" in err


def test_an_option_the_command_does_not_take_is_an_error(tmp_path: Path) -> None:
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(pdfs.paper_pdf("Sparse Cats", "We study sparse cats."))
    code, out, err = invoke("--date", "2024-06-13", "extract", str(pdf))
    assert code == ExitCode.USAGE and out == ""
    assert "--date is not an option of 'extract'" in err
    code, _, err = invoke("--concurrency", "3", "extract", str(pdf))
    assert code == ExitCode.USAGE and "--concurrency" in err


def test_a_shared_option_before_the_command_reaches_it(tmp_path: Path) -> None:
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(pdfs.paper_pdf("Sparse Cats", "We study sparse cats."))
    code, out, err = invoke("--budget", "300", "extract", str(pdf), "--json")
    assert code == 0, err
    before = json.loads(out)["context"]["tokens"]
    code, out, err = invoke("extract", str(pdf), "--json", "--budget", "300")
    assert code == 0, err
    assert json.loads(out)["context"]["tokens"] == before <= 300
    code, out, _ = invoke("extract", str(pdf), "--json")
    assert json.loads(out)["context"]["tokens"] > 300


def _run_py(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # From an empty folder: a developer's own .env in the checkout stays out of it. Buffered
    # output, as under cron (a pipe, no PYTHONUNBUFFERED): what is not flushed is lost.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        capture_output=True, text=True, cwd=cwd, env=env, check=False,
    )  # fmt: skip


def test_a_process_that_ends_at_once_still_says_everything_with_its_status(
    tmp_path: Path,
) -> None:
    """run.py ends with os._exit once a command is done (``core.ending``): what it printed, to
    stdout and stderr, and its exit status are exactly those of the command run in-process."""
    listed = _run_py(tmp_path, "prompts", "list")
    code, out, _ = invoke("prompts", "list")
    assert (listed.returncode, listed.stdout) == (code, out) and code == 0 and out.strip()
    refused = _run_py(tmp_path, "--date", TOMORROW)
    code, _, err = invoke("--date", TOMORROW)
    assert refused.returncode == code == ExitCode.USAGE
    assert refused.stderr.strip().splitlines()[-1] == err.strip().splitlines()[-1]


def test_a_profiled_command_still_writes_its_profile(tmp_path: Path) -> None:
    """`python -m cProfile -o F run.py ...` writes F after the program ends: the quick exit of
    ``core.ending`` must leave it Python's own."""
    out = tmp_path / "night.prof"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(out), str(ROOT / "run.py"), "--version"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "korean-daily-papers" in done.stdout
    assert out.stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "night"),
    [
        ([], True),
        (["--date", "2024-06-13"], True),
        (["run", "--date", "2024-06-13"], True),
        (["--from", "2024-06-10", "--to", "2024-06-13"], True),
        (["--help"], False),
        (["--version"], False),
        (["run", "--help"], False),
        (["review", "list", "2024-06-13"], False),
        (["extract", "paper.pdf"], False),
        (["prompts", "list"], False),
    ],
)
def test_the_night_is_told_from_its_arguments_before_the_commands_load(
    args: list[str], night: bool
) -> None:
    """The extraction fork server starts before the commands are imported only for the night."""
    assert is_the_night(args) is night


def test_a_terminal_gets_a_bar_per_stage_with_its_count() -> None:
    """Bars for a person at a terminal (rich, loaded only then); under cron, log lines."""
    shown = io.StringIO()
    with StageProgress(shown, interactive=True) as progress:
        progress.start("PDFs fetched", 2)
        for arxiv_id in ("2406.00001", "2406.00002"):
            progress.advance("PDFs fetched", arxiv_id)
    assert re.search(r"PDFs fetched\s+━+ 2/2", shown.getvalue())
