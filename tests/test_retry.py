from __future__ import annotations

import datetime as dt
import email.utils

from pipeline.core.retry import retry_after_seconds


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    value = retry_after_seconds({"Retry-After": email.utils.format_datetime(later, usegmt=True)})
    assert value is not None and 25 <= value <= 30
