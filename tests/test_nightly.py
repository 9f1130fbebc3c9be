"""The nightly job end to end: fake HF + fake arXiv + fake LLM, the real CLI, real files.

The golden digest is regenerated deliberately with ``UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core.models import RECORD_SCHEMA
from tests import golden, pdfs
from tests.fakes.arxiv import html_error_page
from tests.fakes.server import rate_limited, server_error, stall
from tests.world import World, today

GOLDEN = Path(__file__).parent / "golden" / "digest_2024-06-13.md"

PAPERS = {
    "2406.10001": "Sparse Adapter Routing for Speech",
    "2406.10002": "Two-Column Vision Transformers at Scale",
    "2406.10003": "A Locked Paper About Tokenizers",
    "2406.10004": "Tied Votes Come in API Order",
}


ABSTRACT_NIGHT = 3
"""populate() has an encrypted PDF: that paper is made from its abstract, which an editor must
know, so such a night exits 3 (issue 8) though every paper is published."""


def populate(world: World) -> None:
    world.add("2406.10001", PAPERS["2406.10001"], 52, authors=["Yuna Park", "Aaron Zhu", "Bo Li"])
    world.add(
        "2406.10002", PAPERS["2406.10002"], 17, columns=2, thumbnail="https://cdn.example/demo.mp4"
    )
    world.add("2406.10003", PAPERS["2406.10003"], 30, pdf=pdfs.encrypted_pdf())
    world.add("2406.10004", PAPERS["2406.10004"], 17, thumbnail="/blog/assets/thumb.png")


def check_golden(world: World) -> None:
    golden.check_golden(GOLDEN, world.digest())


def test_night_writes_the_golden_digest_and_a_rerun_costs_nothing(world: World) -> None:
    populate(world)
    first = world.night()
    assert first.exit_code == ABSTRACT_NIGHT, first.stderr
    check_golden(world)
    assert world.statuses() == dict.fromkeys(PAPERS, "ok")
    locked = world.record("2406.10003")
    assert [f["code"] for f in locked["flags"]] == ["abstract_fallback"]
    assert locked["provenance"]["input_source"] == "abstract"
    prov = world.record("2406.10001")["provenance"]
    assert prov["prompt_name"] == "summarize" and prov["prompt_version"] == "v2"
    assert len(prov["prompt_hash"]) == 64 and prov["model"] == "gpt-4.1-mini"
    assert prov["usage"]["prompt_tokens"] > 0 and prov["input_source"] == "pdf"
    assert "Abstract" in " ".join(prov["input_sections"])
    report = world.run_json()
    assert report["exit_status"] == ABSTRACT_NIGHT and report["llm_calls"] == 4
    assert report["counts"]["ok"] == 4 and report["usage"]["prompt_tokens"] > 0
    assert report["prompts"] == [f"summarize@{prov['prompt_version']}#{prov['prompt_hash'][:12]}"]
    assert report["models"] == ["gpt-4.1-mini"] and report["schema_version"] == RECORD_SCHEMA
    assert len(prov["pdf_sha256"]) == 64 and prov["extractor_version"]

    calls, queries, downloads = (
        world.llm.calls,
        world.arxiv.api_queries(),
        world.arxiv.pdf_downloads(),
    )
    assert len(queries) == 1 and sorted(downloads) == sorted(f"{i}v1" for i in PAPERS)
    digest_before = world.digest()
    second = world.night()
    assert second.exit_code == ABSTRACT_NIGHT
    assert world.llm.calls == calls  # zero LLM calls
    assert world.arxiv.api_queries() == queries  # no arXiv query repeated
    assert world.arxiv.pdf_downloads() == downloads  # no PDF downloaded twice
    assert world.hf.count("/api/daily_papers") == 2  # but the list is re-read
    assert world.digest() == digest_before
    assert "this run: 0 LLM calls" in second.stdout
    assert "flagged: 2406.10003 - abstract_fallback" in second.stdout


def test_every_scripted_fault_still_yields_the_golden_digest(world: World) -> None:
    populate(world)
    world.llm.retry_after_s = 0.01
    world.llm.stall_seconds = 3  # past the 2 s client timeout
    world.hf.script("/api/daily_papers", rate_limited(0.01), server_error(502))
    world.arxiv.script("/api/query", server_error(503), rate_limited(0.01))
    world.arxiv.script(world.arxiv.pdf_path("2406.10001"), rate_limited(0.01), stall(3))
    world.arxiv.script(
        world.arxiv.pdf_path("2406.10002"),
        world.arxiv.cut_pdf("2406.10002"),
        world.arxiv.truncated_pdf("2406.10002"),
    )
    world.llm.script_for(PAPERS["2406.10001"], "rate_limit", "server_error", "malformed")
    world.llm.script_for(PAPERS["2406.10002"], "stall", "english", "length")
    world.llm.script_for(PAPERS["2406.10003"], "context_length", "cjk", "markdown")
    world.llm.script_for(PAPERS["2406.10004"], "empty", "markdown")
    outcome = world.night()
    assert outcome.exit_code == ABSTRACT_NIGHT, outcome.stdout + outcome.stderr
    check_golden(world)
    assert world.statuses() == dict.fromkeys(PAPERS, "ok")
    assert world.record("2406.10001")["provenance"]["attempts"] == 2  # malformed -> re-asked
    assert world.record("2406.10002")["provenance"]["attempts"] == 3  # english, length -> ok
    assert world.record("2406.10003")["provenance"]["attempts"] == 3  # cjk, markdown -> ok
    for arxiv_id in ("2406.10001", "2406.10002", "2406.10004"):  # faults retried, not dodged
        record = world.record(arxiv_id)
        assert record["provenance"]["input_source"] == "pdf", arxiv_id
        assert "abstract_fallback" not in [f["code"] for f in record["flags"]], arxiv_id
    assert world.llm.scripted_left() == 0 and world.arxiv.scripted_left() == 0
    assert world.hf.scripted_left() == 0


def test_a_refusal_is_not_reasked_blindly_and_fails_without_a_draft(world: World) -> None:
    populate(world)
    world.llm.script_for(PAPERS["2406.10004"], "refusal")
    outcome = world.night()
    assert outcome.exit_code == 3
    record = world.record("2406.10004")
    assert record["status"] == "failed" and "refused" in record["reason"]
    assert record["draft"] is None and record["provenance"]["attempts"] == 1
    assert "failed: 2406.10004" in outcome.stdout
    published = world.digest()
    assert PAPERS["2406.10004"] not in published
    for block in published.split("\n### ")[1:]:  # the others read exactly as in the golden night
        assert "\n### " + block in GOLDEN.read_text(encoding="utf-8")


def test_reask_states_the_problem_and_a_paper_that_never_passes_waits_for_review(
    world: World,
) -> None:
    populate(world)
    title = PAPERS["2406.10001"]
    world.llm.script_for(title, "english", "english", "english")
    outcome = world.night()
    assert outcome.exit_code == 3
    record = world.record("2406.10001")
    assert record["status"] == "needs_review"
    assert "Korean" in record["reason"]
    assert record["draft"]["whats_new"] and record["summary"] is None
    reasks = [
        b["messages"][-1]["content"]
        for b in world.llm.chat_bodies()
        if title in str(b["messages"]) and b["messages"][-1]["role"] == "user"
    ][1:]
    assert len(reasks) == 2 and all("not written in Korean" in m for m in reasks)
    assert title not in world.digest()  # never published, never dropped silently
    assert "needs_review: 2406.10001" in outcome.stdout
    # Re-running replays the same conversation from the cache: no new calls, same verdict.
    calls = world.llm.calls
    assert world.night().exit_code == 3 and world.llm.calls == calls


def test_a_growing_list_fetches_only_the_new_paper(world: World) -> None:
    populate(world)
    assert world.night().exit_code == ABSTRACT_NIGHT
    calls, downloads = world.llm.calls, world.arxiv.pdf_downloads()
    world.add("2406.10005", "A Paper Listed Late in the Day", 99)
    assert world.night().exit_code == ABSTRACT_NIGHT
    assert world.arxiv.api_queries()[-1]["id_list"] == "2406.10005"
    assert world.arxiv.pdf_downloads() == [*downloads, "2406.10005v1"]
    assert world.llm.calls == calls + 1
    assert world.digest().index("A Paper Listed Late") < world.digest().index(PAPERS["2406.10001"])
    snapshots = list(world.day.glob("hf_daily_papers*.json"))
    assert len(snapshots) == 2  # the earlier list is kept


def test_force_redoes_downloads_and_summaries(world: World) -> None:
    populate(world)
    assert world.night().exit_code == ABSTRACT_NIGHT
    calls, downloads = world.llm.calls, len(world.arxiv.pdf_downloads())
    assert world.night("--force").exit_code == ABSTRACT_NIGHT
    assert world.llm.calls == calls + 4
    assert len(world.arxiv.pdf_downloads()) == downloads + 4


def test_server_without_json_schema_gets_json_object(world: World) -> None:
    populate(world)
    world.llm.supports_json_schema = False
    outcome = world.night()
    assert outcome.exit_code == ABSTRACT_NIGHT, outcome.stdout
    check_golden(world)
    formats = [b["response_format"]["type"] for b in world.llm.chat_bodies()]
    assert "json_object" in formats and formats.count("json_object") == 4


def test_dry_run_lists_downloads_extracts_and_prices_without_an_llm(
    world: World, tmp_path: Path
) -> None:
    populate(world)
    out = tmp_path / "prompts-out"
    outcome = world.night(
        "--dry-run", "--prompt-out", str(out), env={"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None}
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert world.llm.calls == 0
    lines = outcome.stdout.splitlines()
    ids_in_order = [line.split()[0] for line in lines if line.startswith("2406.")]
    assert ids_in_order == [
        "2406.10001",
        "2406.10003",
        "2406.10002",
        "2406.10004",
    ]  # votes, ties as listed
    assert all("tokens" in line and "est. $" in line for line in lines if line.startswith("2406."))
    assert lines[-1].startswith("estimated cost of the night: $")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{i}.txt" for i in PAPERS)
    assert "Title: Sparse Adapter Routing" in (out / "2406.10001.txt").read_text()
    assert not (world.day / "digest.md").exists()
    assert len(world.arxiv.pdf_downloads()) == 4


def test_max_cost_leaves_papers_pending_for_the_next_run(world: World, tmp_path: Path) -> None:
    populate(world)
    prices = tmp_path / "prices.json"
    prices.write_text('{"gpt-4.1-mini": {"input": 1000, "output": 1000}}')
    env = {"DIGEST_PRICE_FILE": str(prices)}
    outcome = world.night("--max-cost", "0.01", "--concurrency", "1", env=env)
    assert outcome.exit_code == 3
    statuses = world.statuses()
    assert list(statuses.values()).count("ok") == 1
    assert list(statuses.values()).count("pending") == 3
    assert "--max-cost" in outcome.stdout
    assert world.night(env=env).exit_code == ABSTRACT_NIGHT
    assert world.llm.calls == 4  # the pending papers, and only those, were summarised


def test_prompt_version_is_selectable_and_a_new_version_resummarizes(
    world: World, tmp_path: Path
) -> None:
    populate(world)
    assert world.night("--prompt", "summarize@v1").exit_code == ABSTRACT_NIGHT
    prompts = tmp_path / "prompts"
    (prompts / "summarize").mkdir(parents=True)
    v1 = (Path(__file__).parent.parent / "prompts" / "summarize" / "v1.yaml").read_text()
    (prompts / "summarize" / "v1.yaml").write_text(v1)
    (prompts / "summarize" / "v2.yaml").write_text(
        v1.replace("about 150 to 350", "about 150 to 300")
    )
    calls = world.llm.calls
    assert world.night(env={"DIGEST_PROMPTS_DIR": str(prompts)}).exit_code == ABSTRACT_NIGHT
    assert world.llm.calls == calls + 4
    assert world.record("2406.10001")["provenance"]["prompt_version"] == "v2"
    history = list((world.day / "papers" / "history").glob("2406.10001.*.json"))
    assert len(history) == 1 and '"prompt_version": "v1"' in history[0].read_text()
    bad = world.night("--prompt", "summarize@v9")
    assert bad.exit_code == 2 and "v1" in bad.stderr


def test_a_hand_edited_digest_is_never_overwritten_silently(world: World) -> None:
    populate(world)
    assert world.night().exit_code == ABSTRACT_NIGHT
    (world.day / "digest.md").write_text("edited by the editor\n")
    world.add("2406.10005", "A Paper Listed Late in the Day", 99)
    outcome = world.night()
    kept = list(world.day.glob("digest.edited-*.md"))
    assert len(kept) == 1 and kept[0].read_text() == "edited by the editor\n"
    assert "edited by hand" in outcome.stdout
    assert "A Paper Listed Late" in world.digest()


def test_retry_after_is_honoured(world: World) -> None:
    world.add("2406.10001", PAPERS["2406.10001"], 5)
    world.arxiv.script(world.arxiv.pdf_path("2406.10001"), rate_limited(2))
    outcome = world.night(env={"DIGEST_MAX_BACKOFF_S": "5"})
    assert outcome.exit_code == 0
    first, second = [r for r in world.arxiv.requests if r.path.startswith("/pdf/")]
    # Without the hint the first backoff is at most 1 s (jittered): only Retry-After waits 2.
    assert second.received_at - first.received_at >= 2.0
    assert world.arxiv.pdf_downloads() == ["2406.10001v1", "2406.10001v1"]


def test_a_download_that_is_not_a_pdf_falls_back_to_the_abstract_with_the_reason(
    world: World,
) -> None:
    world.add("2406.10001", PAPERS["2406.10001"], 5)
    world.arxiv.script(world.arxiv.pdf_path("2406.10001"), *[html_error_page()] * 2)
    outcome = world.night()
    assert outcome.exit_code == 3, outcome.stderr  # made from its abstract: an editor must know
    record = world.record("2406.10001")
    assert record["provenance"]["input_source"] == "abstract"
    (flag,) = record["flags"]
    assert flag["code"] == "abstract_fallback"
    assert "PDF unavailable" in flag["detail"] and "not a PDF" in flag["detail"]
    assert len(world.arxiv.pdf_downloads()) == 2  # a broken download is tried once more
    assert not list((world.data / "cache" / "pdf").glob("*.pdf"))  # never cached


# ---- what a user sees when something is wrong ----------------------------------------------


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("date", "message"), [("2024-13-01", "not a date"), ("tomorrow", "not a date")]
)
def test_invalid_date_is_a_usage_error(world: World, date: str, message: str) -> None:
    outcome = world.run("--date", date)
    assert outcome.exit_code == 2 and message in one_line_error(outcome.stderr)


def test_future_date_is_a_usage_error(world: World) -> None:
    tomorrow = today().toordinal() + 1
    import datetime as dt

    outcome = world.run("--date", dt.date.fromordinal(tomorrow).isoformat())
    assert outcome.exit_code == 2 and "future" in one_line_error(outcome.stderr)


def test_huggingface_down_names_the_service_and_url(world: World) -> None:
    populate(world)
    world.hf.script("/api/daily_papers", *[server_error(503)] * 5)
    outcome = world.night()
    line = one_line_error(outcome.stderr)
    assert outcome.exit_code == 1
    assert "Hugging Face" in line and world.hf.url in line and "503" in line


def test_arxiv_down_names_the_service(world: World) -> None:
    populate(world)
    world.arxiv.script("/api/query", *[server_error(500)] * 5)
    outcome = world.night()
    assert outcome.exit_code == 1 and "arXiv API" in one_line_error(outcome.stderr)


def test_a_day_without_papers_writes_nothing(world: World) -> None:
    outcome = world.night()
    assert outcome.exit_code == 0 and "no papers" in outcome.stdout
    assert not (world.day / "digest.md").exists()


def test_no_llm_configured_says_how_to_set_one(world: World) -> None:
    populate(world)
    outcome = world.night(env={"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None})
    line = one_line_error(outcome.stderr)
    assert outcome.exit_code == 2 and "OPENAI_API_KEY" in line and "OPENAI_BASE_URL" in line


def test_wrong_key_stops_before_any_paper_is_marked_failed(world: World) -> None:
    populate(world)
    world.llm.api_key = "the-right-key"
    outcome = world.night()
    assert outcome.exit_code == 1 and "401" in one_line_error(outcome.stderr)
    assert not (world.day / "papers").exists()
    # The check runs beside the downloads; the first call waits for it, so none is made.
    assert world.llm.calls == 0
    assert world.run_json()["exit_status"] == 1 and "401" in world.run_json()["error"]


def test_wrong_key_on_a_day_without_papers_still_fails(world: World) -> None:
    world.llm.api_key = "the-right-key"
    outcome = world.night()
    assert outcome.exit_code == 1 and "401" in one_line_error(outcome.stderr)


def test_the_night_starts_without_the_openai_sdk_or_the_arxiv_package() -> None:
    """The SDK (~0.3 s) and the arxiv package with requests (~0.15 s) are imported in threads
    while the night lists and downloads, and rich (~55 ms) only for a terminal's progress bars:
    importing the command and the night must not pull them in."""
    heavy = ("openai", "arxiv", "requests", "rich")
    code = (
        "import sys, pipeline.cli, pipeline.night.run; "
        f"print(sorted(m for m in sys.modules if m in {heavy!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_unknown_model_stops_the_night_without_failing_papers(world: World) -> None:
    populate(world)
    outcome = world.night("--model", "no-such-model")
    assert outcome.exit_code == 1 and "404" in one_line_error(outcome.stderr)
    papers = world.day / "papers"
    assert not papers.exists() or not any('"failed"' in p.read_text() for p in papers.iterdir())


def test_injected_instructions_never_reach_the_llm_and_are_flagged(world: World) -> None:
    world.add("2406.10009", "Steps Routed to Experts", 9, pdf=pdfs.injected_pdf())
    world.add("2406.10010", "Hidden White Text", 8, pdf=pdfs.hidden_text_pdf("white"))
    outcome = world.night()
    assert outcome.exit_code == 3  # hidden text: an editor must look
    sent = " ".join(str(b["messages"]) for b in world.llm.chat_bodies()).upper()
    assert "IGNORE ALL PREVIOUS INSTRUCTIONS" not in sent
    assert "CONCLUSION-MARKER" in sent  # the paragraph's paper text itself did go through
    codes = {f["code"] for f in world.record("2406.10009")["flags"]}
    assert "prompt_injection" in codes
    assert "hidden_text" in {f["code"] for f in world.record("2406.10010")["flags"]}
    assert "flagged: 2406.10009 - prompt_injection" in outcome.stdout
