"""Post a day's digest to Slack: one message for the day, one thread reply per paper.

Messages are built by pure functions; posting goes through slack_sdk's Web API client with our
retry policy (429 ``Retry-After`` honoured, 5xx and connection errors retried). Every ``ts`` is
saved in the store right after its message is posted, so a rerun posts only what is missing and
a finished day posts nothing (``repost`` starts a new thread; the old ``ts`` values are kept).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any
from urllib.error import URLError

from pydantic import Field
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ..core.config import Settings
from ..core.errors import ServiceError, UsageError
from ..core.models import DigestEntry, Model
from ..core.retry import connection_failed, retrying, transient_status
from ..site.build import load_edition
from ..site.model import Edition, day_page
from ..stages.render import SECTIONS
from ..store import Store

log = logging.getLogger("pipeline")

STATE = ("slack", "posts")
"""The store document of a day's Slack state: ``<date>/slack/posts.json``."""

_HINTS = {
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "set SLACK_BOT_TOKEN",
    "token_revoked": "SLACK_BOT_TOKEN was revoked: make a new one",
    "channel_not_found": "check DIGEST_SLACK_CHANNEL",
    "not_in_channel": "invite the bot to the channel (/invite @bot)",
    "missing_scope": "the bot needs the chat:write scope",
}


class SlackPost(Model):
    """One posting of a day: the day's message and a reply per paper, by ``ts``."""

    channel: str
    parent_ts: str
    replies: dict[str, str] = Field(default_factory=dict)
    started_at: dt.datetime


class SlackState(Model):
    posts: list[SlackPost] = Field(default_factory=list)
    """Every posting, oldest first; the last one for a channel is the one a rerun completes."""


# ---- messages (pure) ---------------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack mrkdwn escaping: only these three are control characters in message text, and
    escaping ``<`` also keeps a title from pinging ``<!channel>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    return f"<{escape(url).replace('|', '%7C')}|{escape(label)}>"


def day_message(edition: Edition, site_url: str | None) -> str:
    count = len(edition.digest.papers)
    text = f"*Daily Papers ({edition.date.isoformat()})* · 논문 {count}편"
    if edition.edited:
        text += " · 편집자 검토본"
    if site_url:
        text += "\n" + _link(f"{site_url.rstrip('/')}/{day_page(edition.date)}", "웹에서 보기")
    return text + "\n논문별 요약은 스레드에 있습니다."


def paper_message(entry: DigestEntry) -> str:
    lines = [
        f"*{_link(entry.url, entry.title)}*",
        f"Vote: {entry.upvotes} · {escape(', '.join(entry.authors))}",
    ]
    for field, label in SECTIONS:
        lines.append(f"\n*{label}*\n{escape(getattr(entry.summary, field))}")
    return "\n".join(lines)


# ---- posting -----------------------------------------------------------------------------------


def require_slack_config(settings: Settings) -> None:
    if not settings.slack_bot_token or not settings.slack_channel:
        raise UsageError("Slack needs SLACK_BOT_TOKEN and DIGEST_SLACK_CHANNEL set")


def make_client(settings: Settings) -> WebClient:
    require_slack_config(settings)
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url.rstrip("/") + "/",
        timeout=int(settings.http_timeout_s),
        retry_handlers=[],  # our policy retries, with our attempt cap and backoff
    )


def _post_once(client: WebClient, **message: Any) -> str:
    try:
        response = client.chat_postMessage(**message)
    except SlackApiError as exc:
        status = exc.response.status_code
        if transient := transient_status(status, dict(exc.response.headers)):
            raise transient from exc
        error = str(exc.response.get("error") or f"HTTP {status}")
        url = client.base_url + "chat.postMessage"
        raise ServiceError("Slack", url, error, _HINTS.get(error, "")) from exc
    except (URLError, TimeoutError, ConnectionError) as exc:
        raise connection_failed(exc) from exc
    return str(response["ts"])


async def post_message(client: WebClient, settings: Settings, **message: Any) -> str:
    """chat.postMessage with our retry policy; returns the message's ``ts``."""
    return await retrying(
        lambda: asyncio.to_thread(_post_once, client, **message),
        service="Slack",
        url=client.base_url + "chat.postMessage",
        attempts=settings.max_attempts,
        max_backoff=settings.max_backoff_s,
    )


class SlackResult(Model):
    posted: int
    already: int
    parent_ts: str


async def post_day(
    store: Store, settings: Settings, date: dt.date, *, repost: bool = False
) -> SlackResult:
    """Post the day (published edition first) and every paper missing from its thread."""
    edition = load_edition(store, date)
    if edition is None:
        raise UsageError(f"{date} has no digest to post (run the night for it first)")
    client = make_client(settings)
    channel = str(settings.slack_channel)
    state = store.load_doc(date, *STATE, SlackState) or SlackState()
    post = (
        None if repost else next((p for p in reversed(state.posts) if p.channel == channel), None)
    )
    posted = 0
    if post is None:
        ts = await post_message(
            client,
            settings,
            channel=channel,
            text=day_message(edition, settings.site_url),
            unfurl_links=False,
        )
        post = SlackPost(channel=channel, parent_ts=ts, started_at=dt.datetime.now(dt.UTC))
        state.posts.append(post)
        store.save_doc(date, *STATE, state)
        posted += 1
    already = len(post.replies)
    for entry in edition.digest.papers:
        if entry.arxiv_id in post.replies:
            continue
        post.replies[entry.arxiv_id] = await post_message(
            client,
            settings,
            channel=channel,
            thread_ts=post.parent_ts,
            text=paper_message(entry),
            unfurl_links=False,
            unfurl_media=False,
        )
        store.save_doc(date, *STATE, state)
        posted += 1
    return SlackResult(posted=posted, already=already, parent_ts=post.parent_ts)
