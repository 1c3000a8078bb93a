"""The one sqlite connection every part of the database shares, and its transactions.

WAL and a busy timeout let two running instances share the file; the connection is shared by the UI's
worker threads behind a lock. Opening runs the pending migrations (core/store/migrations.py), each in its
own transaction, after a backup copy of the file has been written next to it. A file that sqlite cannot
read raises `DatabaseError` and is left as it is.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import cast

from filelock import FileLock, Timeout

from core.errors import FoleycutError
from core.store import migrations

BUSY_TIMEOUT_S = 10.0


class DatabaseError(FoleycutError):
    """The database file cannot be opened, read or upgraded."""


def placeholders(values: Sequence) -> str:
    return ",".join("?" * len(values))


def insert(conn: sqlite3.Connection, sql: str, params: Sequence) -> int:
    """Run one INSERT and return the id sqlite gave its row."""
    return cast(int, conn.execute(sql, params).lastrowid)


class Store:
    """The connection, its lock and its transactions. Safe to share between threads."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.RLock()
        self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Instances starting together take turns: sqlite does not wait (busy timeout or not) when one
        # connection switches the file to WAL while another holds it open in rollback mode.
        try:
            with FileLock(self.path.with_name(f"{self.path.name}.lock"), timeout=BUSY_TIMEOUT_S):
                return self._connect()
        except Timeout as exc:
            raise self._busy() from exc
        except OSError as exc:  # the lock or the backup cannot be written: a read-only folder, a full disk
            raise self._unusable(exc) from exc

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise self.error(exc) from exc
        conn.row_factory = sqlite3.Row
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # fails first on a non-database file
            if version > migrations.SCHEMA_VERSION:
                raise DatabaseError(
                    f"The database {self.path} was written by a newer Foleycut (schema {version}, this one "
                    f"knows up to {migrations.SCHEMA_VERSION}): update Foleycut or point it at another data home."
                )
            if version < migrations.SCHEMA_VERSION and self._has_tables(conn):
                self._backup_with(conn, f"v{version}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, and much faster
            for target in range(version + 1, migrations.SCHEMA_VERSION + 1):
                self._run_migration(conn, target)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self.error(exc) from exc
            raise
        return conn

    @staticmethod
    def _has_tables(conn: sqlite3.Connection) -> bool:
        return conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] > 0

    @staticmethod
    def _run_migration(conn: sqlite3.Connection, target: int) -> None:
        with immediate_transaction(conn):
            # Another instance may have migrated while this one waited for the write lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] < target:
                migrations.MIGRATIONS[target - 1](conn)
                conn.execute(f"PRAGMA user_version = {target}")

    def error(self, exc: sqlite3.Error) -> DatabaseError:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return self._busy()
        if isinstance(exc, sqlite3.OperationalError):  # cannot open or write: disk full, read-only, …
            return self._unusable(exc)
        return DatabaseError(
            f"Cannot read the database {self.path} ({exc}); it was left untouched: restore "
            "a backup (*.bak next to it) or move it aside to start a new one."
        )

    def _unusable(self, exc: Exception) -> DatabaseError:
        return DatabaseError(
            f"The database {self.path} could not be used ({exc}): check that its disk has "
            "free space and its folder is writable, then try again."
        )

    def _busy(self) -> DatabaseError:
        return DatabaseError(
            f"The database {self.path} is busy (another Foleycut is writing to it): try again in a moment."
        )

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self.conn
            except sqlite3.Error as exc:
                raise self.error(exc) from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; rolled back entirely when anything inside fails. Inside `transaction()` it is
        part of that one."""
        with self.read() as conn:
            if conn.in_transaction:
                yield conn
            else:
                with immediate_transaction(conn):
                    yield conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes into one transaction: all of them happen or none. It also holds the
        database's write lock, so other processes wait (up to the busy timeout) until it ends."""
        with self.write():
            yield

    def backup(self, tag: str) -> Path:
        """Copy the database next to itself as `<name>.<tag>.bak` (never replacing an earlier backup)."""
        with self.read() as conn:
            return self._backup_with(conn, tag)

    def _backup_with(self, conn: sqlite3.Connection, tag: str) -> Path:
        # Copied under a temporary name of its own first, so a killed run never leaves a half backup
        # looking whole and two instances backing up at once never write into one file.
        handle, partial_name = tempfile.mkstemp(dir=self.path.parent, prefix=f"{self.path.name}.", suffix=".part")
        os.close(handle)
        partial = Path(partial_name)
        copy = sqlite3.connect(partial)
        try:
            conn.backup(copy)
        finally:
            copy.close()
        return publish_backup(partial, self.path, tag)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @property
    def schema_version(self) -> int:
        with self.read() as conn:
            return conn.execute("PRAGMA user_version").fetchone()[0]


def publish_backup(partial: Path, db_path: Path, tag: str) -> Path:
    """Give a finished backup the first free name `<db>.<tag>.bak`, `<db>.<tag>.2.bak`, … without ever
    replacing one: a hard link fails when the name is taken, where a rename would overwrite."""
    n = 0
    while True:
        n += 1
        target = db_path.with_name(f"{db_path.name}.{tag}.bak" if n == 1 else f"{db_path.name}.{tag}.{n}.bak")
        try:
            os.link(partial, target)
        except FileExistsError:
            continue
        except OSError:  # no hard links on this filesystem (FAT, some network shares)
            if target.exists():
                continue
            return partial.rename(target)
        partial.unlink()
        return target


@contextmanager
def immediate_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back when anything inside (or the commit itself) fails."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class Part:
    """One focused part of the database (clips, scans, …) over the shared store."""

    def __init__(self, store: Store):
        self._store = store

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._store.read()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._store.write()
