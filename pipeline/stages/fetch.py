"""Stage 2: arXiv metadata (one batched query) and the PDFs themselves."""

from __future__ import annotations

import io
import re
import threading
import time
from typing import Any, BinaryIO

import arxiv
import httpx2
import requests
import urllib3
from tenacity import Retrying, retry_if_exception_type

from ..core.config import Settings
from ..core.errors import FetchError, ServiceError, TransientError
from ..core.http import DeadlineExceeded, TooLarge, stream_get
from ..core.models import ArxivMeta
from ..core.pdfbytes import pdf_problem
from ..core.retry import connection_failed, retry_policy, retrying, timed_out, transient_status

CHUNK = 1 << 16
MAX_FEED_BYTES = 50_000_000  # 100 entries of Atom are ~300 kB; this is only a guard
_VERSIONED = re.compile(r"^(?P<id>.+?)v(?P<version>\d+)$")


class _DeadlineMissed(requests.Timeout):
    pass


class _Session(requests.Session):
    """The arxiv package sends requests without a timeout and drops the response headers we
    need for Retry-After; this session adds the one and remembers the other. It also reads the
    body against a total deadline and a size cap (a per-read timeout never stops a trickle)."""

    def __init__(self, timeout: float, deadline_s: float = 300.0) -> None:
        super().__init__()
        self.timeout = timeout
        self.deadline_s = deadline_s
        self.last_response: requests.Response | None = None

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        kwargs["stream"] = True
        started = time.monotonic()
        response = super().request(*args, **kwargs)
        try:
            body = bytearray()
            # read1 returns what has arrived: a read that waits for a full chunk would let a
            # trickle run past the deadline unchecked.
            while chunk := response.raw.read1(CHUNK, decode_content=True):
                body += chunk
                if time.monotonic() - started > self.deadline_s:
                    raise _DeadlineMissed(f"no complete answer within {self.deadline_s:g}s")
                if len(body) > MAX_FEED_BYTES:
                    raise requests.ConnectionError("the answer is larger than 50 MB")
        except urllib3.exceptions.ReadTimeoutError as exc:  # raw reads are not translated
            raise requests.Timeout(str(exc)) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise requests.ConnectionError(str(exc)) from exc
        finally:
            response.close()
        response._content = bytes(body)  # what .content returns once a body is read
        self.last_response = response
        return response


def _client(settings: Settings) -> tuple[arxiv.Client, _Session]:
    client = arxiv.Client(page_size=100, delay_seconds=settings.arxiv_delay_s, num_retries=0)
    client.query_url_format = settings.arxiv_api_url + "?{}"
    session = _Session(settings.http_timeout_s, settings.http_deadline_s)
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
        headers = session.last_response.headers if session.last_response is not None else {}
        if transient := transient_status(exc.status, headers):
            raise transient from exc
        raise ServiceError("arXiv API", exc.url, f"HTTP {exc.status}") from exc
    except arxiv.UnexpectedEmptyPageError as exc:
        raise TransientError("unexpected empty page") from exc
    except _DeadlineMissed as exc:
        raise TransientError(str(exc)) from exc
    except requests.Timeout as exc:
        raise timed_out() from exc
    except requests.ConnectionError as exc:
        raise connection_failed(exc) from exc
    _check_atom(session.last_response)
    return found


def _check_atom(response: requests.Response | None) -> None:
    """A proxy's or an error page parses as an empty feed: every paper would look unknown to
    arXiv and be summarised from its abstract. It is a failed request instead."""
    kind = response.headers.get("Content-Type", "") if response is not None else ""
    if kind and "xml" not in kind.lower():
        raise TransientError(f"answered {kind.split(';')[0].strip()}, not an Atom feed")


_pace_lock = threading.Lock()
_last_query = float("-inf")


def _pace(delay_s: float) -> None:
    """arXiv asks for one API call every few seconds from a client, not per query object: a
    range of days run back to back must wait between days' queries too."""
    global _last_query
    with _pace_lock:
        wait = _last_query + delay_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_query = time.monotonic()


def arxiv_metadata(settings: Settings, ids: list[str]) -> dict[str, ArxivMeta]:
    """Metadata for ``ids`` in one batched query (blocking: run it in a thread).
    Ids arXiv doesn't know are simply absent from the result."""
    if not ids:
        return {}
    _pace(settings.arxiv_delay_s)
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
    if problem := pdf_problem(data):
        raise FetchError(arxiv_id, f"the download is {problem}")


async def download_pdf_to(
    client: httpx2.AsyncClient, settings: Settings, meta: ArxivMeta, sink: BinaryIO
) -> None:
    """The PDF streamed into ``sink`` (rewound for each try), checked. Transient failures are
    retried; a broken PDF is downloaded once more; a PDF over DIGEST_MAX_PDF_MB or one that
    misses the deadline is a FetchError at once (the paper falls back to its abstract)."""
    max_bytes = int(settings.max_pdf_mb * 1_000_000)
    last: FetchError | None = None
    for _ in range(2):
        try:
            await retrying(
                lambda: _stream_once(client, settings, meta.pdf_url, sink, max_bytes),
                service="arXiv PDF",
                url=meta.pdf_url,
                attempts=settings.max_attempts,
                max_backoff=settings.max_backoff_s,
            )
        except TooLarge as exc:
            problem = f"the PDF is {exc} (DIGEST_MAX_PDF_MB)"
            raise FetchError(meta.arxiv_id, problem) from exc
        except DeadlineExceeded as exc:
            raise FetchError(meta.arxiv_id, f"{meta.pdf_url}: {exc}") from exc
        except ServiceError as exc:
            url = exc.url or meta.pdf_url
            raise FetchError(
                meta.arxiv_id, str(ServiceError("arXiv PDF", url, exc.problem))
            ) from exc
        try:
            check_pdf(meta.arxiv_id, _ends(sink))
            return
        except FetchError as exc:
            last = exc
    assert last is not None
    raise last


async def _stream_once(
    client: httpx2.AsyncClient, settings: Settings, url: str, sink: BinaryIO, max_bytes: int
) -> None:
    sink.seek(0)
    sink.truncate()
    await stream_get(
        client, url, sink.write, deadline_s=settings.http_deadline_s, max_bytes=max_bytes
    )


def _ends(sink: BinaryIO) -> bytes:
    """The first kB and the last 2 kB of what was streamed: all ``pdf_problem`` looks at, so a
    PDF on disk is never read whole for the check."""
    size = sink.seek(0, io.SEEK_END)
    sink.seek(0)
    head = sink.read(1024)
    sink.seek(max(0, size - 2048))
    return head + sink.read()


async def download_pdf(client: httpx2.AsyncClient, settings: Settings, meta: ArxivMeta) -> bytes:
    """The PDF bytes, checked (in memory: the nightly job streams to the store instead)."""
    buffer = io.BytesIO()
    await download_pdf_to(client, settings, meta, buffer)
    return buffer.getvalue()
