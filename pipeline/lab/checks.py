"""Checks of a summary's content that the lab runs on every version's output: a registry, so a
check written elsewhere (faithfulness: numbers and names not in the paper) flags lab outcomes by
registering itself, and the lab's metrics count its flag codes without a change here.

A feature plugs in by shipping ``pipeline/<its package>/lab_checks.py`` that registers its
checks with ``@register_check(name)``; the lab imports every such module before a run. A check
gets the summary (or the draft of a paper that needs review) and the frozen paper, whose
``extraction`` holds the whole extracted text, and returns flags.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from types import ModuleType

from pipeline.core.models import Flag, Summary

from .sets import FrozenPaper

Check = Callable[[Summary, FrozenPaper], list[Flag]]

CHECKS: dict[str, Check] = {}
PLUGIN = "lab_checks"


def register_check(name: str) -> Callable[[Check], Check]:
    """Decorator: run ``check`` on every output from now on (re-registering replaces it)."""

    def add(check: Check) -> Check:
        CHECKS[name] = check
        return check

    return add


def discover(package: ModuleType) -> list[str]:
    """Import ``<package>.<subpackage>.lab_checks`` wherever one exists; returns their names."""
    found = []
    for module in pkgutil.iter_modules(package.__path__):
        name = f"{package.__name__}.{module.name}.{PLUGIN}"
        if module.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            found.append(name)
    return found


def run_checks(summary: Summary, frozen: FrozenPaper) -> list[Flag]:
    return [flag for check in CHECKS.values() for flag in check(summary, frozen)]
