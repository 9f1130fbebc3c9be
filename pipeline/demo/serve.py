"""``demo --serve``: the review app on the demo day, its pages marked, its regenerations
answered by the replay (so they too are recorded answers, never a model's output)."""

from __future__ import annotations

import getpass
import threading
import webbrowser
from pathlib import Path

from ..core.config import Settings
from .marks import PREFIX, Echo, marked_app
from .replay import ReplayServer
from .sample import Sample

HOST = "127.0.0.1"


def serve_demo(data_dir: Path, sample: Sample, port: int, open_browser: bool, echo: Echo) -> None:
    import uvicorn

    from ..review.app import ReviewApp, create_app
    from ..review.faithful import open_editorial
    from ..review.security import Guard
    from ..store import Store

    with ReplayServer(sample) as replay:
        env = replay.env()
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=data_dir,
            model=env["DIGEST_MODEL"],
            HF_ENDPOINT=env["HF_ENDPOINT"],
            ARXIV_API_URL=env["ARXIV_API_URL"],
            OPENAI_BASE_URL=env["OPENAI_BASE_URL"],
            OPENAI_API_KEY=env["OPENAI_API_KEY"],
        )
        editorial = open_editorial(Store(data_dir), settings)
        guard = Guard.for_bind(HOST, port, None)
        app = marked_app(create_app(ReviewApp(editorial, settings, getpass.getuser(), guard)))
        url = f"http://{HOST}:{port}/day/{sample.date.isoformat()}"
        echo(f"{PREFIX}review app on {url} (Ctrl+C to stop); regenerating replays the "
             "recorded answers")  # fmt: skip
        if open_browser:
            threading.Timer(1.0, webbrowser.open, (url,)).start()
        try:
            uvicorn.run(app, host=HOST, port=port, log_level="warning")
        finally:
            editorial.close()
