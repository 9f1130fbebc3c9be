"""The process's entry (``run.py``, ``python -m pipeline``, the ``korean-daily-papers`` command):
what starts before the command group is imported."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    if is_the_night(sys.argv[1:]):
        # The extraction workers' fork server loads PyMuPDF and the tokenizer (~0.55 s of CPU) on
        # the other core while this one imports the commands (~0.3 s), so the night's first PDF
        # finds it ready (measured: the jobs waited 0.5 s for it when it started after the
        # imports). A guess from the arguments alone: a wrong one costs that background CPU, never
        # a result, and the night starts it anyway if it was not.
        from .stages.pool import start_early

        start_early()
    from .cli import main as run_command

    run_command()


def is_the_night(args: list[str]) -> bool:
    """The nightly job is the group without a command name (``--date D``, or nothing at all) or
    ``run``; options given before another command's name look the same and are guessed wrong."""
    if any(arg in ("--help", "-h", "--version") for arg in args):
        return False
    return not args or args[0] == "run" or args[0].startswith("-")
