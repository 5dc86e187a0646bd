"""Builders for the visit tests: a fixed calendar and visits taken up to a given stage.

Every builder drains the pending events (``collect_events()``) so that a test starts from a
visit with nothing pending, and can then check that a rejected command added nothing.

The calendar, in days after ``BASE`` (a Monday, 09:00 UTC):
  0 proposed, 1 approved, 2 consent asked (due day 16), 5 consent granted,
  6 dates fixed for days 30-34, 30 visit starts, 34 visit ends.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from shared.domain import Context
from visits.domain import Committee, Donor, Need, Origin, Visit

BASE = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)

CONSENT_DUE = 16
STARTS = 30
ENDS = 34


def ctx(day: int, *, hours: int = 0, user: str = "coordinator@un.org") -> Context:
    """What a coordinator does ``day`` days (and ``hours`` hours) after ``BASE``."""
    return Context(
        occurred_at=BASE + timedelta(days=day, hours=hours),
        user=user,
        role="visit_coordinator",
        correlation_id=f"request-day-{day}-{hours}",
    )


def day(n: int) -> date:
    """The calendar date ``n`` days after ``BASE``."""
    return (BASE + timedelta(days=n)).date()


def need(need_id: str, area: str = "border_control", priority: str = "high") -> Need:
    return Need(need_id=need_id, thematic_area=area, description=f"{area} support", priority=priority)


class Make:
    """Visits at each stage of their lifecycle, a need, a registered donor; and the calendar."""

    CONSENT_DUE = CONSENT_DUE
    STARTS = STARTS
    ENDS = ENDS

    ctx = staticmethod(ctx)
    day = staticmethod(day)
    need = staticmethod(need)

    def proposed_visit(
        self,
        *,
        committee: str = Committee.CTC,
        origin: str = Origin.COMMITTEE_SELECTION,
        member_state: str = "KEN",
    ) -> Visit:
        visit = Visit.propose(
            ctx(0),
            visit_id=uuid4(),
            member_state=member_state,
            committee=committee,
            origin=origin,
            purpose="assess implementation of resolution 1373",
        )
        visit.collect_events()
        return visit

    def approved_visit(self, **kwargs) -> Visit:
        visit = self.proposed_visit(**kwargs)
        visit.approve(ctx(1))
        visit.collect_events()
        return visit

    def awaiting_consent_visit(self, *, due_on: date | None = day(CONSENT_DUE), **kwargs) -> Visit:
        visit = self.approved_visit(**kwargs)
        visit.request_consent(ctx(2), due_on=due_on)
        visit.collect_events()
        return visit

    def consented_visit(self, **kwargs) -> Visit:
        visit = self.awaiting_consent_visit(**kwargs)
        visit.grant_consent(ctx(5))
        visit.collect_events()
        return visit

    def scheduled_visit(self, **kwargs) -> Visit:
        visit = self.consented_visit(**kwargs)
        visit.schedule(ctx(6), starts_on=day(STARTS), ends_on=day(ENDS))
        visit.collect_events()
        return visit

    def started_visit(self, **kwargs) -> Visit:
        visit = self.scheduled_visit(**kwargs)
        visit.start(ctx(STARTS))
        visit.collect_events()
        return visit

    def conducted_visit(self, **kwargs) -> Visit:
        visit = self.started_visit(**kwargs)
        visit.complete(ctx(ENDS))
        visit.collect_events()
        return visit

    def assessed_visit(self, **kwargs) -> Visit:
        """Conducted, with a needs assessment (needs ``n1`` and ``n2``) recorded."""
        visit = self.conducted_visit(**kwargs)
        visit.record_needs_assessment(
            ctx(ENDS + 1), needs=[need("n1"), need("n2", "legislation", "medium")]
        )
        visit.collect_events()
        return visit

    def shareable_visit(self, **kwargs) -> Visit:
        """Assessed, and the State consented to share the assessment with donors."""
        visit = self.assessed_visit(**kwargs)
        visit.grant_sharing_consent(ctx(ENDS + 2))
        visit.collect_events()
        return visit

    def visit_awaiting_pre_visit_info(self, *, organization: str = "UNODC", due: int = 20) -> Visit:
        """Scheduled; ``organization`` invited and asked (on day 7) for its information by ``due``."""
        visit = self.scheduled_visit()
        visit.invite_organization(ctx(7), organization=organization, kind="un_body")
        visit.request_pre_visit_info(ctx(7), organization=organization, due_on=day(due))
        visit.collect_events()
        return visit

    def registered_donor(self, *, name: str = "Donor State A", donor_id: UUID | None = None) -> Donor:
        donor = Donor(
            ctx=ctx(0),
            id=donor_id or uuid4(),
            name=name,
            donor_kind="state",
            thematic_areas=["border_control", "legislation"],
            contact="assistance@donor.example",
        )
        donor.collect_events()
        return donor


@pytest.fixture
def make() -> Make:
    return Make()


@pytest.fixture(name="ctx")
def ctx_fixture():
    """``ctx(day, hours=0)``: the Context of a command on that day of the calendar."""
    return ctx


@pytest.fixture(name="day")
def day_fixture():
    """``day(n)``: the date ``n`` days after ``BASE``."""
    return day
