"""PostgreSQL persistence: the library's factory with libpq's session target (a failover). Only
a store on PostgreSQL imports it (by the topic ``shared.store.postgres:PostgresFactory``): the
library's PostgreSQL module and psycopg cost a service on SQLite about 9 MB."""
from __future__ import annotations

from typing import Any

from eventsourcing.persistence import ProgrammingError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.postgres import PostgresFactory as LibraryPostgresFactory
from psycopg.sql import SQL, Identifier

from shared.store.files import FILES_TABLE_COLUMNS, INSERT_FILE, file_rows


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


class PostgresFileRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL application recorder, with the files table beside the events
    (``shared.store.files``): ``<service>_files`` in the service's schema, written in the
    events' transaction."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.files_table = events_table_name.removesuffix("_events") + "_files"
        table = SQL("{schema}.{table}").format(schema=Identifier(self.datastore.schema),
                                               table=Identifier(self.files_table))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {table} (" + FILES_TABLE_COLUMNS.format(blob="bytea") + ")").format(table=table))
        self.insert_file_statement = SQL(INSERT_FILE.format(table="{table}", p="%s")).format(table=table)

    def _insert_events(self, curs: Any, stored_events: Any, *, files: Any = (), **kwargs: Any) -> None:
        if files and self.datastore.enable_db_functions:  # the library's functions skip this hook
            raise ProgrammingError("files are kept only with POSTGRES_ENABLE_DB_FUNCTIONS off")
        for row in file_rows(files):
            curs.execute(self.insert_file_statement, row)
        super()._insert_events(curs, stored_events, **kwargs)
