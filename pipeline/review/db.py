"""The editorial state's SQLite file: connection settings and ordered schema migrations.

One file under the data dir (its path comes from ``Store``), WAL so the web app and the nightly
job can read while one of them writes, and every change inside one transaction: a crash
mid-save leaves the previous revision in place.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import StoreError

MIGRATIONS: tuple[str, ...] = (
    # 1: papers, their revisions, an audit log of decisions, publications, settings.
    """
    CREATE TABLE papers (
        date TEXT NOT NULL,
        arxiv_id TEXT NOT NULL,
        paper TEXT NOT NULL,
        position INTEGER NOT NULL,
        night_status TEXT NOT NULL,
        flags TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        current INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (date, arxiv_id)
    );
    CREATE TABLE revisions (
        date TEXT NOT NULL,
        arxiv_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        origin TEXT NOT NULL,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        summary TEXT NOT NULL,
        provenance TEXT,
        based_on INTEGER NOT NULL,
        candidate TEXT,
        note TEXT,
        PRIMARY KEY (date, arxiv_id, number),
        FOREIGN KEY (date, arxiv_id) REFERENCES papers (date, arxiv_id)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        date TEXT NOT NULL,
        arxiv_id TEXT,
        at TEXT NOT NULL,
        editor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT
    );
    CREATE TABLE publications (
        date TEXT NOT NULL,
        version INTEGER NOT NULL,
        published_at TEXT NOT NULL,
        editor TEXT NOT NULL,
        markdown TEXT NOT NULL,
        PRIMARY KEY (date, version)
    );
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: the flags the checks found on a saved revision's text (NULL: not checked on saving).
    """
    ALTER TABLE revisions ADD COLUMN flags TEXT;
    """,
)


def connect(path: Path) -> sqlite3.Connection:
    """Open (and migrate) the editorial database."""
    try:
        # isolation_level=None: we issue BEGIN ourselves, so a transaction is exactly a `with`.
        conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        migrate(conn)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the editorial database {path}: {exc}") from exc
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations this file has not seen yet, each in its own transaction."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        with transaction(conn):
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any exception: all of a change or none of it.

    IMMEDIATE takes the write lock up front, so a revision check made inside the transaction
    still holds when the new revision is written (two editors saving at once)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
