"""Slack: the day's digest as a message and one thread reply per paper (``post``), and the
``run.py slack`` command."""
