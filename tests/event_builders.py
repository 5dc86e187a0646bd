"""Envelopes as the visits and meetings services publish them, for tests that feed a consumer
in process (the notifications service's ``receive``): each a valid event of the contract."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from shared.contract import build_envelope, canonical_envelope, encode_envelope, validate_envelope


class Events:
    """Events of visits, groups and meetings, each aggregate's versions counted."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime.now(timezone.utc)
        self.versions: dict[uuid.UUID, int] = {}

    def event(self, event_type: str, aggregate_id: uuid.UUID, payload: dict, at: datetime | None = None) -> dict:
        version = self.versions[aggregate_id] = self.versions.get(aggregate_id, 0) + 1
        moment = at or self.at
        envelope = build_envelope(event_type=event_type, aggregate_id=aggregate_id, aggregate_version=version,
                                  occurred_at=moment, recorded_at=moment, user="sam", role="secretariat",
                                  correlation_id=f"test-{uuid.uuid4().hex[:8]}", payload_source=payload,
                                  command_id=uuid.uuid4().hex)
        return canonical_envelope(validate_envelope(envelope))

    def group(self, committee: str = "1540", name: str | None = None) -> tuple[uuid.UUID, dict]:
        group = uuid.uuid4()
        return group, self.event("working_group_established", group, {
            "name": name or f"Working Group {group.hex[:4]}", "committee": committee, "mandate_area": "assistance"})

    def meeting(self, group: uuid.UUID, starts_in: timedelta = timedelta(days=10), title: str = "Matrices review",
                kind: str = "working_group") -> tuple[uuid.UUID, dict]:
        meeting = uuid.uuid4()
        starts = self.at + starts_in
        return meeting, self.event("meeting_scheduled", meeting, {
            "group_id": group, "meeting_kind": kind, "title": title, "starts_at": starts,
            "ends_at": starts + timedelta(hours=2), "location": "Conference Room 4"})

    def visit(self, member_state: str = "KEN", committee: str = "ctc") -> tuple[uuid.UUID, dict]:
        visit = uuid.uuid4()
        return visit, self.event("visit_proposed", visit, {"member_state": member_state, "committee": committee,
                                                            "origin": "committee_selection", "purpose": ""})


def wire(envelopes: list[dict]) -> list[tuple[bytes, str]]:
    """As the broker delivers them: bytes and content type."""
    return [(encode_envelope(e), "application/json") for e in envelopes]


def day(n: int = 0) -> date:
    return datetime.now(timezone.utc).date() + timedelta(days=n)
