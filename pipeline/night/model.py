"""The night's model, made ready while the night works: the openai SDK is imported in a thread
and the model check (GET /models) runs as a task, both overlapping the listing, the arXiv
metadata, the downloads and the extraction instead of coming before them (~0.4 s of a night
that lasts about one LLM call).

The first LLM call waits for the check, so a failed check (a wrong key, an unknown model, an
unreachable server) still makes no call; ``ready`` lets the night wait for it before it
publishes anything, so such a night ends with the check's error as it always did.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import TracebackType

    from ..core.config import Settings
    from ..stages.llm import LLMReply, Messages
    from ..stages.openai_llm import OpenAILLM

log = logging.getLogger("pipeline")


class CheckedLLM:
    """An ``LLM`` whose ``OpenAILLM`` is imported, built and checked in the background from
    ``async with`` on; its warnings are logged the moment the check ends."""

    def __init__(self, settings: Settings) -> None:
        self.model = settings.model
        self._settings = settings
        self._client: OpenAILLM | None = None
        self._task: asyncio.Task[OpenAILLM] | None = None

    async def __aenter__(self) -> CheckedLLM:
        self._task = asyncio.create_task(self._open())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._task is not None:
            await asyncio.wait([self._task])
            if not self._task.cancelled():
                self._task.exception()  # a failure the night never waited for is not news
        if self._client is not None:
            # Closed on every path, a failed check included: an unclosed client is closed by
            # the SDK at garbage collection, on whatever loop runs then, with a traceback.
            await self._client.close()

    async def _open(self) -> OpenAILLM:
        # A thread of its own, not the loop's executor: its lowered priority must not stay
        # with a thread that later writes the night's records.
        importer = ThreadPoolExecutor(1, thread_name_prefix="sdk-import")
        try:
            sdk = await asyncio.get_running_loop().run_in_executor(importer, _import_sdk)
        finally:
            importer.shutdown(wait=False)
        self._client = sdk.OpenAILLM.from_settings(self._settings)
        for warning in await self._client.check():
            log.warning("warning: %s", warning)
        return self._client

    async def ready(self) -> OpenAILLM:
        """The checked client; raises the check's error. Shielded: a paper cancelled while it
        waits does not cancel the check the others wait for."""
        assert self._task is not None, "use CheckedLLM with async with"
        return await asyncio.shield(self._task)

    async def complete(self, messages: Messages, params: dict[str, Any]) -> LLMReply:
        client = await self.ready()
        return await client.complete(messages, params)


def _import_sdk() -> ModuleType:
    """The SDK, imported at a lower priority: the night's last paper waits for its extraction,
    the first call for the SDK, so the extraction workers get the cores first and the import
    takes what they leave. Linux only: there a thread's id renices that thread alone."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    return importlib.import_module("pipeline.stages.openai_llm")
