"""One loopback HTTP server replaying the services a night talks to, for the demo's sample day:
Hugging Face's Daily Papers API (``/hf``), the arXiv API and PDF host (``/arxiv``) and an
OpenAI-compatible LLM (``/v1``) that answers with the sample's recorded Korean sections.

It never makes an answer up: a chat request for a paper it has no recording of gets an HTTP
400 naming the problem, which the night reports like any other LLM error.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from .sample import Sample, atom_entry, atom_feed, hf_entry, paper_pdf

HF = "/hf"
ARXIV = "/arxiv"
LLM = "/v1"


class ReplayServer:
    """``with ReplayServer(sample) as replay:`` serves on 127.0.0.1 (a free port) until the
    block ends; ``env()`` gives the settings that point a night at it."""

    def __init__(self, sample: Sample) -> None:
        self.sample = sample
        self.served: list[str] = []
        """``METHOD path`` of every request, in order (what the demo night asked)."""
        self.answered: list[tuple[str, str]] = []
        """(arXiv id, ``first`` or ``reasked``) of every chat answer replayed."""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def env(self) -> dict[str, str]:
        """The night's settings for this replay, as environment variables."""
        return {
            "HF_ENDPOINT": self.url + HF,
            "ARXIV_API_URL": self.url + ARXIV + "/api/query",
            "OPENAI_BASE_URL": self.url + LLM,
            "OPENAI_API_KEY": "demo-replay",
            "DIGEST_MODEL": self.sample.model,
            "DIGEST_ARXIV_DELAY_S": "0",  # arXiv's pace is for arXiv, not for this replay
        }

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # ---- the replies --------------------------------------------------------------------------

    def reply(self, method: str, target: str, body: bytes) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        parts = urlsplit(target)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            self.served.append(f"{method} {path}")
        if method == "GET" and path.rstrip("/") == HF + "/api/daily_papers":
            return _json(200, self._listing(query))
        if method == "GET" and path == ARXIV + "/api/query":
            return self._arxiv(query)
        if method == "GET" and path.startswith(ARXIV + "/pdf/"):
            return self._pdf(path.removeprefix(ARXIV + "/pdf/"))
        if method == "GET" and path == LLM + "/models":
            return _json(200, {"object": "list", "data": [_model(self.sample.model)]})
        if method == "GET" and path.startswith(LLM + "/models/"):
            name = path.removeprefix(LLM + "/models/")
            if name == self.sample.model:
                return _json(200, _model(name))
            return _error(404, f"the demo replays answers of {self.sample.model} only, not {name}")
        if method == "POST" and path == LLM + "/chat/completions":
            return self._chat(body)
        return _error(404, f"the demo replay does not serve {method} {path}")

    def _listing(self, query: dict[str, str]) -> list[dict[str, Any]]:
        if query.get("date") != self.sample.date.isoformat() or query.get("p", "0") != "0":
            return []
        return [hf_entry(p, self.sample.date) for p in self.sample.papers]

    def _arxiv(self, query: dict[str, str]) -> tuple[int, str, bytes]:
        wanted = [re.sub(r"v\d+$", "", i.strip()) for i in query.get("id_list", "").split(",")]
        papers = [p for p in self.sample.papers if p.arxiv_id in wanted]
        entries = [
            atom_entry(p, self.sample.date, f"{self.url}{ARXIV}/pdf/{p.arxiv_id}v1")
            for p in papers
        ]
        return 200, "application/atom+xml; charset=utf-8", atom_feed(entries).encode()

    def _pdf(self, name: str) -> tuple[int, str, bytes]:
        arxiv_id = re.sub(r"v\d+(\.pdf)?$", "", name)
        if self.sample.paper(arxiv_id) is None:
            return 404, "text/html; charset=utf-8", b"<h1>Not found</h1>"
        return 200, "application/pdf", paper_pdf(arxiv_id)

    def _chat(self, raw: bytes) -> tuple[int, str, bytes]:
        try:
            body = json.loads(raw)
            messages = body["messages"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "We could not parse the JSON body of your request.")
        text = "\n".join(_text(m) for m in messages)
        arxiv_id = next((p.arxiv_id for p in self.sample.papers if p.arxiv_id in text), None)
        if arxiv_id is None:
            return _error(400, "the demo has no recorded answer for this request")
        recorded = self.sample.answers[arxiv_id]
        # A re-ask carries the first answer and the problem: longer than system + user.
        which = "reasked" if len(messages) > 2 and recorded.reasked else "first"
        sections = recorded.reasked if which == "reasked" else recorded.first
        assert sections is not None
        keys = _section_keys(body) or list(sections)
        content = json.dumps({k: sections[k] for k in keys if k in sections}, ensure_ascii=False)
        with self._lock:
            self.answered.append((arxiv_id, which))
        return _json(200, _completion(body, content, len(text) // 4))


# ---- HTTP plumbing ------------------------------------------------------------------------------


def _handler_for(replay: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, kind, data = replay.reply(method, self.path, body)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the night logs what it fetched; the replay stays quiet

    return Handler


def _json(status: int, value: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(value, ensure_ascii=False).encode()


def _error(status: int, message: str) -> tuple[int, str, bytes]:
    return _json(status, {"error": {"message": message, "type": "invalid_request_error",
                                    "param": None, "code": None}})  # fmt: skip


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1686935002, "owned_by": "demo-replay"}


def _text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _section_keys(body: dict[str, Any]) -> list[str]:
    """The sections a structured-output request asks for (a regeneration may ask for one)."""
    spec = body.get("response_format") or {}
    schema = (spec.get("json_schema") or {}).get("schema") or {}
    properties = schema.get("properties")
    return list(properties) if isinstance(properties, dict) else []


def _completion(body: dict[str, Any], content: str, prompt_tokens: int) -> dict[str, Any]:
    completion_tokens = len(content) // 2
    return {
        "id": f"chatcmpl-demo-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }  # fmt: skip
