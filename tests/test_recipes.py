"""README's recipes and the GitHub workflow: every command they show is one the CLI takes."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.mail.config import mail_config
from pipeline.slack.post import require_slack_config

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"


def run_py_commands(text: str) -> list[list[str]]:
    """Each ``run.py ...`` command of a shell text, continuation lines joined, shell bits cut,
    ``[optional]`` parts left out."""
    joined = re.sub(r"\[[^]]*\]", "", text.replace("\\\n", " "))
    commands = []
    for match in re.finditer(r"run\.py((?: [^;&|>#\n]+)?)", joined):
        args = match.group(1).replace('"$date"', "2024-06-13").replace('"$DAY"', "2024-06-13")
        commands.append(shlex.split(args))
    return commands


def readme_blocks() -> str:
    readme = (ROOT / "README.md").read_text()
    return "\n".join(re.findall(r"```(?:sh|ini)?\n(.*?)```", readme, flags=re.S))


def workflow_runs() -> str:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["night"]["steps"]
    return "\n".join(s.get("run", "") for s in steps)


def test_the_workflow_runs_at_23_utc_and_publishes_commits_and_posts() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow[True]["schedule"] == [{"cron": "0 23 * * *"}]  # YAML reads `on` as True
    steps = workflow["jobs"]["night"]["steps"]
    runs = workflow_runs()
    assert "run.py site --out _site" in runs and "git push" in runs and "run.py slack" in runs
    # The editorial state lives at the data dir's top, not in a day's folder: kept too.
    assert "git add -f data/editorial.sqlite3" in runs
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in steps)


@pytest.mark.parametrize(
    "command",
    run_py_commands(readme_blocks()) + run_py_commands(workflow_runs()),
    ids=lambda c: " ".join(c)[:60],
)
def test_every_command_shown_is_accepted(command: list[str]) -> None:
    """--help stops before any work, after click has refused unknown options."""
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_readme_links_point_at_its_own_headings() -> None:
    readme = (ROOT / "README.md").read_text()
    anchors = {github_anchor(h) for h in re.findall(r"^#+ (.+)$", readme, flags=re.M)}
    linked = set(re.findall(r"\]\(#([^)]+)\)", readme))
    assert linked, "README links to none of its sections"
    assert linked <= anchors, sorted(linked - anchors)


def test_readme_runs_every_command_the_same_way() -> None:
    """The venv's Python (or the console command), never a bare `python run.py`; the install
    line first (a newcomer copies it), then the test line CI runs."""
    readme = (ROOT / "README.md").read_text()
    assert not re.findall(r"(?<![/\w])python3? run\.py", readme)
    venv_lines = re.findall(r"^python3 -m venv \.venv && .*$", readme, flags=re.M)
    assert "run.py" in venv_lines[0] and "-m pytest" in venv_lines[1]


def test_code_help_and_pages_run_commands_as_the_readme_does() -> None:
    """Docstrings, help texts, printed hints and templates name the README's invocation: a bare
    `python run.py` is another Python than the venv's (cron's, the system's)."""
    bare = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "pipeline").rglob("*"))
        if path.is_file() and path.suffix in (".py", ".html", ".txt", ".md", ".yaml")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<![/\w])python3? run\.py", line)
    ]
    assert bare == []


def cron_recipe() -> str:
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", README_TEXT, re.S) if "CRON_TZ=" in b]
    return block


README_TEXT = (ROOT / "README.md").read_text()
# What the nightly job checks before it spends anything, for each option that posts or sends.
CHECKED_FIRST = {"--email": mail_config, "--slack": require_slack_config}


def test_the_cron_recipe_posts_and_emails_with_the_settings_its_env_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one cron recipe runs the night with --slack and --email, and the `.env` it shows
    (read as the job's `.env`) is all those options need: the checks the night
    makes before it spends anything pass, with the recipients and server it names."""
    block = cron_recipe()
    assert "CRON_TZ=UTC" in block and "0 23 * * *" in block
    (night,) = [c for c in run_py_commands(block) if c[0].startswith("--")]
    assert {"--slack", "--email"} <= set(night)
    dotenv = re.findall(r"^#\s+([A-Z_]+=.*)$", block, flags=re.M)
    for name in {line.split("=", 1)[0] for line in dotenv if line.startswith("DIGEST_")}:
        assert name.removeprefix("DIGEST_").lower() in Settings.model_fields, name
    ours = re.compile(r"^(DIGEST_|OPENAI_|SLACK_|HF_ENDPOINT$|ARXIV_API_URL$)")
    for name in [k for k in os.environ if ours.match(k)]:
        monkeypatch.delenv(name)
    (tmp_path / ".env").write_text("\n".join(dotenv) + "\n")
    settings = Settings(_env_file=tmp_path / ".env")  # type: ignore[call-arg]
    for option in night:
        if option in CHECKED_FIRST:
            CHECKED_FIRST[option](settings)  # raises a UsageError naming what is missing
    mail = mail_config(settings)
    assert mail.recipients == ["alice@example.org", "bob@example.net"]
    assert mail.server is not None and mail.server.tls == "starttls"
    assert mail.server.user == "digest@example.org"
