"""Event stores: how a service's eventsourcing application is configured and built, one concern
a module:

- ``settings``: where a service keeps its events (SQLite, PostgreSQL), and the library's settings;
- ``sqlite``, ``postgres``: the library's factories as the services run them (``postgres``
  imported only by a store on PostgreSQL, through its topic);
- ``connections``: PostgreSQL's lost connections: reopened steadily, recognised when closed;
- ``transcodings``: how dates and the events' context are stored;
- ``application``: ``FieldworkApplication``, and the envelope of a stored event;
- ``opening``: opening a store other processes open at the same moment;
- ``tables``: a service's own tables beside its store, and its aggregates in memory.

The names below are the package's public ones."""
from shared.store.application import FieldworkApplication, envelope_of
from shared.store.opening import opened
from shared.store.connections import closed_connection
from shared.store.settings import POSTGRES_CONNECTION_WAIT, StoreSettings, settings_from_environ
from shared.store.sqlite import WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT, SQLiteFactory, wait_for_locks
from shared.store.tables import AggregateIndex, SideTables
from shared.store.transcodings import ContextAsDict, DateAsISO

__all__ = [
    "AggregateIndex", "ContextAsDict", "DateAsISO", "FieldworkApplication", "POSTGRES_CONNECTION_WAIT",
    "SQLiteFactory", "SideTables", "StoreSettings", "WAL_CHECKPOINT_PAGES", "WAL_SIZE_LIMIT",
    "closed_connection", "envelope_of", "opened", "settings_from_environ", "wait_for_locks",
]
