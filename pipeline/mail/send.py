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
from collections.abc import Callable
from pathlib import Path

from pydantic import Field

from ..core.config import Settings
from ..core.errors import ServiceError, UsageError
from ..core.models import Model
from ..core.retry import retrying
from ..site.build import load_edition
from ..site.model import Edition
from ..store import Mailing, MailLog, Store
from .config import MailConfig, SmtpServer, mail_config
from .message import DayMessage, Letterhead
from .smtp import SERVICE, Connection, RecipientDeferred, RecipientRefused


class MailResult(Model):
    sent: list[str] = Field(default_factory=list)
    already: int = 0
    """Recipients who had the day from an earlier run of this sending."""
    refused: list[str] = Field(default_factory=list)
    """One line per recipient not sent to: the address and the server's reply."""
    written: list[Path] = Field(default_factory=list)
    """A dry run's ``.eml`` files."""


def day_message(
    settings: Settings, config: MailConfig, edition: Edition, number: int
) -> DayMessage:
    letterhead = Letterhead(
        sender=config.sender,
        mailing=number,
        unsubscribe=config.unsubscribe,
        site_url=settings.site_url or None,
        media_base=settings.hf_endpoint,
    )
    return DayMessage(edition, letterhead)


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
        message = day_message(settings, config, edition, plan.number)
        for recipient in plan.todo if dry_run else []:
            data = message.to_bytes(recipient, dt.datetime.now(dt.UTC))
            result.written.append(store.save_eml(date, recipient, data))
        if plan.todo and not dry_run:
            await _deliver(store, settings, config, message, log, plan, result)
    return result


async def _deliver(
    store: Store,
    settings: Settings,
    config: MailConfig,
    message: DayMessage,
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
            if line := await _send_one(settings, config, connection, message, recipient):
                result.refused.append(line)
                continue
            plan.mailing.sent[recipient] = dt.datetime.now(dt.UTC)
            if plan.number == len(log.mailings):  # a new sending enters with its first recipient
                log.mailings.append(plan.mailing)
            store.save_mail_log(message.date, log)
            result.sent.append(recipient)
    finally:
        await asyncio.to_thread(connection.close)


async def _send_one(
    settings: Settings,
    config: MailConfig,
    connection: Connection,
    message: DayMessage,
    recipient: str,
) -> str | None:
    """Send one recipient's message; a line saying why when the server would not take it."""
    data = message.to_bytes(recipient, dt.datetime.now(dt.UTC))
    sender = email.utils.parseaddr(config.sender)[1]
    assert config.server is not None
    try:
        await _call(settings, config.server, lambda: connection.send(sender, recipient, data))
    except RecipientRefused as exc:
        return f"{recipient}: refused by the server ({exc}); check the address"
    except ServiceError as exc:
        if isinstance(exc.__cause__, RecipientDeferred):
            return f"{recipient}: not sent ({exc.problem}); run again later"
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
