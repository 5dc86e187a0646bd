"""The read side of the meetings service: what its queries take (``MeetingFilters``) and the
JSON-ready views of working groups and meetings they answer with."""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timezone

from marshmallow import Schema, fields, validate

from shared.contract.vocabulary import COMMITTEES
from shared.domain import Context, committee_day, document_notice
from shared.http import jsonable, load
from shared.listing import Listing, folded, refinement
from meetings.commands import MEETINGS
from meetings.domain import Meeting, WorkingGroup

AWAITING = ("new_dates", "announcement", "documents", "report_to_committee", "outcome_approval")


# The meetings list's search, date range and orders (shared.listing): a meeting is found by its
# title, group, place, kind or status, and dated by its days.
MEETING_LISTING = Listing(
    text=("title", "group", "location", "meeting_kind", "status", "committee"),
    span=("starts_at", "ends_at"),
    sorts={"starts": lambda m: m["starts_at"], "title": lambda m: folded(m["title"]),
           "group": lambda m: folded(m["group"]), "status": lambda m: m["status"]},
    default="starts",
)


class MeetingFilters(refinement(tuple(MEETING_LISTING.sorts))):
    group_id = fields.UUID(load_default=None)
    committee = fields.String(load_default=None, validate=validate.OneOf(COMMITTEES),
                              metadata={"description": "only the meetings of this Committee's groups"})
    awaiting = fields.String(load_default=None, validate=validate.OneOf(AWAITING))
    overdue = fields.Boolean(load_default=False, metadata={
        "description": "only the meetings with an action item open past its due date"})
    today = fields.Date(load_default=None, metadata={
        "description": "the day overdue is judged on (default: today in the group's Committee's time zone)"})


# the schedule, its calendar, outcomes awaiting approval
BY_GROUP = MeetingFilters(only=("group_id", "committee"))


def read_filters(schema: Schema, query: dict | None) -> dict:
    """A query string's filters (an empty value is an absent one)."""
    return load(schema, {k: v for k, v in (query or {}).items() if v not in (None, "")})


def group_view(group: WorkingGroup) -> dict:
    return jsonable(
        {
            "id": group.id,
            "version": group.version,
            "name": group.name,
            "committee": group.committee,
            "mandate_area": group.mandate_area,
            "chair": {"member_state": group.chair_member_state, "user": group.chair_user}
            if group.chair_user else None,
            "chairs": group.chairs,
            "established_at": group.established_at,
        }
    )


def membership_view(membership) -> dict:
    return jsonable({"id": membership.id, "version": membership.version, "committee": membership.committee,
                     "year": membership.year, "member_states": membership.member_states})


def meeting_summary(meeting: Meeting, group: WorkingGroup | None = None, today: date | None = None) -> dict:
    """``today`` (the Committee's day unless given) judges its action items overdue."""
    today = today or committee_day(datetime.now(timezone.utc), group.committee if group else None)
    return jsonable(
        {
            "id": meeting.id,
            "version": meeting.version,
            "group_id": meeting.group_id,
            "group": group.name if group else None,
            "committee": group.committee if group else None,
            "meeting_kind": meeting.meeting_kind,
            "title": meeting.title,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
            "location": meeting.location,
            "status": meeting.status,
            "missing_documents": meeting.missing_documents,
            "awaiting": meeting.awaiting(),
            "action_items_overdue": [{"outcome_id": o.outcome_id, "owner": o.owner, "due_on": o.due_on}
                                     for o in meeting.action_items_overdue(today)],
        }
    )


def meeting_view(meeting: Meeting, group: WorkingGroup | None = None) -> dict:
    view = meeting_summary(meeting, group)
    view.update(
        jsonable(
            {
                "scheduled_at": meeting.scheduled_at,
                "announced_at": meeting.announced_at,
                "held_at": meeting.held_at,
                "reported_at": meeting.reported_at,
                "cancelled_at": meeting.cancelled_at,
                "ended_reason": meeting.ended_reason,
                "moves": meeting.moves,
                "announced_after_start_hours": meeting.announced_after_start_hours,
                "announcements": meeting.announcements,
                "documents": [document_view(meeting, k, group) for k in meeting.documents],
                "attendance": meeting.attendance,
                "reports": meeting.reports,
                "outcomes": [asdict(o) for o in meeting.outcomes.values()],
                "open_meetings": meeting.open_meetings,
            }
        )
    )
    return view


def meeting_page(meeting: Meeting, group: WorkingGroup | None, actor: dict | None) -> dict:
    """One meeting's view with the steps the caller may take now, and for each other step the
    rule refusing it (``next_steps``: what the web console offers), tried as the caller with
    the meeting's group (only its chair logs outcomes)."""
    actor = actor or {}
    probe = Context(occurred_at=datetime.now(timezone.utc), user=actor.get("user") or "next-steps",
                    role=actor.get("role") or "secretariat", correlation_id="next-steps")
    return {**meeting_view(meeting, group), "next_steps": MEETINGS.next_steps(meeting, probe, group=group)}


def outcome_awaiting_view(meeting: Meeting, outcome, group: WorkingGroup | None = None) -> dict:
    return jsonable({"meeting_id": meeting.id, "meeting": meeting.title, "group_id": meeting.group_id,
                     "committee": group.committee if group else None,
                     "outcome_id": outcome.outcome_id, "outcome_kind": outcome.outcome_kind, "text": outcome.text,
                     "logged_at": outcome.logged_at, "amends": outcome.amends})


def document_view(meeting: Meeting, document_id: str, group: WorkingGroup | None) -> dict:
    """A circulated document, with its notice as the meeting's dates now stand, judged by the
    Committee's notice (``late``; ``after_start``: circulated once the meeting had started)."""
    hours, late = meeting.notice_of(document_id, document_notice(group.committee if group else None))
    return {"document_id": document_id, **meeting.documents[document_id], "hours_before_meeting": hours, "late": late,
            "after_start": hours <= 0}
