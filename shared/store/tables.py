"""A service's own tables beside its event store, and its aggregates in memory."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import Application

from shared.domain import RecordedAggregate

A = TypeVar("A", bound=RecordedAggregate)


class SideTables:
    """Tables of a service's own beside its event store, in the same database and through the
    library's own connection pool (SQLite or PostgreSQL): relay positions, projections."""

    def __init__(self, app: Application) -> None:
        from eventsourcing.sqlite import SQLiteDatastore

        self.datastore = app.recorder.datastore  # type: ignore[attr-defined]
        self.is_sqlite = isinstance(self.datastore, SQLiteDatastore)
        self.param = "?" if self.is_sqlite else "%s"

    def table(self, name: str) -> str:
        return name if self.is_sqlite else f'"{self.datastore.schema}".{name}'

    def transaction(self, commit: bool = True):
        return self.datastore.transaction(commit=commit)

    def columns(self, cursor, table: str) -> set[str]:
        """The columns a table of ours has now (to add one to a table made before it existed)."""
        if self.is_sqlite:
            cursor.execute(f"PRAGMA table_info({table})")
            return {row["name"] for row in cursor.fetchall()}
        name = table.rsplit(".", 1)[-1]
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                       (self.datastore.schema, name))
        return {row["column_name"] for row in cursor.fetchall()}


class AggregateIndex:
    """Every aggregate of a store in memory, kept current by applying the notification log.

    It reads only notifications after the last one it applied, so it is cheap to call before
    each query, and it sees what other replicas of the service stored. ``slim``, if given, is
    called on each aggregate an event changed, to drop from memory what no query of the index
    needs (a notification's message: read from the store when it is asked for)."""

    def __init__(self, app: Application, slim: Callable[[RecordedAggregate], None] | None = None) -> None:
        self.app = app
        self.slim = slim
        self.position = 0
        self.aggregates: dict[UUID, RecordedAggregate] = {}
        self._lock = threading.Lock()

    def catch_up(self) -> AggregateIndex:
        with self._lock:
            while True:
                notifications = self.app.recorder.select_notifications(start=self.position + 1, limit=500)
                if not notifications:
                    return self
                for notification in notifications:
                    domain_event = self.app.mapper.to_domain_event(notification)
                    ident = domain_event.originator_id
                    aggregate = self.aggregates[ident] = domain_event.mutate(self.aggregates.get(ident))
                    if self.slim is not None:
                        self.slim(aggregate)
                    self.position = notification.id

    def all(self, cls: type[A]) -> list[A]:
        self.catch_up()
        return [a for a in self.aggregates.values() if isinstance(a, cls)]

    def find(self, cls: type[A], ident: UUID) -> A | None:
        self.catch_up()
        found = self.aggregates.get(ident)
        return found if isinstance(found, cls) else None
