"""Every command of the meetings service, declared once (``shared.commands``): the HTTP routes
and their role checks, the OpenAPI document, the CLI's subcommands and the next steps a
meeting's page offers are all made from these two tables.

A probe is the input a step is tried with on a copy of a meeting, to tell whether its rules
allow it now: a new document or outcome id, the first outcome awaiting the step, new dates a
month ahead. "Allowed" therefore means "allowed for some input"; the real command is judged
again when it comes, and a refusal names its rule. Logging an outcome is tried as the caller,
with the meeting's group: only its chair may.
"""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from marshmallow import fields

from shared.auth import CHAIRS, SECRETARIAT
from shared.commands import Command, Commands, command_input
from shared.contract import meetings as contract
from meetings.application import MeetingsApplication as App
from meetings.domain import CommitteeMembership, Meeting, WorkingGroup

_NEW = "\x00new"  # an id no document or outcome has
_NO_GROUP = SimpleNamespace(name="an unknown group", chair_at=lambda moment: None)


def _outcome(meeting: Meeting, awaiting: str) -> str:
    """The first outcome that awaits the step (``approval``, ``communication``), else any."""
    for outcome in meeting.outcomes.values():
        if awaiting == "approval" and outcome.approved_at is None:
            return outcome.outcome_id
        if awaiting == "communication" and outcome.approved_at is not None and outcome.communicated_at is None:
            return outcome.outcome_id
    return next(iter(meeting.outcomes), "an outcome")


def _new_dates(meeting: Meeting, ctx) -> dict:
    starts = max(ctx.occurred_at, meeting.starts_at) + timedelta(days=30)
    return {"starts_at": starts, "ends_at": starts + timedelta(hours=3)}


def _step(name: str, help_text: str, payload, use_case, method, probe, *derived: str, roles=SECRETARIAT) -> Command:
    return Command(name, help_text, command_input(payload, *derived), roles, use_case, method, probe)


GROUPS = Commands(
    "working_group", "groups", "group_id",
    Command(
        "establish-group",
        "Set up a working group (or another body that meets): --name, --committee, --mandate-area.",
        command_input(contract.WorkingGroupEstablished, "expected_version", group_id=fields.UUID(load_default=None)),
        SECRETARIAT, App.establish_group,
    ),
    _step("assign-chair", "Assign (or re-assign) the group's chair: a Committee member (--chair-member-state) "
          "and the user who logs outcomes (--chair-user).", contract.ChairAssigned,
          App.assign_chair, WorkingGroup.assign_chair,
          lambda group, ctx: {"chair_member_state": "FRA", "chair_user": f"{_NEW} chair"}),
)

MEETINGS = Commands(
    "meeting", "meetings", "meeting_id",
    Command(
        "schedule",
        "Put a meeting on the published schedule: --group-id, --meeting-kind, --title, --starts-at, --ends-at.",
        command_input(contract.MeetingScheduled, "expected_version", meeting_id=fields.UUID(load_default=None)),
        SECRETARIAT, App.schedule_meeting,
    ),
    _step("announce", "Announce the meeting to all Council delegations.", contract.MeetingAnnounced,
          App.announce, Meeting.announce, lambda meeting, ctx, **_: {"notice": ""}, "announced_to"),
    _step("circulate-document", "Circulate a meeting document to all delegations (before the meeting).",
          contract.DocumentCirculated, App.circulate_document, Meeting.circulate_document,
          lambda meeting, ctx, **_: {"document_id": _NEW, "title": "a document"}, "hours_before_meeting"),
    _step("hold", "The meeting was held (only after it was announced).", contract.MeetingHeld,
          App.hold, Meeting.hold, lambda meeting, ctx, **_: {"attendance": []}),
    _step("log-outcome", "The group's chair logs a decision, recommendation or action item.",
          contract.OutcomeLogged, App.log_outcome, Meeting.log_outcome,
          lambda meeting, ctx, group=None, **_: {"group": group or _NO_GROUP, "outcome_id": _NEW,
                                                 "outcome_kind": "decision", "text": "an outcome"},
          roles=CHAIRS),
    _step("report-to-committee", "The group reports the meeting to the Committee.",
          contract.MeetingReportedToCommittee, App.report_to_committee, Meeting.report_to_committee,
          lambda meeting, ctx, **_: {"summary": "a report"}),
    _step("approve-outcome", "The Committee approves an outcome.", contract.OutcomeApproved,
          App.approve_outcome, Meeting.approve_outcome,
          lambda meeting, ctx, **_: {"outcome_id": _outcome(meeting, "approval")}),
    _step("communicate-outcome", "Communicate an approved outcome to national contact points.",
          contract.OutcomeCommunicated, App.communicate_outcome, Meeting.communicate_outcome,
          lambda meeting, ctx, **_: {"outcome_id": _outcome(meeting, "communication")}, "recipients"),
    _step("hold-open-meeting", "An open meeting on approved outcomes (--outcome-ids, repeated).",
          contract.OpenMeetingHeld, App.hold_open_meeting, Meeting.hold_open_meeting,
          lambda meeting, ctx, **_: {"outcome_ids": [o.outcome_id for o in meeting.outcomes.values()
                                                      if o.approved_at is not None][:1] or ["an outcome"]}),
    _step("cancel", "Cancel the meeting (--reason).", contract.MeetingCancelled, App.cancel, Meeting.cancel,
          lambda meeting, ctx, **_: {"reason": "cancelled"}),
    _step("postpone", "Postpone: --starts-at/--ends-at to move it, or neither to postpone without dates.",
          contract.MeetingPostponed, App.postpone, Meeting.postpone,
          lambda meeting, ctx, **_: {"reason": "postponed", **_new_dates(meeting, ctx)}),
)

MEMBERSHIPS = Commands(
    "committee_membership", "memberships", "membership_id",
    Command(
        "record-membership",
        "Record a Committee's members in a year (--committee, --year, --member-states repeated): a chair must be one.",
        command_input(contract.CommitteeMembershipRecorded, "expected_version"), SECRETARIAT, App.record_membership,
    ),
    _step("revise-membership", "Correct the members recorded for the year (--member-states, repeated).",
          contract.CommitteeMembershipRevised, App.revise_membership, CommitteeMembership.revise,
          lambda membership, ctx, **_: {"member_states": ["FRA"] if membership.member_states != ["FRA"] else ["GBR"]}),
)

TABLES = (GROUPS, MEETINGS, MEMBERSHIPS)
