"""HTTP GET with our retry policy, for the Hugging Face API and PDF downloads.

Every request has a total deadline, not only a per-read timeout: a host that sends one byte
every few seconds never trips a read timeout, and would hold the night forever. Bodies are
read in chunks against a size cap, so a huge answer is refused before it is in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx2

from .errors import ServiceError, TransientError
from .retry import connection_failed, retrying, timed_out, transient_status


class DeadlineExceeded(Exception):
    """The whole answer did not arrive within the request's deadline."""


class TooLarge(Exception):
    """The answer is larger than the caller accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit / 1e6:g} MB")
        self.limit = limit


def make_client(timeout_s: float) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(timeout_s, connect=min(timeout_s, 15.0)),
        follow_redirects=True,
        headers={"User-Agent": "korean-daily-papers/0.1 (+nightly digest)"},
    )


async def stream_get(
    client: httpx2.AsyncClient,
    url: str,
    write: Callable[[bytes], object],
    *,
    params: dict[str, str] | None = None,
    deadline_s: float,
    max_bytes: int | None = None,
) -> None:
    """One GET, its body handed to ``write`` chunk by chunk. Raises TransientError (timeouts,
    connection failures, 429/5xx), ServiceError (other 4xx), DeadlineExceeded, TooLarge."""
    try:
        async with asyncio.timeout(deadline_s):
            async with client.stream("GET", url, params=params) as response:
                _check_status(response)
                _check_declared_size(response, max_bytes)
                size = 0
                # Pieces as they arrive (each at most one socket read, or what the decoder made
                # of it): asking for fixed-size chunks would copy every byte once more.
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(max_bytes)
                    write(chunk)
    except TimeoutError as exc:  # asyncio.timeout: the deadline, not a read timeout
        raise DeadlineExceeded(f"no complete answer within {deadline_s:g}s") from exc
    except httpx2.TimeoutException as exc:
        raise timed_out() from exc
    except httpx2.TransportError as exc:
        raise connection_failed(exc) from exc


def _check_status(response: httpx2.Response) -> None:
    if transient := transient_status(response.status_code, response.headers):
        raise transient
    if response.status_code >= 400:
        raise ServiceError("", str(response.url), f"HTTP {response.status_code}")


def _check_declared_size(response: httpx2.Response, max_bytes: int | None) -> None:
    declared = response.headers.get("Content-Length", "")
    if max_bytes is not None and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(max_bytes)


async def _get_once(
    client: httpx2.AsyncClient,
    url: str,
    params: dict[str, str] | None,
    deadline_s: float,
    max_bytes: int | None,
) -> bytes:
    chunks: list[bytes] = []
    try:
        await stream_get(
            client, url, chunks.append, params=params, deadline_s=deadline_s, max_bytes=max_bytes
        )
    except DeadlineExceeded as exc:
        raise TransientError(str(exc)) from exc
    except TooLarge as exc:
        raise ServiceError("", url, f"the answer is {exc}") from exc
    return b"".join(chunks)


async def get_bytes(
    client: httpx2.AsyncClient,
    service: str,
    url: str,
    *,
    params: dict[str, str] | None = None,
    attempts: int,
    max_backoff: float,
    deadline_s: float = 300.0,
    max_bytes: int | None = None,
) -> bytes:
    """GET ``url``; transient failures (a missed deadline included) are retried, then reported
    as a ServiceError."""
    try:
        return await retrying(
            lambda: _get_once(client, url, params, deadline_s, max_bytes),
            service=service,
            url=url,
            attempts=attempts,
            max_backoff=max_backoff,
        )
    except ServiceError as exc:
        if exc.service:
            raise
        raise ServiceError(service, exc.url, exc.problem) from exc
