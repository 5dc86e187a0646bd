"""Plain-Python building blocks that every service's domain uses.

Nothing here imports a framework: only the standard library and ``eventsourcing.domain``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from eventsourcing.domain import Aggregate

from shared.errors import VersionConflict


@dataclass(frozen=True)
class Context:
    """Who caused an event, when it happened, and which command (request) caused it.

    Every domain event carries one; it becomes the envelope's ``occurred_at``, ``actor`` and
    ``correlation_id``. ``occurred_at`` is when it happened as the user says, in UTC.
    """

    occurred_at: datetime
    user: str
    role: str
    correlation_id: str

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(timezone.utc))


class RecordedAggregate(Aggregate):
    """An aggregate whose every event carries a :class:`Context` as ``ctx``."""

    kind = "record"

    def require_version(self, expected: int | None) -> None:
        """Optimistic concurrency asked for by the client: it read ``expected``."""
        if expected is not None and expected != self.version:
            raise VersionConflict(self.kind, self.id, expected, self.version)

