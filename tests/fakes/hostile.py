"""Hostile replies the outside world gives, for any of the fakes: bodies of the wrong shape with
status 200, and hosts that trickle bytes so slowly that only a total deadline stops them."""

from __future__ import annotations

from .server import Reply

PROXY_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in - Corporate Web Gateway</title></head><body>"
    "<h1>Authentication required</h1><p>Your session has expired. Please sign in again to "
    "continue browsing.</p><script>location.href='/login'</script></body></html>\n"
)


def no_choices(model: str = "gpt-4.1-mini") -> Reply:
    """A chat completion with an empty ``choices`` list, as some gateways send on a filter hit."""
    body = {
        "id": "chatcmpl-empty",
        "object": "chat.completion",
        "created": 1718064000,
        "model": model,
        "choices": [],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
    return Reply(200, body)


def not_json() -> Reply:
    """Status 200, labelled JSON, but cut off: not JSON by any reading."""
    return Reply(
        200,
        '{"id": "chatcmpl-x", "choices": [{"index": 0, "mess',
        {"Content-Type": "application/json"},
    )


def html_page(status: int = 200) -> Reply:
    """A proxy's sign-in page with status 200 where an API answer was expected."""
    return Reply(status, PROXY_PAGE, {"Content-Type": "text/html; charset=utf-8"})


def unsized(body: bytes, content_type: str = "application/pdf") -> Reply:
    """``body`` without a Content-Length: its size is known only once it has been read."""
    return Reply(200, body, {"Content-Type": content_type}, no_length=True)


def trickle(body: bytes, *, chunk: int, every_s: float, content_type: str) -> Reply:
    """``body`` sent ``chunk`` bytes at a time, every ``every_s`` seconds: each read is quick,
    so a per-read timeout never fires; the whole takes len(body)/chunk*every_s seconds."""
    return Reply(200, body, {"Content-Type": content_type}, trickle_chunk=chunk, trickle_s=every_s)
