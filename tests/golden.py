"""Golden files: compared byte for byte; rewritten only with UPDATE_GOLDEN=1 (exactly), so a
stray UPDATE_GOLDEN=0 or an empty value never turns a failing test green."""

from __future__ import annotations

import os
from pathlib import Path


def updating() -> bool:
    return os.environ.get("UPDATE_GOLDEN") == "1"


def check_golden(path: Path, text: str) -> None:
    if updating():
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"output differs from {path.name}; if the change is intended, rerun with "
        "UPDATE_GOLDEN=1 and review the diff"
    )
