"""What the meetings service offers, in plain Python; HTTP and RPC entrypoints call into it."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import Schema, fields, validate

from shared.auth import CHAIRS, SECRETARIAT, require_role
from shared.commands import ServiceAPI, command_input, parse_command
from shared.contract import meetings as contract
from shared.errors import InvalidInput
from shared.http import context_for, jsonable, load, parse_uuid
from meetings.application import MEETING_COMMANDS, MeetingsApplication
from meetings.calendar import render_ics
from meetings.views import group_view, meeting_summary, meeting_view

ESTABLISH = command_input(
    contract.WorkingGroupEstablished, "expected_version", group_id=fields.UUID(load_default=None)
)
ASSIGN_CHAIR = command_input(contract.ChairAssigned)
SCHEDULE = command_input(
    contract.MeetingScheduled, "expected_version", meeting_id=fields.UUID(load_default=None)
)

COMMAND_INPUTS: dict[str, Schema] = {
    "announce": command_input(contract.MeetingAnnounced, "announced_to"),
    "circulate-document": command_input(contract.DocumentCirculated, "hours_before_meeting"),
    "hold": command_input(contract.MeetingHeld),
    "log-outcome": command_input(contract.OutcomeLogged),
    "report-to-committee": command_input(contract.MeetingReportedToCommittee),
    "approve-outcome": command_input(contract.OutcomeApproved),
    "communicate-outcome": command_input(contract.OutcomeCommunicated, "recipients"),
    "hold-open-meeting": command_input(contract.OpenMeetingHeld),
    "cancel": command_input(contract.MeetingCancelled),
    "postpone": command_input(contract.MeetingPostponed),
}
if set(COMMAND_INPUTS) != set(MEETING_COMMANDS):  # a programming error, caught at import
    raise RuntimeError("every meeting command needs an input schema")

AWAITING = ("new_dates", "announcement", "documents", "report_to_committee", "outcome_approval")


class MeetingFilters(Schema):
    group_id = fields.UUID(load_default=None)
    awaiting = fields.String(load_default=None, validate=validate.OneOf(AWAITING))


class MeetingsAPI(ServiceAPI):
    app: MeetingsApplication

    def _groups(self) -> dict:
        return {g.id: g for g in self.app.list_groups()}

    # -- groups --

    def establish_group(self, body: dict, actor: dict | None = None) -> dict:
        data, ctx, _ = parse_command(ESTABLISH, body, actor)
        return group_view(self.app.get_group(self.app.establish_group(ctx, **data)))

    def assign_chair(self, group_id: str, body: dict, actor: dict | None = None) -> dict:
        ident = parse_uuid(group_id, "working_group")
        data, ctx, expected = parse_command(ASSIGN_CHAIR, body, actor)
        return group_view(self.app.assign_chair(ctx, ident, expected_version=expected, **data))

    def load_reference_groups(self, actor: dict | None = None) -> list[dict]:
        return self.app.load_reference_groups(context_for(actor, None))

    def get_group(self, group_id: str) -> dict:
        return group_view(self.app.get_group(parse_uuid(group_id, "working_group")))

    def list_groups(self) -> list[dict]:
        return [group_view(g) for g in self.app.list_groups()]

    # -- meetings --

    def schedule_meeting(self, body: dict, actor: dict | None = None) -> dict:
        data, ctx, _ = parse_command(SCHEDULE, body, actor)
        meeting = self.app.get_meeting(self.app.schedule_meeting(ctx, **data))
        return meeting_view(meeting, self._groups().get(meeting.group_id))

    def execute(self, meeting_id: str, command: str, body: dict, actor: dict | None = None) -> dict:
        try:
            schema = COMMAND_INPUTS[command]
        except KeyError:
            raise InvalidInput(
                {"command": [f"unknown command {command!r}; one of {', '.join(COMMAND_INPUTS)}"]}
            ) from None
        # Only a chair logs outcomes (and only the group's chair: the domain checks that); the
        # secretariat runs the other steps.
        role = (actor or {}).get("role")
        require_role(role, CHAIRS if command == "log-outcome" else SECRETARIAT)
        ident = parse_uuid(meeting_id, "meeting")
        data, ctx, expected = parse_command(schema, body, actor)
        meeting = self.app.execute(ctx, ident, command, data, expected)
        return meeting_view(meeting, self._groups().get(meeting.group_id))

    def get_meeting(self, meeting_id: str) -> dict:
        meeting = self.app.get_meeting(parse_uuid(meeting_id, "meeting"))
        return meeting_view(meeting, self._groups().get(meeting.group_id))

    def meeting_history(self, meeting_id: str) -> list[dict]:
        ident = parse_uuid(meeting_id, "meeting")
        self.app.get_meeting(ident)
        return self.app.history(ident)

    def list_meetings(self, filters: dict | None = None) -> list[dict]:
        query = load(MeetingFilters(), {k: v for k, v in (filters or {}).items() if v not in (None, "")})
        groups = self._groups()
        if query["awaiting"]:
            found = self.app.awaiting(query["awaiting"], group_id=query["group_id"])
        else:
            found = self.app.meetings(group_id=query["group_id"])
        return [meeting_summary(m, groups.get(m.group_id)) for m in found]

    def schedule(self, filters: dict | None = None) -> list[dict]:
        """The published schedule: upcoming meetings, per group or across groups."""
        query = load(MeetingFilters(only=("group_id",)), {k: v for k, v in (filters or {}).items() if v})
        groups = self._groups()
        return [meeting_summary(m, groups.get(m.group_id)) for m in self.app.upcoming(group_id=query["group_id"])]

    def schedule_ics(self, filters: dict | None = None) -> bytes:
        """The calendar feed: every meeting of the group (or all groups) with dates, including
        those cancelled or moved, so that subscribed calendars follow."""
        query = load(MeetingFilters(only=("group_id",)), {k: v for k, v in (filters or {}).items() if v})
        groups = self._groups()
        name = groups[query["group_id"]].name if query["group_id"] in groups else "Committee meetings"
        return render_ics(self.app.meetings(group_id=query["group_id"]), groups, name)

    def outcomes_awaiting_approval(self, filters: dict | None = None) -> list[dict]:
        query = load(MeetingFilters(only=("group_id",)), {k: v for k, v in (filters or {}).items() if v})
        return jsonable([
            {"meeting_id": m.id, "meeting": m.title, "group_id": m.group_id, "outcome_id": o.outcome_id,
             "outcome_kind": o.outcome_kind, "text": o.text, "logged_at": o.logged_at, "amends": o.amends}
            for m, o in self.app.outcomes_awaiting_approval(group_id=query["group_id"])
        ])

    def commands(self) -> dict:
        return {name: sorted(schema.fields) for name, schema in COMMAND_INPUTS.items()}
