"""The editorial state's SQLite file: connection settings and ordered schema migrations.

One file under the data dir (its path comes from ``Store``), WAL so the web app and the nightly
job can read while one of them writes, and every change inside one transaction: a crash
mid-save leaves the previous revision in place.
"""

from __future__ import annotations

import contextlib
import functools
import shlex
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ParamSpec, TypeVar

from ..core.errors import StoreError

P = ParamSpec("P")
T = TypeVar("T")

BUSY_TIMEOUT_S = 10.0
"""How long a command-line action waits for another writer before giving up."""


class EditorialBusy(StoreError):
    """Another process holds the editorial database's write lock: try again shortly."""


class EditorialClash(StoreError):
    """Two saves met at the same moment and SQLite refused the second: reload and redo."""


class EditorialDamaged(StoreError):
    """The editorial database file is corrupt or not a database; the message says how to
    recover it."""


def recovery_hint(path: Path) -> str:
    return (
        f"recover it with `sqlite3 {path} .recover | sqlite3 {path}.recovered` and move the "
        f"recovered file in its place, or set the file aside (`mv {path} {path}.damaged`) to "
        "start an empty one"
    )


def recovery_commands(path: Path) -> list[str]:
    """The hint as commands to paste (the review app's error page shows them)."""
    p, recovered, damaged = (shlex.quote(f"{path}{end}") for end in ("", ".recovered", ".damaged"))
    return [
        f"sqlite3 {p} .recover | sqlite3 {recovered}",
        f"mv {p} {damaged}",
        f"mv {recovered} {p}",
    ]


def translate(exc: sqlite3.Error, path: Path) -> StoreError:
    """One readable error for any SQLite failure on the editorial database."""
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return EditorialBusy(
            f"the editorial database {path} is busy (another save or process holds it); "
            "try again in a moment",
            path,
        )
    if isinstance(exc, sqlite3.IntegrityError):
        return EditorialClash(
            f"another save reached the editorial database {path} at the same moment ({text}); "
            "nothing of yours was saved: reload and try again",
            path,
        )
    if isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text or "disk image" in text
    ):
        return EditorialDamaged(
            f"the editorial database {path} is damaged ({text}): {recovery_hint(path)}", path
        )
    return StoreError(f"the editorial database {path} failed: {text}", path)


def mapped(path_of: Callable[..., Path]) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Wrap a method so any sqlite3.Error leaves it as one StoreError naming the file."""

    def decorate(func: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return func(*args, **kwargs)
            except sqlite3.Error as exc:
                raise translate(exc, path_of(args[0])) from exc

        return wrapper

    return decorate


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


def connect(path: Path, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """Open (and migrate) the editorial database for reading and writing."""
    conn: sqlite3.Connection | None = None
    try:
        # isolation_level=None: we issue BEGIN ourselves, so a transaction is exactly a `with`.
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        migrate(conn)
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise translate(exc, path) from exc
    return conn


def connect_readonly(path: Path, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A connection that never writes: the file as it is (read-only), or, when there is no file
    yet, an empty database in memory. Reads (``review list``, ``show``) open this one so that
    looking never creates or changes the file."""
    conn: sqlite3.Connection | None = None
    try:
        if path.exists():
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro",
                uri=True,
                timeout=timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version < len(MIGRATIONS):
                # An older schema: read it through a copy in memory, migrated there.
                memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
                conn.backup(memory)
                conn.close()
                conn = memory
        else:
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn)
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise translate(exc, path) from exc
    return conn


def in_memory_copy(conn: sqlite3.Connection) -> sqlite3.Connection:
    """A writable copy in memory of what ``conn`` sees: a read may import a pending night there
    without writing the file."""
    memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.backup(memory)
    memory.row_factory = sqlite3.Row
    memory.execute("PRAGMA foreign_keys=ON")
    return memory


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
