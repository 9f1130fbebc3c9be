"""The OpenAI Batch API, restart-safe: every step is written ahead in the store.

A shard moves planned -> uploaded (its file id) -> submitted (its batch id) -> done (its
results saved) -> ingested, and the store learns each step the moment it happens. A run killed
anywhere and started again picks the shards up where they are: a submitted batch is polled by
its stored id; one created but never recorded is found by the shard id in the batches'
metadata; a shard is never submitted twice. A shard's id is a hash of its request lines (plus
a round number when the very same lines must be asked again), so planning again after a kill
finds the same shards.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO, TypeVar

import openai
from openai import AsyncOpenAI
from openai.types import FileObject
from pydantic import Field

from ..core.config import Settings
from ..core.errors import LLMConfigError, ServiceError
from ..core.models import Model
from ..core.retry import retrying
from ..stages.llm import OPENAI_URL
from ..stages.openai_llm import sdk_transient
from ..store import Store
from .jsonl import ENDPOINT, BatchResult, parse_custom_id, parse_results

log = logging.getLogger("pipeline")
T = TypeVar("T")

COPY_PIECE = 1 << 20
MAX_LINES = 50_000
MAX_BYTES = 190 * 1024 * 1024
"""OpenAI's limits per batch file are 50,000 requests and 200 MB; keep a margin."""
AREA = "batch"
FINAL = frozenset({"completed", "expired", "cancelled", "failed"})


class ShardState(StrEnum):
    PLANNED = "planned"
    UPLOADED = "uploaded"
    SUBMITTED = "submitted"
    DONE = "done"
    INGESTED = "ingested"


class Shard(Model):
    id: str
    model: str
    days: list[dt.date]
    lines: int
    size: int
    state: ShardState = ShardState.PLANNED
    file_id: str | None = None
    batch_id: str | None = None
    remote_status: str | None = None
    answered: int = 0
    failed: int = 0
    updated_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def requests_name(self) -> str:
        return f"{self.id}.requests.jsonl"

    @property
    def results_name(self) -> str:
        return f"{self.id}.results.jsonl"


class ShardBook(Model):
    """Every shard this data dir ever sent, oldest first (``<data>/batch/shards.json``)."""

    shards: list[Shard] = Field(default_factory=list)


# ---- shards (pure) -----------------------------------------------------------------------------


@dataclass
class Cut:
    """One shard's part of the request lines: where it starts, how long it is, its hash."""

    start: int
    size: int = 0
    lines: int = 0
    days: set[dt.date] = field(default_factory=set)
    hash: Any = field(default_factory=hashlib.sha256)

    def add(self, line: bytes) -> None:
        self.size += len(line)
        self.lines += 1
        self.days.add(parse_custom_id(json.loads(line)["custom_id"])[0])
        self.hash.update(line)


def split(lines: Iterable[bytes]) -> list[Cut]:
    """Shards of at most MAX_LINES lines and MAX_BYTES bytes, in request order; the lines are
    read once, one at a time (they can be a file far larger than memory)."""
    cuts: list[Cut] = []
    offset = 0
    for line in lines:
        if not cuts or cuts[-1].lines >= MAX_LINES or cuts[-1].size + len(line) > MAX_BYTES:
            cuts.append(Cut(start=offset))
        cuts[-1].add(line)
        offset += len(line)
    return cuts


def shard_id(sha256: str, book: ShardBook) -> str:
    """The hash of the lines, and a round number: the very same lines asked again after an
    ingested shard (a whole shard that failed) are a new shard."""
    digest = sha256[:16]
    earlier = [s for s in book.shards if s.id.startswith(f"shard-{digest}-")]
    if earlier and earlier[-1].state is not ShardState.INGESTED:
        return earlier[-1].id  # the same lines, still on their way: the same shard
    return f"shard-{digest}-{len(earlier) + 1}"


# ---- the store ---------------------------------------------------------------------------------


class Ledger:
    """The shard book in the store; every change is written at once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.book = store.load_doc(None, AREA, "shards", ShardBook) or ShardBook()

    def save(self, shard: Shard | None = None) -> None:
        if shard is not None:
            shard.updated_at = dt.datetime.now(dt.UTC)
        self.store.save_doc(None, AREA, "shards", self.book)

    def pending(self) -> list[Shard]:
        return [s for s in self.book.shards if s.state is not ShardState.INGESTED]

    def plan(self, model: str, lines: BinaryIO) -> list[Shard]:
        """Write the shards of a file of request lines ahead (their lines first, then the
        book), copying each shard's part of the file by pieces."""
        planned: list[Shard] = []
        lines.seek(0)
        for cut in split(lines):
            sid = shard_id(cut.hash.hexdigest(), self.book)
            known = next((s for s in self.book.shards if s.id == sid), None)
            if known is not None:
                planned.append(known)
                continue
            shard = Shard(
                id=sid, model=model, days=sorted(cut.days), lines=cut.lines, size=cut.size
            )
            with self.store.blob_writer(AREA, shard.requests_name) as out:
                _copy(lines, cut.start, cut.size, out)
            self.book.shards.append(shard)
            planned.append(shard)
        self.save()
        return planned

    def results(self, shards: list[Shard]) -> list[BatchResult]:
        found: list[BatchResult] = []
        for shard in shards:
            data = self.store.load_blob(AREA, shard.results_name)
            if data is not None:
                found += parse_results(data)[0]
        return found


def _copy(source: BinaryIO, start: int, size: int, out: BinaryIO) -> None:
    source.seek(start)
    while size > 0:
        piece = source.read(min(size, COPY_PIECE))
        if not piece:
            raise ValueError(f"the request lines ended {size} bytes early")
        out.write(piece)
        size -= len(piece)


# ---- the API -----------------------------------------------------------------------------------


class BatchAPI:
    """Files and Batches of an OpenAI-compatible endpoint, through our retry policy."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.openai_base_url or OPENAI_URL
        self.client = AsyncOpenAI(
            api_key=settings.openai_api_key or "not-needed-for-local-servers",
            base_url=self.url,
            max_retries=0,
            timeout=settings.llm_timeout_s,
        )

    async def close(self) -> None:
        await self.client.close()

    async def call(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        return await retrying(
            lambda: _mapped(what, self.url, fn),
            service=f"Batch API {what}",  # the last failure names the call
            url=self.url,
            attempts=self.settings.max_attempts,
            max_backoff=self.settings.max_backoff_s,
        )

    async def upload(self, shard: Shard, lines: BinaryIO) -> str:
        """Upload a shard's request lines, streamed from the open file (a shard can be 190 MB)."""
        name = f"{shard.id}.jsonl"
        listed = await self.call(
            "files.list", lambda: _all(self.client.files.list(purpose="batch"))
        )
        for item in listed:  # uploaded before a kill, never recorded: use it
            if item.filename == name and item.bytes == shard.size:
                return str(item.id)

        def create() -> Awaitable[FileObject]:
            lines.seek(0)  # a retry sends the whole file again
            return self.client.files.create(file=(name, lines), purpose="batch")

        return str((await self.call("files.create", create)).id)

    async def find(self, shard: Shard) -> Any | None:
        """A batch created for this shard whose id was never stored (killed in between)."""

        async def search() -> Any | None:
            async for batch in self.client.batches.list(limit=100):  # newest first
                if (batch.metadata or {}).get("shard_id") == shard.id:
                    return batch
            return None

        return await self.call("batches.list", search)

    async def create(self, shard: Shard) -> Any:
        assert shard.file_id is not None
        file_id = shard.file_id
        return await self.call(
            "batches.create",
            lambda: self.client.batches.create(
                input_file_id=file_id,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata={"shard_id": shard.id, "made_by": "korean-daily-papers"},
            ),
        )

    async def retrieve(self, batch_id: str) -> Any:
        return await self.call("batches.retrieve", lambda: self.client.batches.retrieve(batch_id))

    async def cancel(self, batch_id: str) -> Any:
        return await self.call("batches.cancel", lambda: self.client.batches.cancel(batch_id))

    async def content(self, file_id: str | None) -> bytes:
        if not file_id:
            return b""
        response = await self.call("files.content", lambda: self.client.files.content(file_id))
        return bytes(response.content)


async def _all(paginator: Any) -> list[Any]:
    return [item async for item in paginator]


async def _mapped(what: str, url: str, fn: Callable[[], Awaitable[T]]) -> T:
    try:
        return await fn()
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        raise LLMConfigError(
            "Batch API", url, f"{what}: HTTP {exc.status_code}", "check OPENAI_API_KEY"
        ) from exc
    except (openai.APIConnectionError, openai.APIStatusError) as exc:
        if transient := sdk_transient(exc):
            raise transient from exc
        assert isinstance(exc, openai.APIStatusError)  # connection errors are transient
        raise ServiceError(
            "Batch API", url, f"{what}: HTTP {exc.status_code}: {exc.message}"
        ) from exc


# ---- driving shards ----------------------------------------------------------------------------


class Runner:
    def __init__(self, api: BatchAPI, ledger: Ledger, settings: Settings) -> None:
        self.api, self.ledger, self.settings = api, ledger, settings

    async def advance(self, shard: Shard) -> None:
        """Take a shard as far as it goes: to done (results saved), polling as needed."""
        if shard.state is ShardState.PLANNED:
            lines = self.ledger.store.open_blob(AREA, shard.requests_name)
            if lines is None:
                raise ServiceError(
                    "Batch API", self.api.url, f"{shard.id}: its request lines are gone"
                )
            with lines:
                shard.file_id = await self.api.upload(shard, lines)
            shard.state = ShardState.UPLOADED
            self.ledger.save(shard)
        if shard.state is ShardState.UPLOADED:
            batch = await self.api.find(shard) or await self.api.create(shard)
            shard.batch_id, shard.remote_status = str(batch.id), str(batch.status)
            shard.state = ShardState.SUBMITTED
            self.ledger.save(shard)
            log.info("%s: batch %s submitted (%d requests)", shard.id, shard.batch_id, shard.lines)
        if shard.state is ShardState.SUBMITTED:
            await self.collect(shard, await self.wait(shard))

    async def wait(self, shard: Shard) -> Any:
        assert shard.batch_id is not None
        delay = self.settings.batch_poll_s
        while True:
            batch = await self.api.retrieve(shard.batch_id)
            if str(batch.status) != shard.remote_status:
                shard.remote_status = str(batch.status)
                self.ledger.save(shard)
                log.info("%s: batch %s is %s", shard.id, shard.batch_id, batch.status)
            if batch.status in FINAL:
                return batch
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, self.settings.batch_poll_max_s)

    async def collect(self, shard: Shard, batch: Any) -> None:
        """Save what the batch answered (its output and error files), then mark it done."""
        data = await self.api.content(batch.output_file_id) + await self.api.content(
            batch.error_file_id
        )
        results, _ = parse_results(data)
        self.ledger.store.save_blob(AREA, shard.results_name, data)
        shard.answered = sum(r.reply is not None for r in results)
        shard.failed = shard.lines - shard.answered
        shard.state = ShardState.DONE
        self.ledger.save(shard)

    async def cancel(self, shard: Shard) -> None:
        if shard.state is ShardState.SUBMITTED and shard.batch_id is not None:
            batch = await self.api.cancel(shard.batch_id)
            shard.remote_status = str(batch.status)
            self.ledger.save(shard)
            await self.collect(shard, await self.wait(shard))
        elif shard.state in (ShardState.PLANNED, ShardState.UPLOADED):
            shard.state = ShardState.DONE  # never submitted: nothing to wait for
            self.ledger.save(shard)


def status_lines(book: ShardBook) -> list[str]:
    if not book.shards:
        return ["no batch shards in this data dir"]
    lines = []
    for s in book.shards:
        days = f"{s.days[0]}..{s.days[-1]}" if s.days else "-"
        lines.append(
            f"{s.id}  {s.state:<9} batch {s.batch_id or '-'} ({s.remote_status or '-'})  "
            f"{s.lines} requests, {s.answered} answered, {s.failed} not  days {days}"
        )
    return lines
