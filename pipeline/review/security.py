"""The web app's guards, as one ASGI middleware, checked before any route runs.

- Host allow-list: a page on another site whose name was re-pointed at 127.0.0.1 (DNS
  rebinding) sends its own name as Host and is refused.
- Access token: required when the app is bound to a non-loopback address; given once as
  ``?token=`` it becomes an HttpOnly, SameSite=Strict cookie.
- Every state-changing request needs a same-origin ``Origin`` and the page's CSRF token in the
  ``X-CSRF-Token`` header: a cross-site form or fetch is refused with 403 and changes nothing.
- Every response carries a Content-Security-Policy of 'self': no inline script, no CDN.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.datastructures import URL, Headers, QueryParams
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
TOKEN_COOKIE = "review_token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    # Thumbnails are the papers' own images on Hugging Face's CDN.
    "img-src 'self' https: data:; media-src 'self' https:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Guard:
    allowed_hosts: frozenset[str]
    """Host header values accepted, with and without the port."""
    token_hash: str | None = None
    """sha256 of the access token; None on loopback, where no token is needed."""
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @classmethod
    def for_bind(
        cls, host: str, port: int, token_hash: str | None, extra_hosts: Iterable[str] = ()
    ) -> Guard:
        names = {host, *extra_hosts}
        if host in LOOPBACK:
            names |= LOOPBACK
        allowed = {n.lower() for n in names} | {f"{n.lower()}:{port}" for n in names}
        return cls(frozenset(allowed), token_hash)

    def check_token(self, candidate: str | None) -> bool:
        if self.token_hash is None:
            return True
        if not candidate:
            return False
        return hmac.compare_digest(hash_token(candidate), self.token_hash)

    def check_csrf(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate or "", self.csrf_token)


class GuardMiddleware:
    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await _with_headers(refusal)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "").lower()
        if host not in self.guard.allowed_hosts:
            return PlainTextResponse(f"host {host!r} is not allowed", status_code=400)
        url = URL(scope=scope)
        token = QueryParams(url.query).get("token")
        if token is not None and scope["method"] == "GET":
            return self._login(url, token)
        cookie = _cookie(headers.get("cookie", ""), TOKEN_COOKIE)
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip() or None
        if not (self.guard.check_token(cookie) or self.guard.check_token(bearer)):
            return PlainTextResponse(
                "an access token is needed: open the address printed by 'review serve'",
                status_code=401,
            )
        if scope["method"] in SAFE_METHODS:
            return None
        origin = headers.get("origin")
        if origin is None or origin.lower() != f"{url.scheme}://{host}":
            return JSONResponse({"error": "cross-origin request refused"}, status_code=403)
        if not self.guard.check_csrf(headers.get("x-csrf-token")):
            return JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403)
        return None

    def _login(self, url: URL, token: str) -> Response:
        if not self.guard.check_token(token):
            return PlainTextResponse("wrong access token", status_code=401)
        rest = {k: v for k, v in QueryParams(url.query).items() if k != "token"}
        target = same_origin_path(url.path) + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        if self.guard.token_hash is not None:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response


def same_origin_path(path: str) -> str:
    """A path that stays on this site: ``//evil.com/x`` or ``/\\evil.com`` in a Location header
    is another host to a browser, so leading slashes and backslashes collapse to one."""
    visible = "".join(c for c in path if c.isprintable() and not c.isspace())
    return "/" + visible.lstrip("/\\")


_SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


def _with_headers(response: Response) -> Response:
    for name, value in _SECURITY_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
