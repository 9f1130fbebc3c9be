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


class Letterhead(Model):
    """What every recipient's message of one sending shares: sender, list headers, links."""

    sender: str
    """The From header as given (``Name <addr>``)."""
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


def html_body(edition: Edition, letterhead: Letterhead) -> str:
    return (
        _environment()
        .get_template("mail.html")
        .render(
            date=edition.date.isoformat(),
            edited=edition.edited,
            page=_page(edition, letterhead.site_url),
            papers=mail_cards(edition, letterhead.media_base),
            unsubscribe=letterhead.unsubscribe,
        )
    )


def text_body(edition: Edition, letterhead: Letterhead) -> str:
    """The day for a terminal: no markup, each paper numbered with its link on its own line."""
    head = f"Daily Papers ({edition.date.isoformat()}) · 논문 {len(edition.digest.papers)}편"
    lines = [head + (" · 편집자 검토본" if edition.edited else "")]
    if page := _page(edition, letterhead.site_url):
        lines.append(f"웹에서 보기: {page}")
    for number, c in enumerate(mail_cards(edition, letterhead.media_base), 1):
        lines += ["", "", f"{number}. {c.title}", f"   {c.url}"]
        lines.append(f"   Vote: {c.upvotes} · {', '.join(c.authors)}")
        for label, text in c.sections:
            lines += ["", f"   [{label}]", f"   {text}"]
    lines += ["", "-- ", "Hugging Face Daily Papers의 한국어 요약입니다."]
    if letterhead.unsubscribe:
        lines.append(f"수신 거부: {letterhead.unsubscribe}")
    return "\n".join(lines) + "\n"


def domain_of(address: str) -> str:
    return email.utils.parseaddr(address)[1].rpartition("@")[2] or "localhost"


class DayMessage:
    """The day's message, rendered and MIME-encoded once (most of a send's CPU); each
    recipient's copy differs only in ``To``, ``Date`` and ``Message-ID``."""

    def __init__(self, edition: Edition, letterhead: Letterhead) -> None:
        self.date = edition.date
        self.letterhead = letterhead
        self._key = sha256_text(edition.model_dump_json())
        message = EmailMessage(policy=POLICY)
        message["Subject"] = subject(edition)
        message["From"] = letterhead.sender
        message["List-Id"] = f"{LIST_NAME} <daily-papers.{domain_of(letterhead.sender)}>"
        if letterhead.unsubscribe:
            message["List-Unsubscribe"] = f"<{letterhead.unsubscribe}>"
        message["Auto-Submitted"] = "auto-generated"  # no vacation replies to the sender
        message.set_content(text_body(edition, letterhead))
        message.add_alternative(html_body(edition, letterhead), subtype="html")
        self._message = message

    def message_id(self, recipient: str) -> str:
        key = sha256_text(f"{recipient.lower()}\n{self.letterhead.mailing}\n{self._key}")
        domain = domain_of(self.letterhead.sender)
        return f"<daily-papers.{self.date.isoformat()}.{key[:24]}@{domain}>"

    def addressed(self, recipient: str, now: dt.datetime) -> EmailMessage:
        """The message to ``recipient`` alone (no reader sees another's address). The same
        object each call, readdressed: serialize it before the next call."""
        message = self._message
        for name, value in (
            ("To", recipient),
            ("Date", email.utils.format_datetime(now.astimezone(dt.UTC))),
            ("Message-ID", self.message_id(recipient)),
        ):
            del message[name]
            message[name] = value
        return message

    def to_bytes(self, recipient: str, now: dt.datetime) -> bytes:
        return self.addressed(recipient, now).as_bytes(policy=POLICY)


def build_message(
    edition: Edition, letterhead: Letterhead, recipient: str, now: dt.datetime
) -> EmailMessage:
    return DayMessage(edition, letterhead).addressed(recipient, now)
