"""Send a day's newsletter over SMTP, once to each recipient.

Each recipient is recorded in the store (``store.outbox``) as soon as the server accepted their
message, before the next one is sent: a rerun sends nothing, a run stopped part-way sends only
to those left, ``resend`` starts another sending. A 4xx reply is retried with the shared retry
policy; a recipient the server refuses (5xx) is reported and the others still get theirs. A
wrong password, an unreachable server or a TLS failure stops the run before anything is sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import smtplib
import ssl
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field

from ..core.config import Settings
from ..core.errors import CallFailure, ServiceError, TransientError, UsageError
from ..core.models import Model
from ..core.retry import connection_failed, retrying
from ..site.build import load_edition
from ..site.model import Edition
from ..store import Mailing, MailLog, Store
from .message import POLICY, Envelope, build_message

SERVICE = "SMTP"


class SmtpServer(Model):
    tls: str
    """``implicit`` (smtps://), ``starttls`` (smtp:// with a user) or ``none`` (a local relay)."""
    host: str
    port: int
    user: str | None = None
    password: str | None = None

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


class RecipientRefused(CallFailure):
    """The server refused one recipient's message (5xx): the others still get theirs."""


class RecipientDeferred(TransientError):
    """A 4xx for one recipient: retried, and when it stays, that recipient waits for a rerun."""


# ---- settings ----------------------------------------------------------------------------------


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
    password = unquote(parts.password) if parts.password else None
    # A password never crosses the network in clear: with a user, STARTTLS is required.
    tls = "implicit" if parts.scheme == "smtps" else "starttls" if user else "none"
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


# ---- the connection ----------------------------------------------------------------------------


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _failure(server: SmtpServer, code: int, text: bytes | str, what: str) -> Exception:
    reply = _reply(code, text)
    if 400 <= code < 500:
        return TransientError(f"{what}: {reply}")
    return ServiceError(SERVICE, server.display, f"{what}: {reply}")


class Connection:
    """One SMTP session, opened when first needed and again after a failure (a retry after a
    4xx starts from a clean session)."""

    def __init__(self, server: SmtpServer, timeout: float) -> None:
        self.server = server
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        if self._smtp is not None:
            return
        s = self.server
        context = ssl.create_default_context()
        try:
            if s.tls == "implicit":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            self._smtp = smtp
            smtp.ehlo()
            if s.tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise ServiceError(
                        SERVICE, s.display, "the server offers no STARTTLS",
                        "a password is never sent unencrypted: use smtps:// or another server",
                    )  # fmt: skip
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
        except BaseException as exc:
            self.close()
            raise self._opening_error(exc) from exc

    def _opening_error(self, exc: BaseException) -> BaseException:
        s = self.server
        if isinstance(exc, ServiceError | KeyboardInterrupt):
            return exc
        if isinstance(exc, ssl.SSLError):
            reason = exc.reason or str(exc)
            if isinstance(exc, ssl.SSLCertVerificationError):
                reason = f"certificate verify failed: {exc.verify_message}"
            hint = "check the host name and its certificate; a private CA goes in SSL_CERT_FILE"
            return ServiceError(SERVICE, s.display, f"TLS failed ({reason})", hint)
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            reply = _reply(exc.smtp_code, exc.smtp_error)
            problem = f"the server refused the user or password ({reply})"
            return ServiceError(SERVICE, s.display, problem, "check DIGEST_SMTP_URL")
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return ServiceError(SERVICE, s.display, f"login not possible ({exc})")
        if isinstance(exc, smtplib.SMTPResponseException):
            return _failure(s, exc.smtp_code, exc.smtp_error, "greeting")
        if isinstance(exc, OSError | smtplib.SMTPException):
            return connection_failed(exc)
        return exc

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Send one message; the server accepted it when this returns."""
        self.open()
        assert self._smtp is not None
        try:
            self._smtp.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, text = next(iter(exc.recipients.values()))
            raise self._refusal(code, text) from exc
        except smtplib.SMTPDataError as exc:
            self.close()
            raise self._refusal(exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise _failure(self.server, exc.smtp_code, exc.smtp_error, "sender refused") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise connection_failed(exc) from exc

    @staticmethod
    def _refusal(code: int, text: bytes | str) -> Exception:
        reply = _reply(code, text)
        if 400 <= code < 500:
            return RecipientDeferred(reply)
        return RecipientRefused(reply)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


# ---- a day -------------------------------------------------------------------------------------


class MailResult(Model):
    sent: list[str] = Field(default_factory=list)
    already: int = 0
    """Recipients who had the day from an earlier run of this sending."""
    refused: list[str] = Field(default_factory=list)
    """One line per recipient not sent to: the address and the server's reply."""
    written: list[Path] = Field(default_factory=list)
    """A dry run's ``.eml`` files."""


def _envelope(settings: Settings, config: MailConfig, recipient: str, mailing: int) -> Envelope:
    return Envelope(
        sender=config.sender,
        recipient=recipient,
        mailing=mailing,
        unsubscribe=config.unsubscribe,
        site_url=settings.site_url or None,
        media_base=settings.hf_endpoint,
    )


def _message_bytes(edition: Edition, envelope: Envelope) -> bytes:
    return build_message(edition, envelope, dt.datetime.now(dt.UTC)).as_bytes(policy=POLICY)


class Pending(Model):
    """The sending a run completes, and who in it still lacks the day."""

    mailing: Mailing
    number: int
    """Its place in the day's log (0 first): part of each message's Message-ID."""
    todo: list[str]
    already: int


def pending(log: MailLog, recipients: list[str], *, resend: bool) -> Pending:
    """The last sending, to complete; or a new one (none yet, or ``resend``). Pure."""
    if log.mailings and not resend:
        mailing, number = log.mailings[-1], len(log.mailings) - 1
    else:
        mailing, number = Mailing(started_at=dt.datetime.now(dt.UTC)), len(log.mailings)
    done = {address.lower() for address in mailing.sent}
    todo = [r for r in recipients if r.lower() not in done]
    return Pending(mailing=mailing, number=number, todo=todo, already=len(recipients) - len(todo))


async def send_day(
    store: Store,
    settings: Settings,
    date: dt.date,
    *,
    to: list[str] | None = None,
    resend: bool = False,
    dry_run: bool = False,
) -> MailResult:
    """Send the day (the editors' published edition first) to every recipient who lacks it."""
    edition = load_edition(store, date)
    if edition is None:
        raise UsageError(f"{date} has no digest to send (run the night for it first)")
    config = mail_config(settings, to, dry_run=dry_run)
    with store.lock_mail(date):
        log = store.load_mail_log(date)
        plan = pending(log, config.recipients, resend=resend)
        result = MailResult(already=plan.already)
        for recipient in plan.todo if dry_run else []:
            data = _message_bytes(edition, _envelope(settings, config, recipient, plan.number))
            result.written.append(store.save_eml(date, recipient, data))
        if plan.todo and not dry_run:
            await _deliver(store, settings, config, edition, log, plan, result)
    return result


async def _deliver(
    store: Store,
    settings: Settings,
    config: MailConfig,
    edition: Edition,
    log: MailLog,
    plan: Pending,
    result: MailResult,
) -> None:
    """Send to each recipient left, recording each one the moment the server accepted."""
    assert config.server is not None
    connection = Connection(config.server, settings.http_timeout_s)
    try:
        await _call(settings, config.server, connection.open)  # fails before anything is sent
        for recipient in plan.todo:
            envelope = _envelope(settings, config, recipient, plan.number)
            if line := await _send_one(settings, config, connection, edition, envelope):
                result.refused.append(line)
                continue
            plan.mailing.sent[recipient] = dt.datetime.now(dt.UTC)
            if plan.number == len(log.mailings):  # a new sending enters with its first recipient
                log.mailings.append(plan.mailing)
            store.save_mail_log(edition.date, log)
            result.sent.append(recipient)
    finally:
        await asyncio.to_thread(connection.close)


async def _send_one(
    settings: Settings,
    config: MailConfig,
    connection: Connection,
    edition: Edition,
    envelope: Envelope,
) -> str | None:
    """Send one recipient's message; a line saying why when the server would not take it."""
    data = _message_bytes(edition, envelope)
    sender = email.utils.parseaddr(config.sender)[1]
    assert config.server is not None
    try:
        await _call(
            settings, config.server, lambda: connection.send(sender, envelope.recipient, data)
        )
    except RecipientRefused as exc:
        return f"{envelope.recipient}: refused by the server ({exc}); check the address"
    except ServiceError as exc:
        if isinstance(exc.__cause__, RecipientDeferred):
            return f"{envelope.recipient}: not sent ({exc.problem}); run again later"
        raise
    return None


async def _call(settings: Settings, server: SmtpServer, call: Callable[[], None]) -> None:
    await retrying(
        lambda: asyncio.to_thread(call),
        service=SERVICE,
        url=server.display,
        attempts=settings.max_attempts,
        max_backoff=settings.max_backoff_s,
    )
