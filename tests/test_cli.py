"""The command group: the bare nightly call cron makes, `run`, and options given in the wrong
place refused instead of silently ignored."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.errors import ExitCode
from tests import pdfs

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
