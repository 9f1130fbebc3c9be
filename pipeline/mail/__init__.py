"""The newsletter by email: one message per recipient, sent once (``run.py email``, ``--email``).

Pure building in `message` (headers, the plain-text part, the HTML part from `templates/`);
`config` checks the settings, `smtp` is one SMTP session with its errors mapped, `send` the
exactly-once loop over recipients, whose record the store keeps (``store.outbox``); `cli` is
``run.py email``. This file imports
nothing, so the command group loads neither Jinja2 nor smtplib at start.
"""
