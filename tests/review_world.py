"""A reviewed night: the loopback fakes, one night run, and the editorial state over it."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import socket
import threading
import time
from collections.abc import Iterator

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


def night_world(world: World, exit_code: int = 0) -> World:
    """Three papers on the fakes and one finished night (3: some paper needs review)."""
    one, two, three = PAPERS.items()
    world.add(*one, 52, pdf=_pdf(one[1]), authors=["Yuna Park", "Aaron Zhu"])
    world.add(*two, 17, pdf=_pdf(two[1], 2))
    world.add(*three, 30, pdf=_pdf(three[1]), thumbnail="https://cdn.example/t.png")
    outcome = world.night()
    assert outcome.exit_code == exit_code, outcome.stderr
    return world


def editorial_for(world: World) -> Editorial:
    editorial = Editorial(Store(world.data))
    editorial.import_day(DAY)
    return editorial


@contextlib.contextmanager
def live_review(world: World, editor: str = "tester") -> Iterator[str]:
    """The review app under a real uvicorn on a free loopback port; yields its base URL."""
    import uvicorn

    from pipeline.core.config import Settings
    from pipeline.review.app import ReviewApp, create_app
    from pipeline.review.security import Guard

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    editorial = Editorial(Store(world.data))
    settings = Settings(data_dir=world.data, **{"OPENAI_BASE_URL": world.llm.url + "/v1"})
    guard = Guard.for_bind("127.0.0.1", port, None)
    app = create_app(ReviewApp(editorial, settings, editor, guard))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        editorial.close()
