"""The only module that knows paths under the data dir. Every write is atomic.

<data>/<date>/hf_daily_papers.json     raw API snapshot (older differing ones kept, timestamped)
<data>/<date>/papers/<id>.json         PaperRecord: status, summary or draft, provenance
<data>/<date>/digest.md, digest.json   the published digest (a hand-edited one is kept aside)
<data>/<date>/run.json                 the last run's report
<data>/cache/arxiv/<id>.json           arXiv metadata
<data>/cache/pdf/<id>v<N>.pdf          PDFs, by id and version
<data>/cache/extract/<sha>-<ver>.json  extraction, by PDF hash and extractor version
<data>/cache/llm/<key>.json            LLM replies, by (model, prompt hash, params, input hash)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import StoreError
from .models import ArxivMeta, Extraction, PaperRecord, RunReport

M = TypeVar("M", bound=BaseModel)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


TEMP_SUFFIX = ".tmp"
STALE_TEMP_S = 24 * 3600.0
"""A temp file in a shared cache folder this old was left by a killed run (writes take
seconds; the longest, a PDF download, is bounded by its deadline)."""


def current_umask() -> int:
    """The process umask, read without changing it (os.umask would, for other threads too)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a unique temp file in the same folder and rename: never a half-written file,
    and two writers never share a temp name. The file gets the mode the umask gives new files
    (mkstemp's 0600 would hide the digest from the web server or the editors' group)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _safe(arxiv_id: str) -> str:
    return arxiv_id.replace("/", "_")


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    # ---- helpers ------------------------------------------------------------------------------
    def _read_model(self, path: Path, model: type[M]) -> M | None:
        try:
            return model.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except ValidationError:
            # A record from an older, incompatible version: treat it as absent, keep the file.
            path.replace(path.with_name(f"{path.name}.invalid-{_stamp()}"))
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror}") from exc

    def _write_model(self, path: Path, value: BaseModel) -> None:
        self._write(path, value.model_dump_json(indent=2).encode() + b"\n")

    def _write(self, path: Path, data: bytes) -> None:
        try:
            atomic_write(path, data)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}") from exc

    def day(self, date: dt.date) -> Path:
        return self.root / date.isoformat()

    @contextlib.contextmanager
    def lock_day(self, date: dt.date) -> Iterator[None]:
        """One run per date at a time: a second cron job must not race the first. Holding the
        lock, the temp files a killed run of this date left behind are removed."""
        path = self.day(date) / ".lock"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(path, "a+")  # noqa: SIM115 - closed below, after the lock is released
        except OSError as exc:
            raise StoreError(
                f"cannot use the data dir {self.root}: {exc.strerror} ({exc.filename}); "
                "point --data-dir or DIGEST_DATA_DIR at a writable folder"
            ) from exc
        with f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise StoreError(
                    f"another run for {date} is in progress (lock {path}); wait for it to finish"
                ) from exc
            try:
                self.remove_stale_temp(date)
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

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

    # ---- the day's list -----------------------------------------------------------------------
    def save_listing(self, date: dt.date, raw: list[Any]) -> None:
        """Keep the raw snapshot; an earlier, different snapshot is kept under a timestamp."""
        path = self.day(date) / "hf_daily_papers.json"
        data = json.dumps(raw, ensure_ascii=False, indent=1).encode() + b"\n"
        if path.exists():
            old = path.read_bytes()
            if old == data:
                return
            self._write(path.with_name(f"hf_daily_papers.{_stamp()}.json"), old)
        self._write(path, data)

    # ---- per-paper records --------------------------------------------------------------------
    def record_path(self, date: dt.date, arxiv_id: str) -> Path:
        return self.day(date) / "papers" / f"{_safe(arxiv_id)}.json"

    def load_record(self, date: dt.date, arxiv_id: str) -> PaperRecord | None:
        return self._read_model(self.record_path(date, arxiv_id), PaperRecord)

    def save_record(self, date: dt.date, record: PaperRecord) -> None:
        """Write a paper's record; a summary or draft made from another prompt, model or input
        (a new prompt version, --force) is kept under history/ for comparison, not replaced."""
        path = self.record_path(date, record.paper.arxiv_id)
        old = self._read_model(path, PaperRecord)
        if old is not None and old.provenance is not None and old.provenance != record.provenance:
            archived = path.parent / "history" / f"{path.stem}.{_stamp()}.json"
            self._write(archived, path.read_bytes())
        self._write_model(path, record)

    # ---- caches -------------------------------------------------------------------------------
    def load_arxiv(self, arxiv_id: str) -> ArxivMeta | None:
        return self._read_model(
            self.root / "cache" / "arxiv" / f"{_safe(arxiv_id)}.json", ArxivMeta
        )

    def save_arxiv(self, meta: ArxivMeta) -> None:
        self._write_model(self.root / "cache" / "arxiv" / f"{_safe(meta.arxiv_id)}.json", meta)

    def pdf_path(self, meta: ArxivMeta) -> Path:
        return self.root / "cache" / "pdf" / f"{_safe(meta.versioned_id)}.pdf"

    def save_pdf(self, meta: ArxivMeta, data: bytes) -> Path:
        path = self.pdf_path(meta)
        self._write(path, data)
        return path

    def _extract_path(self, pdf_sha256: str, extractor_version: str) -> Path:
        return self.root / "cache" / "extract" / f"{pdf_sha256}-{extractor_version}.json"

    def load_extraction(self, pdf_sha256: str, extractor_version: str) -> Extraction | None:
        return self._read_model(self._extract_path(pdf_sha256, extractor_version), Extraction)

    def save_extraction(self, extraction: Extraction) -> None:
        path = self._extract_path(extraction.pdf_sha256, extraction.extractor_version)
        self._write_model(path, extraction)

    def load_llm(self, key: str) -> dict[str, Any] | None:
        path = self.root / "cache" / "llm" / f"{key}.json"
        try:
            value: dict[str, Any] = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read LLM cache {path}: {exc}") from exc
        return value

    def save_llm(self, key: str, value: dict[str, Any]) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=1).encode() + b"\n"
        self._write(self.root / "cache" / "llm" / f"{key}.json", data)

    # ---- outputs ------------------------------------------------------------------------------
    def save_run(self, report: RunReport) -> None:
        self._write_model(self.day(report.date) / "run.json", report)

    def publish(self, date: dt.date, name: str, data: bytes) -> Path | None:
        """Write a digest file. If someone edited the one we wrote last, keep theirs aside first.

        Returns the path the edited copy was moved to, if any."""
        path = self.day(date) / name
        manifest_path = self.day(date) / ".written.json"
        try:
            manifest: dict[str, str] = json.loads(manifest_path.read_bytes())
        except (FileNotFoundError, ValueError):
            manifest = {}
        kept: Path | None = None
        if path.exists():
            current = path.read_bytes()
            if current == data:
                return None
            if sha256_bytes(current) != manifest.get(name):
                stem, _, ext = name.rpartition(".")
                kept = path.with_name(f"{stem}.edited-{_stamp()}.{ext}")
                self._write(kept, current)
        self._write(path, data)
        manifest[name] = sha256_bytes(data)
        self._write(manifest_path, json.dumps(manifest, indent=1).encode())
        return kept
