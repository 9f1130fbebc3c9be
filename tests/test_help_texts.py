"""Issue 19: the help texts say what the code does, in full, and README's tables name every
setting the code reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from pydantic import AliasChoices
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    yield path, command
    if hasattr(command, "list_commands"):
        ctx = typer.main.get_command(app).context_class(command)
        for name in command.list_commands(ctx):
            yield from _commands(command.get_command(ctx, name), [*path, name])


COMMANDS = list(_commands(typer.main.get_command(app), []))


def test_every_command_is_walked() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"", "run", "extract", "site", "review serve", "batch import", "evalset create"} <= names


def test_every_help_is_whole_and_every_argument_and_option_is_explained() -> None:
    for path, command in COMMANDS:
        result = CliRunner().invoke(app, [*path, "--help"], terminal_width=100)
        assert result.exit_code == 0, (path, result.output)
        body = [line for line in result.output.splitlines() if not line.startswith("Usage:")]
        assert not [line for line in body if "..." in line], (path, result.output)
        for param in command.params:
            if param.name == "help":
                continue
            assert (getattr(param, "help", None) or "").strip(), (path, param.name)
            record = param.get_help_record(typer.main.get_command(app).context_class(command))
            text = record[1] if record else ""
            assert len(re.findall(r"\bdefault\b", text)) <= 1, (path, param.name, text)


def test_help_says_where_a_default_comes_from() -> None:
    def help_of(*path: str) -> str:
        return " ".join(
            CliRunner().invoke(app, [*path, "--help"], terminal_width=400).output.split()
        )

    assert "the last batch export's" in help_of("batch", "import")
    assert "tokenizer" in help_of("extract")
    assert "[default: judge, its newest version]" in help_of("eval")


def _variables(name: str, field: Any) -> list[str]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"DIGEST_{name.upper()}"]


def test_every_setting_is_in_a_readme_table() -> None:
    rows = [
        line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("|")
    ]
    table = "\n".join(rows)
    missing = [
        name
        for name, field in Settings.model_fields.items()
        if not any(re.search(rf"\b{v}\b", table) for v in _variables(name, field))
    ]
    assert missing == []
