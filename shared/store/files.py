"""Files kept in a service's own store, beside its events: a table of bytes addressed by their
SHA-256, written in the same transaction as the event that records the file (its metadata and
its hash, never its bytes), so that a file is stored exactly when its event is, and a command
refused stores neither.

The seam is the library's own: an application recorder subclass (``APPLICATION_RECORDER_TOPIC``)
whose ``_insert_events`` (the hook its process recorder writes tracking records in) writes the
files passed to ``Application.save(..., files=[...])`` before the events, in their transaction.
On SQLite the table is ``stored_files`` in the service's database; on PostgreSQL,
``<service>_files`` in the service's schema (``shared.store.postgres.PostgresFileRecorder``).
Bytes already kept (the same file attached twice) are kept once.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from shared.documents import Received
from shared.domain import RecordedAggregate
from shared.store.application import FieldworkApplication
from shared.store.tables import SideTables


A = TypeVar("A", bound=RecordedAggregate)


class StoredFile(Protocol):
    """A file's bytes as they are kept: its hash names it (``shared.documents.Received`` is one)."""

    content: bytes
    media_type: str

    @property
    def sha256(self) -> str: ...


class FilesApplication(FieldworkApplication):
    """An application whose store keeps files too (``save(..., files=[StoredFile])``, ``file``)."""

    def construct_env(self, name: str, env: Any = None) -> Any:
        environment = super().construct_env(name, env)
        on_postgres = "postgres" in environment.get("PERSISTENCE_MODULE", "").lower()
        environment["APPLICATION_RECORDER_TOPIC"] = (
            "shared.store.postgres:PostgresFileRecorder" if on_postgres else "shared.store.files:SQLiteFileRecorder")
        return environment

    def update_with_file(self, cls: type[A], ident: UUID, expected_version: int | None, file: Received,
                         command: Callable[[A, dict], Any]) -> A:
        """``update`` with a file: ``command(aggregate, metadata)`` records it (its metadata and
        hash, ``Received.metadata``), and its bytes are kept in the same transaction as the
        events. The file was checked before (``shared.documents.received``)."""
        return self.update(cls, ident, expected_version, lambda aggregate: command(aggregate, file.metadata()),
                           files=[file])

    def file(self, sha256: str) -> bytes | None:
        """The bytes of the file with that hash, or None if none is kept."""
        sql = SideTables(self)
        table = sql.table(self.recorder.files_table)  # type: ignore[attr-defined]
        with sql.transaction(commit=False) as c:
            c.execute(f"SELECT content FROM {table} WHERE sha256 = {sql.param}", (sha256,))
            row = c.fetchone()
        return None if row is None else bytes(row["content"])


FILES_TABLE_COLUMNS = "sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, media_type TEXT NOT NULL, content {blob} NOT NULL"
INSERT_FILE = "INSERT INTO {table} (sha256, size, media_type, content) VALUES ({p}, {p}, {p}, {p}) " \
              "ON CONFLICT (sha256) DO NOTHING"


def file_rows(files: Sequence[StoredFile]) -> list[tuple]:
    return [(f.sha256, len(f.content), f.media_type, f.content) for f in files]


class SQLiteFileRecorder(SQLiteApplicationRecorder):
    """The library's SQLite application recorder, with the files table beside the events."""

    files_table = "stored_files"

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        self.insert_file_statement = INSERT_FILE.format(table=self.files_table, p="?")

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {self.files_table} ({FILES_TABLE_COLUMNS.format(blob='BLOB')})"]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], *,
                       files: Sequence[StoredFile] = (), **kwargs: Any) -> Sequence[int] | None:
        if files:
            c.executemany(self.insert_file_statement, file_rows(files))
        return super()._insert_events(c, stored_events, **kwargs)
