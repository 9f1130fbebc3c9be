"""Day records and runs: the day's folder and its lock, the raw listing, a paper's record and
its history, the run report."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..core.errors import StoreError
from ..core.models import PaperRecord, RunReport
from .files import (
    STALE_TEMP_S,
    TEMP_SUFFIX,
    Files,
    StagedFile,
    _is_date,
    _safe,
    _stamp,
    staging,
)


class ListingFile:
    """The raw listing as one JSON array, written entry by entry: the bytes are those of
    ``json.dumps(raw, ensure_ascii=False, indent=1)`` and a newline, as earlier nights wrote."""

    def __init__(self, staged: StagedFile) -> None:
        self.staged = staged
        self._count = 0

    def add(self, entries: Sequence[Any]) -> None:
        for entry in entries:
            # An entry's own lines, one level in: a newline only ever ends a line in JSON
            # (one inside a string is written as \n).
            text = json.dumps(entry, ensure_ascii=False, indent=1).replace("\n", "\n ")
            self.staged.write(("[\n " if self._count == 0 else ",\n ").encode() + text.encode())
            self._count += 1

    def close(self) -> None:
        self.staged.write(b"\n]\n" if self._count else b"[]\n")


class Days(Files):
    @contextlib.contextmanager
    def lock_day(self, date: dt.date) -> Iterator[None]:
        """One run per date at a time: a second cron job must not race the first. Holding the
        lock, the temp files a killed run of this date left behind are removed."""
        with self._exclusive(self.day(date) / ".lock", f"another run for {date} is in progress"):
            self.remove_stale_temp(date)
            yield

    def remove_stale_temp(self, date: dt.date) -> list[Path]:
        """Temp files a killed run left: all of them under the (locked) day, and those older
        than STALE_TEMP_S in the caches other dates' runs share."""
        oldest = dt.datetime.now(dt.UTC).timestamp() - STALE_TEMP_S
        candidates = [
            *((p, float("inf")) for p in self.day(date).rglob(f".*{TEMP_SUFFIX}")),
            *((p, oldest) for p in (self.root / "cache").rglob(f".*{TEMP_SUFFIX}")),
        ]
        removed = []
        for path, before in candidates:
            with contextlib.suppress(FileNotFoundError):  # another run renamed it meanwhile
                if path.is_file() and path.stat().st_mtime < before:
                    path.unlink()
                    removed.append(path)
        return removed

    def list_days(self) -> list[dt.date]:
        """Every date with something stored, newest first."""
        try:
            names = [p.name for p in self.root.iterdir() if p.is_dir() and _is_date(p.name)]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot list {self.root}: {exc.strerror}", self.root) from exc
        return sorted((dt.date.fromisoformat(n) for n in names), reverse=True)

    def save_listing(self, date: dt.date, raw: list[Any]) -> None:
        """Keep the raw snapshot; an earlier, different snapshot is kept under a timestamp."""
        with self.saving_listing(date) as listing:
            listing.add(raw)

    @contextlib.contextmanager
    def saving_listing(self, date: dt.date) -> Iterator[ListingFile]:
        """``save_listing`` for a listing that arrives page by page: a long day's raw JSON is
        never held whole (on 400 papers it was the night's peak). In place when the block ends
        without an error; the same snapshot as the one in place is not written again."""
        path = self.day(date) / "hf_daily_papers.json"
        with staging(path, lambda _: path.with_name(f"hf_daily_papers.{_stamp()}.json")) as staged:
            listing = ListingFile(staged)
            yield listing
            listing.close()

    def load_listing(self, date: dt.date) -> list[Any] | None:
        """The day's latest raw Hugging Face snapshot, as saved."""
        path = self.day(date) / "hf_daily_papers.json"
        data = self._read_bytes(path)
        if data is None:
            return None
        try:
            value: list[Any] = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"{path} is not JSON ({exc})", path) from exc
        return value

    # ---- per-paper records --------------------------------------------------------------------
    def record_path(self, date: dt.date, arxiv_id: str) -> Path:
        return self.day(date) / "papers" / f"{_safe(arxiv_id)}.json"

    def load_record(self, date: dt.date, arxiv_id: str) -> PaperRecord | None:
        return self._read_record(self.record_path(date, arxiv_id), PaperRecord, "record")

    def save_record(self, date: dt.date, record: PaperRecord) -> None:
        """Write a paper's record; a summary or draft made from another prompt, model or input
        (a new prompt version, --force) is kept under history/ for comparison, not replaced."""
        path = self.record_path(date, record.paper.arxiv_id)
        old = self._read_record(path, PaperRecord, "record")
        if old is not None and old.provenance is not None and old.provenance != record.provenance:
            self.archive_record(date, old)
        self._write_model(path, record)

    def archive_record(self, date: dt.date, record: PaperRecord) -> None:
        """Keep ``record`` in the paper's history without making it the current one (a failed
        new attempt, while the last good summary stays published)."""
        path = self.record_path(date, record.paper.arxiv_id)
        self._write_model(path.parent / "history" / f"{path.stem}.{_stamp()}.json", record)

    def day_records(self, date: dt.date) -> list[PaperRecord]:
        """Every paper record of the day, by votes (ties in the order Hugging Face listed)."""
        return list(self.iter_day_records(date))

    def iter_day_records(
        self, date: dt.date, listed: Sequence[str] | None = None
    ) -> Iterator[PaperRecord]:
        """``day_records`` one at a time: a long day's records (summaries, drafts, provenance)
        are never all in memory together. Each file is read twice, once for its place in the
        order and once when its turn comes. ``listed``: the day's arXiv ids in the listing's
        order, from a caller that has them (the night), which spares parsing the saved raw
        listing again (on a 400-paper day that is 3 MB at the night's very end)."""
        folder = self.day(date) / "papers"
        try:
            paths = sorted(folder.glob("*.json"))
        except OSError as exc:
            raise StoreError(f"cannot list {folder}: {exc.strerror}", folder) from exc
        rank = self._listing_rank(date) if listed is None else _first_positions(listed)
        keyed: list[tuple[tuple[int, int, str], Path]] = []
        for path in paths:
            if (record := self._read_record(path, PaperRecord, "record")) is not None:
                paper = record.paper
                key = (-paper.upvotes, rank.get(paper.arxiv_id, len(rank)), paper.arxiv_id)
                keyed.append((key, path))
        for _, path in sorted(keyed):
            if (record := self._read_record(path, PaperRecord, "record")) is not None:
                yield record

    def _listing_rank(self, date: dt.date) -> dict[str, int]:
        """arXiv id -> its first position in the day's saved listing."""
        return _first_positions(
            [
                str(e.get("paper", {}).get("id", "")).strip()
                for e in self.load_listing(date) or []
                if isinstance(e, dict)
            ]
        )

    def paper_history(self, date: dt.date, arxiv_id: str) -> list[PaperRecord]:
        """The paper's superseded records, oldest first (the current one is ``load_record``)."""
        folder = self.day(date) / "papers" / "history"
        try:
            paths = sorted(folder.glob(f"{_safe(arxiv_id)}.*.json"))
        except OSError as exc:
            raise StoreError(f"cannot list {folder}: {exc.strerror}", folder) from exc
        return [r for p in paths if (r := self._read_record(p, PaperRecord, "record"))]

    def save_run(self, report: RunReport) -> None:
        self._write_model(self.day(report.date) / "run.json", report)

    def load_run(self, date: dt.date) -> RunReport | None:
        """The report of the day's last finished (or dry) run."""
        return self._read_record(self.day(date) / "run.json", RunReport, "run")


def _first_positions(ids: Sequence[str]) -> dict[str, int]:
    return {arxiv_id: i for i, arxiv_id in reversed(list(enumerate(ids)))}
