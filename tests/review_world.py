"""A reviewed night: the loopback fakes, one night run, and the editorial state over it."""

from __future__ import annotations

import datetime as dt
import functools

from pipeline.review.editorial import Editorial
from pipeline.store import Store
from tests import pdfs
from tests.world import DATE, World

DAY = dt.date.fromisoformat(DATE)
PAPERS = {
    "2406.20001": "Sparse Adapter Routing for Speech",
    "2406.20002": "Two-Column Vision Transformers at Scale",
    "2406.20003": "Retrieval Heads in Long Context Models",
}
ENGLISH = "This section was rewritten in English by someone who forgot the newsletter is Korean."
KOREAN_EDIT = "편집자가 고친 문장입니다. 새로운 희소 어댑터 라우팅 방법을 음성 인식에 적용했습니다."


@functools.cache
def _pdf(title: str, columns: int = 1) -> bytes:
    # Laying out a PDF takes seconds on a busy machine; every test uses the same three.
    abstract = f"We study {title.lower()} and report strong results on three benchmarks."
    return pdfs.paper_pdf(title, abstract, columns=columns)


def night_world(world: World) -> World:
    """Three papers on the fakes and one finished night."""
    one, two, three = PAPERS.items()
    world.add(*one, 52, pdf=_pdf(one[1]), authors=["Yuna Park", "Aaron Zhu"])
    world.add(*two, 17, pdf=_pdf(two[1], 2))
    world.add(*three, 30, pdf=_pdf(three[1]), thumbnail="https://cdn.example/t.png")
    outcome = world.night()
    assert outcome.exit_code == 0, outcome.stderr
    return world


def editorial_for(world: World) -> Editorial:
    editorial = Editorial(Store(world.data))
    editorial.import_day(DAY)
    return editorial
