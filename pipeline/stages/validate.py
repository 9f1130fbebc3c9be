"""Checks on a summary that the JSON schema cannot express.

These catch broken output, not style: an empty or cut-off section, Markdown where the newsletter
wants a plain paragraph, a reply that drifted into English or Chinese, a runaway generation.
Each problem is a short English sentence that the summarize stage sends back to the model
verbatim when it re-asks ("What's New is empty").

The limits are calibrated on 200 published sections (tests/test_validate.py checks that every one
of them passes): they run 99-500 characters, median about 220.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.core.models import SECTION_TITLES as SECTION_TITLES
from pipeline.core.models import Summary

MAX_CHARS = 1200
"""About 2.4x the longest published section (500): only runaway output goes past this."""

MIN_HANGUL_RATIO = 0.20
"""Hangul syllables / (Hangul syllables + Latin letters).

Measured over all 200 sections of the published digests in ../shared/reference (2024-06-12,
2024-06-14, 2025-05-08): min 0.33, p1 0.46, p5 0.53, p10 0.57, p25 0.64, median 0.75, p75 0.83,
max 1.00. The minimum is a results paragraph full of model names and benchmark figures, so
English-heavy Korean is normal; 0.20 leaves a wide margin below it and still rejects replies in
English with a few Korean words sprinkled in (typically under 0.15).
"""

_SENTENCE_END = ".!?。"
# Closers that may follow the final punctuation: 다.) / 다." / 다.' and the like.
_CLOSERS = ")]}\"'”’」』》〉"

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# CJK ideographs (unified, extension A, extensions B+ and both compatibility blocks) and kana.
# CJK punctuation (U+3000-U+303F) and the katakana middle dot U+30FB, which Korean text also
# uses as a separator, are allowed: they are symbols, not a sign the model switched language.
_CJK_OR_KANA = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
    r"\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f]+"
)
# Markdown structure; a section is one plain paragraph inside the digest's own Markdown, so any
# of these would break the page's layout.
_MARKDOWN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a line break", re.compile(r"[\n\r\u2028\u2029]")),
    ("a heading", re.compile(r"^\s*#{1,6}\s", re.MULTILINE)),
    ("a bullet", re.compile(r"^\s*(?:[-*+]|\d+[.)])\s", re.MULTILINE)),
    # Only ** : __bold__ would also match identifiers such as __init__.
    ("bold text", re.compile(r"\*\*\S.*?\*\*")),
    ("a table", re.compile(r"^\s*\||\|\s*:?-{3,}", re.MULTILINE)),
    # A link or image would publish whatever URL the model (or a paper it read) chose.
    ("a link", re.compile(r"!?\[[^\]\n]*\]\([^)\n]*\)|<[A-Za-z][A-Za-z0-9+.-]*:[^>\s]*>")),
)

# HTML the model should never write: a tag of a real HTML element, any tag with attributes, a
# comment, or a script URL. Token names such as <EOS> or <think> are ordinary words in ML papers
# (the renderer escapes them), so an unknown bare tag name is not HTML; <s> is left out of the
# elements for that reason: it is the usual name of a sequence-start token.
_ELEMENT_NAMES = (
    "a abbr address area article aside audio b base bdi bdo blockquote body br button canvas "
    "caption cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed "
    "fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header "
    "hr html i iframe img input ins kbd label legend li link main map mark math meta meter nav "
    "noscript object ol optgroup option output p param picture pre progress q rp rt ruby samp "
    "script section select slot small source span strong style sub summary sup svg table tbody "
    "td template textarea tfoot th thead time title tr track u ul var video wbr"
)
_HTML_ELEMENTS = frozenset(_ELEMENT_NAMES.split())
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*?)?\s*/?>")
_ATTRIBUTE = re.compile(r"\s[A-Za-z_:][\w:.-]*\s*=")
_SCRIPT_URL = re.compile(r"<!--|\b(?:javascript|vbscript):|\bdata:text/html", re.IGNORECASE)


def section_problems(text: str) -> list[str]:
    """What is wrong with one section's text; ``[]`` when it is fine."""
    if not text.strip():
        return ["is empty"]
    checks = (_html, _markdown, _not_korean, _cjk_or_kana, _truncated, _too_long)
    return [problem for check in checks if (problem := check(text))]


def summary_problems(summary: Summary) -> list[str]:
    """Every section's problems, each prefixed with the section's display name."""
    return [
        f"{title} {problem}"
        for field, title in SECTION_TITLES.items()
        for problem in section_problems(getattr(summary, field))
    ]


def hangul_ratio(text: str) -> float:
    """Hangul syllables / (Hangul syllables + Latin letters); 0.0 when there are neither.

    Digits, punctuation and symbols are left out: a results paragraph is full of them in any
    language.
    """
    hangul = len(_HANGUL.findall(text))
    latin = sum(1 for char in text if _is_latin_letter(char))
    return hangul / (hangul + latin) if hangul + latin else 0.0


# ---- the checks: each returns one problem sentence or None -------------------------------------


def _markdown(text: str) -> str | None:
    found = [label for label, pattern in _MARKDOWN if pattern.search(text.strip())]
    if not found:
        return None
    return f"contains Markdown ({', '.join(found)}); write one plain paragraph"


def _html(text: str) -> str | None:
    found = [
        match.group(0)
        for match in _TAG.finditer(text)
        if match.group(2).lower() in _HTML_ELEMENTS or _ATTRIBUTE.search(match.group(3) or "")
    ]
    found += _SCRIPT_URL.findall(text)
    if not found:
        return None
    shown = ", ".join(dict.fromkeys(tag[:40] for tag in found[:3]))
    return f"contains HTML ({shown}); write plain text without tags"


def _not_korean(text: str) -> str | None:
    ratio = hangul_ratio(text)
    if ratio >= MIN_HANGUL_RATIO:
        return None
    # Floor, not round: 19.6% must not be reported as "only 20%" against a 20% limit.
    return f"is not written in Korean (only {int(ratio * 100)}% Hangul)"


def _cjk_or_kana(text: str) -> str | None:
    # Hanja is rare in Korean tech writing; in model output it almost always means the model
    # drifted into Chinese or Japanese mid-sentence.
    runs = list(dict.fromkeys(_CJK_OR_KANA.findall(text)))
    if not runs:
        return None
    return f"contains Chinese characters or Japanese kana: {', '.join(runs[:5])}"


def _truncated(text: str) -> str | None:
    # Only final punctuation reliably marks a finished sentence: "성능을 보여" and "보여줍니다"
    # both end in Hangul. The published sections all end with a period.
    body = text.rstrip().rstrip(_CLOSERS).rstrip()
    if body.endswith(("...", "…")) or not body.endswith(tuple(_SENTENCE_END)):
        return "looks truncated (does not end with a complete sentence)"
    return None


def _too_long(text: str) -> str | None:
    length = len(text.strip())
    if length <= MAX_CHARS:
        return None
    return f"is too long ({length} characters; keep it under {MAX_CHARS})"


def _is_latin_letter(char: str) -> bool:
    # Counts accented letters too (é in "Fréchet"), so European names don't look like Korean.
    return char.isalpha() and (char.isascii() or unicodedata.name(char, "").startswith("LATIN"))
