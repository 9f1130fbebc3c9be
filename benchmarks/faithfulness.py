"""Faithfulness checks on the labelled set in tests/data/faithfulness/: what they catch, what
they wrongly flag, and what they cost.

    python benchmarks/faithfulness.py /work/shared/corpus [--reference /work/shared/reference]

The papers' text is extracted from the corpus PDFs in this run (nothing third-party is kept in
the repository). Prints caught/planted by kind, false flags on correct sections, the time to
index a paper and to check a summary (CPU time, best of three), and every miss and false flag.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from pipeline.core.models import Flag, Summary
from pipeline.extract.extractor import extract_pdf
from pipeline.faithfulness import SourceIndex, check_summary, flag_kind, index_source
from pipeline.faithfulness.sources import abstract_of

DATA = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "faithfulness"
SECTIONS = ("whats_new", "technical_details", "performance_highlights")
REPEATS = 3
"""Each timing is the best of this many runs: other jobs on a shared machine only add time."""


@dataclass
class Paper:
    index: SourceIndex
    index_ms: float
    index_wall_ms: float


class Clock:
    """CPU time of this process (what the check costs; other jobs on a shared machine stretch
    wall time) and wall time, in milliseconds."""

    def __enter__(self) -> Clock:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.cpu_ms = (time.process_time() - self.cpu) * 1000
        self.wall_ms = (time.perf_counter() - self.wall) * 1000


def load_jsonl(path: pathlib.Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def load_papers(corpus: pathlib.Path, names: set[str]) -> dict[str, Paper]:
    papers = {}
    for name in sorted(names):
        extraction = extract_pdf(corpus / f"{name}.pdf", budget_tokens=12_000, label=name)
        full = extraction.full_text
        clocks = []
        for _ in range(REPEATS):
            with Clock() as clock:
                index = index_source(full, extraction.title or "", abstract_of(full))
            clocks.append(clock)
        best = min(clocks, key=lambda c: c.cpu_ms)
        papers[name] = Paper(index, best.cpu_ms, best.wall_ms)
    return papers


def damaged(base: dict[str, str], plant: dict[str, Any]) -> dict[str, str]:
    section = plant["section"]
    if plant["old"] not in base[section]:
        sys.exit(f"plant {plant['id']}: {plant['old']!r} is not in {plant['base']}.{section}")
    return {**base, section: base[section].replace(plant["old"], plant["new"], 1)}


def caught(plant: dict[str, Any], flags: list[Flag]) -> bool:
    if plant["kind"] == "paper":
        return any(flag_kind(f) == "paper" for f in flags)
    expect = plant.get("expect", plant["new"])
    return any(
        flag_kind(f) == plant["kind"]
        and f.section == plant["section"]
        and f.span is not None
        and (expect in f.span or f.span in expect)
        for f in flags
    )


def reference_sections(folder: pathlib.Path) -> list[tuple[str, dict[str, str]]]:
    """Each published paper's three sections, from the reference digests' Markdown."""
    papers = []
    for path in sorted(folder.glob("*.md")):
        for block in path.read_text().split("\n### ")[1:]:
            title = block.split("](", 1)[0].lstrip("[")
            found = dict(
                re.findall(
                    r"- \*\*(What's New|Technical Details|Performance "
                    r"Highlights)\*\*: (.+)",
                    block,
                )
            )
            if len(found) == 3:
                papers.append((title, dict(zip(SECTIONS, found.values(), strict=True))))
    return papers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=pathlib.Path)
    parser.add_argument("--reference", type=pathlib.Path, default=None)
    args = parser.parse_args()

    summaries = {row["id"]: row for row in load_jsonl(DATA / "summaries.jsonl")}
    plants = load_jsonl(DATA / "plants.jsonl")
    names = {row["paper"] for row in summaries.values()}
    names |= {p["paper"] for p in plants if "paper" in p}
    papers = load_papers(args.corpus, names)
    check_ms: list[float] = []

    def check(summary: dict[str, str], paper: str) -> list[Flag]:
        times = []
        for _ in range(REPEATS):
            with Clock() as clock:
                flags = check_summary(Summary(**summary), papers[paper].index)
            times.append(clock.cpu_ms)
        check_ms.append(min(times))
        return flags

    # Correct sections: every flag on them is a false flag.
    sections = false = 0
    false_lines = []
    controls = [p for p in plants if p["kind"] == "none"]
    correct = [(row["id"], row["summary"], row["paper"]) for row in summaries.values()]
    correct += [
        (p["id"], damaged(summaries[p["base"]]["summary"], p), summaries[p["base"]]["paper"])
        for p in controls
    ]
    for ident, summary, paper in correct:
        flags = check(summary, paper)
        sections += 3
        flagged = {f.section for f in flags} | (
            {s for s in SECTIONS} if any(f.section is None for f in flags) else set()
        )
        false += len(flagged)
        false_lines += [f"  {ident}: {f.code} {f.section} {f.span!r}: {f.detail}" for f in flags]

    # Planted errors.
    by_kind: dict[str, list[bool]] = {}
    miss_lines = []
    for plant in plants:
        if plant["kind"] == "none":
            continue
        if "summary" in plant:
            summary, paper = plant["summary"], plant["paper"]
        elif plant["kind"] == "paper":
            summary, paper = summaries[plant["base"]]["summary"], plant["paper"]
        else:
            base = summaries[plant["base"]]
            summary, paper = damaged(base["summary"], plant), base["paper"]
        hit = caught(plant, check(summary, paper))
        by_kind.setdefault(plant["kind"], []).append(hit)
        if not hit:
            miss_lines.append(f"  {plant['id']}: {plant['what']}")

    moved: list[bool] = []
    if args.reference:
        corpus = sorted(papers)
        for i, (title, summary) in enumerate(reference_sections(args.reference)):
            flags = check(summary, corpus[i % len(corpus)])
            moved.append(any(flag_kind(f) == "paper" for f in flags))
            if not moved[-1]:
                miss_lines.append(f"  published summary of {title!r} on {corpus[i % len(corpus)]}")

    planted = sum(len(v) for v in by_kind.values())
    hits = sum(sum(v) for v in by_kind.values())
    print(
        f"papers: {len(papers)}   correct summaries: {len(correct)} (controls included)   "
        f"plants: {planted}"
    )
    for kind, results in sorted(by_kind.items()):
        print(f"  {kind:<7} caught {sum(results)}/{len(results)}")
    print(f"caught/planted: {hits}/{planted} = {hits / planted:.1%}   (target >= 95%)")
    if moved:
        print(
            f"published summaries moved onto a corpus paper, flagged as wrong paper: "
            f"{sum(moved)}/{len(moved)} = {sum(moved) / len(moved):.1%}"
        )
    print(
        f"false flags: {false}/{sections} correct sections = {false / sections:.1%}   "
        f"(target <= 2%)"
    )
    index_ms = [p.index_ms for p in papers.values()]
    wall_ms = [p.index_wall_ms for p in papers.values()]
    per_paper = [ms + 2 * statistics.mean(check_ms) for ms in index_ms]
    print(
        f"CPU time: index a paper mean {statistics.mean(index_ms):.1f} ms, max {max(index_ms):.1f}"
        f" ms (wall mean {statistics.mean(wall_ms):.1f} ms); check a summary mean "
        f"{statistics.mean(check_ms):.2f} ms, max {max(check_ms):.2f} ms"
    )
    print(
        f"per paper in the night (index + check + one re-check): mean "
        f"{statistics.mean(per_paper):.1f} ms, max {max(per_paper):.1f} ms (target < 50 ms)"
    )
    if miss_lines:
        print("missed:", *miss_lines, sep="\n")
    if false_lines:
        print("false flags:", *false_lines, sep="\n")


if __name__ == "__main__":
    main()
