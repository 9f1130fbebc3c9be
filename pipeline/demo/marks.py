""""Demo / replayed answers" on everything the demo made: the digest's header, every HTML page
(site, lab report, the review app while ``demo --serve`` runs), the Atom feed's title and
subtitle and each of its entries, and every line it prints.

The night, the site and the lab write what they always write; the demo marks their output
afterwards, so a normal night's output never changes.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from ..core.errors import DigestError
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


BANNER_CLASS = "demo-banner"
"""Styled by each page's own stylesheet (the site's style.css, review.css, the lab report's
inline CSS): no style attribute or inline style here, the pages' Content-Security-Policy allows
neither."""
_ATOM = "http://www.w3.org/2005/Atom"


def banner_html() -> str:
    return (
        f'<p role="note" id="demo-banner" class="{BANNER_CLASS}">'
        f"<strong>{html.escape(LABEL.upper())}</strong> "
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


def mark_feed(data: bytes) -> bytes:
    """The feed with the label in its title and the explanation as its subtitle, and every
    entry marked too: a reader who sees one entry alone (shared, starred, in a river of many
    feeds) sees the label in its title and the explanation in its summary and content."""
    ET.register_namespace("", _ATOM)
    feed = ET.fromstring(data)
    title = feed.find(f"{{{_ATOM}}}title")
    subtitle = feed.find(f"{{{_ATOM}}}subtitle")
    if title is None or subtitle is None:
        raise DigestError("demo: the site's feed.xml has no title or subtitle to mark")
    if LABEL in (title.text or ""):
        return data
    title.text = f"{title.text} [{LABEL}]"
    subtitle.text = f"{LABEL}: {EXPLAINED.replace('`', '')}"
    for entry in feed.iter(f"{{{_ATOM}}}entry"):
        _mark_entry(entry)
    marked: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return marked + b"\n"


def _mark_entry(entry: ET.Element) -> None:
    title = entry.find(f"{{{_ATOM}}}title")
    content = entry.find(f"{{{_ATOM}}}content")
    if title is None or content is None:
        raise DigestError("demo: an entry of the site's feed.xml has no title or content to mark")
    title.text = PREFIX + (title.text or "")
    # Readers list entries by their summary and open the content: both carry the notice.
    summary = ET.Element(f"{{{_ATOM}}}summary", {"type": "text"})
    summary.text = f"{LABEL}: {EXPLAINED.replace('`', '')}"
    summary.tail = title.tail
    entry.insert(list(entry).index(title) + 1, summary)
    explained = html.escape(EXPLAINED.replace("`", ""))
    notice = f"<p><strong>{html.escape(LABEL.upper())}</strong> {explained}</p>"
    content.text = notice + (content.text or "")


def mark_file(path: Path) -> None:
    data = path.read_bytes()
    if path.suffix == ".xml":
        marked = mark_feed(data)
    else:
        text = data.decode("utf-8")
        marked = (mark_markdown(text) if path.suffix == ".md" else mark_html(text)).encode()
    if marked != data:
        atomic_write(path, marked)


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
        # The banner goes into the page's text: the app must not compress it (its gzip
        # middleware answers a browser's Accept-Encoding). Local traffic, nothing lost.
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"accept-encoding"]
        scope = {**scope, "headers": headers}
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
