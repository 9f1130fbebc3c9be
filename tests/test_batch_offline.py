"""``batch export`` -> ``vllm run-batch`` (the fake's ``run_batch``) -> ``batch import``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.stages.llm import chat_request
from tests import pdfs
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.batch import FakeBatchLLM
from tests.fakes.hf import FakeHF, hf_entry
from tests.test_backfill import add_day
from tests.world import Outcome, World

D1, D2 = "2024-06-12", "2024-06-13"
PAPERS = {
    D1: [("2406.20001", "Batch Paper Alpha", 11), ("2406.20002", "Batch Paper Beta", 8)],
    D2: [("2406.20003", "Batch Paper Gamma", 20), ("2406.20004", "Batch Paper Delta", 2)],
}


@pytest.fixture
def batch_llm() -> Iterator[FakeBatchLLM]:
    with FakeBatchLLM() as server:
        yield server


def make_world(hf: FakeHF, arxiv: FakeArxiv, llm: FakeBatchLLM, data: Path) -> World:
    world = World(hf, arxiv, llm, data)
    for day, papers in PAPERS.items():
        add_day(world, day, papers)
    return world


@pytest.fixture
def bw(fake_hf: FakeHF, fake_arxiv: FakeArxiv, batch_llm: FakeBatchLLM, tmp_path: Path) -> World:
    return make_world(fake_hf, fake_arxiv, batch_llm, tmp_path / "data")


def batch(world: World, *args: str) -> Outcome:
    """``run.py batch ...``: a group takes --data-dir after its command name."""
    result = CliRunner().invoke(app, ["batch", *args, "--data-dir", str(world.data)], env=world.env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def export(world: World, out: Path) -> list[dict[str, Any]]:
    result = batch(world, "export", "--from", D1, "--to", D2, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in out.read_text().splitlines()]


def vllm(world: World, requests: Path, results: Path, **kw: Any) -> None:
    assert isinstance(world.llm, FakeBatchLLM)
    results.write_bytes(world.llm.run_batch(requests.read_bytes(), **kw))


def test_round_trip_writes_the_same_digests_as_online_nights(bw: World, tmp_path: Path) -> None:
    requests, results = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    lines = export(bw, requests)
    assert bw.llm.calls == 0  # nothing asked online
    assert sorted(line["custom_id"].split(":")[1] for line in lines) == sorted(
        p[0] for day in PAPERS.values() for p in day
    )
    first = lines[0]
    assert first["method"] == "POST" and first["url"] == "/v1/chat/completions"
    body = first["body"]
    assert body["model"] == "gpt-4.1-mini"
    assert body["response_format"]["json_schema"]["strict"] is True
    params = {k: v for k, v in body.items() if k not in ("model", "messages", "response_format")}
    assert body == chat_request("gpt-4.1-mini", body["messages"], params)  # the online body

    vllm(bw, requests, results, shuffled=True)
    imported = batch(bw, "import", "--in", str(results))
    assert imported.exit_code == 0, imported.stdout + imported.stderr
    assert "4 results (0 failed or expired, 0 unreadable lines) for 2 days" in imported.stdout
    assert bw.llm.calls == 0

    online = World(bw.hf, bw.arxiv, bw.llm, tmp_path / "online")
    for day in (D1, D2):
        night = online.run("--date", day)
        assert night.exit_code == 0
        assert (bw.data / day / "digest.md").read_bytes() == (
            online.data / day / "digest.md"
        ).read_bytes()
        batch_run = json.loads((bw.data / day / "run.json").read_text())
        online_run = json.loads((online.data / day / "run.json").read_text())
        assert batch_run["llm_calls"] == online_run["llm_calls"] == 2
        assert batch_run["usage"] == online_run["usage"]  # usage from the batch output
        assert batch_run["cost_usd"] == pytest.approx(
            online_run["cost_usd"] / 2, rel=1e-3
        )  # batch price
        assert batch_run["counts"] == online_run["counts"]

    calls = bw.llm.calls
    again = export(bw, tmp_path / "again.jsonl")
    assert again == [] and bw.llm.calls == calls
    reimport = batch(bw, "import", "--in", str(results))
    assert reimport.exit_code == 0 and "2 days (2 skipped)" in reimport.stdout


def test_a_reply_that_fails_validation_is_asked_again_in_the_next_batch(
    bw: World, tmp_path: Path
) -> None:
    bw.llm.script_for("Batch Paper Beta", "english")
    requests, results = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    export(bw, requests)
    vllm(bw, requests, results)
    first = batch(bw, "import", "--in", str(results))
    assert first.exit_code == 3
    record = json.loads((bw.data / D1 / "papers" / "2406.20002.json").read_text())
    assert record["status"] == "failed" and "next batch" in record["reason"]
    assert record["draft"] is not None  # the English draft is kept for an editor

    second = export(bw, tmp_path / "second.jsonl")
    assert [line["custom_id"].split(":")[1] for line in second] == ["2406.20002"]
    messages = second[0]["body"]["messages"]
    assert [m["role"] for m in messages][-2:] == ["assistant", "user"]  # the re-ask
    assert "Korean" in messages[-1]["content"] or "한국어" in messages[-1]["content"]
    vllm(bw, tmp_path / "second.jsonl", results)
    done = batch(bw, "import", "--in", str(results))
    assert done.exit_code == 0, done.stdout
    record = json.loads((bw.data / D1 / "papers" / "2406.20002.json").read_text())
    assert record["status"] == "ok" and record["provenance"]["attempts"] == 2
    assert "Batch Paper Beta" in (bw.data / D1 / "digest.md").read_text()


def test_expired_and_failed_lines_are_asked_again(bw: World, tmp_path: Path) -> None:
    bw.llm.script_for("Batch Paper Gamma", "server_error")
    requests, results = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    export(bw, requests)
    vllm(bw, requests, results, expire=1)  # the last line expired, Gamma's failed with a 500
    imported = batch(bw, "import", "--in", str(results))
    assert imported.exit_code == 1  # D2 published no paper yet
    assert "4 results (2 failed or expired" in imported.stdout
    why = [line for line in imported.stdout.splitlines() if line.startswith("  why (papers): ")]
    assert len(why) == 1 and "batch_expired" in why[0] and "HTTP 500" in why[0], imported.stdout
    statuses = {}
    for day in (D1, D2):
        for paper in json.loads((bw.data / day / "run.json").read_text())["papers"]:
            statuses[paper["arxiv_id"]] = (paper["status"], paper["reason"] or "")
    failed = {k: v for k, v in statuses.items() if v[0] == "failed"}
    assert len(failed) == 2 and "2406.20003" in failed
    assert any("batch_expired" in reason for _, reason in failed.values())
    assert any("HTTP 500" in reason for _, reason in failed.values())

    retry = export(bw, tmp_path / "retry.jsonl")
    assert sorted(line["custom_id"].split(":")[1] for line in retry) == sorted(failed)
    vllm(bw, tmp_path / "retry.jsonl", results)
    assert batch(bw, "import", "--in", str(results)).exit_code == 0


def test_import_skips_lines_that_are_not_results(bw: World, tmp_path: Path) -> None:
    requests, results = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    export(bw, requests)
    vllm(bw, requests, results)
    results.write_bytes(b'{"not": "a result"}\nnot json\n' + results.read_bytes())
    imported = batch(bw, "import", "--in", str(results))
    assert imported.exit_code == 0
    assert "2 unreadable lines" in imported.stdout and "skipped line 1" in imported.stderr


def test_a_process_pool_prepares_exactly_what_the_extraction_thread_does(
    fake_hf: FakeHF, fake_arxiv: FakeArxiv, batch_llm: FakeBatchLLM, tmp_path: Path
) -> None:
    """Two extraction worker processes (a spawned pool) or the night's one thread: the same
    request lines, an unreadable PDF included (its error crosses back from the worker)."""
    worlds = []
    for workers in ("1", "2"):
        world = make_world(fake_hf, fake_arxiv, batch_llm, tmp_path / f"data-{workers}")
        world.env["DIGEST_EXTRACT_WORKERS"] = workers
        worlds.append(world)
    fake_arxiv.add_paper("2406.20009", pdfs.encrypted_pdf(), title="Locked", abstract="Locked.")
    locked = hf_entry("2406.20009", "Locked", 1, ["Mina Kim"], "Locked.")
    fake_hf.set_day(D2, [*[hf_entry(i, t, v, ["Mina Kim"], f"We study {t.lower()}.")
                           for i, t, v in PAPERS[D2]], locked])  # fmt: skip
    thread, pool = (export(w, tmp_path / f"{w.data.name}.jsonl") for w in worlds)
    assert thread == pool and len(thread) == 5
    [fallback] = [line for line in pool if ":2406.20009:" in line["custom_id"]]
    assert "## Abstract" in fallback["body"]["messages"][-1]["content"]


def test_export_for_a_server_without_json_schema_round_trips(bw: World, tmp_path: Path) -> None:
    bw.llm.supports_json_schema = False  # vLLM serving a model through a json_object-only path
    requests, results = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    done = batch(
        bw, "export", "--from", D1, "--to", D2, "--out", str(requests),
        "--structured-output", "json_object",
    )  # fmt: skip
    assert done.exit_code == 0 and "json_object" in done.stdout
    lines = [json.loads(line) for line in requests.read_text().splitlines()]
    assert {line["body"]["response_format"]["type"] for line in lines} == {"json_object"}
    assert '"additionalProperties": false' in lines[0]["body"]["messages"][0]["content"]
    vllm(bw, requests, results)
    imported = batch(bw, "import", "--in", str(results))
    assert imported.exit_code == 0, imported.stdout + imported.stderr
    assert "0 failed or expired" in imported.stdout


def test_a_second_export_reuses_the_last_exports_model_and_format(
    bw: World, tmp_path: Path
) -> None:
    first = batch(
        bw, "export", "--from", D1, "--out", str(tmp_path / "a.jsonl"),
        "--model", "qwen2.5-7b-instruct", "--structured-output", "json_object",
    )  # fmt: skip
    assert first.exit_code == 0, first.stderr
    again = batch(bw, "export", "--from", D1, "--to", D2, "--out", str(tmp_path / "b.jsonl"))
    assert again.exit_code == 0, again.stderr
    assert "model qwen2.5-7b-instruct (the last export's)" in again.stdout
    lines = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert {line["body"]["model"] for line in lines} == {"qwen2.5-7b-instruct"}
    assert {line["body"]["response_format"]["type"] for line in lines} == {"json_object"}
    assert batch(bw, "export", "--from", D1, "--out", str(tmp_path / "c.jsonl"),
                 "--structured-output", "xml").exit_code == 2  # fmt: skip
