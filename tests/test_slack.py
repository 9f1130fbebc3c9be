"""Posting a day to Slack, against a loopback fake of the Slack Web API."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.models import Digest
from pipeline.slack.post import escape, paper_message
from pipeline.stages.render import render_json
from pipeline.store import Store
from tests.digests import entry
from tests.fakes.server import rate_limited
from tests.fakes.slack import CHANNEL, TOKEN, FakeSlack
from tests.world import DATE, World

DAY = dt.date.fromisoformat(DATE)
HOSTILE = "<!channel> Tokens & <Images> *bold*"


PAPERS = [entry("2406.10001", HOSTILE, 52), entry("2406.10002", "Plain Title", 17)]


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def data(tmp_path: Path) -> Path:
    store = Store(tmp_path / "data")
    store.publish(DAY, "digest.json", render_json(Digest(date=DAY, papers=PAPERS)).encode())
    return store.root


def env(slack: FakeSlack, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "DIGEST_SLACK_CHANNEL": CHANNEL,
        "SLACK_API_URL": slack.api_url,
        "DIGEST_MAX_BACKOFF_S": "0.05",
        "DIGEST_MAX_ATTEMPTS": "3",
        "DIGEST_SITE_URL": "",
    } | extra


def post(data: Path, slack: FakeSlack, *args: str, **extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["slack", "--date", DATE, "--data-dir", str(data), *args], env=env(slack, **extra)
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def state(data: Path) -> dict[str, list[dict[str, object]]]:
    path = data / DATE / "slack" / "posts.json"
    value: dict[str, list[dict[str, object]]] = json.loads(path.read_text())
    return value


def test_mrkdwn_escaping_keeps_titles_from_formatting_or_pinging() -> None:
    assert escape("a & <b> <!here>") == "a &amp; &lt;b&gt; &lt;!here&gt;"
    text = paper_message(PAPERS[0])
    first_line = text.splitlines()[0]
    assert first_line == (
        "*<https://arxiv.org/abs/2406.10001|&lt;!channel&gt; Tokens &amp; &lt;Images&gt; *bold*>*"
    )
    assert "<!" not in text and "Adam &lt;b&gt;Abel&lt;/b&gt;" in text and "Vote: 52" in text
    assert "*What's New*\n&lt;!channel&gt; Tokens &amp; &lt;Images&gt; *bold*: " in text
    assert "새로운 학습 방법 A&amp;B를 제안합니다." in text and "*Performance Highlights*\n" in text
    assert "함께 학습 &lt;/dd&gt;&lt;script&gt;x()&lt;/script&gt;" in text


def test_a_day_is_one_message_and_a_thread_reply_per_paper_posted_once(
    data: Path, fake_slack: FakeSlack
) -> None:
    code, out, err = post(data, fake_slack, DIGEST_SITE_URL="https://digest.example/kr/")
    assert code == 0, err
    assert "posted 3 messages" in out
    [(parent_ts, replies)] = fake_slack.threads().items()
    parent = next(p for p in fake_slack.posted if p.ts == parent_ts)
    assert "*Daily Papers (2024-06-13)* · 논문 2편" in parent.text
    assert "<https://digest.example/kr/2024-06-13.html|웹에서 보기>" in parent.text
    assert [r.text.splitlines()[0] for r in replies] == [
        paper_message(p).splitlines()[0] for p in PAPERS
    ]  # vote order, each in the day's thread
    assert all(r.body["unfurl_links"] is False for r in replies)
    saved = state(data)["posts"][0]
    assert saved["parent_ts"] == parent_ts and saved["channel"] == CHANNEL
    assert saved["replies"] == {"2406.10001": replies[0].ts, "2406.10002": replies[1].ts}

    code, out, _ = post(data, fake_slack)
    assert code == 0 and "already posted (2 papers)" in out
    assert len(fake_slack.posted) == 3  # nothing posted again

    code, out, _ = post(data, fake_slack, "--repost")
    assert code == 0 and "posted 3 messages" in out
    assert len(fake_slack.threads()) == 2 and len(fake_slack.posted) == 6
    assert state(data)["posts"][0]["parent_ts"] == parent_ts  # the old ts kept


def test_rate_limits_are_retried_and_a_stopped_post_resumes_where_it_stopped(
    data: Path, fake_slack: FakeSlack
) -> None:
    fake_slack.script("/api/chat.postMessage", rate_limited(0.01))
    code, out, err = post(data, fake_slack)
    assert code == 0, err
    assert fake_slack.scripted_left() == 0
    assert fake_slack.count("/api/chat.postMessage") == 4  # the 429, then the day and 2 papers
    assert len(fake_slack.posted) == 3

    # Past its burst, Slack refuses the second paper more times than we try (3): the run stops
    # with one line; what was posted is recorded, and the rerun posts only the missing paper.
    fake_slack.rate_limit(after=5, times=3, retry_after=0.01)
    code, out, err = post(data, fake_slack, "--repost")
    assert code == 1
    assert "Slack failed at" in err and "HTTP 429 after 3 attempts" in err
    second = state(data)["posts"][1]
    assert list(second["replies"]) == ["2406.10001"]  # type: ignore[call-overload]
    code, out, err = post(data, fake_slack)
    assert code == 0 and "posted 1 message (1 paper was already in the thread)" in out, err
    threads = fake_slack.threads()
    assert [len(replies) for replies in threads.values()] == [2, 2]
    assert state(data)["posts"][1]["replies"].keys() == {"2406.10001", "2406.10002"}  # type: ignore[union-attr]


def test_bad_token_and_missing_settings_are_one_clear_line(
    data: Path, fake_slack: FakeSlack
) -> None:
    code, _, err = post(data, fake_slack, SLACK_BOT_TOKEN="xoxb-wrong")
    assert code == 1
    assert (
        err.startswith("error: Slack failed at ") and "invalid_auth (check SLACK_BOT_TOKEN)" in err
    )
    assert "Traceback" not in err
    code, _, err = post(data, fake_slack, DIGEST_SLACK_CHANNEL="")
    assert code == 2 and "DIGEST_SLACK_CHANNEL" in err
    code, _, err = post(data, fake_slack, "--date", "2024-06-12")
    assert code == 2 and "2024-06-12 has no digest to post" in err
    assert not fake_slack.posted


def test_nightly_with_slack_posts_after_the_night_and_checks_settings_first(
    world: World, fake_slack: FakeSlack
) -> None:
    world.add("2406.10001", "Sparse Adapter Routing", 52)
    world.add("2406.10002", "Two-Column Transformers", 17)
    missing = world.night("--slack", env={"SLACK_API_URL": fake_slack.api_url})
    assert missing.exit_code == 2 and "SLACK_BOT_TOKEN" in missing.stderr
    assert world.llm.calls == 0  # refused before the night spent anything

    slack_env: dict[str, str | None] = {**env(fake_slack)}
    night = world.night("--slack", env=slack_env)
    assert night.exit_code == 0, night.stderr
    assert "slack: 2024-06-13 posted 3 messages" in night.stdout
    [replies] = fake_slack.threads().values()
    assert ["Sparse Adapter Routing" in replies[0].text, "Two-Column" in replies[1].text] == [
        True,
        True,
    ]
    again = world.night("--slack", env=slack_env)
    assert again.exit_code == 0 and "already posted" in again.stdout
    assert len(fake_slack.posted) == 3
