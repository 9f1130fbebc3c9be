"""What every part of the store shares: atomic writes, and reading a file as absent, as a
record of today's schema or as a cache entry. Every write under the data dir goes through here."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from pydantic import BaseModel, ValidationError

from ..core.errors import StoreError
from ..core.hashing import sha256_file
from .migrations import TooNew, migrate

M = TypeVar("M", bound=BaseModel)

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


class StagedFile:
    """A file filled piece by piece in a temp file beside ``path``, and hashed as it is filled:
    nothing is in place until ``put``, and ``discard`` leaves no trace. For a file too long to
    hold whole (a long day's digest); ``atomic_file`` for the rest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = _create_temp(path.parent, path.name)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}", path) from exc
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.done = False
        self.placed = False
        """Put in place (not discarded)."""
        self.kept: Path | None = None
        """Where the file in place before was moved (``staging``'s ``aside``)."""

    def write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as exc:
            raise StoreError(f"cannot write {self.path}: {exc.strerror}", self.path) from exc
        self._hash.update(data)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def put(self) -> None:
        """In place as ``path``, durably (fsync, then rename)."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._tmp, self.path)
        except OSError as exc:
            self.discard()
            raise StoreError(f"cannot write {self.path}: {exc.strerror}", self.path) from exc
        self.done = self.placed = True

    def discard(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp)
        self.done = True


@contextlib.contextmanager
def staging(path: Path, aside: Callable[[str], Path | None]) -> Iterator[StagedFile]:
    """A ``StagedFile`` for ``path``, put in place when the block ends without an error, unless
    the block discarded it or ``path`` holds the same bytes already (then nothing is written).
    A different file in place is first renamed to ``aside(its sha256)``, when that gives a
    path: its bytes stay as they were, and ``kept`` says where."""
    staged = StagedFile(path)
    try:
        yield staged
    except BaseException:
        staged.discard()
        raise
    if staged.done:
        return
    try:
        current = sha256_file(path) if path.exists() else None
    except OSError as exc:
        staged.discard()
        raise StoreError(f"cannot read {path}: {exc.strerror}", path) from exc
    if current == staged.sha256:
        staged.discard()
        return
    staged.kept = aside(current) if current is not None else None
    if staged.kept is not None:
        try:
            os.replace(path, staged.kept)
        except OSError as exc:
            staged.discard()
            raise StoreError(f"cannot keep {path} aside: {exc.strerror}", path) from exc
    staged.put()


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


class Files:
    """The data dir, and the reading and writing every part of the store does the same way."""

    def __init__(self, root: Path) -> None:
        self.root = root

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
    def _exclusive(self, path: Path, busy: str) -> Iterator[None]:
        """Hold the lock file ``path`` or refuse at once with ``busy`` (what holds it and what
        to do): a second cron job or a person must not wait on, nor race, the first."""
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
                raise StoreError(f"{busy} (lock {path}); wait for it to finish", path) from exc
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _json_object(self, data: bytes, what: str) -> dict[str, Any]:
        try:
            value: dict[str, Any] = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"cannot read {what} entry: {exc}") from exc
        return value
