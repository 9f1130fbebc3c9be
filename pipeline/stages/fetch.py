"""Stage 2b: the PDFs themselves, streamed to the store against a deadline and a size cap (the
metadata that names them is ``arxiv_api``)."""

from __future__ import annotations

import io
from typing import BinaryIO

import httpx2

from ..core.config import Settings
from ..core.errors import FetchError, ServiceError
from ..core.http import DeadlineExceeded, TooLarge, stream_get
from ..core.models import ArxivMeta
from ..core.pdfbytes import pdf_problem
from ..core.retry import retrying


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
