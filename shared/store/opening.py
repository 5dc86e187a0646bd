"""Opening a store that other processes open at the same moment."""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError, InternalError, OperationalError

T = TypeVar("T")
# what the databases say when two processes create the same tables at once (see opened)
# (and the library's tracking recorder, when two make its table at once: both insert its
# migration row, and the second is refused)
_CONCURRENT_CREATE = ("locked", "tuple concurrently updated", "pg_type_typname_nsp_index", "pg_class_relname_nsp_index",
                      "Failed to record tracking for __migration__")


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
