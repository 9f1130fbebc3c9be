"""The extraction benchmark's exit status says what happened: 1 for a missed target (a script
or CI reads it), 2 only for usage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests import pdfs

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "extraction.py"


def _run(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(folder)], capture_output=True, text=True, cwd=ROOT
    )


def test_a_missed_target_exits_1_and_a_wrong_folder_exits_2(tmp_path: Path) -> None:
    assert _run(tmp_path / "nowhere").returncode == 2
    # A generated paper under a corpus paper's name: its headings are not the ones expected.
    expected = json.loads((ROOT / "benchmarks" / "data" / "headings.json").read_text())["papers"]
    (tmp_path / sorted(expected)[0]).write_bytes(pdfs.one_column())
    result = _run(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "MISS headings found" in result.stdout
