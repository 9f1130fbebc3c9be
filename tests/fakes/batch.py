"""The OpenAI Batch API on top of the fake LLM: Files (upload, content, list) and Batches
(create, retrieve, list, cancel), plus ``run_batch`` — what ``vllm run-batch`` does offline.

Each request line is answered by the fake LLM's own chat logic (``script_for`` behaviours
apply, a 500 becomes a failed line). A batch moves validating -> in_progress -> completed
over ``polls_to_finish`` retrievals; its output file lists successes in shuffled order and its
error file the failed lines, as OpenAI writes them. ``expire_next(n)`` ends the next batch as
``expired`` with its last ``n`` lines unanswered (``batch_expired``); ``cancel`` ends it as
``cancelled`` with half its lines done.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import random
from dataclasses import dataclass, field
from typing import Any

from .llm import FakeLLM
from .server import RecordedRequest, Reply

FILES, BATCHES = "/v1/files", "/v1/batches"
NOW = 1718064000
EXPIRED = {
    "code": "batch_expired",
    "message": "This request could not be executed before the completion window expired.",
}


def _lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def _dump(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(x, ensure_ascii=False).encode() + b"\n" for x in lines)


@dataclass
class FakeBatch:
    id: str
    input_file_id: str
    endpoint: str
    metadata: dict[str, str]
    status: str = "validating"
    polls: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    expire: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: {"total": 0, "completed": 0, "failed": 0}
    )

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "batch", "endpoint": self.endpoint, "errors": None,
            "input_file_id": self.input_file_id, "completion_window": "24h",
            "status": self.status, "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id, "created_at": NOW,
            "in_progress_at": None, "expires_at": NOW + 86400, "finalizing_at": None,
            "completed_at": None, "failed_at": None, "expired_at": None, "cancelling_at": None,
            "cancelled_at": None, "request_counts": dict(self.counts), "metadata": self.metadata,
        }  # fmt: skip


class FakeBatchLLM(FakeLLM):
    """A fake OpenAI that also runs batches. Tests may set ``polls_to_finish``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files: dict[str, tuple[str, bytes]] = {}
        self.batches: dict[str, FakeBatch] = {}
        self.polls_to_finish = 2
        self.shuffle = random.Random(7)
        self._ids = itertools.count(1)
        self._expire_next = 0

    # -- test API

    def expire_next(self, lines: int) -> None:
        self._expire_next = lines

    def created(self) -> list[FakeBatch]:
        return list(self.batches.values())

    def run_batch(self, requests: bytes, *, expire: int = 0, shuffled: bool = False) -> bytes:
        """``vllm run-batch``: every line answered, errors in the same file, input order."""
        out, errors = self._execute(_lines(requests), expire)
        lines = out + errors
        if shuffled:
            self.shuffle.shuffle(lines)
        return _dump(lines)

    # -- routing

    def handle(self, request: RecordedRequest) -> Reply:
        if not request.path.startswith((FILES, BATCHES)):
            return super().handle(request)
        denied = self._check_key(request)
        if denied is not None:
            return denied
        parts = request.path.strip("/").split("/")[1:]  # ["files", id?, "content"?]
        if parts[0] == "files":
            return self._files(request, parts[1:])
        return self._batches(request, parts[1:])

    def _new_id(self, prefix: str) -> str:
        return (
            f"{prefix}-{next(self._ids):06d}"
            if prefix == "file"
            else f"{prefix}_{next(self._ids):06d}"
        )

    # -- files

    def _files(self, request: RecordedRequest, rest: list[str]) -> Reply:
        if request.method == "POST" and not rest:
            fields = _multipart(request)
            if fields.get("purpose", (None, b""))[1] != b"batch":
                return Reply(
                    400,
                    {
                        "error": {
                            "message": "purpose must be batch",
                            "type": "invalid_request_error",
                        }
                    },
                )
            name, data = fields["file"]
            file_id = self._new_id("file")
            with self._lock:
                self.files[file_id] = (name or "upload.jsonl", data)
            return Reply(200, self._file_body(file_id))
        if request.method == "GET" and not rest:
            with self._lock:
                data = [self._file_body(f) for f in self.files]
            return Reply(200, {"object": "list", "data": data, "has_more": False})
        if request.method == "GET" and len(rest) == 2 and rest[1] == "content":
            with self._lock:
                found = self.files.get(rest[0])
            if found is None:
                return Reply(
                    404,
                    {"error": {"message": "No such File object", "type": "invalid_request_error"}},
                )
            return Reply(200, found[1], {"Content-Type": "application/octet-stream"})
        return Reply(404, {"error": {"message": "no route", "type": "invalid_request_error"}})

    def _file_body(self, file_id: str) -> dict[str, Any]:
        name, data = self.files[file_id]
        return {"id": file_id, "object": "file", "bytes": len(data), "created_at": NOW,
                "filename": name, "purpose": "batch", "status": "processed"}  # fmt: skip

    # -- batches

    def _batches(self, request: RecordedRequest, rest: list[str]) -> Reply:
        if request.method == "POST" and not rest:
            return self._create(request.json or {})
        if request.method == "GET" and not rest:
            return self._list(request.query)
        with self._lock:
            batch = self.batches.get(rest[0]) if rest else None
        if batch is None:
            return Reply(
                404, {"error": {"message": "No such Batch", "type": "invalid_request_error"}}
            )
        if request.method == "POST" and rest[1:] == ["cancel"]:
            if batch.status in ("validating", "in_progress"):
                batch.status = "cancelling"
            return Reply(200, batch.body())
        if request.method == "GET" and len(rest) == 1:
            self._advance(batch)
            return Reply(200, batch.body())
        return Reply(404, {"error": {"message": "no route", "type": "invalid_request_error"}})

    def _create(self, body: dict[str, Any]) -> Reply:
        file_id = body.get("input_file_id")
        if file_id not in self.files or body.get("endpoint") != "/v1/chat/completions":
            return Reply(
                400,
                {
                    "error": {
                        "message": "bad input_file_id or endpoint",
                        "type": "invalid_request_error",
                    }
                },
            )
        batch = FakeBatch(
            self._new_id("batch"), file_id, body["endpoint"], body.get("metadata") or {}
        )
        batch.expire, self._expire_next = self._expire_next, 0
        batch.counts["total"] = len(_lines(self.files[file_id][1]))
        with self._lock:
            self.batches[batch.id] = batch
        return Reply(200, batch.body())

    def _list(self, query: dict[str, str]) -> Reply:
        with self._lock:
            newest_first = list(reversed(self.batches.values()))
        if "after" in query:
            ids = [b.id for b in newest_first]
            newest_first = (
                newest_first[ids.index(query["after"]) + 1 :] if query["after"] in ids else []
            )
        limit = int(query.get("limit", "20"))
        page = newest_first[:limit]
        return Reply(200, {
            "object": "list", "data": [b.body() for b in page],
            "first_id": page[0].id if page else None, "last_id": page[-1].id if page else None,
            "has_more": len(newest_first) > limit,
        })  # fmt: skip

    def _advance(self, batch: FakeBatch) -> None:
        if batch.status == "cancelling":
            self._finish(batch, "cancelled")
            return
        if batch.status not in ("validating", "in_progress"):
            return
        batch.polls += 1
        if batch.polls >= self.polls_to_finish:
            self._finish(batch, "expired" if batch.expire else "completed")
        else:
            batch.status = "in_progress"

    def _finish(self, batch: FakeBatch, status: str) -> None:
        lines = _lines(self.files[batch.input_file_id][1])
        expire = len(lines) - len(lines) // 2 if status == "cancelled" else batch.expire
        out, errors = self._execute(lines, expire)
        self.shuffle.shuffle(out)
        with self._lock:
            if out:
                batch.output_file_id = self._new_id("file")
                self.files[batch.output_file_id] = ("batch_output.jsonl", _dump(out))
            if errors:
                batch.error_file_id = self._new_id("file")
                self.files[batch.error_file_id] = ("batch_errors.jsonl", _dump(errors))
        batch.counts.update(completed=len(out), failed=len(errors))
        batch.status = status

    # -- answering lines with the fake's chat logic

    def _execute(
        self, lines: list[dict[str, Any]], expire: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        out: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        cut = len(lines) - expire
        for n, line in enumerate(lines):
            rid = f"batch_req_{n:06d}"
            if n >= cut:
                errors.append(
                    {"id": rid, "custom_id": line["custom_id"], "response": None, "error": EXPIRED}
                )
                continue
            reply = self.answer(line["body"])
            body = reply.body if isinstance(reply.body, dict) else {}
            result = {"id": rid, "custom_id": line["custom_id"],
                      "response": {"status_code": reply.status, "request_id": rid, "body": body},
                      "error": None}  # fmt: skip
            (out if reply.status == 200 else errors).append(result)
        return out, errors


def _multipart(request: RecordedRequest) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a multipart/form-data body: name -> (filename, bytes)."""
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = (part.get_filename(), payload)
    return fields
