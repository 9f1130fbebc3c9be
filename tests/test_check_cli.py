"""``run.py check``: the contract editors and researchers script against.

--summary S.json --source PAPER.pdf|TEXT.txt [--json]; --jsonl IN.jsonl (one JSON line per input
line, in order; an unreadable source gets an "error" line and exit 1 after the rest); exit 2
for bad usage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests import pdfs

TITLE = "OrcaNet: Sparse Experts for Code Generation"
ABSTRACT = "We present OrcaNet, a Mixture-of-Experts code model with 236B parameters."
BODY = "OrcaNet reaches 71.4% on GSM8K and decodes 14x faster than Llama-3-70B."
GOOD = {
    "whats_new": "OrcaNet은 2,360억 개의 파라미터를 가진 Mixture-of-Experts 코드 모델입니다.",
    "technical_details": "OrcaNet은 Llama-3-70B보다 14배 빠르게 디코딩합니다.",
    "performance_highlights": "OrcaNet은 GSM8K에서 71.4%를 기록했습니다.",
}
SLIP = {**GOOD, "whats_new": GOOD["whats_new"].replace("2,360억", "236억")}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdfs.paper_pdf(TITLE, ABSTRACT, {"Experiments": BODY}))
    return path


@pytest.fixture
def text_paper(tmp_path: Path) -> Path:
    path = tmp_path / "paper.txt"
    path.write_text(f"{TITLE}\n\nAbstract\n{ABSTRACT}\n\n{BODY}\n", encoding="utf-8")
    return path


def test_a_faithful_summary_has_no_flags(tmp_path: Path, paper: Path) -> None:
    code, out, _ = run("--summary", str(write(tmp_path / "s.json", GOOD)), "--source", str(paper))
    assert code == 0 and "no flags" in out


def test_json_names_kind_section_span_and_message(tmp_path: Path, paper: Path) -> None:
    summary = write(tmp_path / "s.json", SLIP)
    code, out, _ = run("--summary", str(summary), "--source", str(paper), "--json")
    assert code == 0  # flags are a result, not a failure
    [line] = out.splitlines()
    value = json.loads(line)
    assert value["flags"] == [
        {
            "kind": "number",
            "section": "whats_new",
            "span": "236억",
            "message": "the number 236억 (= 23,600,000,000) does not occur in the paper "
            "in any form",
        }
    ]


def test_a_summary_may_be_one_string_and_the_source_a_text_file(
    tmp_path: Path, text_paper: Path
) -> None:
    summary = write(tmp_path / "s.json", "OrcaNet은 GSM8K에서 17.4%를 기록했습니다.")
    code, out, _ = run("--summary", str(summary), "--source", str(text_paper), "--json")
    assert code == 0
    flags = json.loads(out)["flags"]
    assert [(f["kind"], f["section"], f["span"]) for f in flags] == [("number", None, "17.4%")]


def test_jsonl_prints_one_line_per_input_in_order_and_exits_1_on_an_unreadable_source(
    tmp_path: Path, paper: Path, text_paper: Path
) -> None:
    lines = [
        {"id": "a", "summary": GOOD, "source": str(paper)},
        {"id": 2, "summary": SLIP, "source": "paper.txt"},  # relative to the JSONL's folder
        {"id": "gone", "summary": GOOD, "source": str(tmp_path / "missing.pdf")},
        {"id": "generic", "summary": "새 인공지능 모델이 소개되었습니다.", "source": str(paper)},
    ]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    code, out, _ = run("--jsonl", str(jsonl))
    assert code == 1  # the unreadable source; every other line was still checked
    values = [json.loads(line) for line in out.splitlines()]
    assert [v["id"] for v in values] == ["a", 2, "gone", "generic"]
    assert values[0]["flags"] == []
    assert [f["span"] for f in values[1]["flags"]] == ["236억"]
    assert set(values[2]) == {"id", "error"} and "missing.pdf" in values[2]["error"]
    assert [f["kind"] for f in values[3]["flags"]] == ["paper"]


def test_jsonl_where_every_line_is_checked_exits_0(tmp_path: Path, paper: Path) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"id": "x", "summary": SLIP, "source": str(paper)}) + "\n")
    code, out, _ = run("--jsonl", str(jsonl))
    assert code == 0 and len(out.splitlines()) == 1


def test_a_malformed_jsonl_line_is_an_error_line(tmp_path: Path, paper: Path) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"id": "x", "summary": {"whats_new": "a"}, "source": "p.pdf"}\nnot json\n')
    code, out, _ = run("--jsonl", str(jsonl))
    assert code == 1
    assert [set(json.loads(line)) for line in out.splitlines()] == [{"id", "error"}] * 2


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--summary", "s.json"],  # no --source
        ["--jsonl", "in.jsonl", "--date", "2024-06-13"],
        ["--jsonl", "does-not-exist.jsonl"],
    ],
)
def test_bad_usage_exits_2(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(*args)
    assert code == 2 and err.startswith("error:")


def test_a_summary_file_that_is_not_a_summary_is_bad_usage(tmp_path: Path, paper: Path) -> None:
    summary = write(tmp_path / "s.json", {"whats_new": "하나뿐입니다."})
    code, _, err = run("--summary", str(summary), "--source", str(paper))
    assert code == 2 and "technical_details" in err
