"""The faithfulness check in the prompt lab: every version's output is checked against the
frozen paper the way the night checks its summaries (``paper_source``: listing title and
abstract plus the PDF's full extracted text), so its flags count in the lab's comparison and
tables. Discovered and imported by ``pipeline.lab.checks``."""

from __future__ import annotations

import functools

from pipeline.core.models import DailyPaper, Extraction, Flag, Summary
from pipeline.lab.checks import register_check
from pipeline.lab.sets import FrozenPaper

from . import SourceIndex, check_summary
from .sources import paper_source


@functools.lru_cache(maxsize=256)
def _source(paper_json: str, extraction_json: str | None) -> SourceIndex:
    """Indexed once per paper, not once per version: a set's papers are checked many times."""
    paper = DailyPaper.model_validate_json(paper_json)
    extraction = Extraction.model_validate_json(extraction_json) if extraction_json else None
    return paper_source(paper, extraction)


@register_check("faithfulness")
def faithfulness(summary: Summary, frozen: FrozenPaper) -> list[Flag]:
    extraction = frozen.extraction.model_dump_json() if frozen.extraction else None
    return check_summary(summary, _source(frozen.paper.model_dump_json(), extraction))
