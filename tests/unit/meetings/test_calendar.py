"""The published schedule as an iCalendar feed, read back the way a delegation's calendar reads it.

``render_ics`` output is parsed with ``icalendar.Calendar.from_ical``: one VEVENT per meeting
whose UID never changes, SEQUENCE counting its moves, reminders a day and an hour before.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from icalendar import Calendar

from meetings.calendar import calendar_of, render_ics
from meetings.domain import Meeting


def events_of(ics: bytes) -> dict[str, object]:
    """The VEVENTs of a feed, by UID."""
    events = Calendar.from_ical(ics).walk("VEVENT")
    by_uid = {str(e["uid"]): e for e in events}
    assert len(by_uid) == len(events), "a UID appears twice"
    return by_uid


def the_event(meeting: Meeting, groups: dict) -> object:
    return events_of(render_ics([meeting], groups))[f"{meeting.id}@fieldwork"]


def triggers(event) -> list[timedelta]:
    return sorted(alarm.decoded("trigger") for alarm in event.walk("VALARM"))


def test_each_meeting_is_one_event_whose_uid_is_the_meeting_id(make):
    first, second = make.scheduled_meeting(title="first"), make.announced_meeting(title="second")

    events = events_of(render_ics([first, second], {make.group.id: make.group}))

    assert set(events) == {f"{first.id}@fieldwork", f"{second.id}@fieldwork"}
    assert str(events[f"{first.id}@fieldwork"]["summary"]) == f"first ({make.group.name})"
    assert str(events[f"{second.id}@fieldwork"]["status"]) == "CONFIRMED"


def test_an_event_keeps_its_uid_as_the_meeting_goes_through_its_steps(make, ctx):
    meeting = make.scheduled_meeting()
    groups = {make.group.id: make.group}
    uid_before = str(the_event(meeting, groups)["uid"])

    meeting.announce(ctx(2))
    meeting.circulate_document(ctx(10), document_id="doc-1", title="Agenda", symbol="S/AC.44/2025/1")

    event = the_event(meeting, groups)
    assert str(event["uid"]) == uid_before == f"{meeting.id}@fieldwork"
    assert event.decoded("sequence") == 0
    assert "S/AC.44/2025/1" in str(event["description"])


def test_an_event_starts_and_ends_when_the_meeting_does(make):
    meeting = make.scheduled_meeting()

    event = the_event(meeting, {})

    assert event.decoded("dtstart") == meeting.starts_at == make.at(make.STARTS)
    assert event.decoded("dtend") == meeting.ends_at == make.at(make.STARTS, hours=3)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert str(event["location"]) == "Conference Room 7"
    assert str(event["summary"]) == meeting.title  # no group given: the title alone


def test_an_upcoming_meeting_reminds_a_day_and_an_hour_before(make):
    event = the_event(make.announced_meeting(), {})

    assert triggers(event) == [-timedelta(days=1), -timedelta(hours=1)]
    assert all(str(alarm["action"]) == "DISPLAY" for alarm in event.walk("VALARM"))


def test_a_moved_meeting_keeps_its_uid_with_the_new_dates_and_a_higher_sequence(make, ctx):
    meeting = make.announced_meeting()
    before = the_event(meeting, {})

    meeting.postpone(ctx(5), reason="clash", starts_at=make.at(27, hours=5), ends_at=make.at(27, hours=7))
    after = the_event(meeting, {})

    assert str(after["uid"]) == str(before["uid"])
    assert after.decoded("dtstart") == make.at(27, hours=5)
    assert after.decoded("dtend") == make.at(27, hours=7)
    assert after.decoded("sequence") > before.decoded("sequence")
    assert str(after["status"]) == "CONFIRMED"
    assert triggers(after) == [-timedelta(days=1), -timedelta(hours=1)]


def test_a_cancelled_meeting_shows_cancelled_and_sets_off_no_reminders(make, ctx):
    meeting = make.announced_meeting()
    before = the_event(meeting, {})

    meeting.cancel(ctx(6), reason="no quorum")
    after = the_event(meeting, {})

    assert str(after["uid"]) == str(before["uid"])
    assert str(after["status"]) == "CANCELLED"
    assert str(after["summary"]).startswith("CANCELLED: ")
    assert after.decoded("sequence") > before.decoded("sequence")
    assert after.walk("VALARM") == []


def test_a_meeting_postponed_without_dates_shows_tentative(make, ctx):
    meeting = make.announced_meeting()
    before = the_event(meeting, {})

    meeting.postpone(ctx(5), reason="no quorum")
    after = the_event(meeting, {})

    assert str(after["uid"]) == str(before["uid"])
    assert str(after["status"]) == "TENTATIVE"
    assert "POSTPONED" in str(after["summary"])
    assert after.decoded("sequence") > before.decoded("sequence")


def test_a_meeting_postponed_without_dates_sets_off_no_reminders(make, ctx):
    meeting = make.announced_meeting()
    meeting.postpone(ctx(5), reason="no quorum")

    assert the_event(meeting, {}).walk("VALARM") == []


@pytest.mark.parametrize("build", ["held_meeting", "reported_meeting"])
def test_a_meeting_already_held_sets_off_no_reminders(make, build):
    event = the_event(getattr(make, build)(), {})

    assert str(event["status"]) == "CONFIRMED"
    assert event.walk("VALARM") == []


def test_a_meeting_scheduled_in_new_york_time_starts_at_the_same_moment_in_the_calendar(make, ctx):
    new_york = timezone(timedelta(hours=-4))
    meeting = Meeting.schedule(
        ctx(1), meeting_id=uuid4(), group=make.group, group_id=make.group.id,
        meeting_kind="working_group", title="WG2 in New York",
        starts_at=datetime(2025, 3, 24, 10, 0, tzinfo=new_york), ends_at=datetime(2025, 3, 24, 13, 0, tzinfo=new_york),
    )

    event = the_event(meeting, {})

    assert event.decoded("dtstart") == datetime(2025, 3, 24, 14, 0, tzinfo=timezone.utc)
    assert event.decoded("dtend") == datetime(2025, 3, 24, 17, 0, tzinfo=timezone.utc)


def test_the_calendar_of_one_group_lists_only_its_meetings_cancelled_ones_included(open_app, make):
    app = open_app()
    ctx = make.ctx
    wg1 = app.establish_group(ctx(0), name="Working Group 1", committee="1540", mandate_area="monitoring").id
    wg2 = app.establish_group(ctx(0), name="Working Group 2", committee="1540", mandate_area="assistance").id

    def schedule(group_id, day, title):
        return app.schedule_meeting(
            ctx(1), group_id=group_id, meeting_kind="working_group", title=title,
            starts_at=make.at(day), ends_at=make.at(day, hours=3),
        ).id

    ours, cancelled = schedule(wg1, 20, "WG1 meeting"), schedule(wg1, 27, "WG1 cancelled")
    theirs = schedule(wg2, 21, "WG2 meeting")
    app.cancel(ctx(3), cancelled, reason="no quorum")

    feed = Calendar.from_ical(calendar_of(app, wg1))
    everything = events_of(calendar_of(app))

    events = {str(e["uid"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {f"{ours}@fieldwork", f"{cancelled}@fieldwork"}
    assert str(events[f"{cancelled}@fieldwork"]["status"]) == "CANCELLED"
    assert str(events[f"{ours}@fieldwork"]["summary"]) == "WG1 meeting (Working Group 1)"
    assert str(feed["x-wr-calname"]) == "Working Group 1"
    assert set(everything) == {f"{m}@fieldwork" for m in (ours, cancelled, theirs)}
