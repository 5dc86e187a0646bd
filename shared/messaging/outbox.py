"""The outbox relay: publish what was stored, in order, and only then move on.

The notification log of a service's event store is its outbox. The relay reads it from the
position after the last one it published, publishes each event with publisher confirms and
``mandatory`` (a message no queue would take raises instead of vanishing), and saves the new
position only after the broker confirmed. A crash re-sends at most one batch (consumers
deduplicate on ``event_id``); it never drops an event, and never publishes one that was not
stored.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from eventsourcing.application import Application

from shared.store import SideTables

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, exchange: str, envelopes: list[dict]) -> None:
        """Publish and wait for the broker's confirms; raise if any was not taken."""

    def close(self) -> None: ...


class RelayPositions:
    """The last published notification id of each relay, kept in the service's own store."""

    def __init__(self, app: Application) -> None:
        self.sql = SideTables(app)
        self._table = self.sql.table("relay_positions")
        with self.sql.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} "
                "(relay TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            )

    def get(self, relay: str) -> int:
        p = self.sql.param
        with self.sql.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT position FROM {self._table} WHERE relay = {p}", (relay,))
            row = cursor.fetchone()
        if row is None:
            return 0
        return int(row["position"])

    def save(self, relay: str, position: int) -> None:
        """Move the relay's position forward to ``position``; never back (two replicas of a
        service publishing the same batches at once may confirm them in either order: the
        later confirm of the earlier batch leaves the position where the other put it)."""
        p = self.sql.param
        with self.sql.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} AS t (relay, position) VALUES ({p}, {p}) "
                "ON CONFLICT (relay) DO UPDATE SET position = excluded.position WHERE t.position < excluded.position",
                (relay, position),
            )


class OutboxRelay:
    """Publishes a service's stored events to its exchange, from its notification log."""

    def __init__(
        self,
        app: Any,
        publisher: Publisher,
        *,
        exchange: str,
        envelope_of: Callable[[Any], dict],
        name: str | None = None,
        batch_size: int = 200,
        idle_wait: float = 1.0,
    ) -> None:
        self.app = app
        self.publisher = publisher
        self.exchange = exchange
        self.envelope_of = envelope_of
        self.name = name or exchange
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self.positions = RelayPositions(app)
        self.published = 0
        self.last_error: str | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        app.on_saved(self._wake.set)

    @property
    def position(self) -> int:
        return self.positions.get(self.name)

    def lag(self) -> int:
        """Stored events not yet published."""
        newest = self.app.recorder.max_notification_id() or 0
        return max(0, newest - self.position)

    def run_once(self) -> int:
        """Publish the next batch; returns how many events it published."""
        start = self.positions.get(self.name) + 1
        notifications = self.app.recorder.select_notifications(start=start, limit=self.batch_size)
        if not notifications:
            return 0
        envelopes = [self.envelope_of(self.app.mapper.to_domain_event(n)) for n in notifications]
        self.publisher.publish(self.exchange, envelopes)
        self.positions.save(self.name, notifications[-1].id)
        if log.isEnabledFor(logging.DEBUG):
            for envelope in envelopes:
                log.debug("published %s of %s v%s to %s", envelope["event_type"], envelope["aggregate_id"],
                          envelope["aggregate_version"], self.exchange,
                          extra={"correlation_id": envelope["correlation_id"]})
        self.published += len(envelopes)
        return len(envelopes)

    def drain(self) -> int:
        """Publish until nothing is left; returns how many were published."""
        total = 0
        while n := self.run_once():
            total += n
        return total

    def run_forever(self) -> None:
        """Relay until ``stop()``; failures are logged and retried with back-off."""
        backoff = 0.2
        while not self._stop.is_set():
            self._wake.clear()
            try:
                published = self.run_once()
                if self.last_error:
                    log.info("outbox relay %s publishing again", self.name)
                self.last_error = None
                backoff = 0.2
            except Exception as error:  # noqa: BLE001 - logged, retried: never silently
                self.last_error = f"{type(error).__name__}: {error}"
                log.error(
                    "outbox relay %s could not publish to %s (retrying in %.1fs): %s",
                    self.name, self.exchange, backoff, self.last_error,
                )
                self._reset_publisher()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published < self.batch_size:
                self._wake.wait(self.idle_wait)

    def _reset_publisher(self) -> None:
        try:
            self.publisher.close()
        except Exception:  # noqa: BLE001 - the connection is being thrown away anyway
            log.debug("closing a failed publisher connection", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
