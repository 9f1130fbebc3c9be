"""The only module that knows paths under the data dir. Every write is atomic.

<data>/<date>/hf_daily_papers.json      raw API snapshot (older differing ones kept, timestamped)
<data>/<date>/papers/<id>.json          PaperRecord: status, summary or draft, provenance
<data>/<date>/papers/history/<id>.*.json  superseded records (another prompt, model or input)
<data>/<date>/digest.md, digest.json    the published digest (a hand-edited one is kept aside)
<data>/<date>/run.json                  the last run's report
<data>/<date>/published.md, .json       the editor-published digest (published.v<N>.* kept)
<data>/editorial.sqlite3                editorial state: revisions, states, publications
<data>/cache/arxiv/<id>.json            arXiv metadata
<data>/cache/pdf/<id>v<N>.pdf           PDFs, by id and version
<data>/cache/extract/<key>.json         extraction, by PDF hash, extractor version, budget,
                                        tokenizer
<data>/cache/llm/<key>.json             LLM replies, by (model, prompt hash, params, messages)
<data>/[<date>/]<area>/<name>.json      a feature's own documents (save_doc/load_doc/list_docs)
<data>/<area>/<name>                    a feature's other files (save_blob, blob_writer), and
                                        its nameless temp files (scratch)
<data>/cache/judge/<key>.json           the prompt lab's judge replies, apart from summaries
<data>/evals/<set>/<run id>/report.*    a prompt-lab run's report (JSON and HTML)

Records carry ``schema_version``; older ones are migrated on read (``migrations``). A record
that cannot be read is an error naming its path, never silently replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import StoreError
from .hashing import sha256_bytes
from .migrations import TooNew, migrate
from .models import ArxivMeta, Digest, Extraction, PaperRecord, RunReport

M = TypeVar("M", bound=BaseModel)

__all__ = ["Store", "atomic_file", "atomic_write", "sha256_bytes"]


TEMP_SUFFIX = ".tmp"
STALE_TEMP_S = 24 * 3600.0
"""A temp file in a shared cache folder this old was left by a killed run (writes take
seconds; the longest, a PDF download, is bounded by its deadline)."""


def _create_temp(folder: Path, name: str) -> tuple[int, str]:
    """A new, uniquely named temp file beside ``name``. Created with mode 0666 so the kernel
    applies the umask itself (mkstemp's 0600 would hide the digest from the web server or the
    editors' group, and reading the umask back costs a /proc read per write)."""
    while True:
        tmp = str(folder / f".{name}.{secrets.token_hex(8)}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file to fill, in place as ``path`` only when the block ends without an error: via a
    unique temp file in the same folder and a rename, never a half-written file, and two
    writers never share a temp name. The file gets the mode the umask gives new files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path.parent, path.name)
    try:
        with os.fdopen(fd, "w+b") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` as ``path`` atomically (see ``atomic_file``)."""
    with atomic_file(path) as f:
        f.write(data)


def _safe(arxiv_id: str) -> str:
    return arxiv_id.replace("/", "_")


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _is_date(name: str) -> bool:
    try:
        dt.date.fromisoformat(name)
    except ValueError:
        return False
    return len(name) == 10


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    # ---- helpers ------------------------------------------------------------------------------
    def _read_bytes(self, path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror}", path) from exc

    def _read_record(self, path: Path, model: type[M], kind: str) -> M | None:
        """A stored record, migrated to today's schema; unreadable is an error, not absent."""
        data = self._read_bytes(path)
        if data is None:
            return None
        try:
            return model.model_validate(migrate(kind, json.loads(data)))
        except (ValueError, TooNew, TypeError) as exc:
            detail = exc.errors()[0].get("msg") if isinstance(exc, ValidationError) else exc
            raise StoreError(
                f"{path} is not a readable {model.__name__} ({detail}); "
                "fix the file or move it away, then run again",
                path,
            ) from exc

    def _read_cache(self, path: Path, model: type[M]) -> M | None:
        """A cache entry; one of another shape is a miss (it is rebuilt and replaced)."""
        data = self._read_bytes(path)
        if data is None:
            return None
        try:
            return model.model_validate_json(data)
        except ValidationError:
            return None

    def _write_model(self, path: Path, value: BaseModel) -> None:
        self._write(path, value.model_dump_json(indent=2).encode() + b"\n")

    def _write(self, path: Path, data: bytes) -> None:
        try:
            atomic_write(path, data)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}", path) from exc

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
                "point --data-dir or DIGEST_DATA_DIR at a writable folder",
                path,
            ) from exc
        with f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise StoreError(
                    f"another run for {date} is in progress (lock {path}); wait for it to finish",
                    path,
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

    # ---- days ---------------------------------------------------------------------------------
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
        path = self.day(date) / "hf_daily_papers.json"
        data = json.dumps(raw, ensure_ascii=False, indent=1).encode() + b"\n"
        old = self._read_bytes(path)
        if old == data:
            return
        if old is not None:
            self._write(path.with_name(f"hf_daily_papers.{_stamp()}.json"), old)
        self._write(path, data)

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
        folder = self.day(date) / "papers"
        try:
            paths = sorted(folder.glob("*.json"))
        except OSError as exc:
            raise StoreError(f"cannot list {folder}: {exc.strerror}", folder) from exc
        records = [r for p in paths if (r := self._read_record(p, PaperRecord, "record"))]
        listed = [
            str(e.get("paper", {}).get("id", "")).strip()
            for e in self.load_listing(date) or []
            if isinstance(e, dict)
        ]
        rank = {arxiv_id: i for i, arxiv_id in reversed(list(enumerate(listed)))}
        return sorted(
            records,
            key=lambda r: (
                -r.paper.upvotes,
                rank.get(r.paper.arxiv_id, len(rank)),
                r.paper.arxiv_id,
            ),
        )

    def paper_history(self, date: dt.date, arxiv_id: str) -> list[PaperRecord]:
        """The paper's superseded records, oldest first (the current one is ``load_record``)."""
        folder = self.day(date) / "papers" / "history"
        try:
            paths = sorted(folder.glob(f"{_safe(arxiv_id)}.*.json"))
        except OSError as exc:
            raise StoreError(f"cannot list {folder}: {exc.strerror}", folder) from exc
        return [r for p in paths if (r := self._read_record(p, PaperRecord, "record"))]

    # ---- editorial state ----------------------------------------------------------------------
    def editorial_db_path(self) -> Path:
        """The SQLite file holding revisions, states and publications (pipeline/review/db.py)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {self.root}: {exc.strerror}", self.root) from exc
        return self.root / "editorial.sqlite3"

    def save_published(self, date: dt.date, version: int, markdown: str, json_text: str) -> Path:
        """Write version N as published.v<N>.* and as published.*; earlier versions stay."""
        day = self.day(date)
        for stem in (f"published.v{version}", "published"):
            self._write(day / f"{stem}.json", json_text.encode())
            self._write(day / f"{stem}.md", markdown.encode())
        return day / "published.md"

    # ---- caches -------------------------------------------------------------------------------
    def load_arxiv(self, arxiv_id: str) -> ArxivMeta | None:
        return self._read_cache(
            self.root / "cache" / "arxiv" / f"{_safe(arxiv_id)}.json", ArxivMeta
        )

    def save_arxiv(self, meta: ArxivMeta) -> None:
        self._write_model(self.root / "cache" / "arxiv" / f"{_safe(meta.arxiv_id)}.json", meta)

    def _pdf_path(self, meta: ArxivMeta) -> Path:
        return self.root / "cache" / "pdf" / f"{_safe(meta.versioned_id)}.pdf"

    def load_pdf(self, meta: ArxivMeta) -> bytes | None:
        """The cached PDF of exactly this arXiv version, if it was downloaded."""
        return self._read_bytes(self._pdf_path(meta))

    @contextlib.contextmanager
    def writing_pdf(self, meta: ArxivMeta) -> Iterator[BinaryIO]:
        """A file to stream a download into; stored as this version's PDF only if the block
        ends without an error (a failed or oversized download leaves nothing behind)."""
        path = self._pdf_path(meta)
        try:
            with atomic_file(path) as f:
                yield f
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}", path) from exc

    def save_pdf(self, meta: ArxivMeta, data: bytes) -> Path:
        path = self._pdf_path(meta)
        self._write(path, data)
        return path

    def _extract_path(
        self, pdf_sha256: str, extractor_version: str, budget_tokens: int, tokenizer: str
    ) -> Path:
        name = f"{pdf_sha256}-{extractor_version}-b{budget_tokens}-{tokenizer}.json"
        return self.root / "cache" / "extract" / name

    def load_extraction(
        self, pdf_sha256: str, extractor_version: str, budget_tokens: int, tokenizer: str
    ) -> Extraction | None:
        """The extraction of this PDF by this extractor, for this budget counted in this
        tokenizer: a change of any of them is a miss."""
        path = self._extract_path(pdf_sha256, extractor_version, budget_tokens, tokenizer)
        return self._read_cache(path, Extraction)

    def save_extraction(self, extraction: Extraction) -> None:
        if extraction.budget_tokens is None or extraction.tokenizer is None:
            raise ValueError("an extraction is cached only with its budget and tokenizer")
        path = self._extract_path(
            extraction.pdf_sha256,
            extraction.extractor_version,
            extraction.budget_tokens,
            extraction.tokenizer,
        )
        self._write_model(path, extraction)

    def load_llm(self, key: str) -> dict[str, Any] | None:
        path = self.root / "cache" / "llm" / f"{key}.json"
        data = self._read_bytes(path)
        if data is None:
            return None
        try:
            value: dict[str, Any] = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"cannot read LLM cache {path}: {exc}", path) from exc
        return value

    def save_llm(self, key: str, value: dict[str, Any]) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=1).encode() + b"\n"
        self._write(self.root / "cache" / "llm" / f"{key}.json", data)

    def load_judge(self, key: str) -> dict[str, Any] | None:
        """A prompt-lab judge reply: cached apart, so clearing one cache spares the other."""
        data = self._read_bytes(self.root / "cache" / "judge" / f"{key}.json")
        return None if data is None else self._json_object(data, "judge cache")

    def save_judge(self, key: str, value: dict[str, Any]) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=1).encode() + b"\n"
        self._write(self.root / "cache" / "judge" / f"{key}.json", data)

    def _json_object(self, data: bytes, what: str) -> dict[str, Any]:
        try:
            value: dict[str, Any] = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"cannot read {what} entry: {exc}") from exc
        return value

    def save_eval_report(self, evalset: str, run_id: str, files: dict[str, bytes]) -> list[Path]:
        """A prompt-lab run's report files, in a folder of their own: a run id is never reused,
        so an earlier report is never overwritten."""
        for part in (evalset, run_id):
            if not part or part.startswith(".") or "/" in part or "\\" in part:
                raise ValueError(f"not a folder name: {part!r}")
        folder = self.root / "evals" / evalset / run_id
        if folder.exists():
            raise StoreError(f"eval report folder {folder} exists already", folder)
        paths = [folder / name for name in files]
        for path, data in zip(paths, files.values(), strict=True):
            self._write(path, data)
        return paths

    # ---- a feature's own documents -----------------------------------------------------------
    def _doc_path(self, date: dt.date | None, area: str, name: str = "") -> Path:
        for part in (area, name):
            if part.startswith(".") or "/" in part or "\\" in part or part in ("papers", "cache"):
                raise ValueError(f"not a document name: {part!r}")
        folder = (self.day(date) if date else self.root) / area
        return folder / f"{name}.json" if name else folder

    def save_blob(self, area: str, name: str, data: bytes) -> None:
        """A feature's file that is not a JSON document (a batch's JSONL): <data>/<area>/<name>."""
        self._write(self._doc_path(None, area) / self._plain(name), data)

    def load_blob(self, area: str, name: str) -> bytes | None:
        return self._read_bytes(self._doc_path(None, area) / self._plain(name))

    @contextlib.contextmanager
    def blob_writer(self, area: str, name: str) -> Iterator[BinaryIO]:
        """``save_blob`` for a file too large to hold in memory: written piece by piece,
        atomic all the same."""
        path = self._doc_path(None, area) / self._plain(name)
        try:
            with atomic_file(path) as f:
                yield f
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}", path) from exc

    def open_blob(self, area: str, name: str) -> BinaryIO | None:
        """A blob to read as a stream (the caller closes it), or None when there is none."""
        path = self._doc_path(None, area) / self._plain(name)
        try:
            return path.open("rb")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror}", path) from exc

    @contextlib.contextmanager
    def scratch(self, area: str) -> Iterator[BinaryIO]:
        """A nameless temp file under ``<data>/<area>/`` (on the data dir's disk, not in
        memory), gone when the block ends, or the process dies."""
        folder = self._doc_path(None, area)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder) as f:
                yield f
        except OSError as exc:
            problem = f"cannot write a temp file in {folder}: {exc.strerror}"
            raise StoreError(problem, folder) from exc

    @staticmethod
    def _plain(name: str) -> str:
        if not name or name.startswith(".") or "/" in name or "\\" in name:
            raise ValueError(f"not a file name: {name!r}")
        return name

    def save_doc(self, date: dt.date | None, area: str, name: str, value: BaseModel) -> None:
        """Keep a feature's document (a review, an eval result, a posting) under the day, or
        under the data dir when ``date`` is None. Atomic, like every write."""
        self._write_model(self._doc_path(date, area, name), value)

    def load_doc(self, date: dt.date | None, area: str, name: str, model: type[M]) -> M | None:
        path = self._doc_path(date, area, name)
        data = self._read_bytes(path)
        if data is None:
            return None
        try:
            return model.model_validate_json(data)
        except ValidationError as exc:
            raise StoreError(f"{path} is not a readable {model.__name__} ({exc})", path) from exc

    def list_docs(self, date: dt.date | None, area: str) -> list[str]:
        """The names of an area's documents, sorted."""
        folder = self._doc_path(date, area)
        try:
            return sorted(p.stem for p in folder.glob("*.json"))
        except OSError as exc:
            raise StoreError(f"cannot list {folder}: {exc.strerror}", folder) from exc

    # ---- outputs ------------------------------------------------------------------------------
    def save_run(self, report: RunReport) -> None:
        self._write_model(self.day(report.date) / "run.json", report)

    def load_run(self, date: dt.date) -> RunReport | None:
        """The report of the day's last finished (or dry) run."""
        return self._read_record(self.day(date) / "run.json", RunReport, "run")

    def digest_path(self, date: dt.date, name: str = "digest.md") -> Path:
        """Where the day's published digest is (for telling a user; read it with load_digest)."""
        return self.day(date) / name

    def load_digest(self, date: dt.date) -> Digest | None:
        """The day's published digest, from digest.json."""
        return self._load_digest_file(date, "digest.json")

    def load_published(self, date: dt.date) -> Digest | None:
        """The editors' published digest (published.json, from the review app), if any; the
        review app's own fields (version, who published it, when) are not part of a Digest."""
        return self._load_digest_file(date, "published.json", digest_fields_only=True)

    def _load_digest_file(
        self, date: dt.date, name: str, *, digest_fields_only: bool = False
    ) -> Digest | None:
        path = self.day(date) / name
        data = self._read_bytes(path)
        if data is None:
            return None
        try:
            value = json.loads(data)
            if digest_fields_only and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k in Digest.model_fields}
            return Digest.model_validate(value)
        except ValidationError as exc:
            raise StoreError(
                f"{path} is not a readable digest ({exc.errors()[0]['msg']})", path
            ) from exc
        except ValueError as exc:
            raise StoreError(f"{path} is not a readable digest ({exc})", path) from exc

    def publish(self, date: dt.date, name: str, data: bytes) -> Path | None:
        """Write a digest file. If someone edited the one we wrote last, keep theirs aside first.

        Returns the path the edited copy was moved to, if any."""
        path = self.day(date) / name
        manifest_path = self.day(date) / ".written.json"
        try:
            manifest: dict[str, str] = json.loads(self._read_bytes(manifest_path) or b"{}")
        except ValueError:
            manifest = {}
        kept: Path | None = None
        current = self._read_bytes(path)
        if current is not None:
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
