"""The review web app: a day list, a day view per date, and the JSON API the page uses.

Server-rendered Jinja2 (autoescaped) plus one small script served by the app; every action is
``POST /api/<date>/<arxiv_id>/<action>`` or ``POST /api/<date>/publish`` and answers JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..core.config import Settings
from ..core.errors import DigestError, EditConflict, ReviewRefused, UsageError
from ..stages.prompts import list_versions, summary_names
from .editorial import Editorial
from .models import SECTION_NAMES, PaperState
from .publish import last_publication, publish_day
from .regenerate import regenerate
from .security import Guard, GuardMiddleware
from .views import card, flag_extras

HERE = Path(__file__).resolve().parent
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")


@dataclass
class ReviewApp:
    editorial: Editorial
    settings: Settings
    editor: str
    guard: Guard


class BadRequest(Exception):
    pass


def parse_date(value: str) -> dt.date:
    if not _DATE.match(value):
        raise BadRequest(f"not a date: {value[:20]!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"not a date: {value!r}") from exc


def parse_id(value: str) -> str:
    if not _ARXIV_ID.match(value):
        raise BadRequest(f"not an arXiv id: {value[:20]!r}")
    return value


def create_app(review: ReviewApp) -> Starlette:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.globals["csrf_token"] = review.guard.csrf_token
    env.filters["flag_extras"] = flag_extras

    def page(name: str, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context))

    async def days(request: Request) -> Response:
        return page("days.html", days=review.editorial.days())

    async def day(request: Request) -> Response:
        date = parse_date(request.path_params["date"])
        review.editorial.import_day(date)
        papers = review.editorial.day(date)
        if not papers:
            return page("days.html", days=review.editorial.days(), missing=date)
        s = review.settings
        return page(
            "day.html",
            date=date,
            cards=[await card(review.editorial.store, p, s) for p in papers],
            counts=_counts(papers),
            prompts=_prompt_specs(s.prompts_dir),
            default_prompt=s.prompt,
            default_model=s.model,
            published=last_publication(review.editorial, date),
        )

    async def paper_action(request: Request) -> Response:
        date = parse_date(request.path_params["date"])
        arxiv_id = parse_id(request.path_params["arxiv_id"])
        action = ACTIONS.get(request.path_params["action"])
        if action is None:
            raise BadRequest(f"unknown action {request.path_params['action'][:20]!r}")
        body = await _json_body(request)
        review.editorial.import_day(date)
        paper = await action(review, date, arxiv_id, body)
        return JSONResponse({"ok": True, "paper": _paper_json(paper)})

    async def publish(request: Request) -> Response:
        date = parse_date(request.path_params["date"])
        publication = publish_day(review.editorial, date, review.editor)
        return JSONResponse({"ok": True, **publication.model_dump(mode="json")})

    app = Starlette(
        routes=[
            Route("/", days),
            Route("/day/{date}", day),
            Route("/api/{date}/publish", publish, methods=["POST"]),
            Route("/api/{date}/{arxiv_id}/{action}", paper_action, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(GuardMiddleware, guard=review.guard)],
        exception_handlers={
            BadRequest: _bad_request,
            EditConflict: _conflict,
            ReviewRefused: _refused,
            DigestError: _failed,
        },
    )
    return app


# ---- actions: each returns the paper's new state ----------------------------------------------

Action = Callable[[ReviewApp, dt.date, str, dict[str, Any]], Awaitable[PaperState]]


def _base(body: dict[str, Any]) -> int:
    base = body.get("base")
    if not isinstance(base, int) or isinstance(base, bool):
        raise BadRequest("'base' (the revision you are looking at) is required")
    return base


def _number(body: dict[str, Any]) -> int:
    number = body.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise BadRequest("'number' (a revision number) is required")
    return number


async def _approve(r: ReviewApp, date: dt.date, pid: str, body: dict[str, Any]) -> PaperState:
    return r.editorial.approve(date, pid, _base(body), r.editor)


async def _exclude(r: ReviewApp, date: dt.date, pid: str, body: dict[str, Any]) -> PaperState:
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise BadRequest("'reason' must be text")
    return r.editorial.exclude(date, pid, reason[:500], _base(body), r.editor)


async def _edit(r: ReviewApp, date: dt.date, pid: str, body: dict[str, Any]) -> PaperState:
    sections = body.get("sections")
    if not isinstance(sections, dict) or not all(isinstance(v, str) for v in sections.values()):
        raise BadRequest("'sections' must map section names to text")
    return r.editorial.edit(date, pid, sections, _base(body), r.editor)


async def _regenerate(r: ReviewApp, date: dt.date, pid: str, body: dict[str, Any]) -> PaperState:
    prompt = body.get("prompt") or r.settings.prompt
    model = body.get("model") or r.settings.model
    section = body.get("section") or None
    if not all(isinstance(v, str) for v in (prompt, model)) or section not in (
        None,
        *SECTION_NAMES,
    ):
        raise BadRequest("'prompt' and 'model' must be text, 'section' one of the three")
    await regenerate(
        r.editorial, r.settings, date, pid, prompt=prompt, model=model, section=section
    )
    return r.editorial.paper(date, pid)


async def _accept(r: ReviewApp, date: dt.date, pid: str, body: dict[str, Any]) -> PaperState:
    return r.editorial.accept(date, pid, _number(body), _base(body), r.editor)


async def _discard(r: ReviewApp, date: dt.date, pid: str, body: dict[str, Any]) -> PaperState:
    return r.editorial.discard(date, pid, _number(body), _base(body), r.editor)


async def _restore(r: ReviewApp, date: dt.date, pid: str, body: dict[str, Any]) -> PaperState:
    return r.editorial.restore(date, pid, _number(body), _base(body), r.editor)


ACTIONS: dict[str, Action] = {
    "approve": _approve,
    "exclude": _exclude,
    "edit": _edit,
    "regenerate": _regenerate,
    "accept": _accept,
    "discard": _discard,
    "restore": _restore,
}


# ---- helpers ----------------------------------------------------------------------------------


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise BadRequest("the body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _paper_json(paper: PaperState) -> dict[str, Any]:
    current = paper.current_revision
    return {
        "arxiv_id": paper.arxiv_id,
        "state": paper.state.value,
        "reason": paper.reason,
        "revision": paper.current,
        "sections": current.summary.model_dump() if current else None,
        "candidates": [r.number for r in paper.pending_candidates],
        "flags": [f.model_dump(mode="json", exclude_none=True) for f in paper.current_flags],
    }


def _counts(papers: list[PaperState]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in papers:
        counts[p.state.value] = counts.get(p.state.value, 0) + 1
    return counts


def _prompt_specs(prompts_dir: Path) -> list[str]:
    return [
        f"{name}@{version}"
        for name in summary_names(prompts_dir)
        for version in reversed(list_versions(prompts_dir, name))
    ]


async def _bad_request(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": str(exc)}, status_code=400)


async def _conflict(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EditConflict)
    return JSONResponse(
        {"error": str(exc), "current": exc.current, "theirs": exc.theirs, "yours": exc.yours},
        status_code=409,
    )


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReviewRefused)
    status = 404 if exc.not_found else 422
    return JSONResponse({"error": exc.message, "problems": exc.problems}, status_code=status)


async def _failed(request: Request, exc: Exception) -> Response:
    # A bad choice (unknown prompt version) is the request's fault; anything else (the LLM
    # endpoint down, the store unreadable) is a failure behind the app.
    status = 400 if isinstance(exc, UsageError) else 502
    return JSONResponse({"error": str(exc)}, status_code=status)
