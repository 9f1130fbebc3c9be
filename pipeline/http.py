"""HTTP GET with our retry policy, for the Hugging Face API and PDF downloads."""

from __future__ import annotations

import httpx2

from .errors import ServiceError, TransientError
from .retry import RETRYABLE_STATUS, retry_after_seconds, retrying


def make_client(timeout_s: float) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(timeout_s, connect=min(timeout_s, 15.0)),
        follow_redirects=True,
        headers={"User-Agent": "korean-daily-papers/0.1 (+nightly digest)"},
    )


async def _get_once(client: httpx2.AsyncClient, url: str, params: dict[str, str] | None) -> bytes:
    try:
        response = await client.get(url, params=params)
    except httpx2.TimeoutException as exc:
        raise TransientError("timed out") from exc
    except httpx2.TransportError as exc:
        raise TransientError(f"connection failed ({type(exc).__name__}: {exc})") from exc
    if response.status_code in RETRYABLE_STATUS:
        raise TransientError(f"HTTP {response.status_code}", retry_after_seconds(response.headers))
    if response.status_code >= 400:
        raise ServiceError("", str(response.url), f"HTTP {response.status_code}")
    return response.content


async def get_bytes(
    client: httpx2.AsyncClient,
    service: str,
    url: str,
    *,
    params: dict[str, str] | None = None,
    attempts: int,
    max_backoff: float,
) -> bytes:
    """GET ``url``; transient failures are retried, then reported as a ServiceError."""
    try:
        return await retrying(
            lambda: _get_once(client, url, params),
            service=service,
            url=url,
            attempts=attempts,
            max_backoff=max_backoff,
        )
    except ServiceError as exc:
        if exc.service:
            raise
        raise ServiceError(service, exc.url, exc.problem) from exc
