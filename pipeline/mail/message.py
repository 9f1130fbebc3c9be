"""A day's newsletter as one email per recipient: ``multipart/alternative`` with a plain-text
part for terminal mail clients and an HTML part for the others. Pure functions.

Papers go through the site's ``card`` (text cleaned, URLs checked) and the HTML through Jinja2
with autoescape, as the site's pages do; thumbnails are kept only as ``https:`` images. The
``Message-ID`` is a hash of the day's text, the recipient and the sending: a message resent
after a crash between the server's acceptance and our record carries the same id, so the
reader's mail client shows it once.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
from email.message import EmailMessage
from functools import cache

import jinja2

from ..core.hashing import sha256_text
from ..core.models import Model
from ..site.model import Card, Edition, card, day_page

LIST_NAME = "Korean Daily Papers"
POLICY = email.policy.SMTP
"""CRLF line ends and RFC 2047 encoded words, as a message goes on the wire."""


class Envelope(Model):
    """Who a message is from and to, and the list's own headers."""

    sender: str
    """The From header as given (``Name <addr>``)."""
    recipient: str
    mailing: int
    """Which sending of the day this is (0 first; ``--resend`` counts up)."""
    unsubscribe: str | None = None
    site_url: str | None = None
    media_base: str = "https://huggingface.co"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.mail", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def subject(edition: Edition) -> str:
    return f"[Daily Papers] {edition.date.isoformat()} — {len(edition.digest.papers)}편"


def _page(edition: Edition, site_url: str | None) -> str | None:
    return f"{site_url.rstrip('/')}/{day_page(edition.date)}" if site_url else None


def mail_cards(edition: Edition, media_base: str) -> list[Card]:
    """The site's cards, with only ``https:`` images: mail clients block or warn on others,
    and a video cannot play in a mail."""
    cards = [card(e, media_base) for e in edition.digest.papers]
    return [
        c.model_copy(update={"image": c.image if (c.image or "").startswith("https://") else None})
        for c in cards
    ]


def html_body(edition: Edition, envelope: Envelope) -> str:
    return (
        _environment()
        .get_template("mail.html")
        .render(
            date=edition.date.isoformat(),
            edited=edition.edited,
            page=_page(edition, envelope.site_url),
            papers=mail_cards(edition, envelope.media_base),
            unsubscribe=envelope.unsubscribe,
        )
    )


def text_body(edition: Edition, envelope: Envelope) -> str:
    """The day for a terminal: no markup, each paper numbered with its link on its own line."""
    head = f"Daily Papers ({edition.date.isoformat()}) · 논문 {len(edition.digest.papers)}편"
    lines = [head + (" · 편집자 검토본" if edition.edited else "")]
    if page := _page(edition, envelope.site_url):
        lines.append(f"웹에서 보기: {page}")
    for number, c in enumerate(mail_cards(edition, envelope.media_base), 1):
        lines += ["", "", f"{number}. {c.title}", f"   {c.url}"]
        lines.append(f"   Vote: {c.upvotes} · {', '.join(c.authors)}")
        for label, text in c.sections:
            lines += ["", f"   [{label}]", f"   {text}"]
    lines += ["", "-- ", "Hugging Face Daily Papers의 한국어 요약입니다."]
    if envelope.unsubscribe:
        lines.append(f"수신 거부: {envelope.unsubscribe}")
    return "\n".join(lines) + "\n"


def domain_of(address: str) -> str:
    return email.utils.parseaddr(address)[1].rpartition("@")[2] or "localhost"


def message_id(edition: Edition, envelope: Envelope) -> str:
    key = sha256_text(
        "\n".join([envelope.recipient.lower(), str(envelope.mailing), edition.model_dump_json()])
    )
    return f"<daily-papers.{edition.date.isoformat()}.{key[:24]}@{domain_of(envelope.sender)}>"


def build_message(edition: Edition, envelope: Envelope, now: dt.datetime) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject(edition)
    message["From"] = envelope.sender
    message["To"] = envelope.recipient  # one per message: no reader sees another's address
    message["Date"] = email.utils.format_datetime(now.astimezone(dt.UTC))
    message["Message-ID"] = message_id(edition, envelope)
    message["List-Id"] = f"{LIST_NAME} <daily-papers.{domain_of(envelope.sender)}>"
    if envelope.unsubscribe:
        message["List-Unsubscribe"] = f"<{envelope.unsubscribe}>"
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies to the sender
    message.set_content(text_body(edition, envelope))
    message.add_alternative(html_body(edition, envelope), subtype="html")
    return message
