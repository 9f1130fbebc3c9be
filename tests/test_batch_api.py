"""``run.py --from D1 --to D2 --batch`` against the fake Files and Batches API; kill -9 too."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.batch import FakeBatchLLM
from tests.test_batch_offline import D1, D2, batch_llm, bw  # noqa: F401  (fixtures)
from tests.world import World

ROOT = Path(__file__).resolve().parent.parent
FAST = {"DIGEST_BATCH_POLL_S": "0.01", "DIGEST_BATCH_POLL_MAX_S": "0.05"}


def fake(world: World) -> FakeBatchLLM:
    assert isinstance(world.llm, FakeBatchLLM)
    return world.llm


def batch_run(world: World, *extra: str, **env: str) -> tuple[int, str, str]:
    result = world.run("--from", D1, "--to", D2, "--batch", *extra, env={**FAST, **env})
    return result.exit_code, result.stdout, result.stderr


def shards(world: World) -> list[dict[str, object]]:
    book = json.loads((world.data / "batch" / "shards.json").read_text())
    value: list[dict[str, object]] = book["shards"]
    return value


def all_requests(world: World) -> int:
    return len(world.hf.requests) + len(world.arxiv.requests) + len(world.llm.requests)


def test_a_batch_range_writes_the_online_digests_and_a_rerun_sends_nothing(
    bw: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    code, out, err = batch_run(bw)
    assert code == 0, out + err
    [batch] = fake(bw).created()
    assert batch.metadata["shard_id"] == shards(bw)[0]["id"] and batch.status == "completed"
    assert bw.llm.calls == 0  # every summary came from the batch
    assert f"{D1}: 2 ok" in out and f"{D2}: 2 ok" in out and out.rstrip().endswith("exit 0")
    assert shards(bw)[0]["state"] == "ingested" and shards(bw)[0]["answered"] == 4

    online = World(bw.hf, bw.arxiv, bw.llm, tmp_path / "online")
    for day in (D1, D2):
        assert online.run("--date", day).exit_code == 0
        assert (bw.data / day / "digest.md").read_bytes() == (
            online.data / day / "digest.md"
        ).read_bytes()

    before = all_requests(bw)
    code, out, _ = batch_run(bw)
    assert code == 0 and "nothing to do: every day is finished" in out
    assert all_requests(bw) == before  # no request of any kind

    status = bw.run("--batch-status")
    assert status.exit_code == 0 and "ingested" in status.stdout and batch.id in status.stdout


def test_failed_and_expired_lines_are_retried_online_for_a_handful(bw: World) -> None:  # noqa: F811
    fake(bw).script_for("Batch Paper Gamma", "server_error")
    fake(bw).expire_next(1)
    code, out, err = batch_run(bw)
    assert code == 0, out + err
    assert len(fake(bw).created()) == 1 and bw.llm.calls == 2  # the two lines went online


def test_without_online_retries_a_retry_shard_asks_again(bw: World) -> None:  # noqa: F811
    fake(bw).script_for("Batch Paper Gamma", "server_error")
    fake(bw).expire_next(1)
    code, out, err = batch_run(bw, DIGEST_BATCH_ONLINE_RETRIES="0")
    assert code == 0, out + err
    first, retry = fake(bw).created()
    assert first.counts == {"total": 4, "completed": 2, "failed": 2}
    assert retry.counts == {"total": 2, "completed": 2, "failed": 0}
    assert bw.llm.calls == 0
    assert [s["lines"] for s in shards(bw)] == [4, 2]


# ---- kill -9 -----------------------------------------------------------------------------------


def start(world: World, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **world.env, **FAST}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--data-dir", str(world.data), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        assert process.poll() is None, "the run ended before the moment to kill it"
        assert time.monotonic() < deadline, "the moment to kill never came"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


def retrieves(world: World) -> int:
    return sum(
        1 for r in world.llm.requests if r.method == "GET" and r.path.startswith("/v1/batches/")
    )


def test_killed_while_polling_the_rerun_resumes_the_same_batch(bw: World) -> None:  # noqa: F811
    fake(bw).polls_to_finish = 10**6
    kill_when(start(bw, "--from", D1, "--to", D2, "--batch"), lambda: retrieves(bw) >= 3)
    assert len(fake(bw).created()) == 1 and shards(bw)[0]["state"] == "submitted"
    fake(bw).polls_to_finish = 1
    code, out, err = batch_run(bw)
    assert code == 0, out + err
    assert "resuming 1 batch shard:" in out
    assert len(fake(bw).created()) == 1  # never a second batch
    assert (bw.data / D1 / "digest.md").exists() and (bw.data / D2 / "digest.md").exists()


def test_killed_right_after_create_a_lost_batch_id_is_found_by_its_metadata(
    bw: World,  # noqa: F811
) -> None:
    fake(bw).polls_to_finish = 10**6
    kill_when(start(bw, "--from", D1, "--to", D2, "--batch"), lambda: bool(fake(bw).created()))
    # Whether or not the id reached the store before the kill, make it lost.
    path = bw.data / "batch" / "shards.json"
    book = json.loads(path.read_text())
    book["shards"][0].update(state="uploaded", batch_id=None, remote_status=None)
    path.write_text(json.dumps(book))
    fake(bw).polls_to_finish = 1
    code, out, err = batch_run(bw)
    assert code == 0, out + err
    [batch] = fake(bw).created()
    assert shards(bw)[0]["batch_id"] == batch.id
    assert fake(bw).count("/v1/files", method="POST") == 1  # nor uploaded twice


def test_batch_cancel_ingests_what_finished(bw: World) -> None:  # noqa: F811
    fake(bw).polls_to_finish = 10**6
    kill_when(start(bw, "--from", D1, "--to", D2, "--batch"), lambda: retrieves(bw) >= 1)
    cancelled = bw.run("--batch-cancel", env=FAST)
    # One day of the two is published; the other has no paper yet, and a night that publishes
    # nothing is not a success.
    assert cancelled.exit_code == 1, cancelled.stdout + cancelled.stderr
    [batch] = fake(bw).created()
    assert batch.status == "cancelled" and batch.counts["completed"] == 2
    ok = sum(
        json.loads((bw.data / day / "run.json").read_text())["counts"]["ok"] for day in (D1, D2)
    )
    assert ok == 2 and bw.llm.calls == 0  # what finished is in; nothing was asked online
    assert "ingested" in bw.run("--batch-status").stdout


@pytest.mark.parametrize("flag", ["--batch"])
def test_batch_needs_a_range(bw: World, flag: str) -> None:  # noqa: F811
    result = bw.run(flag)
    assert result.exit_code == 2 and "--from" in result.stderr
