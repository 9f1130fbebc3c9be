"""Two doors, one behaviour: the same editor's action through the web app (a real ``review
serve`` process, its HTTP API) and through the CLI (``run.py review ...`` as a subprocess), each
on its own copy of the same reviewed day, leaves the same thing behind: the same answer (done,
or refused with the same line), the same revisions (texts, authors, notes), decisions and
history, and after ``review publish`` through the same door the same published digest."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from pipeline.review.editorial import Editorial
from pipeline.review.models import Origin
from pipeline.store import Store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHF
from tests.fakes.llm import FakeLLM
from tests.review_world import DAY, KOREAN_EDIT, editorial_for, night_world
from tests.world import DATE, World

ROOT = Path(__file__).resolve().parent.parent
FIRST = "2406.20001"
THEIR_EDIT = "다른 편집자가 기술 세부 사항을 고쳤습니다. 라우터가 어댑터를 고르는 방식입니다."
OTHER_EDIT = "세 번째 편집자가 새로운 점을 다시 썼습니다. 음성 인식에서 희소 라우팅을 사용합니다."
DECOMPOSED = unicodedata.normalize("NFD", "김민아")  # as some keyboards and file names give it
PUBLISHER = " mina "  # as typed: published.json names "mina" through either door
SAME_SECTION = "먼저 저장한 편집자의 새로운 점입니다. 음성 인식을 위한 라우팅을 설명합니다."


@dataclass(frozen=True)
class Step:
    """One editor's action, as either door takes it."""

    action: str
    base: int | None = None
    """None: the CLI without --base; the web sends the revision its page shows, as a browser."""
    sections: dict[str, str] = field(default_factory=dict)
    number: int | None = None
    reason: str | None = None
    editor: str = "mina"
    paper: str = FIRST


Setup = Callable[[Editorial], None]
"""What happened before the editor acted (another editor's save, a regeneration), done the
same way on both copies."""


def nothing(editorial: Editorial) -> None:
    pass


def jun_edits(section: str, text: str) -> Setup:
    def setup(editorial: Editorial) -> None:
        editorial.edit(DAY, FIRST, {section: text}, None, "jun")

    return setup


def candidate(changes: dict[str, str], *, then: Setup = nothing) -> Setup:
    """A regeneration's candidate made from revision 1 (revision 2), then ``then``."""

    def setup(editorial: Editorial) -> None:
        night = editorial.paper(DAY, FIRST).revisions[0].summary
        text = night.model_copy(update=changes)
        editorial.add_candidate(DAY, FIRST, text, Origin.REGENERATE, "gpt-4.1-mini", None, None, 1)
        then(editorial)

    return setup


def both(*setups: Setup) -> Setup:
    def setup(editorial: Editorial) -> None:
        for one in setups:
            one(editorial)

    return setup


@dataclass(frozen=True)
class Case:
    steps: tuple[Step, ...]
    expect: tuple[bool, ...]
    """Whether each step is done (True) or refused (False): the case tests what it says."""
    setup: Setup = nothing


EDIT = {"whats_new": KOREAN_EDIT}
CASES: dict[str, Case] = {
    "plain edit": Case((Step("edit", sections=EDIT),), (True,)),
    "edit on the current revision": Case((Step("edit", 1, EDIT),), (True,)),
    "edit on a stale base, same section": Case(
        (Step("edit", 1, EDIT),), (False,), jun_edits("whats_new", SAME_SECTION)
    ),
    "edit on a stale base, another section changed": Case(
        (Step("edit", 1, EDIT),), (True,), jun_edits("technical_details", THEIR_EDIT)
    ),
    "edit with a bare URL, then of an unknown section": Case(
        (
            Step("edit", 1, {"whats_new": KOREAN_EDIT + " https://example.com/x 참고."}),
            Step("edit", 1, {"summary": KOREAN_EDIT}),
        ),
        (False, False),
    ),
    "edit with a zero-width character": Case(
        (Step("edit", 1, {"whats_new": KOREAN_EDIT.replace("문장", "문\u200b장")}),), (False,)
    ),
    "edit by a name to normalise": Case(
        (Step("edit", 1, EDIT, editor=f"  {DECOMPOSED}  "), Step("approve", 2, editor="김민아")),
        (True, True),
    ),
    "approve on a stale base": Case(
        (Step("approve", 1), Step("approve")), (False, True), jun_edits("whats_new", SAME_SECTION)
    ),
    "exclude on a stale base": Case(
        (Step("exclude", 1, reason="off-topic"), Step("exclude", 2, reason="  " + "왜" * 600)),
        (False, True),
        jun_edits("whats_new", SAME_SECTION),
    ),
    "accept a candidate": Case((Step("accept", 1, number=2),), (True,), candidate(EDIT)),
    "accept a candidate made before another section's edit": Case(
        (Step("accept", number=2),),
        (True,),
        candidate(EDIT, then=jun_edits("technical_details", THEIR_EDIT)),
    ),
    "accept a candidate whose section was edited since": Case(
        (Step("accept", 3, number=2), Step("discard", 3, number=2)),
        (False, True),
        candidate(EDIT, then=jun_edits("whats_new", OTHER_EDIT)),
    ),
    "accept and discard on a stale base": Case(
        (Step("accept", 1, number=2), Step("discard", 1, number=2), Step("discard", number=2)),
        (False, False, True),
        candidate(EDIT, then=jun_edits("technical_details", THEIR_EDIT)),
    ),
    "restore an older revision": Case(
        (Step("restore", 1, number=2), Step("restore", 2, number=1)),
        (False, True),
        jun_edits("whats_new", SAME_SECTION),
    ),
    "restore without a base, then an unknown revision and paper": Case(
        (
            Step("restore", number=1),
            Step("restore", 3, number=9),
            Step("approve", 1, paper="2406.29999"),
        ),
        (True, False, False),
        both(jun_edits("whats_new", SAME_SECTION), jun_edits("technical_details", THEIR_EDIT)),
    ),
}


# ---- the two doors ----------------------------------------------------------------------------


def child_env(world: World) -> dict[str, str]:
    return {**os.environ, **world.env, "PYTHONPATH": str(ROOT)}


class Cli:
    """``run.py review ...`` in a subprocess, in a directory without a ``.env``."""

    def __init__(self, world: World, data: Path, workdir: Path) -> None:
        self.env, self.data, self.workdir = child_env(world), data, workdir

    def run(self, *args: str) -> tuple[bool, str]:
        done = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), "--data-dir", str(self.data), "review", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode == 0:
            return True, ""
        assert done.returncode == 1, done.stderr  # refused: never a usage error or a crash
        [line] = done.stderr.splitlines()
        return False, line.removeprefix("error: ")

    def act(self, step: Step) -> tuple[bool, str]:
        args = [step.action, DATE, step.paper, "--editor", step.editor]
        if step.base is not None:
            args += ["--base", str(step.base)]
        if step.number is not None:
            args.insert(3, str(step.number))
        if step.reason is not None:
            args += ["--reason", step.reason]
        if not step.sections:
            return self.run(*args)
        [(section, text)] = step.sections.items()
        text_file = self.workdir / "section.txt"
        text_file.write_text(text, encoding="utf-8")
        return self.run(*args, "--section", section, "--text-file", str(text_file))

    def publish(self) -> tuple[bool, str]:
        return self.run("publish", DATE, "--editor", PUBLISHER)


class Web:
    """A real ``review serve`` process on 127.0.0.1, driven as the page drives it: the editor's
    name given once (a cookie), the CSRF token from the page, the base the page shows."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.editor: str | None = None

    def page(self) -> str:
        answer = self.http.get(f"/day/{DATE}")
        assert answer.status_code == 200, answer.text
        return answer.text

    def post(self, path: str, body: dict[str, Any]) -> tuple[bool, str]:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', self.page())
        assert csrf is not None
        answer = self.http.post(path, json=body, headers={"X-CSRF-Token": csrf[1]})
        if answer.status_code == 200:
            return True, ""
        assert answer.status_code in (404, 409, 422), answer.text
        data = answer.json()
        problems = data.get("problems") or []
        return False, data["error"] + (f": {'; '.join(problems)}" if problems else "")

    def shown_base(self, paper: str) -> int:
        found = re.search(rf'data-id="{paper}"[^>]*data-base="([0-9]+)"', self.page())
        assert found is not None
        return int(found[1])

    def act(self, step: Step) -> tuple[bool, str]:
        self.named(step.editor)
        body: dict[str, Any] = {"base": step.base}
        if step.base is None:
            body["base"] = self.shown_base(step.paper)
        if step.sections:
            body["sections"] = step.sections
        if step.number is not None:
            body["number"] = step.number
        if step.reason is not None:
            body["reason"] = step.reason
        return self.post(f"/api/{DATE}/{step.paper}/{step.action}", body)

    def _csrf(self) -> dict[str, str]:
        found = re.search(r'name="csrf-token" content="([^"]+)"', self.page())
        assert found is not None
        return {"X-CSRF-Token": found[1]}

    def named(self, editor: str) -> None:
        """The editor's name, given once per browser as the page asks for it."""
        if editor != self.editor:
            named = self.http.post("/api/editor", json={"name": editor}, headers=self._csrf())
            assert named.status_code == 200, named.text
            self.editor = editor

    def publish(self) -> tuple[bool, str]:
        self.named(PUBLISHER)
        return self.post(f"/api/{DATE}/publish", {})


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str


def start_serve(world: World, data: Path, workdir: Path) -> Served:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = ["--data-dir", str(data), "review", "serve", "--port", str(port), "--no-browser"]
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), *argv],
        cwd=workdir,
        env=child_env(world),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return Served(process, f"http://127.0.0.1:{port}")


def wait_until_up(served: Served) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert served.process.poll() is None, served.process.communicate()[0]
        try:
            if httpx.get(served.url + "/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("review serve did not answer within 60 s")


def stop(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(20)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait(10)


Door = Cli | Web


def finish(door: Door, data: Path) -> tuple[bool, str]:
    """Decide what is still undecided through the same door (approve, else exclude), then
    publish through it: the reader's side of the case."""
    editorial = Editorial(Store(data), readonly=True)
    try:
        waiting = [p.arxiv_id for p in editorial.day(DAY) if not p.state.decided]
    finally:
        editorial.close()
    for paper in waiting:
        if not door.act(Step("approve", paper=paper, editor="jun"))[0]:
            assert door.act(Step("exclude", paper=paper, reason="later", editor="jun"))[0]
    return door.publish()


def seen(data: Path) -> dict[str, Any]:
    """What an editor and a reader see of the day, without the clock's times."""
    editorial = Editorial(Store(data), readonly=True)
    try:
        papers = {
            p.arxiv_id: {
                "state": p.state.value,
                "reason": p.reason,
                "current": p.current,
                "by": p.updated_by,
                "revisions": [
                    r.model_dump(mode="json", exclude={"created_at"}) for r in p.revisions
                ],
                "events": [(e.editor, e.action, e.detail) for e in p.events],
            }
            for p in editorial.day(DAY)
        }
    finally:
        editorial.close()
    published: dict[str, Any] = {}
    for path in sorted((data / DATE).glob("published*")):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            digest = json.loads(text)
            digest.pop("published_at")
            for entry in digest["papers"]:
                entry["revised_at"] = entry.get("revised_at") is not None
            published[path.name] = digest
        else:
            published[path.name] = text
    return {"papers": papers, "published": published}


def differences(web: Any, cli: Any, at: str = "") -> list[str]:
    """Where the two days differ, as paths: web value != cli value."""
    if isinstance(web, dict) and isinstance(cli, dict):
        keys = [*web, *(k for k in cli if k not in web)]
        return [d for k in keys for d in differences(web.get(k), cli.get(k), f"{at}/{k}")]
    if isinstance(web, list | tuple) and isinstance(cli, list | tuple) and len(web) == len(cli):
        return [
            d
            for i, (w, c) in enumerate(zip(web, cli, strict=True))
            for d in differences(w, c, f"{at}/{i}")
        ]
    return [] if web == cli else [f"{at}: web {web!r:.200} != cli {cli!r:.200}"]


# ---- the day both copies start from -----------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One reviewed night for every case (each case copies it twice), all but the first paper
    approved."""
    from pipeline.core.config import Settings

    with (
        pytest.MonkeyPatch.context() as patch,
        FakeHF() as hf,
        FakeArxiv() as arxiv,
        FakeLLM() as llm,
    ):
        patch.setitem(Settings.model_config, "env_file", None)
        world = night_world(World(hf, arxiv, llm, tmp_path_factory.mktemp("night") / "data"))
        editorial = editorial_for(world)
        # The papers no case acts on are decided already: publishing then needs one more
        # decision at most, and the digest still carries every paper.
        for paper in editorial.day(DAY):
            if paper.arxiv_id != FIRST:
                editorial.approve(DAY, paper.arxiv_id, None, "jun")
        editorial.close()
        yield world


def day_copy(world: World, to: Path, setup: Setup) -> Path:
    shutil.copytree(world.data, to)
    editorial = Editorial(Store(to))
    try:
        setup(editorial)
    finally:
        editorial.close()
    return to


@pytest.mark.parametrize("name", list(CASES))
def test_the_same_action_through_either_door_leaves_the_same_day(
    name: str, template: World, tmp_path: Path
) -> None:
    case = CASES[name]
    web_data = day_copy(template, tmp_path / "web", case.setup)
    cli_data = day_copy(template, tmp_path / "cli", case.setup)
    assert seen(web_data) == seen(cli_data)  # the same day before anyone acts
    served = start_serve(template, web_data, tmp_path)
    try:
        cli = Cli(template, cli_data, tmp_path)
        by_cli = [cli.act(step) for step in case.steps]  # while the server starts
        cli_published = finish(cli, cli_data)
        wait_until_up(served)
        with httpx.Client(base_url=served.url, headers={"Origin": served.url}) as http:
            web = Web(http)
            by_web = [web.act(step) for step in case.steps]
            web_published = finish(web, web_data)
    finally:
        stop(served)
    assert [done for done, _ in by_cli] == list(case.expect), by_cli
    assert by_web == by_cli
    assert web_published == cli_published == (True, "")
    web_day, cli_day = seen(web_data), seen(cli_data)
    assert web_day == cli_day, differences(web_day, cli_day)
    assert web_day["published"]["published.md"]  # the digest a reader gets was written
    assert web_day["published"]["published.json"]["published_by"] == PUBLISHER.strip()
