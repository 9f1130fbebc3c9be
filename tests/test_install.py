"""A fresh install: the console command from any directory, --version, `.env` and its example."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pipeline import __version__
from pipeline.core.config import Settings
from tests.world import DATE, World

ROOT = Path(__file__).resolve().parent.parent
COMMAND = Path(sys.executable).parent / "korean-daily-papers"
EXAMPLE = ROOT / ".env.example"


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without any of our settings: only `.env` may give them."""
    ours = re.compile(r"^(DIGEST_|OPENAI_|SLACK_|HF_ENDPOINT$|ARXIV_API_URL$)")
    return {**{k: v for k, v in os.environ.items() if not ours.match(k)}, **extra}


def test_the_console_command_prints_the_version_from_any_directory(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(COMMAND), "--version"], cwd=tmp_path, env=clean_env(),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"korean-daily-papers {__version__}"
    assert list(tmp_path.iterdir()) == []  # --version writes nothing


def test_dotenv_in_the_working_directory_configures_a_whole_night(
    world: World, tmp_path: Path
) -> None:
    """HF, arXiv, the LLM's URL and key (which the openai SDK must receive) and the model all
    come from `.env`; the data dir is the default, relative to where the command starts."""
    world.add("2406.00001", "Sparse Mixture of Adapters", 12)
    world.llm.api_key = "key-from-dotenv"
    world.llm.models = ["model-from-dotenv"]
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    settings = {
        **world.env,
        "OPENAI_API_KEY": "key-from-dotenv",
        "DIGEST_MODEL": "model-from-dotenv",
        "OPENAI_ORG_ID": "org-from-dotenv",
    }
    (cwd / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    done = subprocess.run(
        [str(COMMAND), "--date", DATE], cwd=cwd, env=clean_env(),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Sparse Mixture of Adapters" in (cwd / "data" / DATE / "digest.md").read_text()
    chats = [r for r in world.llm.requests if r.path.endswith("/chat/completions")]
    assert chats and all(r.json["model"] == "model-from-dotenv" for r in chats)
    # The SDK reads the organization from the process environment, where .env's line must be.
    assert all(r.headers.get("openai-organization") == "org-from-dotenv" for r in chats)


def test_the_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: object) -> None:
    (tmp_path / ".env").write_text("DIGEST_MODEL=from-file\nDIGEST_REASKS=7\n")
    env = clean_env(DIGEST_MODEL="from-env")
    done = subprocess.run(
        [sys.executable, "-c",
         "from pipeline.core.cliopts import make_settings; s = make_settings();"
         "print(s.model, s.reasks)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["from-env", "7"]


def example_lines() -> dict[str, str]:
    """``NAME=value`` of every (commented) setting line of .env.example."""
    found = re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", EXAMPLE.read_text(), flags=re.M)
    return dict(found)


def variable_of(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else f"DIGEST_{name.upper()}"


def test_env_example_lists_every_setting_with_its_default() -> None:
    listed = example_lines()
    variables = {variable_of(name): name for name in Settings.model_fields}
    assert set(listed) == set(variables)
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for variable, shown in listed.items():
        name = variables[variable]
        if shown == "":
            # not set by default, or a default that depends on the machine (cores, checkout)
            field = Settings.model_fields[name]
            assert field.default is None or field.default_factory or name == "prompts_dir"
            continue
        parsed = Settings(_env_file=None, **{name: shown})  # type: ignore[arg-type]
        assert getattr(parsed, name) == getattr(defaults, name), variable


def test_dotenv_and_what_commands_write_are_ignored_by_git() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", ".env", "data/2024-06-13/digest.md", "site/x.html",
         "prompts-out/a.txt", "requests.jsonl", "nightly.log", "demo-data/x"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert len(ignored.stdout.split()) == 7, ignored.stdout
    kept = subprocess.run(
        ["git", "check-ignore", "--no-index", ".env.example"], cwd=ROOT, timeout=30,
    )  # fmt: skip
    assert kept.returncode == 1  # not ignored
