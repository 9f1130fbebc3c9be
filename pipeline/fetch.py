"""Stage 2: arXiv metadata (one batched query) and the PDFs themselves."""

from __future__ import annotations

import re
from typing import Any

import arxiv
import httpx2
import requests
from tenacity import Retrying, retry_if_exception_type

from .config import Settings
from .errors import FetchError, ServiceError
from .http import get_bytes
from .models import ArxivMeta
from .retry import RETRYABLE_STATUS, TransientError, retry_after_seconds, retry_policy

_VERSIONED = re.compile(r"^(?P<id>.+?)v(?P<version>\d+)$")


class _Session(requests.Session):
    """The arxiv package sends requests without a timeout and drops the response headers we
    need for Retry-After; this session adds the one and remembers the other."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.last_response: requests.Response | None = None

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        self.last_response = super().request(*args, **kwargs)
        return self.last_response


def _client(settings: Settings) -> tuple[arxiv.Client, _Session]:
    client = arxiv.Client(page_size=100, delay_seconds=settings.arxiv_delay_s, num_retries=0)
    client.query_url_format = settings.arxiv_api_url + "?{}"
    session = _Session(settings.http_timeout_s)
    client._session = session  # the package has no public hook for timeouts
    return client, session


def to_meta(result: arxiv.Result) -> ArxivMeta:
    match = _VERSIONED.match(result.get_short_id())
    arxiv_id, version = (
        (match["id"], int(match["version"])) if match else (result.get_short_id(), 1)
    )
    return ArxivMeta(
        arxiv_id=arxiv_id,
        version=version,
        title=re.sub(r"\s+", " ", result.title).strip(),
        pdf_url=result.pdf_url or f"https://arxiv.org/pdf/{arxiv_id}v{version}",
        updated=result.updated,
    )


def _query_once(client: arxiv.Client, session: _Session, ids: list[str]) -> list[ArxivMeta]:
    search = arxiv.Search(id_list=ids, max_results=len(ids))
    try:
        found = [to_meta(r) for r in client.results(search)]
    except arxiv.HTTPError as exc:
        if exc.status in RETRYABLE_STATUS:
            headers = session.last_response.headers if session.last_response is not None else {}
            raise TransientError(f"HTTP {exc.status}", retry_after_seconds(headers)) from exc
        raise ServiceError("arXiv API", exc.url, f"HTTP {exc.status}") from exc
    except arxiv.UnexpectedEmptyPageError as exc:
        raise TransientError("unexpected empty page") from exc
    except requests.Timeout as exc:
        raise TransientError("timed out") from exc
    except requests.ConnectionError as exc:
        raise TransientError(f"connection failed ({exc})") from exc
    _check_atom(session.last_response)
    return found


def _check_atom(response: requests.Response | None) -> None:
    """A proxy's or an error page parses as an empty feed: every paper would look unknown to
    arXiv and be summarised from its abstract. It is a failed request instead."""
    kind = response.headers.get("Content-Type", "") if response is not None else ""
    if kind and "xml" not in kind.lower():
        raise TransientError(f"answered {kind.split(';')[0].strip()}, not an Atom feed")


def arxiv_metadata(settings: Settings, ids: list[str]) -> dict[str, ArxivMeta]:
    """Metadata for ``ids`` in one batched query (blocking: run it in a thread).
    Ids arXiv doesn't know are simply absent from the result."""
    if not ids:
        return {}
    client, session = _client(settings)
    try:
        for attempt in Retrying(
            retry=retry_if_exception_type(TransientError),
            **retry_policy(settings.max_attempts, settings.max_backoff_s, initial=3.0),  # type: ignore[arg-type]
        ):
            with attempt:
                found = _query_once(client, session, ids)
    except TransientError as exc:
        raise ServiceError(
            "arXiv API", settings.arxiv_api_url, f"{exc} after {settings.max_attempts} attempts"
        ) from exc
    return {meta.arxiv_id: meta for meta in found if meta.arxiv_id in set(ids)}


def check_pdf(arxiv_id: str, data: bytes) -> None:
    if not data.startswith(b"%PDF-"):
        raise FetchError(arxiv_id, "the download is not a PDF (no %PDF- header)")
    if b"%%EOF" not in data[-2048:]:
        raise FetchError(arxiv_id, "the PDF is truncated (no %%EOF trailer)")


async def download_pdf(client: httpx2.AsyncClient, settings: Settings, meta: ArxivMeta) -> bytes:
    """The PDF bytes, checked; a broken download is tried again like a transient error."""
    last: FetchError | None = None
    for _ in range(2):
        try:
            data = await get_bytes(
                client,
                "arXiv PDF",
                meta.pdf_url,
                attempts=settings.max_attempts,
                max_backoff=settings.max_backoff_s,
            )
        except ServiceError as exc:
            raise FetchError(meta.arxiv_id, str(exc)) from exc
        try:
            check_pdf(meta.arxiv_id, data)
            return data
        except FetchError as exc:
            last = exc
    assert last is not None
    raise last
