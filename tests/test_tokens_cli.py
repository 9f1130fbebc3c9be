"""Offline token counting, and the `extract` inspection command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from tests import pdfs

ROOT = Path(__file__).resolve().parent.parent


def test_tiktoken_works_from_an_empty_cache_without_network(tmp_path: Path) -> None:
    cache = tmp_path / "tiktoken"
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network is off in this test')\n"
        "socket.socket.connect = refuse\n"
        "from pipeline.core.tokens import count_tokens\n"
        "print(count_tokens('Attention is all you need', 'gpt-4o'),"
        " count_tokens('Attention is all you need', 'gpt-4'))\n"
    )
    env = {"TIKTOKEN_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    o200k, cl100k = map(int, done.stdout.split())
    assert o200k == 5 and cl100k == 5
    assert len(list(cache.iterdir())) == 2  # o200k_base and cl100k_base, under sha1(URL)


def test_extract_command_reports_sections_context_and_flags(tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(pdfs.injected_pdf())
    runner = CliRunner()
    result = runner.invoke(app, ["extract", str(pdf), "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"title", "sections", "context", "flags"}
    assert {"tokens", "kept", "dropped"} <= set(report["context"])
    assert any(f["code"] == "prompt_injection" for f in report["flags"])
    text = runner.invoke(app, ["extract", str(pdf), "--text"])
    assert text.exit_code == 0 and "previous instructions" not in text.stdout.lower()
    table = runner.invoke(app, ["extract", str(pdf)])
    assert table.exit_code == 0 and "prompt_injection" in table.stdout


def test_extract_command_on_a_broken_pdf_is_one_line(tmp_path: Path) -> None:
    pdf = tmp_path / "locked.pdf"
    pdf.write_bytes(pdfs.encrypted_pdf())
    result = CliRunner().invoke(app, ["extract", str(pdf)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "password" in result.stderr
    assert "Traceback" not in result.stderr
