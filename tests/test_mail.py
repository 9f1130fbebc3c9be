"""The newsletter by email, against a real SMTP server on 127.0.0.1 (tests/fakes/smtp.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.models import Digest
from pipeline.stages.render import render_json, render_markdown
from pipeline.store import Store
from tests.digests import entry
from tests.fakes.smtp import Cert, FakeSMTP, self_signed
from tests.world import DATE, World

DAY = dt.date.fromisoformat(DATE)
ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert(1)</script> Tokens & <Images>"
PAPERS = [
    entry("2406.10001", HOSTILE, 52, "https://cdn.example/thumb-1.png"),
    entry("2406.10002", "Plain Title", 17, "http://cdn.example/thumb-2.png"),
    entry("2406.10003", "Third Paper", 9, "javascript:alert(1)"),
]
ALICE, BOB, CAROL = "alice@example.org", "bob@example.net", "carol@example.com"
FROM = "Korean Daily Papers <digest@papers.example>"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def relay() -> Iterator[FakeSMTP]:
    with FakeSMTP("none") as server:
        yield server


@pytest.fixture
def tls_server(cert: Cert) -> Iterator[FakeSMTP]:
    with FakeSMTP("starttls", cert) as server:
        yield server


@pytest.fixture
def data(tmp_path: Path) -> Path:
    store = Store(tmp_path / "data")
    store.publish(DAY, "digest.json", render_json(Digest(date=DAY, papers=PAPERS)).encode())
    return store.root


def env(smtp: FakeSMTP | None, cert: Cert | None = None, **extra: str) -> dict[str, str]:
    return {
        "DIGEST_SMTP_URL": smtp.url() if smtp else "",
        "DIGEST_MAIL_FROM": FROM,
        "DIGEST_MAIL_TO": f"{ALICE}, {BOB},{CAROL}",
        "DIGEST_MAIL_UNSUBSCRIBE": "",
        "DIGEST_SITE_URL": "",
        "DIGEST_MAX_ATTEMPTS": "3",
        "DIGEST_MAX_BACKOFF_S": "0.05",
        "DIGEST_HTTP_TIMEOUT_S": "5",
        "SSL_CERT_FILE": str(cert.cert) if cert else "",
    } | extra


def send(data: Path, environment: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["email", "--date", DATE, "--data-dir", str(data), *args], env=environment
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def sent_log(data: Path) -> list[list[str]]:
    """Each sending's recipients, as the store recorded them."""
    path = data / DATE / "mail" / "sent.json"
    if not path.exists():
        return []
    return [list(m["sent"]) for m in json.loads(path.read_text())["mailings"]]


def part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    assert body is not None, f"no text/{subtype} part"
    content: str = body.get_content()
    return content


# ---- the message -------------------------------------------------------------------------------


def test_one_message_per_recipient_with_both_parts_and_the_list_headers(
    data: Path, relay: FakeSMTP
) -> None:
    unsubscribe = "https://papers.example/unsubscribe"
    code, out, err = send(data, env(relay, DIGEST_MAIL_UNSUBSCRIBE=unsubscribe))
    assert code == 0, err
    assert out.strip() == "email: 2024-06-13 sent to 3 recipients"
    assert [r.rcpt_tos for r in relay.inbox.received] == [[ALICE], [BOB], [CAROL]]
    ids = set()
    for received, address in zip(relay.inbox.received, (ALICE, BOB, CAROL), strict=True):
        message = received.message
        assert received.mail_from == "digest@papers.example"
        assert message["To"] == address  # nobody sees another reader's address
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == [
            "text/plain",
            "text/html",
        ]
        assert message["Subject"] == "[Daily Papers] 2024-06-13 — 3편"
        assert message["List-Id"] == "Korean Daily Papers <daily-papers.papers.example>"
        assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
        assert message["Date"].datetime.tzinfo is not None
        ids.add(message["Message-ID"])
        raw_headers = received.data.split(b"\r\n\r\n", 1)[0]
        assert raw_headers.isascii()  # Korean only as RFC 2047 encoded words
        assert b"Subject: [Daily Papers] 2024-06-13 =?utf-8?" in raw_headers
    assert len(ids) == 3 and all(i.endswith("@papers.example>") for i in ids)


def test_message_id_is_stable_and_list_unsubscribe_only_when_set(data: Path) -> None:
    def dry_run(*args: str) -> dict[str, bytes]:
        code, out, err = send(data, env(None), "--dry-run", *args)
        assert code == 0, err
        paths = [Path(line) for line in out.splitlines()[1:]]
        return {p.name: p.read_bytes() for p in paths}

    first, second = dry_run(), dry_run()
    assert sorted(first) == sorted(f"{a}.eml" for a in (ALICE, BOB, CAROL))

    def header(data: bytes, name: str) -> str | None:
        from email import message_from_bytes, policy

        value = message_from_bytes(data, policy=policy.default)[name]
        return None if value is None else str(value)

    for name in first:
        assert header(first[name], "Message-ID") == header(second[name], "Message-ID")
        assert header(first[name], "List-Unsubscribe") is None
    assert len({header(d, "Message-ID") for d in first.values()}) == 3


def test_hostile_text_is_escaped_in_html_and_plain_in_text(data: Path, relay: FakeSMTP) -> None:
    code, _, err = send(data, env(relay), "--to", ALICE)
    assert code == 0, err
    [received] = relay.inbox.received
    html = part(received.message, "html")
    text = part(received.message, "plain").replace("\r\n", "\n")  # CRLF on the wire

    # Outside text never becomes markup: titles, names and model text are escaped.
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Tokens &amp;" in html
    assert "Adam &lt;b&gt;Abel&lt;/b&gt;" in html and "<b>" not in html
    assert "&lt;/dd&gt;&lt;script&gt;x()&lt;/script&gt;" in html
    # Titles linked to arXiv; only the https thumbnail, with its alt text; nothing else loaded.
    assert '<a href="https://arxiv.org/abs/2406.10002" style=' in html
    assert '<img src="https://cdn.example/thumb-1.png" alt="&lt;script&gt;' in html
    assert html.count("<img ") == 1 and "javascript:" not in html and "http://" not in html
    for external in ("<link", "<style", "<script", "@import", "url("):
        assert external not in html
    assert "word-break:keep-all" in html and '<table role="presentation"' in html

    # The text part is the text as written: no tags or entities of ours.
    assert f"1. {HOSTILE}\n   https://arxiv.org/abs/2406.10001\n" in text
    assert "A&B를 제안합니다." in text
    for markup in ("&amp;", "&lt;", "<a ", "<table", "<p ", "<br"):
        assert markup not in text


def test_the_editors_published_edition_is_sent_before_the_nights(
    data: Path, relay: FakeSMTP
) -> None:
    edited = Digest(date=DAY, papers=[entry("2406.10002", "Edited By Editors", 17)])
    Store(data).save_published(DAY, 1, render_markdown(edited), render_json(edited))
    code, _, err = send(data, env(relay), "--to", ALICE)
    assert code == 0, err
    message = relay.inbox.received[0].message
    assert message["Subject"] == "[Daily Papers] 2024-06-13 — 1편"
    assert "Edited By Editors" in part(message, "plain") and HOSTILE not in part(message, "plain")
    assert "편집자 검토본" in part(message, "html")


def test_smtp_urls_name_the_tls_mode_and_a_password_never_goes_in_clear() -> None:
    from pipeline.mail.config import parse_smtp_url

    server = parse_smtp_url("smtp://digest%40example.org:p%3Ass@smtp.example.org")
    assert (server.tls, server.port, server.user) == ("starttls", 587, "digest@example.org")
    assert server.password is not None and server.password.get_secret_value() == "p:ss"
    assert "p:ss" not in repr(server) and "p:ss" not in server.display
    implicit = parse_smtp_url("smtps://u:p@mail.example")
    assert (implicit.tls, implicit.port) == ("implicit", 465)
    relay = parse_smtp_url("smtp://localhost")
    assert (relay.tls, relay.port, relay.display) == ("none", 25, "smtp://localhost:25")


# ---- exactly once ------------------------------------------------------------------------------


def test_starttls_login_sends_once_and_resend_sends_again(
    data: Path, tls_server: FakeSMTP, cert: Cert
) -> None:
    settings = env(tls_server, cert)
    code, out, err = send(data, settings)
    assert code == 0, err
    assert tls_server.inbox.logins == 1 and len(tls_server.inbox.received) == 3
    assert sent_log(data) == [[ALICE, BOB, CAROL]]

    code, out, _ = send(data, settings)
    assert code == 0
    assert "already sent to all 3 recipients; --resend sends it again" in out
    assert len(tls_server.inbox.received) == 3

    code, out, _ = send(data, settings, "--to", f"{BOB}, dave@example.org")
    assert code == 0 and "sent to 1 recipient (1 had it already)" in out
    assert [r.rcpt_tos for r in tls_server.inbox.received[3:]] == [["dave@example.org"]]

    code, out, _ = send(data, settings, "--resend")
    assert code == 0 and "sent to 3 recipients" in out
    assert len(tls_server.inbox.to(ALICE)) == 2
    assert sent_log(data) == [[ALICE, BOB, CAROL, "dave@example.org"], [ALICE, BOB, CAROL]]


# aiosmtpd cannot tell an implicit-TLS socket from a plain one, so it warns about AUTH without TLS.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(data: Path, cert: Cert) -> None:
    with FakeSMTP("implicit", cert) as server:
        code, _, err = send(data, env(server, cert), "--to", ALICE)
    assert code == 0, err
    assert server.url().startswith("smtps://") and server.inbox.to(ALICE)


def test_a_run_killed_between_two_recipients_sends_only_to_those_left(
    data: Path, tls_server: FakeSMTP, cert: Cert
) -> None:
    tls_server.inbox.hold = BOB  # the server sits on Bob's RCPT until the process is killed
    environment = os.environ | env(tls_server, cert)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "email", "--date", DATE, "--data-dir", str(data)],
        cwd=data.parent,  # not the checkout: a developer's .env there is not the test's
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert tls_server.inbox.holding.wait(120), process.communicate(timeout=5)
    finally:
        process.kill()
        process.communicate(timeout=30)
    tls_server.inbox.release.set()
    assert process.returncode == -9
    assert [r.rcpt_tos for r in tls_server.inbox.received] == [[ALICE]]
    assert sent_log(data) == [[ALICE]]  # Alice recorded when accepted, before Bob was tried

    tls_server.inbox.hold = None
    code, out, err = send(data, env(tls_server, cert))
    assert code == 0, err
    assert "sent to 2 recipients (1 had it already)" in out
    assert [r.rcpt_tos for r in tls_server.inbox.received] == [[ALICE], [BOB], [CAROL]]
    assert sent_log(data) == [[ALICE, BOB, CAROL]]


def test_a_second_sender_or_an_unreadable_log_stops_before_sending(
    data: Path, relay: FakeSMTP
) -> None:
    with Store(data).lock_mail(DAY):  # cron's run and a person's, at once
        code, _, err = send(data, env(relay))
    assert code == 1 and "another run is sending 2024-06-13's mail" in err
    log = data / DATE / "mail" / "sent.json"
    log.write_text("{not json")
    code, _, err = send(data, env(relay))
    assert code == 1 and f"{log} is not a readable mail log" in err
    assert "moving it sends the day to everyone again" in err
    assert relay.inbox.received == []


# ---- what the server says ----------------------------------------------------------------------


def test_a_refused_recipient_is_one_line_and_the_others_still_get_theirs(
    data: Path, relay: FakeSMTP
) -> None:
    relay.inbox.refuse.add(BOB)
    code, out, err = send(data, env(relay))
    assert code == 3, err
    assert out.splitlines() == [
        f"email: {BOB}: refused by the server (550 5.1.1 no such mailbox here); check the address",
        "email: 2024-06-13 sent to 2 recipients, 1 not sent",
    ]
    assert [r.rcpt_tos for r in relay.inbox.received] == [[ALICE], [CAROL]]
    assert sent_log(data) == [[ALICE, CAROL]]

    relay.inbox.refuse.clear()  # the address was fixed: the rerun sends to Bob only
    code, out, _ = send(data, env(relay))
    assert code == 0 and "sent to 1 recipient (2 had it already)" in out
    assert relay.inbox.to(BOB) and len(relay.inbox.received) == 3


def test_a_4xx_is_retried_and_one_that_stays_waits_for_a_rerun(data: Path, relay: FakeSMTP) -> None:
    relay.inbox.defer[BOB] = 2  # two 450s, then accepted: within 3 attempts
    code, out, err = send(data, env(relay))
    assert code == 0, err
    assert [r.rcpt_tos for r in relay.inbox.received] == [[ALICE], [BOB], [CAROL]]

    relay.inbox.defer[ALICE] = 5
    code, out, _ = send(data, env(relay), "--resend")
    assert code == 3
    assert out.splitlines()[0] == (
        f"email: {ALICE}: not sent (450 4.2.1 mailbox busy, try again later after 3 attempts); "
        "run again later"
    )
    assert sent_log(data)[1] == [BOB, CAROL]


@pytest.mark.parametrize("failure", ["password", "unreachable", "tls"])
def test_a_bad_password_unreachable_server_or_tls_failure_is_one_line_and_sends_nothing(
    data: Path, tls_server: FakeSMTP, cert: Cert, failure: str
) -> None:
    settings = {
        "password": env(tls_server, cert, DIGEST_SMTP_URL=tls_server.url(password="wrong")),
        "unreachable": env(tls_server, cert, DIGEST_SMTP_URL="smtp://u:p@127.0.0.1:9"),
        "tls": env(tls_server),  # the test certificate is not trusted
    }[failure]
    code, out, err = send(data, settings)
    assert code == 1 and out == ""
    [line] = err.splitlines()
    port = 9 if failure == "unreachable" else tls_server.port
    user = "u" if failure == "unreachable" else "digest"
    assert line.startswith(f"error: SMTP failed at smtp://{user}@127.0.0.1:{port}: ")
    assert "wrong" not in line  # the password is never printed
    assert {
        "password": "the server refused the user or password (535 5.7.8 Authentication "
        "credentials invalid) (check DIGEST_SMTP_URL)",
        "unreachable": "connection failed (ConnectionRefusedError",
        "tls": "TLS failed (certificate verify failed: self-signed certificate)",
    }[failure] in line
    assert tls_server.inbox.received == [] and sent_log(data) == []


def test_missing_or_wrong_settings_are_usage_errors(data: Path, relay: FakeSMTP) -> None:
    code, _, err = send(data, env(relay, DIGEST_SMTP_URL="", DIGEST_MAIL_TO=""))
    assert code == 2 and "email needs DIGEST_SMTP_URL and DIGEST_MAIL_TO set" in err
    code, _, err = send(data, env(relay), "--to", "not-an-address")
    assert code == 2 and "'not-an-address' is not an email address" in err
    code, _, err = send(data, env(relay, DIGEST_MAIL_UNSUBSCRIBE="javascript:x()"))
    assert code == 2 and "DIGEST_MAIL_UNSUBSCRIBE must be a mailto: or https: URL" in err
    code, _, err = send(data, env(relay, DIGEST_SMTP_URL="http://mail.example"))
    assert code == 2 and "DIGEST_SMTP_URL must look like" in err
    code, _, err = send(data, env(relay), "--date", "2024-06-12")
    assert code == 2 and "2024-06-12 has no digest to send" in err
    assert relay.inbox.received == []


def test_dry_run_writes_the_messages_under_the_data_dir_and_sends_nothing(
    data: Path, relay: FakeSMTP
) -> None:
    code, out, err = send(data, env(relay), "--dry-run")
    assert code == 0, err
    head, *paths = out.splitlines()
    assert head == "email: dry run, nothing sent; 3 messages to open:"
    assert all(Path(p).is_relative_to(data) and p.endswith(".eml") for p in paths)
    from email import message_from_bytes, policy

    opened = [message_from_bytes(Path(p).read_bytes(), policy=policy.default) for p in paths]
    assert [m["To"] for m in opened] == [ALICE, BOB, CAROL]
    assert relay.inbox.received == [] and sent_log(data) == []


# ---- the nightly job ---------------------------------------------------------------------------


def test_nightly_with_email_checks_settings_first_and_sends_after_the_night(
    world: World, relay: FakeSMTP
) -> None:
    world.add("2406.10001", "Sparse Adapter Routing", 52)
    missing = world.night("--email", env={"DIGEST_SMTP_URL": relay.url()})
    assert missing.exit_code == 2 and "DIGEST_MAIL_FROM" in missing.stderr
    assert world.llm.calls == 0  # refused before the night spent anything
    ranged = world.run("--from", DATE, "--email", env={"DIGEST_SMTP_URL": relay.url()})
    assert ranged.exit_code == 2 and "--email works on one --date" in ranged.stderr

    mail_env: dict[str, str | None] = {**env(relay, DIGEST_MAIL_TO=ALICE)}
    night = world.night("--email", env=mail_env)
    assert night.exit_code == 0, night.stderr
    assert "email: 2024-06-13 sent to 1 recipient" in night.stdout
    assert "Sparse Adapter Routing" in part(relay.inbox.received[0].message, "plain")
    again = world.night("--email", env=mail_env)
    assert again.exit_code == 0 and "already sent to all 1 recipient" in again.stdout
    assert len(relay.inbox.received) == 1
