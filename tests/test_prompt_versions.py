"""Prompt versions are immutable once locked: every entry point refuses a locked version whose
file changed, ``run.py prompts new|lock|list|diff`` handle versions without touching the rest,
and an experiment never becomes the night's default until it is locked."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.errors import UsageError
from pipeline.stages.prompts import load_prompt, prompt_tag
from tests.world import DATE, World

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    """A copy of the project's prompts, as a fresh clone has them."""
    copy = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", copy)
    return copy


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _tamper(prompts: Path) -> Path:
    """What the old walk-through did: edit the locked, default v2 in place."""
    v2 = prompts / "summarize" / "v2.yaml"
    v2.write_text(v2.read_text(encoding="utf-8").replace("150 to 350", "100 to 300"), "utf-8")
    return v2


def _refused(outcome_code: int, stderr: str) -> None:
    assert outcome_code == 2, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr  # one line, no traceback
    assert "summarize/v2.yaml changed after it was locked" in lines[0]
    assert "run.py prompts new summarize" in lines[0]


def test_new_copies_the_newest_version_and_leaves_every_file_as_it_was(
    world: World, prompts: Path
) -> None:
    world.env["DIGEST_PROMPTS_DIR"] = str(prompts)
    before = _snapshot(prompts)
    out = world.run("prompts", "new", "summarize")
    assert out.exit_code == 0, out.stderr
    made = Path(out.stdout.strip())
    assert made == prompts / "summarize" / "v3.yaml"
    after = _snapshot(prompts)
    assert {k: v for k, v in after.items() if k != "summarize/v3.yaml"} == before
    assert made.read_bytes() == (prompts / "summarize" / "v2.yaml").read_bytes()
    # The experiment is not the night's prompt: a bare name still means the newest locked one.
    assert load_prompt(prompts, "summarize").version == "v2"
    v3 = load_prompt(prompts, "summarize@v3")
    assert not v3.locked and prompt_tag(v3).endswith("(unlocked)")
    listed = world.run("prompts", "list").stdout.splitlines()
    assert any(line.startswith("summarize@v3  unlocked") for line in listed)
    assert any(line.startswith("summarize@v2  locked") and "default" in line for line in listed)
    assert not any(line.startswith("summarize@v3") and "default" in line for line in listed)


def test_lock_records_the_hash_makes_it_the_default_and_never_relocks_a_change(
    world: World, prompts: Path
) -> None:
    world.env["DIGEST_PROMPTS_DIR"] = str(prompts)
    v3 = Path(world.run("prompts", "new", "summarize").stdout.strip())
    v3.write_text(v3.read_text("utf-8").replace("150 to 350", "120 to 300"), "utf-8")
    diff = world.run("prompts", "diff", "summarize@v2", "summarize@v3").stdout
    assert "-  - Each section is one paragraph of plain text, about 150 to 350" in diff
    assert "+  - Each section is one paragraph of plain text, about 120 to 300" in diff
    locked = world.run("prompts", "lock", "summarize@v3")
    digest = hashlib.sha256(v3.read_bytes()).hexdigest()
    assert locked.exit_code == 0 and f"summarize/v3.yaml {digest}" in locked.stdout
    assert (prompts / "versions.lock").read_text().splitlines()[-1] == f"summarize/v3.yaml {digest}"
    assert load_prompt(prompts, "summarize").version == "v3"
    again = world.run("prompts", "lock", "summarize@v3")
    assert again.exit_code == 0 and "already locked" in again.stdout
    v3.write_text(v3.read_text("utf-8") + "\n", "utf-8")
    relock = world.run("prompts", "lock", "summarize@v3")
    assert relock.exit_code == 2 and "changed after it was locked" in relock.stderr
    assert "CHANGED" in world.run("prompts", "list").stdout
    assert world.run("prompts", "lock", "summarize").exit_code == 2  # which version?


def test_a_changed_locked_version_is_refused_when_loaded(prompts: Path) -> None:
    _tamper(prompts)
    with pytest.raises(UsageError, match="changed after it was locked"):
        load_prompt(prompts, "summarize@v2")
    with pytest.raises(UsageError, match="changed after it was locked"):
        load_prompt(prompts, "summarize")  # the default is v2 itself
    assert load_prompt(prompts, "summarize@v1").locked


def test_the_night_and_a_dry_run_refuse_a_changed_locked_version(
    world: World, prompts: Path
) -> None:
    world.add("2406.40001", "Sparse Mixture Routing", 10)
    world.env["DIGEST_PROMPTS_DIR"] = str(prompts)
    _tamper(prompts)
    for args in ((), ("--dry-run",), ("--prompt", "summarize@v2")):
        out = world.night(*args)
        _refused(out.exit_code, out.stderr)
    assert world.llm.calls == 0


def test_a_range_and_a_batch_export_refuse_a_changed_locked_version(
    world: World, prompts: Path, tmp_path: Path
) -> None:
    world.env["DIGEST_PROMPTS_DIR"] = str(prompts)
    _tamper(prompts)
    out = world.run("--from", DATE, "--to", DATE)
    _refused(out.exit_code, out.stderr)
    args = ["batch", "export", "--from", DATE, "--out", str(tmp_path / "req.jsonl")]
    export = CliRunner().invoke(app, [*args, "--data-dir", str(world.data)], env=world.env)
    _refused(export.exit_code, export.stderr)


def test_an_eval_refuses_a_changed_locked_version(world: World, prompts: Path) -> None:
    world.add("2406.40001", "Sparse Mixture Routing", 10)
    world.env["DIGEST_PROMPTS_DIR"] = str(prompts)
    assert world.run("evalset", "create", "one", "--date", DATE).exit_code == 0
    _tamper(prompts)
    out = world.run("eval", "one", "--prompts", "summarize@v1,summarize@v2")
    _refused(out.exit_code, out.stderr)
    assert world.llm.calls == 0


def test_review_regenerate_refuses_a_changed_locked_version(world: World, prompts: Path) -> None:
    from starlette.testclient import TestClient

    from pipeline.review.app import ReviewApp, create_app
    from pipeline.review.editorial import Editorial
    from pipeline.review.security import Guard
    from pipeline.store import Store
    from tests.review_world import DAY, night_world

    reviewed = night_world(world)
    editorial = Editorial(Store(reviewed.data))
    editorial.import_day(DAY)
    guard = Guard(frozenset({"testserver"}), None)
    settings = Settings(
        data_dir=reviewed.data, prompts_dir=prompts, **{"OPENAI_BASE_URL": world.llm.url + "/v1"}
    )
    http = TestClient(create_app(ReviewApp(editorial, settings, "tester", guard)))
    try:
        _tamper(prompts)
        calls = world.llm.calls
        answer = http.post(
            f"/api/{DATE}/2406.20002/regenerate",
            json={"prompt": "summarize@v2", "model": "gpt-4.1-mini"},
            headers={"Origin": "http://testserver", "X-CSRF-Token": guard.csrf_token},
        )
        assert answer.status_code == 400, answer.text
        assert "summarize/v2.yaml changed after it was locked" in answer.json()["error"]
        assert world.llm.calls == calls
    finally:
        editorial.close()


def test_an_unlocked_version_runs_and_says_so(world: World, prompts: Path) -> None:
    world.add("2406.40001", "Sparse Mixture Routing", 10)
    world.env["DIGEST_PROMPTS_DIR"] = str(prompts)
    assert world.run("prompts", "new", "summarize").exit_code == 0
    out = world.night("--prompt", "summarize@v3")
    assert out.exit_code == 0, out.stderr
    record = world.record("2406.40001")
    assert record["provenance"]["prompt_version"] == "v3"
    assert record["provenance"]["prompt_locked"] is False
    [tag] = world.run_json()["prompts"]
    assert tag.startswith("summarize@v3#") and tag.endswith("(unlocked)")
    default = json.loads((world.day / "papers" / "2406.40001.json").read_text())
    assert default["provenance"]["prompt_hash"] == load_prompt(prompts, "summarize@v3").content_hash


def test_the_readme_walk_through_changes_nothing_but_the_new_version(
    world: World, prompts: Path
) -> None:
    """README's prompt lab steps, against the fakes: only the new version appears in prompts/,
    the night's default stays the locked v2, and the eval runs the unlocked v3."""
    for i in range(3):
        world.add(f"2406.4000{i}", f"Sparse Mixture Routing {i}", 10 - i)
    world.env["DIGEST_PROMPTS_DIR"] = str(prompts)
    before = _snapshot(prompts)
    v3 = Path(world.run("prompts", "new", "summarize").stdout.strip())
    v3.write_text(v3.read_text("utf-8").replace("150 to 350", "150 to 300"), "utf-8")
    assert "150 to 300" in world.run("prompts", "diff", "summarize@v2", "summarize@v3").stdout
    assert world.run("evalset", "create", "june", "--date", DATE).exit_code == 0
    out = world.run("eval", "june", "--prompts", "summarize@v2,summarize@v3")
    assert out.exit_code == 0, out.stderr
    assert "summarize@v3: 3 passed" in out.stdout
    after = _snapshot(prompts)
    assert set(after) - set(before) == {"summarize/v3.yaml"}
    assert {k: after[k] for k in before} == before
    assert load_prompt(prompts, "summarize").version == "v2"
