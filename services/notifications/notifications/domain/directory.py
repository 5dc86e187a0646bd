"""The directory: the Council delegations, the States' national contact points (the CTC's focal
points, the 1540 Committee's points of contact), the organizations' focal points, the donors'
contacts and the secretariats, each with its role, address and the days it holds the role
(the Directory of Contact Points of the CTC's follow-up action plans; the 1540 Committee's
points of contact and e-mail distribution lists).

Plain Python: the rules are the methods'; the ``@event`` methods only assign.
"""
from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from shared.contract import organizations
from shared.domain import Context, RecordedAggregate
from shared.errors import RuleBroken

# what each role must name, and must not
_NAMES = {
    "delegation": "member_state",
    "national_contact_point": "member_state",
    "organization_focal_point": "organization",
    "donor_contact": "donor_id",
    "secretariat": None,
}


class Contact(RecordedAggregate):
    """A person or office in the directory, in one role, from one day (until another)."""

    kind = "contact"

    @classmethod
    def list(cls, ctx: Context, *, contact_id: UUID, role: str, committee: str, name: str, email: str,
             member_state: str | None = None, organization: str = "", donor_id: UUID | None = None,
             since: date, until: date | None = None) -> Contact:
        """A delegation and a contact point name their State, a focal point its organization (one
        of the directory of organizations: it is recorded by its name there), a donor's contact
        its donor; nothing else names one. The last day is not before the first."""
        wanted = _NAMES[role]
        given = {"member_state": member_state, "organization": organization, "donor_id": donor_id}
        if wanted and not given[wanted]:
            raise RuleBroken("contact_names_its_party", f"a {role.replace('_', ' ')} names its {wanted.replace('_', ' ')}")
        extra = [k for k, v in given.items() if v and k != wanted]
        if extra:
            raise RuleBroken("contact_names_its_party",
                             f"a {role.replace('_', ' ')} names no {', '.join(e.replace('_', ' ') for e in extra)}")
        if organization:  # by the reference list's name where it has one (any of its names finds it)
            organization = organizations.common_name(organization.strip())
        _check_days(since, until)
        return cls(id=contact_id, ctx=ctx, role=role, committee=committee, name=name, email=email.strip(),
                   member_state=member_state, organization=organization, donor_id=donor_id, since=since, until=until)

    @event("ContactListed")
    def __init__(self, id: UUID, ctx: Context, role: str, committee: str, name: str, email: str,  # noqa: A002
                 member_state: str | None, organization: str, donor_id: UUID | None, since: date,
                 until: date | None) -> None:
        self.role = role
        self.committee = committee
        self.name = name
        self.email = email
        self.member_state = member_state
        self.organization = organization
        self.donor_id = donor_id
        self.since = since
        self.until = until
        self.listed_at = ctx.occurred_at
        self.ended_reason = ""

    def for_organization(self, name: str) -> bool:
        return bool(self.organization) and organizations.same(self.organization, name)

    def holds_role_on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)

    def serves(self, committee: str) -> bool:
        return self.committee in (committee, "both")

    def change(self, ctx: Context, *, name: str, email: str) -> None:
        if (name, email.strip()) == (self.name, self.email):
            raise RuleBroken("contact_change_changes", "the contact already has this name and address")
        self._change(ctx, name, email.strip())

    @event("ContactChanged")
    def _change(self, ctx: Context, name: str, email: str) -> None:
        self.name = name
        self.email = email

    def end(self, ctx: Context, *, until: date, reason: str = "") -> None:
        """The last day it holds the role: not before its first, and once (a later correction
        lists the contact again)."""
        if self.until is not None and self.ended_reason:
            raise RuleBroken("contact_ended_once", f"the contact already ended on {self.until.isoformat()}")
        _check_days(self.since, until)
        self._end(ctx, until, reason)

    @event("ContactEnded")
    def _end(self, ctx: Context, until: date, reason: str) -> None:
        self.until = until
        self.ended_reason = reason or "ended"


def _check_days(since: date, until: date | None) -> None:
    if until is not None and until < since:
        raise RuleBroken("contact_days_in_order",
                         f"the last day ({until.isoformat()}) is before the first ({since.isoformat()})")
