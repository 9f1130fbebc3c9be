"""Making outside text safe to publish in Markdown, which passes raw HTML through. Pure functions.

``<``, ``>`` and ``&`` become entities everywhere; in titles and names the characters that open
links or emphasis are backslash-escaped too; URLs are published only when they are https.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()~!|#])")
# Kept as they are in a URL: RFC 3986's reserved and unreserved characters, and "%" so an
# already-encoded URL is not encoded twice; minus the quotes and parentheses that would end a
# Markdown link or an HTML attribute.
_URL_SAFE = "/:?#[]@$&+,;=%~-._!*"


def escape_html(text: str) -> str:
    return "".join(_HTML.get(char, char) for char in text)


def escape_text(text: str) -> str:
    """A title or a name as literal text: no HTML, no link, no emphasis."""
    return escape_html(_MARKDOWN_SPECIAL.sub(r"\\\1", text))


def safe_url(url: str | None) -> str | None:
    """``url`` fit for a Markdown link and an HTML attribute, or None if it is not https.

    Only https is published: ``javascript:``, ``data:`` and plain http are refused. What could
    end the link or the attribute early (quotes, parentheses, spaces, angle brackets) is
    percent-encoded, so the URL stays one URL.
    """
    if not url:
        return None
    stripped = url.strip()
    try:
        parts = urlsplit(stripped)
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.netloc:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in stripped):
        return None
    return quote(stripped, safe=_URL_SAFE)
