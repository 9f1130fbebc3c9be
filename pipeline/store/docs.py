"""A feature's own documents and blobs (batches, postings, eval sets) and the lab's reports:
the store keeps them so features never build a path under the data dir."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel, ValidationError

from ..core.errors import StoreError
from .files import Files, M, atomic_file


class Docs(Files):
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
