"""How the project's own values are stored: dates, and the context every event carries."""
from __future__ import annotations

from datetime import date, datetime

from eventsourcing.persistence import Transcoding

from shared.domain import Context

class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ContextAsDict(Transcoding):
    type = Context
    name = "context"

    def encode(self, obj: Context) -> dict:
        return {
            "occurred_at": obj.occurred_at.isoformat(),
            "user": obj.user,
            "role": obj.role,
            "correlation_id": obj.correlation_id,
            "command_id": obj.command_id,
        }

    def decode(self, data: dict) -> Context:
        return Context(
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            user=data["user"],
            role=data["role"],
            correlation_id=data["correlation_id"],
            command_id=data.get("command_id", ""),  # none before command ids
        )
