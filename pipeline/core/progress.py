"""Progress per stage: bars on a terminal, plain log lines under cron."""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

log = logging.getLogger("pipeline")


class StageProgress:
    """``start(stage, total)`` then ``advance(stage, detail)``; a bar or a log line each."""

    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        stream = stream or sys.stderr
        self.interactive = stream.isatty() if interactive is None else interactive
        self._totals: dict[str, int] = {}
        self._done: dict[str, int] = {}
        self._tasks: dict[str, TaskID] = {}
        self._bars: Progress | None = None
        if self.interactive:
            # Imported for a terminal only (~55 ms): under cron the night logs lines instead.
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bars = Progress(
                TextColumn("{task.description:<18}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=stream),
                transient=False,
            )

    def __enter__(self) -> StageProgress:
        if self._bars is not None:
            self._bars.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bars is not None:
            self._bars.stop()

    def start(self, stage: str, total: int) -> None:
        self._totals[stage] = total
        self._done[stage] = 0
        if self._bars is not None:
            self._tasks[stage] = self._bars.add_task(stage, total=total)

    def advance(self, stage: str, detail: str = "") -> None:
        self._done[stage] += 1
        if self._bars is not None:
            self._bars.advance(self._tasks[stage])
        else:
            suffix = f" {detail}" if detail else ""
            log.info("%s %d/%d%s", stage, self._done[stage], self._totals[stage], suffix)
