"""Payload schemas of the events published on ``meetings.events``."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contract import fields as f
from shared.contract.vocabulary import COMMITTEES, MEETING_KINDS, OUTCOME_KINDS


class WorkingGroupEstablished(Schema):
    name = f.name()
    committee = f.one_of(COMMITTEES)
    mandate_area = f.text(required=True)


class ChairAssigned(Schema):
    chair_member_state = f.member_state()
    chair_user = f.name()


class MeetingScheduled(Schema):
    group_id = fields.UUID(required=True)
    meeting_kind = f.one_of(MEETING_KINDS)
    title = f.name()
    starts_at = f.when()
    ends_at = f.when()
    location = f.text(max_length=f.MAX_NAME)


class MeetingAnnounced(Schema):
    announced_to = fields.String(required=True, validate=validate.OneOf(["all_council_delegations"]))
    notice = f.text()


class DocumentCirculated(Schema):
    document_id = f.ident()
    title = f.name()
    symbol = f.text(max_length=100)
    hours_before_meeting = f.number()


class MeetingHeld(Schema):
    attendance = fields.List(f.name(), load_default=list)


class OutcomeLogged(Schema):
    outcome_id = f.ident()
    outcome_kind = f.one_of(OUTCOME_KINDS)
    text = f.text(required=True)
    amends = f.ident(required=False)


class MeetingReportedToCommittee(Schema):
    summary = f.text(required=True)
    report_symbol = f.text(max_length=100)


class OutcomeApproved(Schema):
    outcome_id = f.ident()


class OutcomeCommunicated(Schema):
    outcome_id = f.ident()
    recipients = fields.String(
        required=True, validate=validate.OneOf(["national_contact_points"])
    )


class OpenMeetingHeld(Schema):
    outcome_ids = fields.List(f.ident(), required=True, validate=validate.Length(min=1))
    summary = f.text()


class MeetingCancelled(Schema):
    reason = f.text(required=True)


class MeetingPostponed(Schema):
    reason = f.text(required=True)
    starts_at = f.when(required=False, allow_none=True, load_default=None)
    ends_at = f.when(required=False, allow_none=True, load_default=None)
