"""Plain-Python building blocks that every service's domain uses.

Nothing here imports a framework: only the standard library and ``eventsourcing.domain``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from shared.errors import VersionConflict


@dataclass(frozen=True)
class Context:
    """Who caused an event, when it happened, and which command (request) caused it.

    Every domain event carries one; it becomes the envelope's ``occurred_at``, ``actor`` and
    ``correlation_id``. ``occurred_at`` is when it happened as the user says, in UTC.
    ``command_id`` is new for each command (made when the context is, never in a mutator) and
    stored with its events, so that their ids (``event_id``) are never made again, even by a
    store restored from a backup that reuses their versions; events stored before it existed
    have none.
    """

    occurred_at: datetime
    user: str
    role: str
    correlation_id: str
    command_id: str = field(default_factory=lambda: uuid4().hex)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(timezone.utc))


# Event ids are uuid5 names in this namespace (published in the contract: shared.contract.docs).
EVENT_ID_NAMESPACE = UUID("6f1c4c2e-5b0c-4f35-9a43-2f6a3c1f0e11")


def event_id(aggregate_id: UUID, version: int, command_id: str = "") -> UUID:
    """The id of the event stored at ``version`` of an aggregate by the command ``command_id``:
    the same on every re-publish (all three are stored), new for a command after a restore
    (which may store another event at a version already published). An event stored before
    command ids (``""``) keeps the id it always had, from the aggregate id and version alone."""
    if command_id:
        return uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}/{version}/{command_id}")
    return uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}/{version}")


# Meeting documents are circulated "to all Council delegations prior to meetings" (the 1540
# Committee's programme of work). One circulated less than this before its meeting starts
# counts as circulated late, wherever lateness is shown (a meeting's page, the reports): derived
# where it is read, from the circulation and the meeting's start as they now stand (a meeting
# moved later gives its documents more notice), never frozen into an event.
DOCUMENT_NOTICE = timedelta(hours=72)


def hours_before(moment: datetime, starts_at: datetime) -> float:
    """Hours from ``moment`` to ``starts_at``, to the hundredth (negative: after it)."""
    return round((starts_at - moment).total_seconds() / 3600, 2)


def circulated_late(circulated_at: datetime, starts_at: datetime, notice: timedelta = DOCUMENT_NOTICE) -> bool:
    """A document circulated less than ``notice`` before its meeting starts."""
    return hours_before(circulated_at, starts_at) < notice.total_seconds() / 3600


class RecordedAggregate(Aggregate):
    """An aggregate whose every event carries a :class:`Context` as ``ctx``."""

    kind = "record"

    def require_version(self, expected: int | None) -> None:
        """Optimistic concurrency asked for by the client: it read ``expected``."""
        if expected is not None and expected != self.version:
            raise VersionConflict(self.kind, self.id, expected, self.version)

