"""``review serve``: build the app for a bind address and run it under uvicorn."""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import Callable, Sequence

from ..core.config import Settings
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


def serve(
    settings: Settings,
    editor: str,
    host: str,
    port: int,
    *,
    open_browser: bool,
    allow_hosts: Sequence[str] = (),
    new_token_: bool = False,
    echo: Callable[[str], None] = print,
) -> None:
    import uvicorn

    from ..store import Store

    editorial = open_editorial(Store(settings.data_dir), settings)
    token_hash, token = access_token(editorial, host, new_token_)
    names = list(allow_hosts)
    if host in ("0.0.0.0", "::"):
        # Bound to every interface: this machine's own names are how others will reach it.
        names += [socket.gethostname(), socket.getfqdn()]
    guard = Guard.for_bind(host, port, token_hash, names)
    app = create_app(ReviewApp(editorial, settings, editor, guard))
    shown = "localhost" if host in LOOPBACK else host
    url = f"http://{shown}:{port}/"
    if token is not None:
        echo(f"access token (shown once, keep it): {token}")
        echo(f"open {url}?token={token}")
    elif token_hash is not None:
        echo("an access token is required: use the one printed before, or --new-token")
    echo(f"review app on {url} (Ctrl+C to stop)")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        editorial.close()
