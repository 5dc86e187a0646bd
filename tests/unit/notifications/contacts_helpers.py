"""What the notifications unit tests share besides their fixture: a command's context and a few
delegations listed."""
from __future__ import annotations

from datetime import date, datetime, timezone

from shared.domain import Context


def ctx(at: datetime | None = None, role: str = "secretariat") -> Context:
    return Context(occurred_at=at or datetime.now(timezone.utc), user="sam", role=role, correlation_id="test")


def list_delegations(app, states=("KEN", "FRA", "GBR"), committee: str = "both", since: date = date(2020, 1, 1)):
    return [app.list_contact(ctx(), role="delegation", committee=committee, name=f"Permanent Mission {s}",
                             email=f"{s.lower()}@missions.example.org", member_state=s, since=since)
            for s in states]
