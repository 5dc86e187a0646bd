"""The published schedule as an iCalendar feed that a delegation subscribes to.

Each meeting is one VEVENT whose UID never changes; SEQUENCE counts its moves, so calendar
clients replace the old dates when a meeting moves, and show it cancelled when it is
cancelled. Two reminders: a day and an hour before."""
from __future__ import annotations

from datetime import timedelta, timezone

from icalendar import Alarm, Calendar, Event

from meetings.domain import Meeting, MeetingStatus, WorkingGroup

REMINDERS = (timedelta(days=1), timedelta(hours=1))


def render_ics(meetings: list[Meeting], groups: dict, name: str = "Committee meetings") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//fieldwork//UN Security Council committees meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for meeting in meetings:
        if meeting.starts_at is None:
            continue
        calendar.add_component(_event(meeting, groups.get(meeting.group_id)))
    return calendar.to_ical()


def _event(meeting: Meeting, group: WorkingGroup | None) -> Event:
    entry = Event()
    entry.add("uid", f"{meeting.id}@fieldwork")
    entry.add("dtstamp", meeting.modified_on)
    entry.add("last-modified", meeting.modified_on)
    entry.add("sequence", meeting.moves)
    # In UTC: a time with another offset would be written with a TZID that has no VTIMEZONE,
    # which calendar clients read as floating local time.
    entry.add("dtstart", meeting.starts_at.astimezone(timezone.utc))
    entry.add("dtend", meeting.ends_at.astimezone(timezone.utc))
    title = meeting.title if group is None else f"{meeting.title} ({group.name})"
    status = meeting.status
    if status == MeetingStatus.CANCELLED:
        entry.add("status", "CANCELLED")
        entry.add("summary", f"CANCELLED: {title}")
    elif status == MeetingStatus.POSTPONED:
        entry.add("status", "TENTATIVE")
        entry.add("summary", f"POSTPONED (new dates to follow): {title}")
    else:
        entry.add("status", "CONFIRMED")
        entry.add("summary", title)
    if meeting.location:
        entry.add("location", meeting.location)
    documents = ", ".join(d["symbol"] or d["title"] for d in meeting.documents.values()) or "none circulated yet"
    entry.add("description", f"{meeting.meeting_kind.replace('_', ' ')}; documents: {documents}")
    if status in (MeetingStatus.SCHEDULED, MeetingStatus.ANNOUNCED):
        for before in REMINDERS:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Reminder: {title}")
            alarm.add("trigger", -before)
            entry.add_component(alarm)
    return entry


def calendar_of(app, group_id=None, committee: str | None = None) -> bytes:
    """The calendar feed of one group (or of every group, or of one Committee's groups): all
    its meetings with dates, those cancelled or moved included, so that subscribed calendars
    follow."""
    groups = {g.id: g for g in app.list_groups()}
    name = groups[group_id].name if group_id in groups else (
        f"{committee.upper()} Committee meetings" if committee else "Committee meetings")
    meetings = [m for m in app.meetings(group_id=group_id)
                if committee is None or (m.group_id in groups and groups[m.group_id].committee == committee)]
    return render_ics(meetings, groups, name)
