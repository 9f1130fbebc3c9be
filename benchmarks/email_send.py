"""Sending a day to N recipients against a local SMTP server (aiosmtpd, tests/fakes/smtp.py).

    python benchmarks/email_send.py [--recipients 300] [--papers 30]

Prints, for the real ``send_day`` (the day's message built once and readdressed per recipient,
each recipient recorded atomically in the store as soon as the server accepted it, one thread
hop per SMTP call for the retry layer) and for a baseline in the same run (smtplib sending one
prebuilt message to each recipient over one connection, recording nothing):

- wall time and messages per second of each, and their ratio (what readdressing, the retry
  layer and the exactly-once record cost);
- the size of one message and of the final mail log.

Never asserts: it prints numbers, and exits 0 unless it crashed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import smtplib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not installed

from pipeline.core.cliopts import make_settings  # noqa: E402
from pipeline.core.models import Digest  # noqa: E402
from pipeline.mail.message import POLICY, Letterhead, build_message  # noqa: E402
from pipeline.mail.send import send_day  # noqa: E402
from pipeline.site.model import Edition  # noqa: E402
from pipeline.stages.render import render_json  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests.digests import entry  # noqa: E402
from tests.fakes.smtp import FakeSMTP  # noqa: E402

DAY = dt.date(2024, 6, 13)
SENDER = "Korean Daily Papers <digest@papers.example>"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=300)
    parser.add_argument("--papers", type=int, default=30)
    args = parser.parse_args()
    recipients = [f"reader{i}@example.org" for i in range(args.recipients)]
    digest = Digest(
        date=DAY,
        papers=[
            entry(f"2406.{10001 + i}", f"Paper {i}", 100 - i, "https://cdn.example/t.png")
            for i in range(args.papers)
        ],
    )
    with tempfile.TemporaryDirectory() as tmp, FakeSMTP("none") as server:
        store = Store(Path(tmp) / "data")
        store.publish(DAY, "digest.json", render_json(digest).encode())
        settings = make_settings(
            data_dir=store.root, smtp_url=server.url(), mail_from=SENDER,
            mail_to=",".join(recipients),
        )  # fmt: skip

        message = build_message(
            Edition(digest=digest),
            Letterhead(sender=SENDER, mailing=0),
            recipients[0],
            dt.datetime.now(dt.UTC),
        ).as_bytes(policy=POLICY)
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", server.port) as smtp:
            for recipient in recipients:
                smtp.sendmail("digest@papers.example", [recipient], message)
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        result = asyncio.run(send_day(store, settings, DAY))
        ours = time.perf_counter() - started
        assert len(result.sent) == len(recipients), result
        log_bytes = (store.day(DAY) / "mail" / "sent.json").stat().st_size  # benchmark only

    n = len(recipients)
    print(f"recipients {n}, papers {args.papers}, one message {len(message) / 1024:.1f} KiB")
    print(f"baseline (smtplib, one prebuilt message, no record): {baseline:.2f}s, "
          f"{n / baseline:.0f} msg/s")  # fmt: skip
    print(f"send_day (readdressed, recorded on accept): {ours:.2f}s, {n / ours:.0f} msg/s")
    print(f"ratio send_day / baseline: {ours / baseline:.2f}x; mail log {log_bytes / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
