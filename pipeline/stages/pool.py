"""Where PyMuPDF runs: ``extraction_pool(workers)``, shared by the night, a range and a batch.

PyMuPDF is not thread-safe; processes are. The pool has ``workers`` processes (1: a single
thread of this process, no worker process), forked from a fork server that loaded the extractor
and the tokenizer once (``pool_worker``), so a worker costs milliseconds, not an import. The
fork server is started with the command (``start_early``) or the pool, so it has loaded by the
first PDF; a worker is forked when a job needs one (a re-run that extracts nothing forks none).

Jobs wait in a line ordered by size, biggest first: a night ends one LLM call after its last
extraction, and starting the longest jobs first shortens that tail (the classic
longest-processing-time-first rule). Nothing here runs on the event loop but the line itself:
submitting a job may wait for the fork server, so it happens in a thread.

A worker that dies (a crash inside MuPDF, the OOM killer, a kill) breaks the executor and
every job it held. The pool replaces the executor, then runs each of those jobs once more
alone in a fresh process: only the job that kills its process again fails, with an
``ExtractionError`` naming the paper, and the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import importlib
import itertools
import multiprocessing
import os
import select
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from typing import Any, TypeVar

from ..core.errors import ExtractionError

__all__ = ["ExtractionPool", "call", "extraction_pool", "start_early"]

T = TypeVar("T")

_PRELOAD = ["__main__", "pipeline.stages.pool_worker"]
"""What the fork server imports before forking: the worker's modules, and ``__main__`` (run.py,
guarded: it imports nothing then), which each worker would otherwise import again itself."""

DIED = "the PDF reader's process died reading it (a crash in PyMuPDF, or out of memory)"


def _context() -> multiprocessing.context.BaseContext:
    # forkserver, not fork: this process runs threads (the loop's helpers, HTTP clients), and a
    # forked copy of a threaded process can deadlock on a lock another thread held.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def call(module: str, function: str, *args: Any, **kwargs: Any) -> Any:
    """``module.function(*args, **kwargs)``: a job named, not referenced, so that the process
    sending it need not import the module (the night never loads PyMuPDF itself)."""
    return getattr(importlib.import_module(module), function)(*args, **kwargs)


def start_early() -> None:
    """Start the fork server now: it loads the extractor and the tokenizer in its own process,
    on another core, while this one is still importing the night, so the first PDF finds the
    workers ready. Costs nothing when a pool is never made (it ends with this process)."""
    _context()
    _start_server()


def _start_server() -> None:
    """The fork server (and multiprocessing's resource tracker, started with it) get
    /dev/null as their output: they end a moment after this process does, and whoever reads
    this process's output through a pipe would otherwise wait for them too. A worker's own
    output is lost with it; a worker that dies is reported by the job that it held."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
    saved = {}
    for fd in (1, 2):
        with contextlib.suppress(OSError):  # a closed output (cron may close it) stays closed
            saved[fd] = os.dup(fd)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in saved:
            os.dup2(null, fd)
        forkserver.ensure_running()
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        os.close(null)


class _BiggestFirst:
    """``slots`` turns; whoever waits with the largest size gets the next one."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def turn(self, size: int) -> AsyncIterator[None]:
        if self._free and not self._waiting:
            self._free -= 1
        else:
            given: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (-size, next(self._order), given))
            try:
                await given
            except asyncio.CancelledError:
                if given.done() and not given.cancelled():
                    self._release()  # the turn came as the task was cancelled: pass it on
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            _, _, given = heapq.heappop(self._waiting)
            if not given.done():  # a cancelled waiter is skipped
                given.set_result(None)
                return
        self._free += 1


class ExtractionPool:
    """Runs picklable jobs (``functools.partial`` of module-level functions), biggest first."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("an extraction pool needs at least one worker")
        self.workers = workers
        self._context = _context() if workers > 1 else None
        self._lock = threading.Lock()
        self._executor = self._new_executor()
        self._line: _BiggestFirst | None = None
        self._version: asyncio.Task[str] | None = None
        if self._context is not None:
            _start_server()  # returns at once; the server loads meanwhile

    def _new_executor(self) -> Executor:
        if self._context is None:
            return ThreadPoolExecutor(1, "extract")
        return self._processes(self.workers)

    def _processes(self, count: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            count, mp_context=self._context, initializer=_end_with, initargs=(os.getpid(),)
        )

    async def run(self, job: Callable[[], T], *, size: int = 0, label: str) -> T:
        """``job``'s result, once a worker is free and no larger job waits. Raises what the job
        raises, or ``ExtractionError`` when the job's process dies even when run alone."""
        if self._line is None:
            self._line = _BiggestFirst(self.workers)
        async with self._line.turn(size):
            executor = self._executor
            try:
                return await self._on(executor, job)
            except BrokenProcessPool:
                self._replace(executor)
            return await asyncio.to_thread(self._alone, job, label)

    async def extractor_version(self) -> str:
        """The version of the extractor the workers run (part of every extraction cache key),
        asked of a worker once: this process does not import the extractor."""
        if self._version is None:
            job = functools.partial(call, "pipeline.stages.pool_worker", "extractor_version")
            self._version = asyncio.ensure_future(self.run(job, label="the extractor's version"))
        return await asyncio.shield(self._version)

    async def _on(self, executor: Executor, job: Callable[[], T]) -> T:
        submitted: Future[T] = await asyncio.to_thread(executor.submit, job)
        return await asyncio.wrap_future(submitted)

    def _replace(self, broken: Executor) -> None:
        with self._lock:
            if self._executor is broken:  # the first job to notice replaces it
                self._executor = self._new_executor()
        broken.shutdown(wait=False)

    def _alone(self, job: Callable[[], T], label: str) -> T:
        with self._processes(1) as alone:
            try:
                return alone.submit(job).result()
            except BrokenProcessPool as exc:
                raise ExtractionError(label, DIED) from exc

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _end_with(pid: int) -> None:
    """Run in each worker as it starts: the worker ends when the process that made the pool
    does. A night killed outright (SIGKILL, the OOM killer) cannot tell its workers, which
    would wait for work forever, and keep the fork server alive with them."""

    def watch() -> None:
        try:
            ended = os.pidfd_open(pid)
        except ProcessLookupError:
            os._exit(1)
        except (AttributeError, OSError):  # no pidfd (not Linux, an old kernel): ask each second
            while _alive(pid):
                time.sleep(1.0)
            os._exit(1)
        select.select([ended], [], [])  # readable once the process has ended
        os._exit(1)

    threading.Thread(target=watch, name="end-with-the-night", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def extraction_pool(workers: int) -> Iterator[ExtractionPool]:
    """A pool of ``workers`` processes (1: one thread of this process), closed on leaving."""
    pool = ExtractionPool(workers)
    try:
        yield pool
    finally:
        pool.close()
