"""The review web app: a day list, a day view per date, and the JSON API the page uses.

Server-rendered Jinja2 (autoescaped) plus one small script served by the app; every action is
``POST /api/<date>/<arxiv_id>/<action>`` or ``POST /api/<date>/publish`` and answers JSON.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..core.config import Settings
from ..core.errors import DigestError, EditConflict, ReviewRefused, StoreError, UsageError
from ..stages.prompts import list_versions, summary_names
from .actions import NEEDS_NUMBER, Action, Kind, editor_name, perform
from .db import EditorialBusy, EditorialClash, EditorialDamaged, recovery_commands
from .editorial import Editorial
from .ids import parse_arxiv_id, parse_day
from .models import SECTION_NAMES, PaperState
from .publish import last_publication, publish_day
from .regenerate import regenerate
from .security import Guard, GuardMiddleware
from .views import Card, card, flag_extras

HERE = Path(__file__).resolve().parent
T = TypeVar("T")

MAX_BODY_BYTES = 1_000_000
"""The largest request body taken in (413 above): a few sections are a few KB."""
MAX_JSON_DEPTH = 8
"""The deepest JSON an action needs is 2 ({"sections": {...}}); 100,000 nested arrays are not
parsed at all."""
RETRY_AFTER_S = 2
EDITOR_COOKIE = "review_editor"
EDITOR_HEADER = "x-review-editor"


@dataclass
class ReviewApp:
    editorial: Editorial
    settings: Settings
    editor: str | None
    """Preset by ``review serve --editor``; None: each browser is asked for its editor's name."""
    guard: Guard
    models: tuple[str, ...] = ()
    """Models offered for regeneration beyond the configured one (``--allow-model``)."""
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="editorial")
    )
    """Every SQLite call runs here, one at a time on the one connection, never on the event
    loop: a lock held elsewhere stalls saves (then 503), not static files or other pages."""

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    def allowed_models(self) -> list[str]:
        return list(dict.fromkeys((self.settings.model, *self.models)))


class BadRequest(Exception):
    pass


class TooLarge(Exception):
    pass


class NeedEditor(Exception):
    pass


def parse_date(value: str) -> dt.date:
    try:
        return parse_day(value)
    except UsageError as exc:
        raise BadRequest(str(exc)) from exc


def parse_id(value: str) -> str:
    try:
        return parse_arxiv_id(value)
    except UsageError as exc:
        raise BadRequest(str(exc)) from exc


def request_editor(request: Request, review: ReviewApp) -> str | None:
    """Who is acting: the name this browser gave (cookie), or a script's ``X-Review-Editor``
    header, else the one the server was started with (``--editor``), else nobody yet."""
    given = [
        unquote(request.cookies.get(EDITOR_COOKIE, "")),
        unquote(request.headers.get(EDITOR_HEADER, "")),  # percent-encoded: headers are Latin-1
    ]
    for value in given:
        name = editor_name(value) if value else None
        if name:
            return name
    return review.editor


def create_app(review: ReviewApp) -> Starlette:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.globals["csrf_token"] = review.guard.csrf_token
    env.filters["flag_extras"] = flag_extras

    def page(name: str, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context))

    def card_html(c: Card, date: dt.date) -> str:
        return env.get_template("card.html").render(c=c, date=date, **_choices(review))

    async def cards_of(papers: list[PaperState]) -> list[Card]:
        s = review.settings
        return [await card(review.editorial.store, p, s) for p in papers]

    async def days(request: Request) -> Response:
        listed = await review.db(review.editorial.days)
        return page("days.html", days=listed, editor=request_editor(request, review))

    async def day(request: Request) -> Response:
        date = parse_date(request.path_params["date"])
        # The one write a page view may do: the night's import it left for the next open.
        await review.db(review.editorial.open_day, date)
        papers = await review.db(review.editorial.day, date)
        editor = request_editor(request, review)
        if not papers:
            listed = await review.db(review.editorial.days)
            return page("days.html", days=listed, missing=date, editor=editor)
        published = await review.db(last_publication, review.editorial, date)
        return page(
            "day.html",
            date=date,
            cards=await cards_of(papers),
            counts=_counts(papers),
            decided=sum(p.state.decided for p in papers),
            published=published,
            editor=editor,
            **_choices(review),
        )

    async def paper_action(request: Request) -> Response:
        date = parse_date(request.path_params["date"])
        arxiv_id = parse_id(request.path_params["arxiv_id"])
        action = ACTIONS.get(request.path_params["action"])
        if action is None:
            raise BadRequest(f"unknown action {request.path_params['action'][:20]!r}")
        body = await _json_body(request)
        editor = request_editor(request, review)
        if editor is None:
            raise NeedEditor()
        await review.db(review.editorial.open_day, date)
        paper = await action(review, date, arxiv_id, body, editor)
        papers = await review.db(review.editorial.day, date)
        [shown] = await cards_of([paper])
        return JSONResponse(
            {
                "ok": True,
                "paper": _paper_json(paper),
                "html": card_html(shown, date),
                "decided": sum(p.state.decided for p in papers),
                "total": len(papers),
            }
        )

    async def publish(request: Request) -> Response:
        date = parse_date(request.path_params["date"])
        await _json_body(request)
        editor = request_editor(request, review)
        if editor is None:
            raise NeedEditor()
        publication = await review.db(publish_day, review.editorial, date, editor)
        return JSONResponse({"ok": True, **publication.model_dump(mode="json")})

    async def set_editor(request: Request) -> Response:
        body = await _json_body(request)
        name = editor_name(str(body.get("name", "")))
        if name is None:
            raise BadRequest("a name of 1 to 40 visible characters, please")
        response = JSONResponse({"ok": True, "editor": name})
        response.set_cookie(
            EDITOR_COOKIE, quote(name), max_age=365 * 86400, httponly=True, samesite="strict"
        )
        return response

    app = Starlette(
        routes=[
            Route("/", days),
            Route("/day/{date}", day),
            Route("/api/editor", set_editor, methods=["POST"]),
            Route("/api/{date}/publish", publish, methods=["POST"]),
            Route("/api/{date}/{arxiv_id}/{action}", paper_action, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(GuardMiddleware, guard=review.guard),
            Middleware(GZipMiddleware, minimum_size=1000),
        ],
        exception_handlers={
            kind: _as_page(handler, env)
            for kind, handler in (
                (BadRequest, _bad_request),
                (TooLarge, _too_large),
                (NeedEditor, _need_editor),
                (EditConflict, _conflict),
                (ReviewRefused, _refused),
                (EditorialBusy, _busy),
                (EditorialClash, _clash),
                (StoreError, _store_failed),
                (DigestError, _failed),
                (Exception, _internal),
            )
        },
    )
    return app


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def wants_page(request: Request) -> bool:
    """A browser opening a page, not the page's script calling the API: its error is a page."""
    accept = request.headers.get("accept", "")
    return (
        request.method == "GET"
        and not request.url.path.startswith("/api/")
        and "text/html" in accept
    )


def _as_page(handler: ErrorHandler, env: Environment) -> ErrorHandler:
    """The same one-line error, as a readable page for a browser (JSON for everyone else); a
    damaged database adds the commands that recover it."""

    async def answer(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not wants_page(request):
            return response
        error = json.loads(bytes(response.body))["error"]
        commands = (
            recovery_commands(Path(str(exc.path))) if isinstance(exc, EditorialDamaged) else []
        )
        html = env.get_template("error.html").render(
            status=response.status_code, error=error, commands=commands
        )
        kept = {k: v for k, v in response.headers.items() if k.lower() == "retry-after"}
        return HTMLResponse(html, status_code=response.status_code, headers=kept)

    return answer


def _choices(review: ReviewApp) -> dict[str, Any]:
    s = review.settings
    return {
        "prompts": _prompt_specs(s.prompts_dir),
        "default_prompt": s.prompt,
        "models": review.allowed_models(),
    }


# ---- actions: each returns the paper's new state; the editors' ones go through perform() -

Handler = Callable[[ReviewApp, dt.date, str, dict[str, Any], str], Awaitable[PaperState]]


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


Body = dict[str, Any]


def _action(kind: Kind, body: Body, who: str) -> Action:
    """The request body as the action both doors perform; the page always sends the revision
    its editor saw (``base``), so the web never acts on a text nobody looked at."""
    fields: dict[str, Any] = {"kind": kind, "editor": who, "base": _base(body)}
    if kind is Kind.EDIT:
        sections = body.get("sections")
        if not isinstance(sections, dict) or not all(isinstance(v, str) for v in sections.values()):
            raise BadRequest("'sections' must map section names to text")
        fields["sections"] = sections
    elif kind is Kind.EXCLUDE:
        reason = body.get("reason", "")
        if not isinstance(reason, str):
            raise BadRequest("'reason' must be text")
        fields["reason"] = reason
    elif kind in NEEDS_NUMBER:
        fields["number"] = _number(body)
    return Action(**fields)


def _performed(kind: Kind) -> Handler:
    async def act(r: ReviewApp, date: dt.date, pid: str, body: Body, who: str) -> PaperState:
        done = await r.db(perform, r.editorial, date, pid, _action(kind, body, who))
        return done.paper

    return act


async def _regenerate(r: ReviewApp, date: dt.date, pid: str, body: Body, who: str) -> PaperState:
    prompt = body.get("prompt") or r.settings.prompt
    model = body.get("model") or r.settings.model
    section = body.get("section") or None
    if not all(isinstance(v, str) for v in (prompt, model)) or section not in (
        None,
        *SECTION_NAMES,
    ):
        raise BadRequest("'prompt' and 'model' must be text, 'section' one of the three")
    if model not in r.allowed_models():
        raise BadRequest(
            f"model {model[:60]!r} is not offered here ({', '.join(r.allowed_models())}); "
            "start 'review serve' with --allow-model to offer it"
        )
    await regenerate(
        r.editorial, r.settings, date, pid, prompt=prompt, model=model, section=section, db=r.db
    )
    return await r.db(r.editorial.paper, date, pid)


ACTIONS: dict[str, Handler] = {
    **{kind.value: _performed(kind) for kind in Kind},
    "regenerate": _regenerate,
}


# ---- helpers ----------------------------------------------------------------------------------


async def _json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object: at most MAX_BODY_BYTES (413), at most MAX_JSON_DEPTH deep."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise TooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TooLarge()
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise BadRequest(f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("the body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes) -> int:
    """How deep the brackets of a JSON text nest (strings skipped), without parsing it."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


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


async def _too_large(request: Request, exc: Exception) -> Response:
    limit = f"{MAX_BODY_BYTES // 1000} KB"
    return JSONResponse({"error": f"the request body is over {limit}"}, status_code=413)


async def _need_editor(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"error": "tell the app your name first (편집자 이름)", "need_editor": True},
        status_code=400,
    )


async def _busy(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"error": str(exc)}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


async def _clash(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": str(exc)}, status_code=409)


async def _store_failed(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": str(exc)}, status_code=500)


async def _internal(request: Request, exc: Exception) -> Response:
    # One line, no traceback to the page; the server's log has the rest.
    return JSONResponse(
        {"error": f"the review app failed ({type(exc).__name__}); see the server's log"},
        status_code=500,
    )


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
