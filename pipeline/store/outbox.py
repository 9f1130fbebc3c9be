"""The newsletter's outbox: who got a day's mail (written as soon as the server accepted it, so a
killed run resends to nobody who had it), one sender at a time per day, and the ``.eml`` files of
a dry run."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from ..core.errors import StoreError
from ..core.models import Model
from .files import Files

_AREA = "mail"


class Mailing(Model):
    """One sending of a day: each recipient who has it, with when the server accepted it."""

    started_at: dt.datetime
    sent: dict[str, dt.datetime] = Field(default_factory=dict)


class MailLog(Model):
    mailings: list[Mailing] = Field(default_factory=list)
    """Every sending, oldest first; the last is the one a rerun completes (``--resend`` starts
    another and keeps the earlier ones)."""


def _file_name(address: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", address).lstrip(".") or "_"


class Outbox(Files):
    def _mail_dir(self, date: dt.date) -> Path:
        return self.day(date) / _AREA

    def load_mail_log(self, date: dt.date) -> MailLog:
        """The day's mailings (none yet: an empty log); unreadable is an error naming the file."""
        path = self._mail_dir(date) / "sent.json"
        data = self._read_bytes(path)
        if data is None:
            return MailLog()
        try:
            return MailLog.model_validate_json(data)
        except ValueError as exc:
            raise StoreError(
                f"{path} is not a readable mail log ({exc}); fix the file or move it away "
                "(moving it sends the day to everyone again)",
                path,
            ) from exc

    def save_mail_log(self, date: dt.date, log: MailLog) -> None:
        """Atomic, like every write: a kill leaves the log before or after a recipient, whole."""
        self._write_model(self._mail_dir(date) / "sent.json", log)

    @contextlib.contextmanager
    def lock_mail(self, date: dt.date) -> Iterator[None]:
        """One sender of a day's mail at a time: two runs (cron and a person) would otherwise
        both see a recipient as not yet sent."""
        busy = f"another run is sending {date}'s mail"
        with self._exclusive(self._mail_dir(date) / ".lock", busy):
            yield

    def save_eml(self, date: dt.date, address: str, data: bytes) -> Path:
        """A dry run's message to ``address``, as a file a mail client opens; returns its path."""
        path = self._mail_dir(date) / "dry-run" / f"{_file_name(address)}.eml"
        self._write(path, data)
        return path
