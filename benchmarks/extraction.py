"""Extraction over a folder of real PDFs: what it finds and what it costs.

    python benchmarks/extraction.py /work/shared/corpus [--budget 6000]

Prints one row per PDF and the time of extract_pdf against plain page.get_text() over the same
files in the same run (both include opening the document).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
import time

import pymupdf

from pipeline.extract import extract_pdf
from pipeline.extract.sections import kind_of
from pipeline.models import Extraction
from pipeline.tokens import count_tokens

_LIGATURES = re.compile("[ﬀﬁﬂﬃﬄ]")
_SPLIT_WORD = re.compile(r"[a-z]-\s*\n\s*[a-z]")
_REPEATS = 3


def plain_seconds(data: bytes) -> float:
    best = float("inf")
    for _ in range(_REPEATS):
        start = time.perf_counter()
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            for page in doc:
                page.get_text()
        best = min(best, time.perf_counter() - start)
    return best


def extract_seconds(data: bytes, budget: int, label: str) -> tuple[float, Extraction]:
    best = float("inf")
    result = None
    for _ in range(_REPEATS):
        start = time.perf_counter()
        result = extract_pdf(data, budget_tokens=budget, label=label)
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def row(path: pathlib.Path, budget: int) -> tuple[str, float, float]:
    data = path.read_bytes()
    plain = plain_seconds(data)
    took, ex = extract_seconds(data, budget, path.name)
    kinds = {kind_of(s.name) for s in ex.sections}
    found = "".join(
        letter if kind in kinds else "-"
        for letter, kind in (("A", "abstract"), ("I", "introduction"), ("C", "conclusion"))
    )
    refs = "R" if "references" in kinds else "-"
    refs_dropped = all(kind_of(n) != "references" for n in ex.kept)
    dirty = len(_LIGATURES.findall(ex.context)) + len(_SPLIT_WORD.findall(ex.context))
    flags = ",".join(sorted({f.code for f in ex.flags})) or "-"
    line = (
        f"{path.name[:34]:<34} {ex.pages:>3} {ex.pages / took:>7.0f} {len(ex.sections):>4} "
        f"{found}{refs} {'yes' if refs_dropped else 'NO':>4} {ex.context_tokens:>6} "
        f"{dirty:>5} {took / plain:>5.2f} {flags}"
    )
    return line, plain, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=pathlib.Path)
    parser.add_argument("--budget", type=int, default=6000)
    args = parser.parse_args()
    files = sorted(args.folder.glob("*.pdf"))
    if not files:
        print(f"no PDFs in {args.folder}", file=sys.stderr)
        return 1
    count_tokens("warm up the tokenizer outside the timings")
    print("AICR = abstract, introduction, conclusion, references found; refs-out = dropped")
    print("dirty = ligatures + hyphen-split words left in the context; ratio = vs get_text()")
    print(
        f"{'file':<34} {'pp':>3} {'pages/s':>7} {'secs':>4} AICR {'refs-out':>4} "
        f"{'tokens':>6} {'dirty':>5} {'ratio':>5} flags"
    )
    plain_total = took_total = 0.0
    for path in files:
        line, plain, took = row(path, args.budget)
        plain_total += plain
        took_total += took
        print(line)
    print(
        f"total: extract {took_total:.2f}s, get_text {plain_total:.2f}s, "
        f"ratio {took_total / plain_total:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
