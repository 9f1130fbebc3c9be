"""A real SMTP server on 127.0.0.1 (aiosmtpd, on its own thread): plain, with STARTTLS and a
login, or with implicit TLS. Its certificate is a throwaway self-signed one for 127.0.0.1, made by
the ``openssl`` command (``self_signed``); a client trusts it through ``SSL_CERT_FILE``.

Scripts what real servers answer: a recipient refused for good (550), one deferred a few times
(450), and a recipient whose RCPT is held until the test lets go (so a test can kill the client
between two recipients). Accepted messages are kept whole, in order.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER = "digest"
PASSWORD = "s3cret pass"


@dataclass(frozen=True)
class Cert:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed(folder: Path) -> Cert:
    """A certificate for 127.0.0.1 (in its subjectAltName, as clients check), valid a day."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("TLS test skipped: no openssl command to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return Cert(cert, key)


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Inbox:
    """The server's handler: what it accepted and what it is told to refuse."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    defer: dict[str, int] = field(default_factory=dict)
    hold: str | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    logins: int = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        if self.defer.get(address, 0) > 0:
            self.defer[address] -= 1
            return "450 4.2.1 mailbox busy, try again later"
        if address == self.hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 2.0.0 accepted"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


def _authenticate(inbox: Inbox) -> Any:
    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        inbox.logins += ok
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535

    return check


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class FakeSMTP:
    """``with FakeSMTP(tls=...) as smtp``; ``smtp.url(user, password)`` is DIGEST_SMTP_URL.

    ``tls``: ``none`` (a local relay, no login), ``starttls`` (STARTTLS and a login required) or
    ``implicit`` (TLS from the first byte, a login required)."""

    def __init__(self, tls: str = "none", cert: Cert | None = None) -> None:
        self.tls = tls
        self.inbox = Inbox()
        kwargs: dict[str, Any] = {}
        if tls != "none":
            assert cert is not None
            kwargs = {"authenticator": _authenticate(self.inbox), "auth_required": True}
        if tls == "starttls":
            assert cert is not None
            kwargs |= {"tls_context": cert.server_context(), "require_starttls": True}
        if tls == "implicit":
            assert cert is not None
            kwargs |= {"ssl_context": cert.server_context(), "auth_require_tls": False}
        # The server logs every SMTP line at INFO, in the test's process: not the client's output.
        server_log = logging.getLogger("mail.log")
        server_log.propagate = False
        if not server_log.handlers:
            server_log.addHandler(logging.NullHandler())
        self.port = _free_port()
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )

    def url(self, user: str | None = USER, password: str = PASSWORD) -> str:
        """DIGEST_SMTP_URL for this server: with the login, except for a relay (no login)."""
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        login = f"{user}:{password.replace(' ', '%20')}@" if user and self.tls != "none" else ""
        return f"{scheme}://{login}127.0.0.1:{self.port}"

    def __enter__(self) -> FakeSMTP:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.inbox.release.set()
        self.controller.stop()
