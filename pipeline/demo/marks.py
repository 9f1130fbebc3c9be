""""Demo / replayed answers" on everything the demo made: the digest's header, every HTML page
(site, lab report, the review app while ``demo --serve`` runs) and every line it prints.

The night, the site and the lab write what they always write; the demo marks their output
afterwards, so a normal night's output never changes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from ..store import atomic_write

Echo = Callable[[str], None]

LABEL = "demo / replayed answers"
PREFIX = f"[{LABEL}] "
"""Before every line the demo prints, its commands' lines included."""
EXPLAINED = (
    "This is a demo day built offline by `run.py demo` from three fictional sample papers; "
    "every Korean summary is a recorded answer replayed by a local server, not a model's "
    "output."
)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def banner_html() -> str:
    # No style attribute or inline style: the pages' Content-Security-Policy allows neither.
    return (
        f'<p role="note" id="demo-banner"><strong>{html.escape(LABEL.upper())}</strong> '
        f"{html.escape(EXPLAINED.replace('`', ''))}</p>"
    )


def mark_html(text: str) -> str:
    """The page with the banner as the first thing in its body (unchanged if already there)."""
    if 'id="demo-banner"' in text:
        return text
    match = _BODY.search(text)
    at = match.end() if match else 0
    return text[:at] + banner_html() + text[at:]


def mark_markdown(text: str) -> str:
    """The digest with a quoted notice under its header line."""
    if LABEL in text[:400]:
        return text
    header, _, rest = text.partition("\n\n")
    return f"{header}\n\n> **{LABEL}**: {EXPLAINED}\n\n{rest}"


def mark_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    marked = mark_markdown(text) if path.suffix == ".md" else mark_html(text)
    if marked != text:
        atomic_write(path, marked.encode())


# ---- the review app ------------------------------------------------------------------------

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


def marked_app(app: ASGIApp) -> ASGIApp:
    """The review app with the banner in every HTML page it serves; other replies untouched."""

    async def wrapped(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def buffered(message: Any) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                kind = dict(message.get("headers", [])).get(b"content-type", b"")
                if not kind.startswith(b"text/html"):
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = mark_html(b"".join(chunks).decode("utf-8")).encode()
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, buffered)

    return wrapped
