"""The prompt lab end to end, through the real CLI, against the loopback fakes.

Test prompt versions live in a temporary prompts dir: v2 carries a marker the fake LLM answers
in English (a worse prompt), v3 one it answers like v1 (an equivalent prompt).
"""

from __future__ import annotations

import functools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pipeline
from pipeline.core.models import Flag, Summary
from pipeline.lab.checks import CHECKS, discover, register_check
from pipeline.lab.sets import FrozenPaper
from pipeline.stages.validate import hangul_ratio
from tests import pdfs
from tests.browser import save_screenshot
from tests.fakes.llm import Behaviour
from tests.labdata import assert_html_matches_json, external_urls
from tests.world import DATE, World

ROOT = Path(__file__).resolve().parent.parent
PAPERS = 10
WORSE_ON = 8  # v2 answers in English on this many papers
TITLES = [f"Sparse Mixture Routing {chr(65 + i)}" for i in range(PAPERS)]


@functools.cache
def _pdf() -> bytes:
    """One generated paper for every entry (making a PDF takes seconds); the fake LLM tells the
    papers apart by their titles, which come from the listing."""
    return pdfs.paper_pdf("Sparse Mixture Routing", "We study sparse mixture routing.")


def _version(prompts: Path, name: str, marker: str) -> None:
    text = (ROOT / "prompts" / "summarize" / "v1.yaml").read_text(encoding="utf-8")
    text = text.replace("First summarize prompt", f"Test variant {marker} of the prompt", 1)
    text = text.replace("system: |-\n", f"system: |-\n  [{marker}]\n", 1)
    (prompts / "summarize" / name).write_text(text, encoding="utf-8")


@pytest.fixture
def lab(world: World, tmp_path: Path) -> World:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    # The test's own v2 replaces the project's, so it is not the locked one: unlock it.
    lock = prompts / "versions.lock"
    kept = [line for line in lock.read_text().splitlines() if "summarize/v2" not in line]
    lock.write_text("\n".join(kept) + "\n")
    _version(prompts, "v2.yaml", "VARIANT-WORSE")
    _version(prompts, "v3.yaml", "VARIANT-SAME")
    world.env["DIGEST_PROMPTS_DIR"] = str(prompts)
    for i, title in enumerate(TITLES):
        world.add(f"2406.{10001 + i}", title, votes=100 - i, pdf=_pdf())
        if i < WORSE_ON:
            world.llm.always_for(Behaviour.ENGLISH, "VARIANT-WORSE", f"Title: {title}")
    return world


def _create(world: World, name: str = "june") -> None:
    out = world.run("evalset", "create", name, "--date", DATE)
    assert out.exit_code == 0, out.stderr
    assert f"eval set {name}: {PAPERS} papers" in out.stdout


def _eval(world: World, *args: str) -> tuple[int, dict[str, Any], str]:
    out = world.run("eval", "june", "--json", *args)
    assert out.exit_code in (0, 3), out.stderr
    return out.exit_code, json.loads(out.stdout), out.stderr


def test_worse_is_worse_equivalent_is_not_and_a_repeat_calls_nothing(lab: World) -> None:
    _create(lab)
    code, report, err = _eval(
        lab,
        "--prompts",
        "summarize@v1,summarize@v2,summarize@v3",
        "--fail-if-worse",
        "--faithfulness",
        "flag",
    )
    assert code == 3
    assert "--fail-if-worse: summarize@v2 is worse than summarize@v1" in err
    assert report["evalset"] == "june" and report["papers"] == PAPERS
    v1, v2 = report["versions"]["summarize@v1"], report["versions"]["summarize@v2"]
    assert (v1["passed"], v1["needs_review"], v1["failed"]) == (PAPERS, 0, 0)
    assert (v2["passed"], v2["needs_review"]) == (PAPERS - WORSE_ON, WORSE_ON)
    assert v2["flag_codes"]["form"] == 3 * WORSE_ON  # "not in Korean", section by section
    assert v2["metrics"]["reasks_mean"] > 1
    # The night's faithfulness policy ran (flag: published with flags): the fake model invents
    # numbers the generated paper does not have.
    assert v1["metrics"]["faithfulness_flags"] > 0
    assert report["manifest"]["params"]["faithfulness"] == "flag"
    assert v1["prompt_tokens"] > 0 and v1["cost_usd"] > 0 and v1["latency_p50_s"] >= 0
    worse, same = report["comparisons"]
    assert (worse["candidate"], worse["verdict"]) == ("summarize@v2", "worse")
    assert (worse["wins"], worse["losses"], worse["ties"]) == (0, WORSE_ON, PAPERS - WORSE_ON)
    assert worse["p_value"] == pytest.approx(2 / 2**WORSE_ON)  # 0.0078
    assert len(worse["hard_regressions"]) == WORSE_ON
    assert (same["candidate"], same["verdict"]) == ("summarize@v3", "no significant difference")
    assert (same["ties"], same["p_value"]) == (PAPERS, 1.0)
    report_path = Path(re.findall(r"report: (\S+)", err)[-1])
    assert report_path.name == "report.html" and report_path.is_file()
    assert report_path.parent.parent == lab.data / "evals" / "june"

    calls = lab.llm.calls
    code, again, err = _eval(
        lab, "--prompts", "summarize@v1,summarize@v2,summarize@v3", "--faithfulness", "flag"
    )
    assert lab.llm.calls == calls, "a repeated eval must be served from the cache"
    assert code == 0  # no --fail-if-worse: a worse verdict is reported, not an exit status
    assert all(v["llm_calls"] == 0 for v in again["versions"].values())
    assert again["comparisons"] == report["comparisons"]
    assert again["run_id"] != report["run_id"]  # a new report, the old one kept
    assert report_path.is_file()


def test_equivalent_version_passes_the_gate_and_offline_never_calls(lab: World) -> None:
    _create(lab)
    code, report, _ = _eval(lab, "--prompts", "summarize@v1,summarize@v3", "--fail-if-worse")
    assert code == 0 and report["comparisons"][0]["verdict"] == "no significant difference"
    calls = lab.llm.calls
    code, offline, _ = _eval(lab, "--prompts", "summarize@v1,summarize@v3", "--offline")
    assert code == 0 and offline["comparisons"] == report["comparisons"]
    out = lab.run("eval", "june", "--prompts", "summarize@v1,summarize@v2", "--offline")
    assert (
        out.exit_code == 2
        and "--offline: a reply of gpt-4.1-mini is not in the cache" in out.stderr
    )
    assert lab.llm.calls == calls


def test_a_single_lost_paper_fails_the_gate_without_a_worse_verdict(lab: World) -> None:
    _create(lab)
    lab.llm.always_for(Behaviour.ENGLISH, "VARIANT-SAME", f"Title: {TITLES[-1]}")
    out = lab.run("eval", "june", "--prompts", "summarize@v1,summarize@v3", "--fail-if-worse")
    assert out.exit_code == 3, out.stderr
    assert "summarize@v3 vs summarize@v1: no significant difference (0 wins, 1 losses" in out.stdout
    assert "--fail-if-worse: summarize@v3 fails 1 paper(s) summarize@v1 passes: 2406.10010" in (
        out.stdout
    )
    assert out.stdout.rstrip().splitlines()[-1].startswith("report: ")


def _entry(text: str, tag: str) -> str:
    match = re.search(f"<{tag}>(.*?)</{tag}>", text, re.S)
    return match.group(1) if match else ""


def _korean_loving_judge(text: str) -> dict[str, str] | None:
    """Prefers the more Korean entry; on equal entries always says A (a position bias)."""
    if "<entry_a>" not in text:
        return None
    a, b = hangul_ratio(_entry(text, "entry_a")), hangul_ratio(_entry(text, "entry_b"))
    if a == b:
        return {"preferred": "A", "reason": "first one"}
    return {"preferred": "A" if a > b else "B", "reason": "more Korean"}


def test_judge_is_asked_in_both_orders_and_counts_only_consistent_votes(lab: World) -> None:
    _create(lab)
    lab.llm.respond_with(_korean_loving_judge)
    args = ("--prompts", "summarize@v1,summarize@v2,summarize@v3", "--judge", "gpt-4.1-mini")
    _, report, _ = _eval(lab, *args)
    judge_v2, judge_v3 = report["judge"]
    # v2's English drafts lose in both orders: every vote counts, for the baseline.
    assert (judge_v2["baseline_wins"], judge_v2["candidate_wins"]) == (WORSE_ON, 0)
    assert judge_v2["win_rate"] == 0.0 and judge_v2["ci_high"] < 0.4
    # v3 writes what v1 writes: the judge's "A" in both orders is inconsistent, never a win.
    assert judge_v3["inconsistent"] == PAPERS and judge_v3["win_rate"] is None
    judged = [b for b in lab.llm.chat_bodies() if "<entry_a>" in json.dumps(b, ensure_ascii=False)]
    shown = [
        (
            _entry(b["messages"][1]["content"], "entry_a"),
            _entry(b["messages"][1]["content"], "entry_b"),
        )
        for b in judged
    ]
    differing = [(a, b) for a, b in shown if a != b]
    assert len(differing) == 2 * WORSE_ON  # each of v2's English drafts: two asks
    assert all((b, a) in differing for a, b in differing)  # ... once as A, once as B
    # Identical entries read the same either way round: that question is asked once, cached.
    assert len(shown) - len(differing) == PAPERS
    assert judged[0]["response_format"]["json_schema"]["name"] == "pairwise_judgement"
    assert report["manifest"]["judge_prompt"] == "judge@v1"
    assert any((lab.data / "cache" / "judge").iterdir())
    calls = lab.llm.calls
    _, again, _ = _eval(lab, *args)
    assert lab.llm.calls == calls and again["judge"] == report["judge"]


def test_report_files_are_self_contained_and_match(
    lab: World, request: pytest.FixtureRequest
) -> None:
    _create(lab)
    out = lab.run("eval", "june", "--prompts", "summarize@v1,summarize@v2")
    assert out.exit_code == 0, out.stderr
    html_path = Path(out.stdout.rstrip().splitlines()[-1].split()[1])
    page = html_path.read_text(encoding="utf-8")
    data = json.loads((html_path.parent / "report.json").read_text(encoding="utf-8"))
    assert external_urls(page) == []
    assert_html_matches_json(page, data)
    manifest = data["manifest"]
    assert len(manifest["set_hash"]) == 64 and manifest["models"] == ["gpt-4.1-mini"]
    assert set(manifest["prompts"]) == {"summarize@v1", "summarize@v2"}
    assert manifest["params"]["token_budget"] == 12000
    # Only now: an open browser would stop the CLI's asyncio.run() above.
    browser_page = request.getfixturevalue("browser_page")
    browser_page.goto(html_path.as_uri())
    assert browser_page.locator(".verdict .badge").inner_text() == "worse"
    save_screenshot(browser_page, "lab_eval_report", full_page=True)
    browser_page.locator(".matrix a").first.click()
    detail = browser_page.locator(".detail:target")
    assert detail.locator("h2").inner_text() == TITLES[0]  # a regression comes first
    # English against Korean is no edit: shown whole, not as a diff of every word.
    assert "rewritten (" in detail.locator(".text").nth(3).inner_text()
    save_screenshot(browser_page, "lab_eval_paper")


def test_evalset_commands(lab: World) -> None:
    _create(lab)
    out = lab.run("evalset", "create", "june", "--date", DATE)
    assert out.exit_code == 2 and "a set never changes once made" in out.stderr
    out = lab.run("evalset", "list")
    assert out.exit_code == 0 and out.stdout.startswith(f"june  {PAPERS} papers  {DATE}")
    out = lab.run("evalset", "show", "june")
    assert "2406.10001" in out.stdout and "pdf" in out.stdout
    out = lab.run("evalset", "create", "two", "--date", DATE, "--ids", "2406.10003,2406.10001")
    assert out.exit_code == 0, out.stderr
    assert [line.split()[0] for line in out.stdout.splitlines()[3:]] == ["2406.10003", "2406.10001"]
    out = lab.run("evalset", "create", "bad", "--date", DATE, "--ids", "9999.99999")
    assert out.exit_code == 2 and "not listed on those dates: 9999.99999" in out.stderr
    out = lab.run("evalset", "show", "nope")
    assert out.exit_code == 2 and "no eval set 'nope' (known: june, two)" in out.stderr


def test_a_frozen_set_is_checked_against_its_manifest(lab: World) -> None:
    _create(lab)
    inputs = lab.data / "evalset-inputs" / "june.json"
    inputs.write_text(inputs.read_text(encoding="utf-8").replace("Sparse", "Dense", 1))
    out = lab.run("eval", "june", "--prompts", "summarize@v1")
    assert out.exit_code == 1 and "does not match its manifest" in out.stderr


def test_models_are_compared_too(lab: World) -> None:
    _create(lab)
    lab.llm.models.append("gpt-4o-mini")
    code, report, _ = _eval(lab, "--prompts", "summarize@v1", "--model", "gpt-4.1-mini,gpt-4o-mini")
    assert code == 0
    assert report["baseline"] == "summarize@v1 (gpt-4.1-mini)"
    assert list(report["versions"]) == ["summarize@v1 (gpt-4.1-mini)", "summarize@v1 (gpt-4o-mini)"]
    (comparison,) = report["comparisons"]
    assert comparison["candidate"] == "summarize@v1 (gpt-4o-mini)"
    assert report["versions"]["summarize@v1 (gpt-4o-mini)"]["model"] == "gpt-4o-mini"
    models = {b["model"] for b in lab.llm.chat_bodies()}
    assert models == {"gpt-4.1-mini", "gpt-4o-mini"}


@pytest.fixture
def faithfulness_check() -> Iterator[None]:
    """A check registered from another module: flags every "%" number it cannot find in the
    frozen paper's text."""

    def numbers_in_paper(summary: Summary, frozen: FrozenPaper) -> list[Flag]:
        source = frozen.extraction.context if frozen.extraction else frozen.input.text
        return [
            Flag(code="faithfulness_number", detail=f"{n} is not in the paper")
            for n in re.findall(r"\d+%", summary.performance_highlights)
            if n not in source
        ]

    discover(pipeline)  # the features' own checks are loaded first, as an eval does
    before = dict(CHECKS)
    register_check("faithfulness")(numbers_in_paper)
    yield
    CHECKS.clear()
    CHECKS.update(before)


def test_a_registered_check_flags_outcomes_and_is_counted(
    lab: World, faithfulness_check: None
) -> None:
    _create(lab)
    _, report, _ = _eval(lab, "--prompts", "summarize@v1,summarize@v3")
    v1, v3 = report["versions"]["summarize@v1"], report["versions"]["summarize@v3"]
    assert v1["metrics"]["faithfulness_flags"] > 0
    assert v1["flag_codes"]["faithfulness_number"] == v1["metrics"]["faithfulness_flags"]
    assert v1["flagged"] == v3["flagged"] > 0 and v1["passed"] == PAPERS
    # Besides the style flags every output gets measured by, only the registered check's.
    codes = {f["code"] for o in report["outcomes"] for f in o["flags"]}
    assert {c for c in codes if not c.startswith("style_")} == {"faithfulness_number"}
    assert report["comparisons"][0]["ties"] == PAPERS  # the same text earns the same flags


def test_judge_works_on_a_server_without_json_schema(lab: World) -> None:
    """json_object mode: the judge's own schema, not the summary's, goes into the prompt."""
    _create(lab)
    lab.llm.supports_json_schema = False
    lab.llm.respond_with(_korean_loving_judge)
    _, report, _ = _eval(lab, "--prompts", "summarize@v1,summarize@v2", "--judge", "gpt-4.1-mini")
    assert report["judge"][0]["baseline_wins"] == WORSE_ON
    judged = [b for b in lab.llm.chat_bodies() if "<entry_a>" in json.dumps(b, ensure_ascii=False)]
    assert judged and all(b["response_format"] == {"type": "json_object"} for b in judged)
    system = judged[0]["messages"][0]["content"]
    assert '"preferred"' in system and "whats_new" not in system.split("JSON schema:")[-1]


def test_a_set_made_after_the_night_reuses_everything_it_did(lab: World) -> None:
    """Same stages, same caches: freezing a finished night fetches nothing, and evaluating the
    night's own prompt and model replays the night's replies."""
    night = lab.night("--prompt", "summarize@v1")
    assert night.exit_code == 0, night.stderr
    requests = (lab.hf.count(), lab.arxiv.count(), lab.llm.calls)
    _create(lab)
    _, report, _ = _eval(lab, "--prompts", "summarize@v1")
    assert (lab.hf.count(), lab.arxiv.count(), lab.llm.calls) == requests
    assert report["versions"]["summarize@v1"]["passed"] == PAPERS


def test_another_budget_is_another_set(lab: World) -> None:
    _create(lab)
    out = lab.run("evalset", "create", "june-3k", "--date", DATE, "--budget", "3000")
    assert out.exit_code == 0, out.stderr
    sets = {line.split()[0]: line for line in lab.run("evalset", "list").stdout.splitlines()}
    assert "budget 12000" in sets["june"] and "budget 3000" in sets["june-3k"]
    hashes = {name: line.split()[-3] for name, line in sets.items()}
    assert hashes["june"] != hashes["june-3k"]


def test_a_model_the_server_does_not_list_is_a_warning_as_in_the_night(lab: World) -> None:
    """A local server may answer a name it does not list (llama.cpp lists a file path): the eval
    warns once per option, before the run, and goes on, as the night does."""
    _create(lab)
    lab.llm.listed_models = ["/models/smollm2-135m.gguf"]
    lab.llm.respond_with(_korean_loving_judge)
    code, report, err = _eval(
        lab, "--prompts", "summarize@v1,summarize@v3", "--judge", "gpt-4.1-mini"
    )
    assert code in (0, 3) and report["versions"]["summarize@v1"]["passed"] == PAPERS
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "Traceback" not in err
    assert warnings[0].startswith("warning: --model gpt-4.1-mini: ")
    assert warnings[1].startswith("warning: --judge gpt-4.1-mini: ")
    assert all("/models/smollm2-135m.gguf" in w for w in warnings)  # what it does list
    assert warnings[1].endswith("pass --judge with a listed id")
    assert err.index(warnings[1]) < err.index("report: ")  # said before the run, not after
    night = lab.night("--prompt", "summarize@v1")
    assert night.exit_code == 0 and "is not one the server lists" in night.stderr


def test_a_model_the_server_rejects_fails_with_one_line_naming_it(lab: World) -> None:
    _create(lab)
    for args, named, hint in (
        (("--model", "gpt-4.1-mini,gpt-4o-minii"), "gpt-4o-minii", "check --model"),
        (("--judge", "gpt-4o-minii"), "--judge gpt-4o-minii", "check --judge"),
    ):
        out = lab.run("eval", "june", "--prompts", "summarize@v1,summarize@v3", *args)
        assert out.exit_code == 1, out.stdout + out.stderr
        errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "Traceback" not in out.stderr
        assert named in errors[0] and hint in errors[0]
        warned = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
        assert len(warned) == 1 and "gpt-4o-minii" in warned[0]  # the warning came first
    night = lab.night("--model", "gpt-4o-minii")
    assert night.exit_code == 1 and "gpt-4o-minii" in night.stderr


def test_a_cut_off_reply_is_one_form_problem_not_two(lab: World) -> None:
    """The cut-off reason contains "; ": it used to count as two form flags and decide pairs."""
    _create(lab)
    lab.llm.always_for(Behaviour.LENGTH, "VARIANT-SAME", f"Title: {TITLES[0]}")
    _, report, _ = _eval(lab, "--prompts", "summarize@v1,summarize@v3")
    cut = next(
        o for o in report["outcomes"]
        if o["version"] == "summarize@v3" and o["arxiv_id"] == "2406.10001"
    )  # fmt: skip
    assert "cut off at the token limit; keep each section shorter" in cut["reason"]
    assert [f["code"] for f in cut["flags"] if f["code"] == "form"] == ["form"]
    assert report["versions"]["summarize@v3"]["flag_codes"]["form"] == 1


def test_a_judge_the_server_cannot_vouch_for_fails_naming_the_judge(lab: World) -> None:
    """A server that lists no models cannot be checked up front: the judge's error still names
    --judge, not --model."""
    _create(lab)
    lab.llm.listed_models = []
    out = lab.run("eval", "june", "--prompts", "summarize@v1,summarize@v3", "--judge", "nope")
    assert out.exit_code == 1
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--judge nope" in errors[0] and "check --judge" in errors[0]
    assert "--model" not in errors[0]
