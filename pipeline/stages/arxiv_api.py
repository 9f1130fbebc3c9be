"""Stage 2a: arXiv metadata, one batched query through the ``arxiv`` package (blocking: run in
a thread). Apart from the PDF downloads (``fetch``) because the package and ``requests`` take
~0.15 s to import: the night imports this module in the thread that asks arXiv, overlapping its
listing, and a night whose metadata is all cached never imports it."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import arxiv
import requests
import urllib3
from tenacity import Retrying, retry_if_exception_type

from ..core.config import Settings
from ..core.errors import ServiceError, TransientError
from ..core.models import ArxivMeta
from ..core.retry import connection_failed, retry_policy, timed_out, transient_status

__all__ = ["arxiv_metadata", "to_meta"]

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
