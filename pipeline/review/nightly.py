"""The night's records into the editorial database: a step of its own, after the digest.

The automatic digest never waits on the editors' tool. The night writes ``digest.md`` and
``run.json`` first; then it tries this import with a short busy timeout. When the database is
busy (an editor saving, a long check) or damaged, the day is marked pending in the store and the
night goes on to exit as it would have: the next open of the day in the review app, or the next
night, imports it. A damaged database is named with its path and how to recover it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable

from ..core.errors import StoreError
from ..core.models import PaperRecord
from ..store import Store
from .db import EditorialBusy
from .editorial import Editorial

NIGHT_BUSY_TIMEOUT_S = 2.0
"""The longest the night waits for an editor's save before leaving the import for later."""


def import_night(store: Store, date: dt.date, records: Iterable[PaperRecord]) -> list[str]:
    """Import the night (and any day an earlier night left pending); the lines to show, [] when
    all went in. Never raises a StoreError: the night's own output is already written."""
    try:
        editorial = Editorial(store, timeout=NIGHT_BUSY_TIMEOUT_S)
    except StoreError as exc:
        return [_pending(store, date, exc)]
    try:
        for position, record in enumerate(records):
            editorial.import_record(date, record, position)
        store.set_editorial_import_pending(date, False)
        for day in store.pending_editorial_imports():
            editorial.import_day(day)
            store.set_editorial_import_pending(day, False)
    except StoreError as exc:
        return [_pending(store, date, exc)]
    finally:
        editorial.close()
    return []


def _pending(store: Store, date: dt.date, exc: StoreError) -> str:
    with contextlib.suppress(StoreError):  # the line below is still worth printing
        store.set_editorial_import_pending(date, True)
    later = "it is imported when the day is next opened for review, or by the next night"
    if isinstance(exc, EditorialBusy):
        return f"the digest is written; the editorial database is busy: {later}"
    return f"the digest is written, the editors' copy is not: {exc}; {later}"
