"""A fake of Slack's Web API: ``POST /api/chat.postMessage`` as slack.com answers it.

Slack answers HTTP 200 with ``{"ok": false, "error": ...}`` for a bad token or channel, and 429
with ``Retry-After`` when rate limited (script that with ``rate_limited``). Posted messages are
kept in order, each with the ``ts`` the fake gave it.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .server import FakeServer, RecordedRequest, Reply, rate_limited

TOKEN = "xoxb-test-token"
CHANNEL = "C0DIGEST"
POST = "/api/chat.postMessage"


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str
    text: str
    thread_ts: str | None
    body: dict[str, Any]


class FakeSlack(FakeServer):
    def __init__(self, channels: tuple[str, ...] = (CHANNEL,)) -> None:
        super().__init__()
        self.channels = set(channels)
        self.posted: list[Posted] = []
        self._ts = itertools.count(1)
        self._posted_lock = threading.Lock()
        self._limit: tuple[int, int, float] | None = None

    def rate_limit(self, *, after: int, times: int, retry_after: float = 1) -> None:
        """Once ``after`` messages are posted, answer the next ``times`` posts with 429, as
        Slack does past its burst allowance of about one message a second per channel."""
        self._limit = (after, times, retry_after)

    def _limited(self) -> Reply | None:
        with self._posted_lock:
            if self._limit is None or len(self.posted) < self._limit[0] or self._limit[1] <= 0:
                return None
            after, times, retry_after = self._limit
            self._limit = (after, times - 1, retry_after)
        return rate_limited(retry_after, {"ok": False, "error": "ratelimited"})

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def handle(self, request: RecordedRequest) -> Reply:
        if request.method != "POST" or request.path != POST:
            return Reply(404, {"ok": False, "error": "unknown_method"})
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(200, {"ok": False, "error": "invalid_auth"})
        body = request.json if request.json is not None else dict(parse_qsl(request.body.decode()))
        channel = body.get("channel")
        if channel not in self.channels:
            return Reply(200, {"ok": False, "error": "channel_not_found"})
        if limited := self._limited():
            return limited
        if not body.get("text"):
            return Reply(200, {"ok": False, "error": "no_text"})
        with self._posted_lock:
            ts = f"1718236800.{next(self._ts):06d}"
            self.posted.append(Posted(channel, ts, body["text"], body.get("thread_ts"), body))
        message = {"type": "message", "text": body["text"], "ts": ts, "bot_id": "B0FAKE"}
        if body.get("thread_ts"):
            message["thread_ts"] = body["thread_ts"]
        return Reply(200, {"ok": True, "channel": channel, "ts": ts, "message": message})

    def threads(self) -> dict[str, list[Posted]]:
        """Each day message's ts -> the replies in its thread, in order."""
        parents: dict[str, list[Posted]] = {p.ts: [] for p in self.posted if p.thread_ts is None}
        for p in self.posted:
            if p.thread_ts is not None:
                parents[p.thread_ts].append(p)
        return parents
