"""A fresh install: the console command from any directory, --version, `.env` and its example."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

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


# ---- a non-editable install -----------------------------------------------------------------
# Why this exists: the development venv is an editable install, where the code still sits next
# to the checkout's top-level prompts/. `pip install .` copies only what the wheel carries, so a
# file the package needs at run time (prompts and their lock, templates, CSS, the demo's sample)
# that is not package data works in every other test and fails only for users. This builds the
# wheel from a copy of the sources offline, installs it into a fresh venv that borrows the dev
# venv's dependencies, and runs the installed command from an unrelated directory.

SOURCES = ("pyproject.toml", "setup.py", "README.md", "pipeline", "prompts")


def shipped_files() -> set[str]:
    """What the wheel must carry besides Python modules, at its installed path."""
    files = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "pipeline").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    prompts = ROOT / "prompts"
    files |= {
        "pipeline/prompts/" + p.relative_to(prompts).as_posix()
        for p in prompts.rglob("*")
        if p.is_file()
    }
    return files


@dataclass
class Installed:
    wheel: Path
    venv: Path
    cwd: Path

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = clean_env()
        env.pop("PYTHONPATH", None)  # only the installed package may be importable
        return subprocess.run(
            [str(self.venv / "bin" / "korean-daily-papers"), *args], cwd=self.cwd, env=env,
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
            )  # fmt: skip
        else:
            shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(tmp / "dist"), str(source)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("korean_daily_papers-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The fresh venv sees the dev venv's dependencies through a .pth line (nothing downloads);
    # .pth files found there are not run, so the dev venv's editable finder stays out.
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", PURELIB], capture_output=True, text=True, check=True
    ).stdout.strip()
    (Path(site) / "dev-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run(
        [*pip, "--python", str(venv / "bin" / "python"), "install", "--no-deps", "--no-index",
         str(wheel)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    cwd = tmp / "elsewhere"
    cwd.mkdir()
    return Installed(wheel, venv, cwd)


PURELIB = "import sysconfig; print(sysconfig.get_paths()['purelib'])"


def test_the_wheel_carries_prompts_templates_and_the_demo_sample(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert shipped_files() - names == set()
    assert "pipeline/prompts/versions.lock" in names


def test_the_installed_command_runs_from_any_directory(installed: Installed) -> None:
    version = installed.run("--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"korean-daily-papers {__version__}"
    listed = installed.run("prompts", "list")
    assert listed.returncode == 0, listed.stderr
    # the same versions, locks and defaults as the checkout's prompts/ (the source of truth)
    here = subprocess.run(
        [sys.executable, "run.py", "prompts", "list"], cwd=ROOT, env=clean_env(),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert here.returncode == 0, here.stderr
    assert listed.stdout == here.stdout and "summarize@v1" in listed.stdout
    where = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c",
         "from pipeline.core.config import Settings; print(Settings().prompts_dir)"],
        cwd=installed.cwd, env={k: v for k, v in clean_env().items() if k != "PYTHONPATH"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(installed.venv), where.stdout + where.stderr


def test_the_installed_demo_builds_its_day(installed: Installed) -> None:
    data = installed.cwd / "demo-data"
    done = installed.run("demo", "--data-dir", str(data), timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    (digest,) = data.glob("*/digest.md")
    assert "demo / replayed answers" in digest.read_text(encoding="utf-8")
    assert (data / "site" / "style.css").is_file() and (data / "site" / "index.html").is_file()
    # what to run next names the command the user has (a wheel brings no run.py)
    assert "korean-daily-papers demo --serve --data-dir" in done.stdout
    assert "run.py" not in done.stdout.split("next:", 1)[1]


def test_prompts_new_and_lock_refuse_the_installed_copy_and_the_hint_works(
    installed: Installed,
) -> None:
    """The wheel's prompts live in site-packages: a new version there would go with the next
    install. Both writing commands refuse in one line that says what to do, write nothing, and
    doing what the line says works."""
    (prompts,) = installed.venv.glob("lib/python*/site-packages/pipeline/prompts")
    before = {p: p.read_bytes() for p in prompts.rglob("*") if p.is_file()}
    refusals = [installed.run("prompts", "new", "summarize")]
    refusals.append(installed.run("prompts", "lock", "summarize@v1"))
    for done in refusals:
        assert done.returncode == 2, done.stdout + done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert "installed package" in line and "DIGEST_PROMPTS_DIR" in line, line
    assert {p: p.read_bytes() for p in prompts.rglob("*") if p.is_file()} == before

    hint = refusals[0].stderr.split("e.g. ", 1)[1].strip()
    researcher = installed.cwd / "researcher"
    researcher.mkdir()
    env = clean_env(PATH=f"{installed.venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        ["bash", "-c", f"{hint} && korean-daily-papers prompts new summarize"],
        cwd=researcher, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    made = Path(done.stdout.strip().splitlines()[-1])
    assert made.parent == researcher / "prompts" / "summarize" and made.is_file()
