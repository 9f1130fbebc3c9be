"""Checks of a summary's content that the lab runs on every version's output: a registry, so a
check written elsewhere (faithfulness: numbers and names not in the paper) flags lab outcomes by
registering itself, and the lab's metrics count its flag codes without a change here.

A check gets the summary (or the draft of a paper that needs review) and the frozen paper,
whose ``extraction`` holds the whole extracted text, and returns flags.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.models import Flag, Summary

from .sets import FrozenPaper

Check = Callable[[Summary, FrozenPaper], list[Flag]]

CHECKS: dict[str, Check] = {}


def register_check(name: str) -> Callable[[Check], Check]:
    """Decorator: run ``check`` on every output from now on (re-registering replaces it)."""

    def add(check: Check) -> Check:
        CHECKS[name] = check
        return check

    return add


def run_checks(summary: Summary, frozen: FrozenPaper) -> list[Flag]:
    return [flag for check in CHECKS.values() for flag in check(summary, frozen)]
