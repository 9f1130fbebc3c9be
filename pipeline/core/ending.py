"""How a command ends: its work done, the process goes at once, without tearing itself down.

Python's own exit unloads every module and collects every object one by one: after a night that
imported the openai SDK that is ~0.3 s (measured: 0.31 s between the last thread's end and the
process's exit_group), spent after the digest is written, on nothing anyone reads. ``end`` does
what an orderly exit needs first: runs the exit handlers (logging's flush, multiprocessing's
clean-up of its fork server and workers), flushes stdout and stderr, and then leaves with
``os._exit``. Every file the pipeline writes is closed and renamed in place before its command
returns (``store.files``), and every thread's work is awaited by then: the threads left are idle
executor workers, which Python's own exit would only wake to tell them to stop.
"""

from __future__ import annotations

import atexit
import os
import sys

__all__ = ["end"]

_FLUSH_FAILED = 120
"""The status Python itself exits with when it cannot flush stdout or stderr at exit."""


def end(code: object) -> None:
    """Leave with ``code`` as ``sys.exit(code)`` would (None: 0; text: printed, 1)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    if sys.gettrace() is not None or sys.getprofile() is not None:
        # A debugger, coverage or a profiler (`python -m cProfile run.py`) reports after the
        # program ends: it gets Python's own exit.
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or a closed stream
            status = status or _FLUSH_FAILED
    os._exit(status)
