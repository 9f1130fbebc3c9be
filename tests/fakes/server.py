"""A real HTTP server on 127.0.0.1 that tests script, shared by the fakes of HF, arXiv and the LLM.

Each fake subclasses `FakeServer` and implements `handle(request) -> Reply` (its default
behaviour). Tests push failures with `script(path_prefix, *replies)`: the next requests under that
prefix get those replies first, in order, then the default behaviour resumes.

Why a real server and not a mocked transport: the code under test then runs its real HTTP client,
timeouts, keep-alive, retries and error mapping, exactly as it will against the real service.

Teardown must never hang on a stalled reply, so every sleep waits on one `threading.Event` that
`stop()` sets, and is capped at `MAX_DELAY` seconds.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qsl, urlsplit

MAX_DELAY = 30.0
"""Longest sleep a scripted reply may ask for: a forgotten stall must not freeze the suite."""

HANDLER_EXIT_WAIT = 5.0
"""How long stop() waits for handler threads; woken sleepers and dropped sockets end at once."""

JSONBody = dict[str, Any] | list[Any]


@dataclass(frozen=True)
class Reply:
    """One HTTP answer. A dict or list body is sent as JSON, a str as UTF-8 text."""

    status: int = 200
    body: bytes | str | JSONBody = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering: a stall past the client's timeout."""
    close_early: bool = False
    """Send the headers (announcing the whole body), then `close_after` body bytes, then hang up."""
    close_after: int = 0
    no_length: bool = False
    """Send no Content-Length: the body ends when the connection closes (HTTP/1.0 style), so
    a client cannot know the size before reading it."""
    trickle_chunk: int = 0
    """With ``trickle_s``: send the body this many bytes at a time..."""
    trickle_s: float = 0.0
    """...waiting this long before each chunk (a host that never stalls long enough for a
    per-read timeout, yet never finishes)."""

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        """The body as bytes, and the headers with a Content-Type filled in if missing.

        Content-Length is added by the server unless `headers` sets one (to lie about it).
        """
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            data, default_type = self.body, "application/octet-stream"
        elif isinstance(self.body, str):
            data, default_type = self.body.encode(), "text/plain; charset=utf-8"
        else:
            data, default_type = (
                json.dumps(self.body, ensure_ascii=False).encode(),
                "application/json",
            )
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = default_type
        return data, headers


@dataclass(frozen=True)
class RecordedRequest:
    """What a fake received. Header names are lower-cased."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    target: str
    """The raw request target, path and query string as sent."""
    received_at: float = field(default=0.0, compare=False)
    """time.monotonic() on arrival: gaps between requests, not a wall-clock bound."""

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None if it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


# ---- Replies every service gives -------------------------------------------------------------


def rate_limited(retry_after: float = 1, body: bytes | str | JSONBody = "") -> Reply:
    """429 with a Retry-After header (seconds), as HF and arXiv send it."""
    seconds = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
    return Reply(429, body or "Too Many Requests", {"Retry-After": seconds})


def server_error(status: int = 500, body: bytes | str | JSONBody = "") -> Reply:
    return Reply(status, body or "Internal Server Error")


def stall(seconds: float, then: Reply | None = None) -> Reply:
    """`then` (default: an empty 200), answered only after `seconds`."""
    return replace(then or Reply(), delay=seconds)


# ---- The server ------------------------------------------------------------------------------


class FakeServer:
    """A threaded HTTP/1.1 server on 127.0.0.1:<free port>, recording and scriptable.

    Use as a context manager, or `start()` / `stop()`. Thread-safe: handlers run one thread per
    connection, so many clients can be in flight at once (benchmarks rely on it).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._scripts: dict[str, deque[Reply]] = {}
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0
        """The most requests this fake was answering at one time."""
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> Self:
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self._httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake every sleeping handler, stop accepting, drop open connections, wait briefly."""
        self._stopping.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, without a trailing slash."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- what tests read and script

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def count(self, path_prefix: str = "/", *, method: str | None = None) -> int:
        """How many requests had a path starting with `path_prefix` (and this method, if given)."""
        return sum(
            1
            for r in self.requests
            if r.path.startswith(path_prefix) and (method is None or r.method == method)
        )

    def script(self, path_prefix: str, *replies: Reply) -> None:
        """The next requests whose path starts with `path_prefix` get `replies`, in order.

        When several scripted prefixes match a path, the longest one answers first.
        """
        with self._lock:
            self._scripts.setdefault(path_prefix, deque()).extend(replies)

    def scripted_left(self, path_prefix: str | None = None) -> int:
        """Scripted replies not yet used: lets a test prove its script was actually consumed."""
        with self._lock:
            return sum(
                len(q) for p, q in self._scripts.items() if path_prefix is None or p == path_prefix
            )

    # -- for subclasses

    def handle(self, request: RecordedRequest) -> Reply:
        """The default behaviour when nothing is scripted. Subclasses route here."""
        return Reply(404, {"error": f"no route for {request.method} {request.path}"})

    def sleep(self, seconds: float) -> bool:
        """Sleep up to `seconds` (capped); False if the server is stopping."""
        if seconds <= 0:
            return not self._stopping.is_set()
        return not self._stopping.wait(min(seconds, MAX_DELAY))

    # -- internals used by the request handler

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_scripted(self, path: str) -> Reply | None:
        with self._lock:
            matching = [p for p, q in self._scripts.items() if q and path.startswith(p)]
            if not matching:
                return None
            return self._scripts[max(matching, key=len)].popleft()

    def _respond(self, request: RecordedRequest) -> Reply:
        self._record(request)
        return self._take_scripted(request.path) or self.handle(request)


class _HTTPServer(ThreadingHTTPServer):
    # The default backlog of 5 makes a burst of 32 concurrent clients wait for SYN retries (1 s).
    request_queue_size = 256

    def __init__(self, fake: FakeServer) -> None:
        self.fake = fake
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._handlers: list[threading.Thread] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can stall offline.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        # One daemon thread per connection, tracked so that stop() can wait for them to end.
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"fake-handler-{self.server_address[1]}",
            daemon=True,
        )
        with self._conns_lock:
            self._conns.add(request)
            self._handlers = [t for t in self._handlers if t.is_alive()] + [thread]
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections, close, wait for them."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.server_close()
        deadline = time.monotonic() + HANDLER_EXIT_WAIT
        for thread in self._handlers:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-reply (timeouts, early closes) are expected, not test noise.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle keep-alive connection is dropped after this
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are recorded on the fake; stderr stays quiet

    def _serve(self) -> None:
        fake = self.server.fake
        with fake._lock:
            fake._in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake._in_flight)
        try:
            reply = fake._respond(self._read_request())
            if not fake.sleep(reply.delay):
                self.close_connection = True
                return
            self._write(reply)
        finally:
            with fake._lock:
                fake._in_flight -= 1

    def _read_request(self) -> RecordedRequest:
        parts = urlsplit(self.path)
        return RecordedRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
            target=self.path,
            received_at=time.monotonic(),
        )

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()  # the blank line after the last chunk (no trailers sent)
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, reply: Reply) -> None:
        data, headers = reply.encoded()
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        if reply.no_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        elif not any(name.lower() == "content-length" for name in headers):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if reply.trickle_chunk > 0:
            self._trickle(data, reply.trickle_chunk, reply.trickle_s)
            return
        if reply.close_early:
            self.wfile.write(data[: reply.close_after])
            self.wfile.flush()
            self.close_connection = True
            cast(socket.socket, self.connection).shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data)

    def _trickle(self, data: bytes, chunk: int, every_s: float) -> None:
        fake = self.server.fake
        for start in range(0, len(data), chunk):
            if not fake.sleep(every_s):
                self.close_connection = True
                return
            try:
                self.wfile.write(data[start : start + chunk])
                self.wfile.flush()
            except OSError:  # the client gave up: what a deadline is for
                self.close_connection = True
                return
