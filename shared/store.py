"""Event stores: how a service's eventsourcing application is configured and built.

SQLite by default (a file per service under the data folder), PostgreSQL when configured
(a schema per service). The settings come from the service's configuration, which nameko
fills from environment variables (see each service's ``config.yml``).
"""
from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, InternalError, JSONTranscoder, OperationalError, Transcoding
from eventsourcing.postgres import PostgresFactory as LibraryPostgresFactory
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool
from eventsourcing.sqlite import SQLiteFactory as LibrarySQLiteFactory

from shared.contract import build_envelope, wire_name
from shared.domain import Context, RecordedAggregate
from shared.errors import InvalidInput, NotFound, RuleBroken, VersionConflict

A = TypeVar("A", bound=RecordedAggregate)


# -- settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSettings:
    """Where a service keeps its events."""

    kind: str = "sqlite"  # sqlite | postgres
    data_dir: str = "data"
    # one server, or the servers of a PostgreSQL pair or cluster ("db1,db2"; their ports
    # likewise, or one port for all): a connection goes to the first that answers as
    # ``postgres_target_session_attrs`` asks (libpq's multi-host connection, for a failover)
    postgres_host: str = "127.0.0.1"
    postgres_port: int | str = 5432
    postgres_dbname: str = "fieldwork"
    postgres_user: str = "fieldwork"
    postgres_password: str = ""
    postgres_schema: str = ""  # default: the service's name
    # libpq's target_session_attrs; default: "read-write" where several servers are named (the
    # primary, never a standby a failover has not promoted yet), else libpq's own ("any")
    postgres_target_session_attrs: str = ""

    @classmethod
    def from_config(cls, config: dict) -> StoreSettings:
        """From a nameko config (keys as in ``config.yml``) or any mapping."""
        kind = str(config.get("STORE") or "sqlite").lower()
        if kind not in ("sqlite", "postgres"):
            raise InvalidInput({"STORE": [f"unknown store {kind!r}: use sqlite or postgres"]})
        host = str(config.get("POSTGRES_HOST") or "127.0.0.1")
        port = str(config.get("POSTGRES_PORT") or 5432)
        ports = [p.strip() for p in port.split(",")]
        if not all(p.isdigit() and 0 < int(p) < 65536 for p in ports):
            raise InvalidInput({"POSTGRES_PORT": [f"{port!r}: a port number, or one for each of POSTGRES_HOST's "
                                                  "servers separated by commas"]})
        if len(ports) > 1 and len(ports) != len(host.split(",")):
            raise InvalidInput({"POSTGRES_PORT": [f"{len(ports)} ports for {len(host.split(','))} servers in "
                                                  "POSTGRES_HOST: give one port, or one for each server"]})
        attrs = str(config.get("POSTGRES_TARGET_SESSION_ATTRS") or "")
        if attrs not in TARGET_SESSION_ATTRS:
            raise InvalidInput({"POSTGRES_TARGET_SESSION_ATTRS": [f"{attrs!r}: one of {', '.join(TARGET_SESSION_ATTRS[1:])}"]})
        return cls(
            kind=kind,
            data_dir=str(config.get("DATA_DIR") or "data"),
            postgres_host=host,
            postgres_port=",".join(ports) if len(ports) > 1 else int(ports[0]),
            postgres_dbname=str(config.get("POSTGRES_DBNAME") or "fieldwork"),
            postgres_user=str(config.get("POSTGRES_USER") or "fieldwork"),
            postgres_password=str(config.get("POSTGRES_PASSWORD") or ""),
            postgres_schema=str(config.get("POSTGRES_SCHEMA") or ""),
            postgres_target_session_attrs=attrs,
        )

    @property
    def target_session_attrs(self) -> str | None:
        if self.postgres_target_session_attrs:
            return self.postgres_target_session_attrs
        return "read-write" if "," in self.postgres_host else None

    def sqlite_path(self, service: str) -> Path:
        return Path(self.data_dir) / f"{service}.sqlite"

    def environment(self, service: str) -> dict[str, str]:
        """The eventsourcing library's own settings for one service's store."""
        if self.kind == "sqlite":
            path = self.sqlite_path(service)
            path.parent.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "shared.store:SQLiteFactory",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        schema = self.postgres_schema or service
        _create_postgres_schema(self, schema)
        _reconnect_steadily()
        return {
            "PERSISTENCE_MODULE": "shared.store:PostgresFactory",
            "POSTGRES_TARGET_SESSION_ATTRS": self.target_session_attrs or "",
            "POSTGRES_DBNAME": self.postgres_dbname,
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password,
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_POOL_SIZE": "5",
            # How long a query waits for a pooled connection. The library tries each query 10
            # times: with its 5 s, a PostgreSQL that is down held every store call ~50 s, so
            # the reporting intake noticed an outage of 20 s only after it ended.
            "POSTGRES_CONNECT_TIMEOUT": POSTGRES_CONNECTION_WAIT,
        }


POSTGRES_CONNECTION_WAIT = "1"  # seconds (see StoreSettings.environment)
# libpq's values of target_session_attrs (the empty one: the default, StoreSettings)
TARGET_SESSION_ATTRS = ("", "any", "read-write", "read-only", "primary", "standby", "prefer-standby")


class PostgresFactory(LibraryPostgresFactory):
    """The library's PostgreSQL persistence, its connections asking libpq for the session
    ``POSTGRES_TARGET_SESSION_ATTRS`` names (with several servers in ``POSTGRES_HOST``: the
    primary, so that after a failover every new connection finds the promoted server). The
    library's datastore passes no such setting to its pool: it is added to the pool's
    connection arguments."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        attrs = self.env.get("POSTGRES_TARGET_SESSION_ATTRS")
        if attrs:
            self.datastore.pool.kwargs["target_session_attrs"] = attrs


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


RECONNECT_EVERY = 2.0  # seconds, at most, between two attempts to reopen a pooled PostgreSQL connection


def _reconnect_steadily() -> None:
    """psycopg's pool reopens a lost connection with back-off doubling from 1 s, and gives up
    after 5 minutes, removing the connection for good. After PostgreSQL was down 70 s the next
    attempts came a minute and more apart (the reporting service answered nothing for over two
    minutes after the server was back); after 5 minutes a pool could be left with none. Here
    the attempts come at most ``RECONNECT_EVERY`` apart, and never stop while the service runs.
    Neither eventsourcing nor psycopg_pool offers a setting for it: the pool's attempt class is
    replaced by a subclass, once."""
    import psycopg_pool.pool as pool_module
    from psycopg_pool.base import AttemptWithBackoff

    if getattr(pool_module.AttemptWithBackoff, "steady", False):
        return

    class SteadyAttempt(AttemptWithBackoff):
        steady = True

        def __init__(self, *, timeout: float) -> None:
            super().__init__(timeout=timeout)

        def update_delay(self, now: float) -> None:
            super().update_delay(now)
            self.delay = min(self.delay or RECONNECT_EVERY, RECONNECT_EVERY)

        def time_to_give_up(self, now: float) -> bool:
            return False

    pool_module.AttemptWithBackoff = SteadyAttempt


def _create_postgres_schema(settings: StoreSettings, schema: str) -> None:
    # The library creates its tables but not the schema that holds them.
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        dbname=settings.postgres_dbname,
        user=settings.postgres_user,
        password=settings.postgres_password or None,
        **({"target_session_attrs": settings.target_session_attrs} if settings.target_session_attrs else {}),
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def settings_from_environ(environ: dict[str, str] | None = None) -> StoreSettings:
    """The same settings from ``FIELDWORK_*`` / ``POSTGRES_*`` environment variables."""
    env = os.environ if environ is None else environ
    return StoreSettings.from_config(
        {
            "STORE": env.get("FIELDWORK_STORE"),
            "DATA_DIR": env.get("FIELDWORK_DATA_DIR"),
            "POSTGRES_HOST": env.get("POSTGRES_HOST"),
            "POSTGRES_PORT": env.get("POSTGRES_PORT"),
            "POSTGRES_DBNAME": env.get("POSTGRES_DBNAME"),
            "POSTGRES_USER": env.get("POSTGRES_USER"),
            "POSTGRES_PASSWORD": env.get("POSTGRES_PASSWORD"),
            "POSTGRES_SCHEMA": env.get("POSTGRES_SCHEMA"),
            "POSTGRES_TARGET_SESSION_ATTRS": env.get("POSTGRES_TARGET_SESSION_ATTRS"),
        }
    )


# -- transcodings --------------------------------------------------------------------------


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ContextAsDict(Transcoding):
    type = Context
    name = "context"

    def encode(self, obj: Context) -> dict:
        return {
            "occurred_at": obj.occurred_at.isoformat(),
            "user": obj.user,
            "role": obj.role,
            "correlation_id": obj.correlation_id,
            "command_id": obj.command_id,
        }

    def decode(self, data: dict) -> Context:
        return Context(
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            user=data["user"],
            role=data["role"],
            correlation_id=data["correlation_id"],
            command_id=data.get("command_id", ""),  # none before command ids
        )


# -- the application base -----------------------------------------------------------------


class FieldworkApplication(Application):
    """An eventsourcing application whose notification log is its outbox.

    Use cases load an aggregate, call one command and save: all the events of one command are
    stored in one transaction together with their notifications, which the outbox relay then
    publishes. Request handlers never publish.
    """

    is_snapshotting_enabled = False
    CONFLICT_RETRIES = 12
    CONFLICT_BACKOFF = 0.004  # seconds: the first retry waits up to this, each next up to twice as long (0.25 s at most)

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self._saved_listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(ContextAsDict())

    def on_saved(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every save (the relay uses it to wake up at once)."""
        self._saved_listeners.append(listener)

    def _notify(self, recordings: list) -> None:
        for listener in self._saved_listeners:
            listener()

    # -- use-case helpers --

    def load(self, cls: type[A], ident: UUID) -> A:
        try:
            aggregate = self.repository.get(ident)
        except AggregateNotFoundError:
            raise NotFound(cls.kind, ident) from None
        if not isinstance(aggregate, cls):
            raise NotFound(cls.kind, ident)
        return aggregate

    def update(
        self, cls: type[A], ident: UUID, expected_version: int | None, command: Callable[[A], Any]
    ) -> A:
        """Load, check the version the client read, run one command, save: one transaction.

        If another command stored the next version first and the client did not name the
        version it read, the command is run again on the fresh state (its rules checked again),
        after a random wait (jitter, growing with each try: commands that collided once would
        otherwise collide again in lockstep, as 10 at once on PostgreSQL did), up to
        ``CONFLICT_RETRIES`` times; with ``expected_version`` the conflict is the client's."""
        attempt = 1
        while True:
            aggregate = self.load(cls, ident)
            aggregate.require_version(expected_version)
            command(aggregate)
            try:
                self.store(aggregate)
                return aggregate
            except VersionConflict:
                if expected_version is not None or attempt >= self.CONFLICT_RETRIES:
                    raise
                time.sleep(random.uniform(0, min(0.25, self.CONFLICT_BACKOFF * 2 ** attempt)))
                attempt += 1

    def store(self, *aggregates: RecordedAggregate) -> None:
        try:
            self.save(*aggregates)
        except IntegrityError:
            first = aggregates[0]
            if first.version == 1:
                # A new record whose id is taken (a client chose the id twice).
                raise RuleBroken("ids_unique", f"a {first.kind} with id {first.id} already exists") from None
            # Another command stored the next version first: optimistic concurrency.
            raise VersionConflict(first.kind, first.id, None, None) from None

    def history(self, ident: UUID) -> list[dict]:
        """Every event of one aggregate, as envelopes (what was published)."""
        return [envelope_of(e) for e in self.repository.event_store.get(ident)]


def envelope_of(domain_event: Any) -> dict:
    """The wire envelope of a stored domain event."""
    ctx: Context = domain_event.ctx
    return build_envelope(
        event_type=wire_name(type(domain_event).__name__),
        aggregate_id=domain_event.originator_id,
        aggregate_version=domain_event.originator_version,
        occurred_at=ctx.occurred_at,
        recorded_at=domain_event.timestamp,
        user=ctx.user,
        role=ctx.role,
        correlation_id=ctx.correlation_id,
        payload_source=domain_event,
        command_id=ctx.command_id,
    )


# What PostgreSQL (psycopg) says on the first use of a pooled connection the server closed (it
# restarted or failed over): nothing was done on that connection, so the work can be done again
# on another (shared.http asks a request again).
_CLOSED_CONNECTION = ("terminating connection", "server closed the connection", "connection is closed",
                      "the connection is lost", "consuming input failed")


def closed_connection(error: BaseException) -> bool:
    """Whether a store error is a connection the database server closed."""
    text = str(error).lower()
    return any(phrase in text for phrase in _CLOSED_CONNECTION)


T = TypeVar("T")
# what the databases say when two processes create the same tables at once (see opened)
_CONCURRENT_CREATE = ("locked", "tuple concurrently updated", "pg_type_typname_nsp_index", "pg_class_relname_nsp_index")


def opened(open_store: Callable[[], T], attempts: int = 40) -> T:
    """``open_store()`` (an application, a token registry: what creates its tables when it
    starts), again if the database refused it for another process making the same tables at the
    same moment. Processes started together on one store (replicas, or every service on the
    shared token registry) create tables at once: SQLite refuses at once, without waiting, a
    connection that read the schema before another changed it ("database is locked");
    PostgreSQL refuses one of two ``CREATE TABLE IF NOT EXISTS`` of one table ("tuple
    concurrently updated", or a duplicate key in its catalogue). Creating the tables is
    idempotent, so trying again is safe; anything else is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return open_store()
        except (OperationalError, InternalError, IntegrityError, sqlite3.OperationalError) as error:
            if not any(sign in str(error) for sign in _CONCURRENT_CREATE) or attempt == attempts:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


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


class AggregateIndex:
    """Every aggregate of a store in memory, kept current by applying the notification log.

    It reads only notifications after the last one it applied, so it is cheap to call before
    each query, and it sees what other replicas of the service stored."""

    def __init__(self, app: Application) -> None:
        self.app = app
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
                    self.aggregates[ident] = domain_event.mutate(self.aggregates.get(ident))
                    self.position = notification.id

    def all(self, cls: type[A]) -> list[A]:
        self.catch_up()
        return [a for a in self.aggregates.values() if isinstance(a, cls)]

    def find(self, cls: type[A], ident: UUID) -> A | None:
        self.catch_up()
        found = self.aggregates.get(ident)
        return found if isinstance(found, cls) else None
