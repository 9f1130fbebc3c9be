"""How often the Korean style measures fire on published text: the base rates a researcher
reads the lab's style metrics against.

    python benchmarks/style_base_rates.py [--reference /work/shared/reference]

Reads every section of the published digests (``- **What's New**: ...`` lines) and prints, over
all of them: the share of sections with a 한다체/해요체 sentence ending, the share of the table's
English terms written only in Hangul (the papers are not at hand, so every term of the table
counts, not only those a paper uses), the share of sections with such a term, and the section
length p10/p50/p90 with the share outside the 150-350 band. Never asserts.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from pipeline.lab.stats import percentile
from pipeline.stages.style import BAND, TRANSLITERATIONS, section_style

_SECTION_LINE = re.compile(r"^- \*{2,3}(?P<title>[^*]+?)\*{2,3}:\s*(?P<text>.*)$", re.MULTILINE)


def sections(reference: Path) -> dict[str, list[str]]:
    return {
        path.name: [m["text"].strip() for m in _SECTION_LINE.finditer(path.read_text("utf-8"))]
        for path in sorted(reference.glob("*.md"))
        if path.name[:2].isdigit()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, default=Path("/work/shared/reference"))
    args = parser.parse_args()
    days = sections(args.reference)
    texts = [text for day in days.values() for text in day]
    styles = [section_style(text, TRANSLITERATIONS) for text in texts]
    n = len(styles)
    print(f"{n} sections from {len(days)} days: {', '.join(days)}")
    off = sum(bool(s.off_register) for s in styles)
    print(f"register: {off} sections ({off / n:.1%}) with a 한다체/해요체 ending")
    written = sum(len(s.transliterated) for s in styles)
    kept = sum(len(s.kept) for s in styles)
    with_one = sum(bool(s.transliterated) for s in styles)
    print(
        f"transliteration: {written} of {written + kept} term uses in Hangul only "
        f"({written / max(written + kept, 1):.1%}); {with_one} sections ({with_one / n:.1%}) "
        "have one"
    )
    common = Counter(t for s in styles for t in s.transliterated).most_common(5)
    print("  most often: " + ", ".join(f"{TRANSLITERATIONS[t][0]} ({t}) {c}" for t, c in common))
    chars = [float(s.chars) for s in styles]
    out = sum(not s.in_band for s in styles)
    below = sum(s.chars < BAND[0] for s in styles)
    print(
        f"length: p10 {percentile(chars, 10):.0f}, p50 {percentile(chars, 50):.0f}, "
        f"p90 {percentile(chars, 90):.0f} characters; {out} sections ({out / n:.1%}) outside "
        f"{BAND[0]}-{BAND[1]} ({below} shorter, {out - below} longer)"
    )


if __name__ == "__main__":
    main()
