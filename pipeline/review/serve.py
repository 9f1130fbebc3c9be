"""``review serve``: build the app for a bind address and run it under uvicorn."""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import webbrowser
from collections.abc import Callable, Sequence

from ..core.config import Settings
from ..core.errors import UsageError
from .actions import checked_editor
from .app import ReviewApp, create_app
from .editorial import Editorial
from .faithful import open_editorial
from .security import LOOPBACK, Guard, hash_token, new_token

TOKEN_KEY = "access_token_sha256"


def access_token(editorial: Editorial, host: str, renew: bool) -> tuple[str | None, str | None]:
    """(token hash the app checks, a new token to print once) for binding to ``host``.

    On loopback no token is needed. Elsewhere the token's hash is kept in the store; the token
    itself is shown only when it is made (first time, or ``--new-token``)."""
    if host in LOOPBACK:
        return None, None
    stored = editorial.setting(TOKEN_KEY)
    if stored is not None and not renew:
        return stored, None
    token = new_token()
    editorial.set_setting(TOKEN_KEY, hash_token(token))
    return hash_token(token), token


WILDCARD = frozenset({"0.0.0.0", "::"})
_HOSTNAME = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z")  # fmt: skip


def checked_host(host: str) -> str:
    """A bind address: an IP address or a host name; never "" (which binds every interface
    without saying so)."""
    value = host.strip().removeprefix("[").removesuffix("]")
    if not value:
        raise UsageError("--host is empty: give 127.0.0.1 (this machine) or 0.0.0.0 (every one)")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOSTNAME.match(value):
            raise UsageError(f"--host {host!r} is not an IP address or a host name") from None
    return value


def public_url(host: str, port: int) -> str:
    """The address the editor can open: localhost on loopback, this machine's name when bound
    to every interface (0.0.0.0 is not an address a browser can open)."""
    if host in LOOPBACK:
        shown = "localhost"
    elif host in WILDCARD:
        shown = socket.getfqdn() or socket.gethostname()
    else:
        shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    settings: Settings,
    editor: str | None,
    host: str,
    port: int,
    *,
    open_browser: bool,
    allow_hosts: Sequence[str] = (),
    allow_models: Sequence[str] = (),
    new_token_: bool = False,
    echo: Callable[[str], None] = print,
) -> None:
    import uvicorn

    from ..store import Store

    host = checked_host(host)
    editor = None if editor is None else checked_editor(editor)
    editorial = open_editorial(Store(settings.data_dir), settings, timeout=2.0)
    token_hash, token = access_token(editorial, host, new_token_)
    names = list(allow_hosts)
    if host in WILDCARD:
        # Bound to every interface: this machine's own names, and loopback from this machine.
        names += [socket.gethostname(), socket.getfqdn(), *LOOPBACK]
    guard = Guard.for_bind(host, port, token_hash, names)
    app = create_app(ReviewApp(editorial, settings, editor, guard, tuple(allow_models)))
    url = public_url(host, port)
    if token is not None:
        # The token appears once, inside the address to open: the browser keeps it after that.
        echo(f"open {url}?token={token}  (the access token is shown only this once)")
    elif token_hash is not None:
        echo("an access token is required: use the address printed before, or --new-token")
    echo(f"review app on {url} (Ctrl+C to stop)")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        editorial.close()
