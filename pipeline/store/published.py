"""What readers get: the night's digest (a hand-edited copy kept aside, never overwritten) and the
editors' published versions, and where the editorial database lives."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from ..core.errors import StoreError
from ..core.models import Digest
from .files import Files, StagedFile, _stamp, staging

PENDING_IMPORT = "editorial-import.pending"


class Published(Files):
    def editorial_db_path(self) -> Path:
        """The SQLite file holding revisions, states and publications (pipeline/review/db.py)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {self.root}: {exc.strerror}", self.root) from exc
        return self.root / "editorial.sqlite3"

    def editorial_import_pending(self, date: dt.date) -> bool:
        """The night could not bring this day into the editorial database (busy, damaged): the
        next open of the day or the next night does it."""
        return (self.day(date) / PENDING_IMPORT).exists()

    def set_editorial_import_pending(self, date: dt.date, pending: bool) -> None:
        path = self.day(date) / PENDING_IMPORT
        try:
            if pending:
                self._write(path, b"the night's records are not in the editorial database yet\n")
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot update {path}: {exc.strerror}", path) from exc

    def pending_editorial_imports(self) -> list[dt.date]:
        """Days whose night is waiting to enter the editorial database, oldest first."""
        try:
            found = sorted(self.root.glob(f"*/{PENDING_IMPORT}"))
        except OSError as exc:
            raise StoreError(f"cannot list {self.root}: {exc.strerror}", self.root) from exc
        days = []
        for path in found:
            try:
                days.append(dt.date.fromisoformat(path.parent.name))
            except ValueError:
                continue
        return days

    def save_published(self, date: dt.date, version: int, markdown: str, json_text: str) -> Path:
        """Write version N as published.v<N>.* and as published.*; earlier versions stay."""
        day = self.day(date)
        for stem in (f"published.v{version}", "published"):
            self._write(day / f"{stem}.json", json_text.encode())
            self._write(day / f"{stem}.md", markdown.encode())
        return day / "published.md"

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
        with self.publishing(date, name) as staged:
            staged.write(data)
        return staged.kept

    @contextlib.contextmanager
    def publishing(self, date: dt.date, name: str) -> Iterator[StagedFile]:
        """``publish`` for a file written piece by piece (a long day's digest is never held
        whole): put in place when the block ends, unless it is discarded in the block or an
        error ends it; then ``kept`` says where an edited copy went. The same content as the
        file in place is not written again."""
        path = self.day(date) / name
        manifest_path = self.day(date) / ".written.json"
        try:
            manifest: dict[str, str] = json.loads(self._read_bytes(manifest_path) or b"{}")
        except ValueError:
            manifest = {}

        def edited(current: str) -> Path | None:
            if current == manifest.get(name):
                return None  # the copy we wrote last: replaced
            stem, _, ext = name.rpartition(".")
            return path.with_name(f"{stem}.edited-{_stamp()}.{ext}")

        with staging(path, edited) as staged:
            yield staged
        if staged.placed:
            manifest[name] = staged.sha256
            self._write(manifest_path, json.dumps(manifest, indent=1).encode())
