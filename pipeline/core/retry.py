"""One retry policy for every service: capped attempts, jittered exponential backoff, and
``Retry-After`` honoured when the server sends it (429/503)."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_base

from .errors import ServiceError, TransientError

__all__ = [
    "RETRYABLE_STATUS",
    "TransientError",
    "connection_failed",
    "retry_after_seconds",
    "retry_policy",
    "retrying",
    "timed_out",
    "transient_status",
]

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def transient_status(status: int, headers: Mapping[str, str]) -> TransientError | None:
    """The TransientError for an HTTP status worth another try (with the server's wait hint),
    or None: the one mapping of statuses for every service."""
    if status in RETRYABLE_STATUS or status >= 500:
        return TransientError(f"HTTP {status}", retry_after_seconds(headers))
    return None


def timed_out() -> TransientError:
    return TransientError("timed out")


def connection_failed(exc: BaseException) -> TransientError:
    return TransientError(f"connection failed ({type(exc).__name__}: {exc})")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Parse ``retry-after-ms`` (OpenAI), ``Retry-After`` seconds, or an HTTP date."""
    lower = {k.lower(): v for k, v in headers.items()}
    if ms := lower.get("retry-after-ms"):
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = lower.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


class wait_honouring_retry_after(wait_base):
    def __init__(self, initial: float, cap: float, hint: Callable[[BaseException], float | None]):
        self.initial = initial
        self.cap = cap
        self.hint = hint

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        hinted = self.hint(exc) if exc is not None else None
        if hinted is not None:
            return min(hinted, self.cap)
        backoff = self.initial * 2 ** (retry_state.attempt_number - 1)
        # Full jitter spreads retries of many papers hitting one rate limit at once.
        return min(self.cap, random.uniform(0, backoff))


def transient_hint(exc: BaseException) -> float | None:
    return exc.retry_after if isinstance(exc, TransientError) else None


def retry_policy(
    max_attempts: int,
    cap: float,
    hint: Callable[[BaseException], float | None] = transient_hint,
    initial: float = 1.0,
) -> dict[str, object]:
    """Keyword arguments for ``tenacity.(Async)Retrying``; the caller picks what to retry."""
    return {
        "stop": stop_after_attempt(max_attempts),
        "wait": wait_honouring_retry_after(initial, cap, hint),
        "reraise": True,
    }


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    service: str,
    url: str,
    attempts: int,
    max_backoff: float,
) -> T:
    """``await call()``, retrying TransientError; after the last attempt a ServiceError that
    names the service, the URL and what went wrong."""
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            **retry_policy(attempts, max_backoff),  # type: ignore[arg-type]
        ):
            with attempt:
                return await call()
    except TransientError as exc:
        raise ServiceError(service, url, f"{exc} after {attempts} attempts") from exc
    raise AssertionError("unreachable: tenacity either returns or raises")
