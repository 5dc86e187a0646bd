"""PostgreSQL persistence: the library's factory with libpq's session target (a failover). Only
a store on PostgreSQL imports it (by the topic ``shared.store.postgres:PostgresFactory``): the
library's PostgreSQL module and psycopg cost a service on SQLite about 9 MB."""
from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresFactory as LibraryPostgresFactory


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
