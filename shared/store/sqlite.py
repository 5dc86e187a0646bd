"""SQLite persistence: the library's factory, its connections checkpointing the write-ahead log
and bounding its file, and how long they wait for another process's lock."""
from __future__ import annotations

from typing import Any

from eventsourcing.application import Application
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool
from eventsourcing.sqlite import SQLiteFactory as LibrarySQLiteFactory


# Pages of SQLite's write-ahead log between two checkpoints (SQLite's default: 1,000). A batch
# of the reporting intake dirties hundreds of pages at random keys in the store's and the
# projection's indexes, mostly the same pages batch after batch; checkpointing every 1,000
# pages copied them back into the database after nearly every commit. Every 10,000 (a log of
# up to about 45 MB), a page many commits wrote is copied back once: the intake in process 20-25 %
# faster (docs/performance.md).
WAL_CHECKPOINT_PAGES = 10_000
# The size SQLite cuts its write-ahead log file back to once a checkpoint has emptied it. One
# large transaction (a projection's rebuild writes all of it in one: about 150 MB at 1,000,000
# events) grows the file, and without a limit it kept that size for good.
WAL_SIZE_LIMIT = 64 * 1024 * 1024


class SQLiteFactory(LibrarySQLiteFactory):
    """The library's SQLite persistence, its connections checkpointing the write-ahead log
    every ``WAL_CHECKPOINT_PAGES`` pages and cutting its file back to ``WAL_SIZE_LIMIT``."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        library_pool = self.datastore.pool  # made by the datastore, no connection opened yet
        self.datastore.pool = _CheckpointingPool(db_name=library_pool.db_name, lock_timeout=library_pool.lock_timeout)
        library_pool.close()


class _CheckpointingPool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection._sqlite_conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        connection._sqlite_conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        return connection

    def wait_for_locks(self, seconds: float) -> None:
        """How long a statement waits for another process's lock, from now on: new connections
        and the idle ones. SQLite waits inside the C call, which under eventlet holds the whole
        process (every request, /health included) for as long: a service that retries a
        refused write itself waits briefly and frees the process between its tries."""
        self.lock_timeout = seconds  # type: ignore[assignment]
        for connection in list(self._pool):  # the idle connections (the library's own deque)
            connection._sqlite_conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")


def wait_for_locks(app: Application, seconds: float) -> None:
    """``_CheckpointingPool.wait_for_locks`` for an application on SQLite; nothing on PostgreSQL
    (its lock_timeout is the store's setting)."""
    pool = getattr(app.recorder.datastore, "pool", None)  # type: ignore[attr-defined]
    if isinstance(pool, _CheckpointingPool):
        pool.wait_for_locks(seconds)
