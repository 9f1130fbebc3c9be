"""Issue 8, item 5: every request has a total deadline and PDFs a size cap. A host that trickles
bytes (each read quick, the whole endless) or a huge PDF costs one paper at most, never the
night, and never sits whole in memory."""

from __future__ import annotations

import json
from pathlib import Path

from tests import pdfs
from tests.fakes.hostile import trickle, unsized
from tests.fakes.llm import summary_for
from tests.world import World

FAST_DEADLINE = {"DIGEST_HTTP_DEADLINE_S": "1", "DIGEST_LLM_DEADLINE_S": "1"}


def padded_pdf(size: int) -> bytes:
    """A readable PDF of about ``size`` bytes: a comment before the trailer pads it."""
    pdf = pdfs.paper_pdf("Huge Paper", "An abstract about a very large paper.")
    cut = pdf.rindex(b"%%EOF")
    return pdf[:cut] + b"%" + b"x" * max(0, size - len(pdf)) + b"\n" + pdf[cut:]


def _pdf_files(world: World) -> list[Path]:
    folder = world.data / "cache" / "pdf"
    return sorted(folder.iterdir()) if folder.exists() else []


def _fallback(world: World, arxiv_id: str) -> str:
    flags = world.record(arxiv_id)["flags"]
    return next(f["detail"] for f in flags if f["code"] == "abstract_fallback")


def test_a_pdf_over_the_cap_is_refused_by_its_declared_size(world: World) -> None:
    world.add("2406.00001", "Huge Paper", 9, pdf=padded_pdf(300_000))
    world.add("2406.00002", "Small Paper", 5)
    outcome = world.night(env={"DIGEST_MAX_PDF_MB": "0.2"})
    assert outcome.exit_code == 3, outcome.stdout + outcome.stderr
    assert "larger than 0.2 MB (DIGEST_MAX_PDF_MB)" in _fallback(world, "2406.00001")
    assert world.statuses() == {"2406.00001": "ok", "2406.00002": "ok"}
    assert [p.name for p in _pdf_files(world)] == ["2406.00002v1.pdf"]  # nothing half-kept


def test_a_pdf_without_a_size_is_cut_off_at_the_cap(world: World) -> None:
    world.add("2406.00001", "Huge Paper", 9)
    huge = unsized(padded_pdf(600_000))
    world.arxiv.script(world.arxiv.pdf_path("2406.00001"), huge, huge)
    outcome = world.night(env={"DIGEST_MAX_PDF_MB": "0.2"})
    assert outcome.exit_code == 3
    assert "larger than 0.2 MB" in _fallback(world, "2406.00001")
    assert _pdf_files(world) == []
    assert world.arxiv.scripted_left() == 1  # an oversized PDF is not downloaded twice


def test_a_pdf_under_the_cap_without_a_size_streams_to_the_store(world: World) -> None:
    body = padded_pdf(150_000)
    world.add("2406.00001", "Huge Paper", 9, pdf=body)
    world.arxiv.script(world.arxiv.pdf_path("2406.00001"), unsized(body))
    outcome = world.night(env={"DIGEST_MAX_PDF_MB": "0.2"})
    assert outcome.exit_code == 0, outcome.stdout
    assert [p.read_bytes() == body for p in _pdf_files(world)] == [True]


def test_a_trickling_pdf_host_misses_its_deadline_and_the_night_goes_on(world: World) -> None:
    world.add("2406.00001", "Trickled Paper", 9)
    world.add("2406.00002", "Healthy Paper", 5)
    body = pdfs.paper_pdf("Trickled Paper", "An abstract.")
    # 64 bytes every 0.1 s: every read is quick, the whole would take minutes
    slow = trickle(body, chunk=64, every_s=0.1, content_type="application/pdf")
    world.arxiv.script(world.arxiv.pdf_path("2406.00001"), slow, slow)
    outcome = world.night(env=FAST_DEADLINE)
    assert outcome.exit_code == 3, outcome.stdout + outcome.stderr
    assert "no complete answer within 1s" in _fallback(world, "2406.00001")
    assert world.statuses() == {"2406.00001": "ok", "2406.00002": "ok"}
    assert world.arxiv.scripted_left() == 1  # a missed deadline is not waited out again


def test_a_trickling_llm_reply_is_a_failed_attempt(world: World) -> None:
    world.add("2406.00001", "Slow Model Paper", 9)
    world.add("2406.00002", "Healthy Paper", 5)
    completion = {
        "id": "chatcmpl-slow",
        "object": "chat.completion",
        "created": 1718064000,
        "model": "gpt-4.1-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": json.dumps(summary_for("Slow"))},
                "finish_reason": "stop",
            }
        ],
    }
    body = json.dumps(completion, ensure_ascii=False).encode()
    slow = trickle(body, chunk=16, every_s=0.1, content_type="application/json")
    world.llm.script_for("Slow Model Paper", slow, slow)
    outcome = world.night(env={**FAST_DEADLINE, "DIGEST_MAX_ATTEMPTS": "2"})
    assert outcome.exit_code == 3
    assert world.statuses() == {"2406.00001": "failed", "2406.00002": "ok"}
    reason = world.record("2406.00001")["reason"]
    assert "no complete answer within 1s after 2 attempts" in reason


def test_a_trickling_listing_is_one_line_not_a_hang(world: World) -> None:
    world.add("2406.00001", "A Paper", 9)
    page = json.dumps(world.entries).encode()
    slow = trickle(page, chunk=32, every_s=0.1, content_type="application/json")
    world.hf.script("/api/daily_papers", slow, slow)
    outcome = world.night(env={**FAST_DEADLINE, "DIGEST_MAX_ATTEMPTS": "2"})
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("error: ")]
    assert outcome.exit_code == 1 and len(errors) == 1
    assert "Hugging Face" in errors[0] and "no complete answer within 1s" in errors[0]


def test_a_trickling_arxiv_api_is_one_line_not_a_hang(world: World) -> None:
    world.add("2406.00001", "A Paper", 9)
    feed = b"<?xml version='1.0'?>" + b" " * 20_000
    slow = trickle(feed, chunk=32, every_s=0.1, content_type="application/atom+xml")
    world.arxiv.script("/api/query", slow, slow)
    outcome = world.night(env={**FAST_DEADLINE, "DIGEST_MAX_ATTEMPTS": "2"})
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("error: ")]
    assert outcome.exit_code == 1 and len(errors) == 1, outcome.stderr
    assert "arXiv API" in errors[0] and "no complete answer within 1s" in errors[0]
