"""The application every event-sourced service builds on, and the envelope of a stored event."""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from shared.contract import build_envelope, wire_name
from shared.domain import Context, RecordedAggregate
from shared.errors import NotFound, RuleBroken, VersionConflict
from shared.store.transcodings import ContextAsDict, DateAsISO

A = TypeVar("A", bound=RecordedAggregate)

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
        self, cls: type[A], ident: UUID, expected_version: int | None, command: Callable[[A], Any], **saved: Any
    ) -> A:
        """Load, check the version the client read, run one command, save: one transaction.

        If another command stored the next version first and the client did not name the
        version it read, the command is run again on the fresh state (its rules checked again),
        after a random wait (jitter, growing with each try: commands that collided once would
        otherwise collide again in lockstep, as 10 at once on PostgreSQL did), up to
        ``CONFLICT_RETRIES`` times; with ``expected_version`` the conflict is the client's.
        ``saved``: what the store writes with the events, in their transaction (``files``)."""
        attempt = 1
        while True:
            aggregate = self.load(cls, ident)
            aggregate.require_version(expected_version)
            command(aggregate)
            try:
                self.store(aggregate, **saved)
                return aggregate
            except VersionConflict:
                if expected_version is not None or attempt >= self.CONFLICT_RETRIES:
                    raise
                time.sleep(random.uniform(0, min(0.25, self.CONFLICT_BACKOFF * 2 ** attempt)))
                attempt += 1

    def store(self, *aggregates: RecordedAggregate, **saved: Any) -> None:
        try:
            self.save(*aggregates, **saved)
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
