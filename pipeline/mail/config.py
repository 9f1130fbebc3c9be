"""Email's settings, checked: the SMTP server from ``DIGEST_SMTP_URL``, the sender, the
recipients and the unsubscribe URL. The nightly job checks them before it spends anything."""

from __future__ import annotations

import email.utils
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from ..core.config import Settings
from ..core.errors import UsageError
from ..core.models import Model


class SmtpServer(Model):
    tls: Literal["implicit", "starttls", "none"]
    """``implicit`` (smtps://), ``starttls`` (smtp:// with a user) or ``none`` (a local relay)."""
    host: str
    port: int
    user: str | None = None
    password: SecretStr | None = None
    """Secret: a ``--verbose`` traceback shows ``**********``."""

    @property
    def display(self) -> str:
        """The URL without the password, for messages."""
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        user = f"{self.user}@" if self.user else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


class MailConfig(Model):
    server: SmtpServer | None
    """None for a dry run, which needs no server."""
    sender: str
    recipients: list[str]
    unsubscribe: str | None = None


def parse_smtp_url(url: str) -> SmtpServer:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"DIGEST_SMTP_URL is not a URL ({exc})") from exc
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise UsageError(
            "DIGEST_SMTP_URL must look like smtp://user:pass@host:587, smtps://user:pass@host:465 "
            "or smtp://localhost:25"
        )
    user = unquote(parts.username) if parts.username else None
    password = SecretStr(unquote(parts.password)) if parts.password else None
    # A password never crosses the network in clear: with a user, STARTTLS is required.
    tls: Literal["implicit", "starttls", "none"] = (
        "implicit" if parts.scheme == "smtps" else "starttls" if user else "none"
    )
    default_port = {"implicit": 465, "starttls": 587, "none": 25}[tls]
    return SmtpServer(
        tls=tls, host=parts.hostname, port=port or default_port, user=user, password=password
    )


def parse_recipients(values: list[str]) -> list[str]:
    """Addresses from ``DIGEST_MAIL_TO`` or ``--to`` (each may hold several, comma-separated),
    each once, in the order given."""
    found: dict[str, str] = {}
    for name, address in email.utils.getaddresses(values):
        local, at, domain = address.partition("@")
        if not (local and at and "." in domain) or any(c.isspace() for c in address):
            raise UsageError(f"{(name + ' ' + address).strip()!r} is not an email address")
        found.setdefault(address.lower(), address)
    return list(found.values())


def mail_config(
    settings: Settings, to: list[str] | None = None, *, dry_run: bool = False
) -> MailConfig:
    """Every setting email needs, checked: the nightly job calls this before it spends anything."""
    missing = [
        name
        for name, value in (
            ("DIGEST_SMTP_URL", settings.smtp_url or dry_run),
            ("DIGEST_MAIL_FROM", settings.mail_from),
            ("DIGEST_MAIL_TO", to or settings.mail_to),
        )
        if not value
    ]
    if missing:
        raise UsageError(f"email needs {' and '.join(missing)} set")
    sender = str(settings.mail_from)
    if "@" not in email.utils.parseaddr(sender)[1]:
        raise UsageError(f"DIGEST_MAIL_FROM {sender!r} is not an email address")
    recipients = parse_recipients(to or [str(settings.mail_to)])
    if not recipients:
        raise UsageError("DIGEST_MAIL_TO holds no address")
    unsubscribe = settings.mail_unsubscribe or None
    if unsubscribe and urlsplit(unsubscribe).scheme not in ("mailto", "https"):
        raise UsageError("DIGEST_MAIL_UNSUBSCRIBE must be a mailto: or https: URL")
    server = None if dry_run else parse_smtp_url(str(settings.smtp_url))
    return MailConfig(server=server, sender=sender, recipients=recipients, unsubscribe=unsubscribe)
