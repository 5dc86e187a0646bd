"""PostgreSQL connections: the pool's reconnects made steady, and what a connection the server
closed looks like. Nothing here imports psycopg before a store on PostgreSQL is opened."""
from __future__ import annotations


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


# What PostgreSQL (psycopg) says on the first use of a pooled connection the server closed (it
# restarted or failed over): nothing was done on that connection, so the work can be done again
# on another (shared.http asks a request again).
_CLOSED_CONNECTION = ("terminating connection", "server closed the connection", "connection is closed",
                      "the connection is lost", "consuming input failed")


def closed_connection(error: BaseException) -> bool:
    """Whether a store error is a connection the database server closed."""
    text = str(error).lower()
    return any(phrase in text for phrase in _CLOSED_CONNECTION)
