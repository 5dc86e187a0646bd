"""JSON-ready views of working groups and meetings."""
from __future__ import annotations

from dataclasses import asdict

from shared.http import jsonable
from meetings.domain import Meeting, WorkingGroup


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


def meeting_summary(meeting: Meeting, group: WorkingGroup | None = None) -> dict:
    return jsonable(
        {
            "id": meeting.id,
            "version": meeting.version,
            "group_id": meeting.group_id,
            "group": group.name if group else None,
            "meeting_kind": meeting.meeting_kind,
            "title": meeting.title,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
            "location": meeting.location,
            "status": meeting.status,
            "missing_documents": meeting.missing_documents,
            "awaiting": meeting.awaiting(),
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
                "documents": [{"document_id": k, **v} for k, v in meeting.documents.items()],
                "outcomes": [asdict(o) for o in meeting.outcomes.values()],
                "open_meetings": meeting.open_meetings,
            }
        )
    )
    return view
