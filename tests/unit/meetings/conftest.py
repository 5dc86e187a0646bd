"""Builders for the meeting tests: a fixed calendar, a chaired working group, and meetings taken
up to a given stage.

Every builder drains the pending events (``collect_events()``) so that a test starts from an
aggregate with nothing pending, and can then check that a rejected command added nothing.

The calendar, in days after ``BASE`` (a Monday, 09:00 UTC):
  0 group established and chair.fr (FRA) assigned, 1 meeting scheduled for day 20 09:00-12:00,
  2 announced, 10 document ``doc-1`` circulated (240 h before), 20 (+3 h) held,
  21 outcomes ``o-1`` (decision) and ``o-2`` (recommendation) logged by the chair,
  22 reported to the Committee, 25 ``o-1`` approved (``o-2`` not).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from shared.domain import Context
from shared.store import StoreSettings
from meetings.application import MeetingsApplication
from meetings.domain import Meeting, WorkingGroup

BASE = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)

SECRETARIAT = "secretariat@un.org"
CHAIR = "chair.fr"
CHAIR_STATE = "FRA"

SCHEDULED = 1
ANNOUNCED = 2
CIRCULATED = 10
STARTS = 20  # the meeting runs 09:00-12:00 UTC that day
HOURS = 3
REPORTED = 22
APPROVED = 25


def at(day: int, *, hours: float = 0) -> datetime:
    """The moment ``day`` days (and ``hours`` hours, possibly negative) after ``BASE``."""
    return BASE + timedelta(days=day, hours=hours)


def ctx(day: int, *, hours: float = 0, user: str = SECRETARIAT) -> Context:
    """What ``user`` (the secretariat unless told) does at ``at(day, hours=hours)``."""
    return Context(
        occurred_at=at(day, hours=hours),
        user=user,
        role="working_group_chair" if user == CHAIR else "secretariat",
        correlation_id=f"request-day-{day}-{hours}",
    )


def chair(day: int, *, hours: float = 0) -> Context:
    """What the group's chair (chair.fr) does that day."""
    return ctx(day, hours=hours, user=CHAIR)


class Make:
    """A chaired working group, meetings at each stage of their lifecycle; and the calendar.

    Meetings belong to ``make.group`` unless a ``group`` is given."""

    BASE = BASE
    CHAIR = CHAIR
    CHAIR_STATE = CHAIR_STATE
    STARTS = STARTS
    HOURS = HOURS

    at = staticmethod(at)
    ctx = staticmethod(ctx)
    chair = staticmethod(chair)

    def __init__(self) -> None:
        self._group: WorkingGroup | None = None

    @property
    def group(self) -> WorkingGroup:
        """The established group, chaired by chair.fr of FRA, that meetings belong to."""
        if self._group is None:
            self._group = self.established_group()
        return self._group

    def established_group(
        self,
        *,
        name: str = "Working Group 2: Assistance",
        chair_user: str | None = CHAIR,
        chair_member_state: str = CHAIR_STATE,
    ) -> WorkingGroup:
        """Established on day 0, and chaired by ``chair_user`` (none if ``None``)."""
        group = WorkingGroup(
            id=uuid4(), ctx=ctx(0), name=name, committee="1540", mandate_area="assistance"
        )
        if chair_user is not None:
            group.assign_chair(ctx(0), chair_member_state=chair_member_state, chair_user=chair_user)
        group.collect_events()
        return group

    def scheduled_meeting(self, *, group: WorkingGroup | None = None, title: str = "WG2 meeting") -> Meeting:
        """On the schedule (day 1) for day 20, 09:00-12:00 UTC, in Conference Room 7."""
        group = group or self.group
        meeting = Meeting.schedule(
            ctx(SCHEDULED),
            meeting_id=uuid4(),
            group=group,
            group_id=group.id,
            meeting_kind="working_group",
            title=title,
            starts_at=at(STARTS),
            ends_at=at(STARTS, hours=HOURS),
            location="Conference Room 7",
        )
        meeting.collect_events()
        return meeting

    def announced_meeting(self, **kwargs) -> Meeting:
        meeting = self.scheduled_meeting(**kwargs)
        meeting.announce(ctx(ANNOUNCED), notice="open to all delegations")
        meeting.collect_events()
        return meeting

    def meeting_with_document(self, **kwargs) -> Meeting:
        """Announced, and document ``doc-1`` circulated on day 10 (in good time)."""
        meeting = self.announced_meeting(**kwargs)
        meeting.circulate_document(ctx(CIRCULATED), document_id="doc-1", title="Draft matrix", symbol="S/AC.44/2025/1")
        meeting.collect_events()
        return meeting

    def held_meeting(self, **kwargs) -> Meeting:
        meeting = self.meeting_with_document(**kwargs)
        meeting.hold(ctx(STARTS, hours=HOURS), delegations=["FRA", "KEN", "USA"])
        meeting.collect_events()
        return meeting

    def held_meeting_with_outcomes(self, **kwargs) -> Meeting:
        """Held; the chair logged decision ``o-1`` and recommendation ``o-2`` on day 21."""
        meeting = self.held_meeting(**kwargs)
        group = kwargs.get("group") or self.group
        meeting.log_outcome(
            chair(STARTS + 1), group=group, outcome_id="o-1", outcome_kind="decision",
            text="Revise the matrices by June",
        )
        meeting.log_outcome(
            chair(STARTS + 1), group=group, outcome_id="o-2", outcome_kind="recommendation",
            text="Hold a regional workshop",
        )
        meeting.collect_events()
        return meeting

    def reported_meeting(self, **kwargs) -> Meeting:
        meeting = self.held_meeting_with_outcomes(**kwargs)
        meeting.report_to_committee(ctx(REPORTED), summary="two outcomes", report_symbol="S/AC.44/2025/2")
        meeting.collect_events()
        return meeting

    def meeting_with_approved_outcome(self, **kwargs) -> Meeting:
        """Reported; the Committee approved ``o-1`` on day 25, ``o-2`` still awaits approval."""
        meeting = self.reported_meeting(**kwargs)
        meeting.approve_outcome(ctx(APPROVED), outcome_id="o-1")
        meeting.collect_events()
        return meeting


@pytest.fixture
def make() -> Make:
    return Make()


@pytest.fixture(name="ctx")
def ctx_fixture():
    """``ctx(day, hours=0, user=SECRETARIAT)``: the Context of a command at that moment."""
    return ctx


@pytest.fixture
def open_app(tmp_path):
    """Opens a MeetingsApplication on this test's own SQLite file; each call is a new one."""
    opened: list[MeetingsApplication] = []

    def open_() -> MeetingsApplication:
        app = MeetingsApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("meetings"))
        opened.append(app)
        return app

    yield open_
    for app in opened:
        app.close()
