"""Batch lines and shards, pure: custom ids, result parsing, shard limits and ids."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.batch import api
from pipeline.batch.api import Shard, ShardBook, ShardState, shard_id, split
from pipeline.batch.jsonl import (
    BatchRequest,
    encode,
    parse_custom_id,
    parse_results,
    request_line,
)
from pipeline.core.hashing import sha256_bytes

DAY = dt.date(2024, 6, 13)
MESSAGES = [{"role": "system", "content": "요약"}, {"role": "user", "content": "Title: X"}]


def requests(n: int) -> list[BatchRequest]:
    return [
        request_line(DAY, f"2406.{i:05d}", "gpt-4.1-mini", MESSAGES, {"temperature": i / 10})
        for i in range(n)
    ]


def test_custom_ids_name_the_day_the_paper_and_the_question() -> None:
    line = request_line(DAY, "hep-th/9901001", "m", MESSAGES, {})
    assert parse_custom_id(line.custom_id)[:2] == (DAY, "hep-th/9901001")
    with pytest.raises(ValueError, match="not written by this pipeline"):
        parse_custom_id("request-1")


def test_shards_respect_the_line_and_byte_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "MAX_LINES", 3)
    assert [c.lines for c in split(lines(7))] == [3, 3, 1]
    one = len(encode(requests(1)))
    monkeypatch.setattr(api, "MAX_LINES", 50_000)
    monkeypatch.setattr(api, "MAX_BYTES", one * 2 + 10)
    cuts = split(lines(5))
    assert [c.lines for c in cuts] == [2, 2, 1]
    assert all(c.size <= api.MAX_BYTES for c in cuts)
    data = encode(requests(5))
    parts = [data[c.start : c.start + c.size] for c in cuts]
    assert b"".join(parts) == data  # order kept, nothing lost
    assert [c.hash.hexdigest() for c in cuts] == [sha256_bytes(p) for p in parts]
    assert [c.days for c in cuts] == [{DAY}] * 3


def lines(n: int) -> list[bytes]:
    return encode(requests(n)).splitlines(keepends=True)


def test_the_same_lines_are_the_same_shard_until_ingested() -> None:
    data = encode(requests(2))
    digest = sha256_bytes(data)
    book = ShardBook()
    first = shard_id(digest, book)
    shard = Shard(id=first, model="m", days=[DAY], lines=2, size=len(data))
    book.shards.append(shard)
    assert shard_id(digest, book) == first  # planned again after a kill: found, not duplicated
    shard.state = ShardState.INGESTED
    assert shard_id(digest, book) == first[:-1] + "2"  # asked again later: a new round
    assert shard_id(sha256_bytes(encode(requests(3))), book) != first


def test_results_in_both_formats_failed_expired_and_garbage() -> None:
    ids = [r.custom_id for r in requests(4)]
    body = {"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3}}  # fmt: skip
    lines = [
        {"id": "a", "custom_id": ids[0], "response": {"status_code": 200, "body": body}},
        {"id": "b", "custom_id": ids[1], "response": None,
         "error": {"code": "batch_expired", "message": "window expired"}},
        {"id": "c", "custom_id": ids[2], "response": {"status_code": 500,
         "body": {"error": {"message": "boom"}}}, "error": None},
        {"id": "d", "custom_id": ids[3], "response": {"status_code": 200, "body": {"x": 1}}},
    ]  # fmt: skip
    data = b"".join(json.dumps(x).encode() + b"\n" for x in lines) + b"garbage\n\n"
    results, problems = parse_results(data)
    assert [r.reply is not None for r in results] == [True, False, False, False]
    assert results[0].reply is not None and results[0].reply.usage.prompt_tokens == 10
    assert results[1].error == "batch_expired: window expired"
    assert results[2].error == "HTTP 500: boom"
    assert results[3].error is not None and "not a chat completion" in results[3].error
    assert len(problems) == 1 and problems[0].startswith("line 5:")
