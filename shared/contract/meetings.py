"""Payload schemas of the events published on ``meetings.events``.

One schema per event type and schema version, each defined once here, as in
``shared.contract.visits``: its docstring, ``aggregate`` and each field's ``meaning``.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contract import fields as f
from shared.contract.fields import meant
from shared.contract.files import FileFields
from shared.contract.vocabulary import (
    ACTION_ITEM_STATUSES,
    COMMITTEE_DECISIONS,
    COMMITTEES,
    MEETING_KINDS,
    OUTCOME_KINDS,
)

# -- working groups -------------------------------------------------------------------------


class WorkingGroupEstablished(Schema):
    """A working group of a Committee was set up."""

    aggregate = "working_group"
    name = f.name(meaning="The group's name; it names one group (its id follows from it).")
    committee = f.one_of(COMMITTEES, meaning="The Committee the group belongs to.")
    mandate_area = f.text(required=True, meaning="What the group works on.")


class ChairAssigned(Schema):
    """A Committee member was assigned as the group's chair."""

    aggregate = "working_group"
    chair_member_state = f.member_state(meaning="The Committee member that chairs the group.")
    chair_user = f.name(meaning="The user who chairs for it: the one who logs the group's outcomes.")


# -- the Committees' membership -------------------------------------------------------------


class CommitteeMembershipRecorded(Schema):
    """The members of a Committee in one year were recorded by the secretariat (reference data:
    a working group's chair must then be one of them)."""

    aggregate = "committee_membership"
    committee = f.one_of(COMMITTEES, meaning="The Committee.")
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=1945, max=2200),
                          metadata=meant("The calendar year the membership is for."))
    member_states = fields.List(f.member_state(), required=True, validate=validate.Length(min=1, max=15),
                                metadata=meant("Its members that year: the Council's members, ISO 3166-1 alpha-3."))


class CommitteeMembershipRevised(Schema):
    """The membership recorded for a Committee's year was corrected."""

    aggregate = "committee_membership"
    member_states = fields.List(f.member_state(), required=True, validate=validate.Length(min=1, max=15),
                                metadata=meant("Its members that year, the whole list."))


# -- meetings -------------------------------------------------------------------------------


class MeetingScheduled(Schema):
    """A meeting was put on the published schedule."""

    aggregate = "meeting"
    group_id = fields.UUID(required=True, metadata=meant("The working group (or other body) that meets."))
    meeting_kind = f.one_of(MEETING_KINDS, meaning="What kind of meeting it is.")
    title = f.name(meaning="The meeting's title, as the schedule shows it.")
    starts_at = f.when(meaning="When it starts.")
    ends_at = f.when(meaning="When it ends.")
    location = f.text(max_length=f.MAX_NAME, meaning="Where it is held, if known.")


class MeetingAnnounced(Schema):
    """The meeting was announced to all Council delegations."""

    aggregate = "meeting"
    announced_to = fields.String(required=True, validate=validate.OneOf(["all_council_delegations"]),
                                 metadata=meant("To whom: all Council delegations, as every working group meeting is."))
    notice = f.text(meaning="The announcement's text, if any.")


class DocumentCirculated(Schema):
    """A meeting document was circulated to all delegations, `hours_before_meeting` hours
    before the meeting started."""

    aggregate = "meeting"
    document_id = f.ident(meaning="The document's identifier, unique within the meeting.")
    title = f.name(meaning="The document's title.")
    symbol = f.text(max_length=100, meaning="Its United Nations document symbol, if it has one.")
    hours_before_meeting = f.number(meaning="Hours from its circulation to the meeting's start as it then stood.")


class MeetingHeldV1(Schema):
    """The meeting was held (schema version 1: who attended, in one list)."""

    aggregate = "meeting"
    event_type = "meeting_held"
    schema_version = 1
    attendance = fields.List(f.name(), load_default=list, metadata=meant("Who attended, as the secretariat noted it."))


class MeetingHeld(Schema):
    """The meeting was held (only after it was announced), with who attended: the delegations,
    the organizations and the experts."""

    aggregate = "meeting"
    schema_version = 2
    delegations = fields.List(f.member_state(), load_default=list, validate=validate.Length(max=250),
                              metadata=meant("The States whose delegations attended (ISO 3166-1 alpha-3 codes)."))
    organizations = fields.List(f.name(), load_default=list, validate=validate.Length(max=200),
                                metadata=meant("The organizations that attended, by name."))
    experts = fields.List(f.name(), load_default=list, validate=validate.Length(max=200),
                          metadata=meant("The experts who attended (the group of experts, CTED, invited experts), by name."))


class OutcomeLoggedV1(Schema):
    """The group's chair logged a decision, recommendation or action item (schema version 1:
    an action item has no owner or due date)."""

    aggregate = "meeting"
    event_type = "outcome_logged"
    schema_version = 1
    outcome_id = f.ident(meaning="The outcome's identifier, unique within the meeting.")
    outcome_kind = f.one_of(OUTCOME_KINDS, meaning="A decision, a recommendation or an action item.")
    text = f.text(required=True, meaning="The outcome as the chair wrote it.")
    amends = f.ident(required=False, meaning="The earlier outcome this one amends, or `null`.")


class OutcomeLogged(Schema):
    """The group's chair logged a decision, recommendation or action item; `amends` names an
    earlier outcome it amends (and supersedes); an action item has an owner and a due date."""

    aggregate = "meeting"
    schema_version = 2
    outcome_id = f.ident(meaning="The outcome's identifier, unique within the meeting.")
    outcome_kind = f.one_of(OUTCOME_KINDS, meaning="A decision, a recommendation or an action item.")
    text = f.text(required=True, meaning="The outcome as the chair wrote it.")
    amends = f.ident(required=False, meaning="The earlier outcome this one amends, or `null`.")
    owner = f.text(max_length=f.MAX_NAME, meaning="An action item's owner (who is to act); `\"\"` for other outcomes.")
    due_on = f.date(required=False, allow_none=True, load_default=None,
                    meaning="When an action item is due; `null` for other outcomes.")


class OutcomeCorrected(Schema):
    """The chair corrected a draft outcome before the Committee took it up (before the report
    carrying it, or after the Committee returned it to the group)."""

    aggregate = "meeting"
    outcome_id = f.ident(meaning="The outcome corrected.")
    text = f.text(required=True, meaning="Its text as corrected.")
    owner = f.text(max_length=f.MAX_NAME, meaning="An action item's owner as corrected; `\"\"` for other outcomes.")
    due_on = f.date(required=False, allow_none=True, load_default=None,
                    meaning="An action item's due date as corrected; `null` for other outcomes.")


class MeetingReportedToCommitteeV1(Schema):
    """The group reported on the meeting to the Committee (schema version 1: the outcomes it
    carries are not named)."""

    aggregate = "meeting"
    event_type = "meeting_reported_to_committee"
    schema_version = 1
    summary = f.text(required=True, meaning="What the group reported.")
    report_symbol = f.text(max_length=100, meaning="The report's document symbol, if it has one.")


class MeetingReportedToCommittee(Schema):
    """The group reported on the meeting to the Committee, carrying the outcomes it names (a
    further report carries outcomes logged since, or corrected after the Committee returned them)."""

    aggregate = "meeting"
    schema_version = 2
    summary = f.text(required=True, meaning="What the group reported.")
    report_symbol = f.text(max_length=100, meaning="The report's document symbol, if it has one.")
    outcome_ids = fields.List(f.ident(), required=True,
                              metadata=meant("The outcomes the report carries to the Committee (possibly none)."))


class OutcomeApprovedV1(Schema):
    """The Committee approved an outcome (schema version 1: no note)."""

    aggregate = "meeting"
    event_type = "outcome_approved"
    schema_version = 1
    outcome_id = f.ident(meaning="The outcome approved.")


class OutcomeApproved(Schema):
    """The Committee approved an outcome the group reported to it."""

    aggregate = "meeting"
    schema_version = 2
    outcome_id = f.ident(meaning="The outcome approved.")
    note = f.text(meaning="The Committee's note, if any.")


class OutcomeDecided(Schema):
    """The Committee did not approve an outcome: it rejected it, returned it to the group (which
    corrects it and reports it again) or deferred it (to decide later)."""

    aggregate = "meeting"
    outcome_id = f.ident(meaning="The outcome decided on.")
    decision = f.one_of(COMMITTEE_DECISIONS, meaning="`rejected`, `returned` (to the group) or `deferred`.")
    note = f.text(meaning="The Committee's note: why, or until when.")


class ActionItemStatusChanged(Schema):
    """An action item's status changed (open, done, dropped)."""

    aggregate = "meeting"
    outcome_id = f.ident(meaning="The action item.")
    status = f.one_of(ACTION_ITEM_STATUSES, meaning="Its status now: `open`, `done` or `dropped`.")
    previous_status = f.one_of(ACTION_ITEM_STATUSES, meaning="Its status before.")
    note = f.text(meaning="What was done, or why it was dropped.")


class OutcomeCommunicatedV1(Schema):
    """An approved outcome was communicated to national contact points (schema version 1: the
    States are not named)."""

    aggregate = "meeting"
    event_type = "outcome_communicated"
    schema_version = 1
    outcome_id = f.ident(meaning="The outcome communicated.")
    recipients = fields.String(
        required=True, validate=validate.OneOf(["national_contact_points"]),
        metadata=meant("To whom: the national contact points."),
    )


class OutcomeCommunicated(Schema):
    """An approved outcome was communicated to the national contact points of the States named."""

    aggregate = "meeting"
    schema_version = 2
    outcome_id = f.ident(meaning="The outcome communicated.")
    recipients = fields.String(
        required=True, validate=validate.OneOf(["national_contact_points"]),
        metadata=meant("To whom: the national contact points."),
    )
    member_states = fields.List(f.member_state(), required=True, validate=validate.Length(min=1, max=250),
                                metadata=meant("The States whose national contact points received it."))


class OpenMeetingHeld(Schema):
    """An open meeting was held on approved outcomes."""

    aggregate = "meeting"
    outcome_ids = fields.List(f.ident(), required=True, validate=validate.Length(min=1),
                              metadata=meant("The approved outcomes the open meeting was on."))
    summary = f.text(meaning="What the open meeting was, in a few words.")


class MeetingCancelled(Schema):
    """The meeting was cancelled."""

    aggregate = "meeting"
    reason = f.text(required=True, meaning="Why the meeting was cancelled.")


class MeetingPostponed(Schema):
    """The meeting was postponed, with the new times when known."""

    aggregate = "meeting"
    reason = f.text(required=True, meaning="Why the meeting was postponed.")
    starts_at = f.when(required=False, allow_none=True, load_default=None,
                       meaning="When it now starts, or `null`: postponed without dates.")
    ends_at = f.when(required=False, allow_none=True, load_default=None,
                     meaning="When it now ends, or `null` with `starts_at`.")


class DocumentFileAttached(FileFields):
    """A file of a circulated document was kept: one version (the original, a revision, a
    corrigendum) in one official language. The bytes stay in the meetings service's store; the
    event carries their hash."""

    aggregate = "meeting"
    document_id = f.ident(meaning="The circulated document the file is a text of.")
