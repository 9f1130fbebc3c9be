"""A review date and an arXiv id, validated exactly: the web app and the CLI take the same.

``\\Z`` (not ``$``, which accepts a trailing newline) and ``[0-9]`` (not ``\\d``, which accepts
Arabic-Indic and other digits); a date after today (UTC) has no night to review.
"""

from __future__ import annotations

import datetime as dt
import re

from ..core.errors import UsageError

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_ARXIV_ID = re.compile(r"[0-9]{4}\.[0-9]{4,5}\Z")


def parse_day(value: str) -> dt.date:
    if not _DATE.match(value):
        raise UsageError(f"not a date like 2024-06-13: {value[:20]!r}")
    try:
        date = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"not a date: {value!r}") from exc
    today = dt.datetime.now(dt.UTC).date()
    if date > today:
        raise UsageError(f"{value} is in the future (today is {today} UTC)")
    return date


def parse_arxiv_id(value: str) -> str:
    if not _ARXIV_ID.match(value):
        raise UsageError(f"not an arXiv id like 2406.12345: {value[:20]!r}")
    return value
