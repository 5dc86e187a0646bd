"""The visits service's use cases and queries: plain Python over the Visit aggregate.

Each use case loads one aggregate, calls one command and saves it (one transaction, which also
writes the notification log: the outbox). Queries read an in-memory index that catches up from
the notification log before answering, so every replica answers from what is stored.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from shared.domain import Context
from shared.errors import InvalidInput
from shared.store import AggregateIndex, FieldworkApplication
from visits.domain import Donor, Need, Visit, VisitStatus

# The steps a coordinator takes on an existing visit: command name (as in the HTTP path and
# the CLI) -> the Visit method. Sharing is separate: it needs the donor registry.
VISIT_COMMANDS: dict[str, str] = {
    "approve": "approve",
    "request-consent": "request_consent",
    "grant-consent": "grant_consent",
    "decline-consent": "decline_consent",
    "invite-organization": "invite_organization",
    "request-pre-visit-info": "request_pre_visit_info",
    "receive-pre-visit-info": "receive_pre_visit_info",
    "schedule": "schedule",
    "start": "start",
    "complete": "complete",
    "record-needs-assessment": "record_needs_assessment",
    "grant-sharing-consent": "grant_sharing_consent",
    "decline-sharing-consent": "decline_sharing_consent",
    "withdraw-sharing-consent": "withdraw_sharing_consent",
    "share-needs-assessment": "share_needs_assessment",
    "record-follow-up": "record_follow_up",
    "close": "close",
    "cancel": "cancel",
    "postpone": "postpone",
}


class VisitsApplication(FieldworkApplication):
    name = "visits"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.index = AggregateIndex(self)

    # -- commands ------------------------------------------------------------------------

    def propose_visit(self, ctx: Context, *, visit_id: UUID | None = None, **fields: Any) -> UUID:
        visit = Visit.propose(ctx, visit_id=visit_id or uuid4(), **fields)
        self.store(visit)
        return visit.id

    def execute(
        self,
        ctx: Context,
        visit_id: UUID,
        command: str,
        arguments: dict[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Visit:
        """Run one step of a visit's lifecycle by its name in ``VISIT_COMMANDS``."""
        try:
            method = VISIT_COMMANDS[command]
        except KeyError:
            raise InvalidInput({"command": [f"unknown command {command!r}"]}) from None
        arguments = dict(arguments or {})
        if method == "share_needs_assessment":
            arguments["donor"] = self.find_donor(arguments["donor_id"])
        if method == "record_needs_assessment":
            arguments["needs"] = [n if isinstance(n, Need) else Need(**n) for n in arguments["needs"]]
        return self.update(
            Visit, visit_id, expected_version, lambda visit: getattr(visit, method)(ctx, **arguments)
        )

    def register_donor(self, ctx: Context, *, donor_id: UUID | None = None, **fields: Any) -> UUID:
        donor = Donor(ctx=ctx, id=donor_id or uuid4(), **fields)
        self.store(donor)
        return donor.id

    def update_donor_interests(
        self, ctx: Context, donor_id: UUID, thematic_areas: list[str], expected_version: int | None = None
    ) -> Donor:
        return self.update(
            Donor, donor_id, expected_version,
            lambda donor: donor.update_interests(ctx, thematic_areas=thematic_areas),
        )

    # -- queries --------------------------------------------------------------------------

    def get_visit(self, visit_id: UUID) -> Visit:
        return self.load(Visit, visit_id)

    def get_donor(self, donor_id: UUID) -> Donor:
        return self.load(Donor, donor_id)

    def find_donor(self, donor_id: UUID) -> Donor | None:
        return self.index.find(Donor, donor_id)

    def list_visits(
        self,
        *,
        member_state: str | None = None,
        committee: str | None = None,
        status: str | None = None,
        waiting_for: str | None = None,
        overdue: bool = False,
        today: date | None = None,
    ) -> list[Visit]:
        """Visits filtered by State, committee, status; ``waiting_for`` (``state_consent``,
        ``pre_visit_info`` …) and ``overdue`` select what is awaited, or awaited past due."""
        today = today or datetime.now(timezone.utc).date()
        found = []
        for visit in self.index.all(Visit):
            if member_state and visit.member_state != member_state:
                continue
            if committee and visit.committee != committee:
                continue
            if status and visit.status != status:
                continue
            if waiting_for or overdue:
                waits = [
                    w for w in visit.waiting_for(today)
                    if (not waiting_for or w["what"] == waiting_for)
                    and (not overdue or w.get("overdue"))
                ]
                if not waits:
                    continue
            found.append(visit)
        return sorted(found, key=lambda v: (v.proposed_at, str(v.id)))

    def list_donors(self) -> list[Donor]:
        return sorted(self.index.all(Donor), key=lambda d: (d.name, str(d.id)))


STATUSES = tuple(s.value for s in VisitStatus)
