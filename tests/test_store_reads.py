"""The store's read side: days, a day's records in vote order, runs, digests, history, PDFs,
migrations of older records, and OS errors that name the path."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipeline.core.errors import StoreError
from pipeline.core.models import (
    RECORD_SCHEMA,
    ArxivMeta,
    DailyPaper,
    PaperRecord,
    Provenance,
    RunReport,
    Status,
    Summary,
)
from pipeline.stages.publish import publish_day
from pipeline.store import Store

DAY = dt.date(2024, 6, 13)
SUMMARY = Summary(whats_new="새로움", technical_details="방법", performance_highlights="결과")


def paper(arxiv_id: str, votes: int) -> DailyPaper:
    return DailyPaper(
        arxiv_id=arxiv_id, title=f"T{arxiv_id}", upvotes=votes, authors=[], abstract="a"
    )


def provenance(prompt_version: str) -> Provenance:
    return Provenance(
        prompt_name="summarize", prompt_version=prompt_version, prompt_hash=prompt_version,
        model="m", params={}, input_hash="h", input_source="pdf",
        created_at=dt.datetime(2024, 6, 13, tzinfo=dt.UTC),
    )  # fmt: skip


def test_days_newest_first_and_only_dates(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.list_days() == []
    for name in ("2024-06-12", "2024-06-14", "cache", "2024-06-13", "notes"):
        (tmp_path / name).mkdir()
    assert store.list_days() == [dt.date(2024, 6, 14), dt.date(2024, 6, 13), dt.date(2024, 6, 12)]


def test_day_records_in_vote_order_ties_as_listed(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_listing(DAY, [{"paper": {"id": i}} for i in ("2406.3", "2406.1", "2406.2")])
    for arxiv_id, votes in (("2406.1", 5), ("2406.2", 9), ("2406.3", 5)):
        store.save_record(DAY, PaperRecord(paper=paper(arxiv_id, votes)))
    assert [r.paper.arxiv_id for r in store.day_records(DAY)] == ["2406.2", "2406.3", "2406.1"]
    assert store.day_records(dt.date(2024, 1, 1)) == []


def test_publish_uses_every_finished_record_of_the_day(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert publish_day(store, DAY).path is None  # nothing finished: nothing written
    assert store.load_digest(DAY) is None
    done = PaperRecord(paper=paper("2406.1", 3), status=Status.OK, summary=SUMMARY)
    store.save_record(DAY, done)
    store.save_record(DAY, PaperRecord(paper=paper("2406.2", 9), status=Status.FAILED))
    store.save_record(DAY, done.model_copy(update={"paper": paper("2406.3", 7)}))
    published = publish_day(store, DAY)
    assert published.path == store.digest_path(DAY) and published.path.exists()
    digest = store.load_digest(DAY)
    assert digest is not None and [e.arxiv_id for e in digest.papers] == ["2406.3", "2406.1"]


def test_history_keeps_superseded_records_oldest_first(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for version in ("v1", "v2", "v3"):
        store.save_record(
            DAY, PaperRecord(paper=paper("2406.1", 1), provenance=provenance(version))
        )
    history = store.paper_history(DAY, "2406.1")
    assert [r.provenance.prompt_version for r in history if r.provenance] == ["v1", "v2"]
    current = store.load_record(DAY, "2406.1")
    assert current is not None and current.provenance == provenance("v3")


def test_run_report_round_trip_with_prompts_and_models(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.load_run(DAY) is None
    report = RunReport(date=DAY, started_at=dt.datetime.now(dt.UTC), prompts=["p@v1"], models=["m"])
    store.save_run(report)
    assert store.load_run(DAY) == report


def test_pdf_bytes_by_version(tmp_path: Path) -> None:
    store = Store(tmp_path)
    v1 = ArxivMeta(arxiv_id="2406.1", version=1, title="t", pdf_url="u")
    assert store.load_pdf(v1) is None
    store.save_pdf(v1, b"%PDF-1.7 one")
    assert store.load_pdf(v1) == b"%PDF-1.7 one"
    assert store.load_pdf(v1.model_copy(update={"version": 2})) is None


def test_a_record_from_before_schema_versions_is_migrated_not_renamed(tmp_path: Path) -> None:
    store = Store(tmp_path)
    path = store.record_path(DAY, "2406.1")
    path.parent.mkdir(parents=True)
    old = PaperRecord(paper=paper("2406.1", 1), provenance=provenance("v1")).model_dump(mode="json")
    del (
        old["schema_version"],
        old["provenance"]["pdf_sha256"],
        old["provenance"]["extractor_version"],
    )
    path.write_text(json.dumps(old))
    record = store.load_record(DAY, "2406.1")
    assert record is not None and record.schema_version == RECORD_SCHEMA
    assert record.provenance == provenance("v1")
    assert sorted(p.name for p in path.parent.iterdir()) == ["2406.1.json"]


def test_a_v1_record_that_did_not_pass_for_its_form_gets_its_whole_reason_as_one_flag(
    tmp_path: Path,
) -> None:
    """v1 kept form problems only joined into the reason; it is never split again (a problem may
    contain "; "), so the whole reason is one form flag, and nothing is made up for the rest: a
    failed v1 record may have failed for its request, not its form, so it gets no flag."""
    store = Store(tmp_path)
    joined = "What's New contains HTML (<b>); write plain text; the reply was cut off"
    faithful = {"code": "faithfulness_number", "detail": "236억 is not in the paper"}
    cases = {
        "2406.1": (Status.NEEDS_REVIEW, joined, []),
        "2406.2": (Status.FAILED, "LLM request failed: HTTP 500", []),
        "2406.3": (Status.NEEDS_REVIEW, "numbers or names not found: 236억", [faithful]),
        "2406.4": (Status.OK, None, []),
    }
    for arxiv_id, (status, reason, flags) in cases.items():
        path = store.record_path(DAY, arxiv_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = PaperRecord(paper=paper(arxiv_id, 1), status=status, reason=reason)
        raw = {**old.model_dump(mode="json"), "schema_version": 1, "flags": flags}
        path.write_text(json.dumps(raw))
    run = RunReport(date=DAY, started_at=dt.datetime(2024, 6, 13, tzinfo=dt.UTC))
    raw_run = {**run.model_dump(mode="json"), "schema_version": 1, "papers": [
        {"arxiv_id": "2406.1", "status": "needs_review", "reason": joined, "flags": []},
    ]}  # fmt: skip
    store.day(DAY).joinpath("run.json").write_text(json.dumps(raw_run))

    def form(arxiv_id: str) -> list[str]:
        record = store.load_record(DAY, arxiv_id)
        assert record is not None
        return [f.detail for f in record.flags if f.code == "form"]

    assert form("2406.1") == [joined] and form("2406.2") == []
    assert form("2406.3") == [] and form("2406.4") == []
    loaded = store.load_run(DAY)
    assert loaded is not None and [f.detail for f in loaded.papers[0].flags] == [joined]


def test_a_record_from_a_newer_pipeline_is_an_error(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save_record(DAY, PaperRecord(paper=paper("2406.1", 1)))
    path = store.record_path(DAY, "2406.1")
    raw = json.loads(path.read_text())
    raw["schema_version"] = RECORD_SCHEMA + 1
    path.write_text(json.dumps(raw))
    with pytest.raises(StoreError, match="newer"):
        store.load_record(DAY, "2406.1")


def test_os_errors_name_the_path_as_root_too(tmp_path: Path) -> None:
    store = Store(tmp_path)
    (tmp_path / "2024-06-13").write_text("a file where a folder should be")
    with pytest.raises(StoreError, match="2024-06-13") as caught:
        store.save_record(DAY, PaperRecord(paper=paper("2406.2", 1)))
    assert caught.value.path is not None


def test_a_features_documents_round_trip_by_day_or_globally(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert (
        store.list_docs(DAY, "reviews") == [] and store.load_doc(None, "lab", "x", Summary) is None
    )
    store.save_doc(DAY, "reviews", "2406.1", SUMMARY)
    store.save_doc(None, "lab", "run-1", SUMMARY)
    assert store.load_doc(DAY, "reviews", "2406.1", Summary) == SUMMARY
    assert store.list_docs(DAY, "reviews") == ["2406.1"] and store.list_docs(None, "lab") == [
        "run-1"
    ]
    with pytest.raises(ValueError, match="not a document name"):
        store.save_doc(DAY, "../x", "y", SUMMARY)
