"""Where a service keeps its events: the settings (SQLite by default, a file per service under
the data folder; PostgreSQL when configured, a schema per service, one server or a primary and
its standby), from the service's configuration (which nameko fills from environment variables,
see each service's ``config.yml``) or from the environment, and the library's settings they give."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shared.errors import InvalidInput
from shared.store.connections import _reconnect_steadily

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
                "PERSISTENCE_MODULE": "shared.store.sqlite:SQLiteFactory",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        schema = self.postgres_schema or service
        _create_postgres_schema(self, schema)
        _reconnect_steadily()
        return {
            "PERSISTENCE_MODULE": "shared.store.postgres:PostgresFactory",
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
