"""Issue 19: commands that only read leave the data dir as they found it, and ``site`` over a
data dir with nothing to publish refuses instead of writing an empty index."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from tests.review_world import DATE, night_world
from tests.world import World


def _tree(root: Path) -> dict[str, int]:
    """Every file and folder under ``root`` with its modification time in nanoseconds."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def test_site_and_check_date_create_and_change_nothing_in_the_data_dir(
    world: World, tmp_path: Path
) -> None:
    night_world(world)
    before = _tree(world.data)
    commands = [
        ["site", "--out", str(tmp_path / "site")],
        ["check", "--date", DATE],
        ["check", "--date", DATE, "--json"],
    ]
    for args in commands:
        result = CliRunner().invoke(app, [*args, "--data-dir", str(world.data)])
        assert result.exit_code == 0, (args, result.output)
        assert _tree(world.data) == before, args


def test_site_over_a_data_dir_without_days_refuses_in_one_line(tmp_path: Path) -> None:
    for data in (tmp_path / "empty", tmp_path / "missing"):
        if data.name == "empty":
            data.mkdir()
        out = tmp_path / "site"
        args = ["site", "--out", str(out), "--data-dir", str(data)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and str(data) in result.stderr, result.stderr
        assert result.stderr.startswith("error: no day with a digest in")
        assert not out.exists()
        assert data.exists() == (data.name == "empty")  # nothing created either
