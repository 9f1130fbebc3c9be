"""Issue 8, items 7 and 8: local mistakes get one line and the right exit code; the night is
readable from a cron log; files are left as a user expects them."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.stages.openai_llm import LLMClient
from tests.world import DATE, World


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_data_dir_that_is_a_file_is_one_line(world: World, tmp_path: Path) -> None:
    world.add("2406.00001", "A Paper", 3)
    not_a_dir = tmp_path / "data-file"
    not_a_dir.write_text("x")
    outcome = world.run("--date", DATE, "--data-dir", str(not_a_dir))
    line = one_line_error(outcome.stderr)
    assert outcome.exit_code == 1 and "cannot use the data dir" in line and str(not_a_dir) in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_read_only_data_dir_is_one_line(world: World, tmp_path: Path) -> None:
    world.add("2406.00001", "A Paper", 3)
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o555)
    outcome = world.run("--date", DATE, "--data-dir", str(read_only))
    assert outcome.exit_code == 1 and "cannot use the data dir" in one_line_error(outcome.stderr)


@pytest.mark.skipif(os.access("/sys", os.W_OK) and os.geteuid() != 0, reason="needs /sys")
def test_unwritable_data_dir_is_one_line(world: World) -> None:
    # /sys refuses new folders even to root: the read-only case where chmod cannot help.
    world.add("2406.00001", "A Paper", 3)
    outcome = world.run("--date", DATE, "--data-dir", "/sys/digest-data")
    assert outcome.exit_code == 1 and "cannot use the data dir" in one_line_error(outcome.stderr)


@pytest.mark.parametrize("variable", ["DIGEST_CONCURRENCY", "DIGEST_DOWNLOAD_CONCURRENCY"])
def test_zero_concurrency_from_the_environment_is_refused(world: World, variable: str) -> None:
    outcome = world.night(env={variable: "0"})
    line = one_line_error(outcome.stderr)
    assert outcome.exit_code == 2 and variable in line and "greater than or equal to 1" in line


@pytest.mark.parametrize("flag", [["--show-prompts"], ["--prompt-out", "out"]])
def test_prompt_flags_without_dry_run_are_refused(world: World, flag: list[str]) -> None:
    outcome = world.night(*flag)
    assert outcome.exit_code == 2 and "--dry-run" in one_line_error(outcome.stderr)
    assert world.llm.calls == 0


def test_data_dir_from_the_environment(world: World, tmp_path: Path) -> None:
    world.add("2406.00001", "A Paper", 3)
    elsewhere = tmp_path / "from-env"
    result = CliRunner().invoke(
        app, ["--date", DATE], env={**world.env, "DIGEST_DATA_DIR": str(elsewhere)}
    )
    assert result.exit_code == 0, result.stderr
    assert (elsewhere / DATE / "digest.md").exists()
    assert str(elsewhere.resolve()) in result.stderr  # the cron log says where it all went


def test_unreachable_llm_names_the_url_and_where_it_came_from(world: World) -> None:
    world.add("2406.00001", "A Paper", 3)
    closed = "http://127.0.0.1:9/v1"
    line = one_line_error(world.night(env={"OPENAI_BASE_URL": closed}).stderr)
    assert closed in line and "set by OPENAI_BASE_URL" in line
    default = LLMClient(Settings.model_validate({"OPENAI_API_KEY": "k"}))
    assert default.base_url == "https://api.openai.com/v1"
    assert "OPENAI_BASE_URL is not set" in default.base_url_source


def test_a_night_as_cron_sees_it(world: World, umask_027: None) -> None:
    """Timestamps on every log line, the model warning first, files by the umask, and the temp
    files a killed run left behind cleaned up."""
    world.add("2406.00001", "A Paper", 3)
    world.llm.listed_models = ["gpt-4.1-mini-2025"]  # an alias the server accepts, unlisted
    leftovers = [
        world.day / "papers" / ".2406.00001.json.k1ll3d.tmp",
        world.day / ".digest.md.k1ll3d.tmp",
        world.data / "cache" / "pdf" / ".2406.00009v1.pdf.k1ll3d.tmp",
    ]
    fresh = world.data / "cache" / "pdf" / ".2406.00008v1.pdf.inflight.tmp"
    for path in [*leftovers, fresh]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    os.utime(leftovers[2], (1_000_000_000, 1_000_000_000))  # 2001: left by a long-dead run
    outcome = world.night()
    assert outcome.exit_code == 0, outcome.stderr
    log = outcome.stderr.splitlines()
    assert log and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", line) for line in log), log
    warning = next(i for i, line in enumerate(log) if "is not one the server lists" in line)
    # The check runs beside the downloads, and the summaries wait for it.
    assert warning < next(i for i, line in enumerate(log) if "summarized" in line)
    assert "finished in" in log[-1]
    for name in ("digest.md", "digest.json", "run.json"):
        assert stat.S_IMODE((world.day / name).stat().st_mode) == 0o640
    assert [p.exists() for p in leftovers] == [False, False, False] and fresh.exists()
