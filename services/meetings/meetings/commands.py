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
from shared.contract import fields as f
from shared.contract import meetings as contract
from shared.contract import files
from shared.documents import trial_file
from shared.uploads import FileContent
from meetings.application import MeetingsApplication as App
from meetings.domain import CommitteeMembership, Meeting, WorkingGroup

_NEW = "\x00new"  # an id no document or outcome has
_NO_GROUP = SimpleNamespace(name="an unknown group", chair_at=lambda moment: None)


def _outcome(meeting: Meeting, awaiting: str) -> str:
    """The first outcome in force that awaits the step (``approval``: the Committee's
    decision; ``communication``; ``correction``: a draft or one returned; ``status``: an
    action item), else any."""
    waiting = {
        "approval": lambda o: o.decision in (None, "deferred"),
        "communication": lambda o: o.approved_at is not None and o.communicated_at is None,
        "correction": lambda o: o.decision == "returned" or (o.decision is None and o.reported_at is None),
        "status": lambda o: o.outcome_kind == "action_item",
    }[awaiting]
    for outcome in meeting.outcomes.values():
        if outcome.superseded_by is None and waiting(outcome):
            return outcome.outcome_id
    return next(iter(meeting.outcomes), "an outcome")


def _kind(meeting: Meeting, awaiting: str) -> str | None:
    outcome = meeting.outcomes.get(_outcome(meeting, awaiting))
    return outcome.outcome_kind if outcome else None


def _status(meeting: Meeting) -> str | None:
    outcome = meeting.outcomes.get(_outcome(meeting, "status"))
    return outcome.status if outcome else None


def _new_dates(meeting: Meeting, ctx) -> dict:
    starts = max(ctx.occurred_at, meeting.starts_at) + timedelta(days=30)
    return {"starts_at": starts, "ends_at": starts + timedelta(hours=3)}


def _step(name: str, help_text: str, payload, use_case, method, probe, *derived: str, roles=SECRETARIAT,
          **overrides) -> Command:
    return Command(name, help_text, command_input(payload, *derived, **overrides), roles, use_case, method, probe)


def _numbered(what: str, prefix: str):
    """An id the user may leave out: the meeting numbers it (``D1``, ``O1``...)."""
    return f.ident(required=False, meaning=f"The {what}'s identifier, unique within the meeting; leave it out and "
                                           f"the meeting numbers it ({prefix}1, {prefix}2, ...).")


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
    _step("circulate-document", "Circulate a meeting document to all delegations (before the meeting); without "
          "--document-id the meeting numbers it (D1, D2, ...).",
          contract.DocumentCirculated, App.circulate_document, Meeting.circulate_document,
          lambda meeting, ctx, **_: {"document_id": _NEW, "title": "a document"}, "hours_before_meeting",
          document_id=_numbered("document", "D")),
    _step("attach-file", "Keep a circulated document's text as a file (a PDF, Word .docx or plain text): "
          "--document-id, --language (ar, zh, en, fr, ru, es), the file (its bytes as the body of POST "
          "/meetings/{id}/files; the CLI: --file PATH; a JSON body: content in base64), --symbol, --version (original, Rev.1, Corr.1).",
          contract.DocumentFileAttached, App.attach_file, Meeting.attach_file,
          lambda meeting, ctx, **_: {"document_id": next(iter(meeting.documents), _NEW),
                                     **trial_file(meeting.files, next(iter(meeting.documents), _NEW))},
          "media_type", "size", "sha256", content=FileContent(), version=files.version(required=False),
          file_name=files.file_name(required=False)),
    _step("hold", "The meeting was held (only after it was announced), with who attended: --delegations (State "
          "codes), --organizations, --experts, each repeated.", contract.MeetingHeld,
          App.hold, Meeting.hold, lambda meeting, ctx, **_: {}),
    _step("log-outcome", "The group's chair logs a decision, recommendation or action item (an action item with "
          "--owner and --due-on; --amends an earlier outcome, which it supersedes); the meeting numbers it "
          "unless --outcome-id names it.",
          contract.OutcomeLogged, App.log_outcome, Meeting.log_outcome,
          lambda meeting, ctx, group=None, **_: {"group": group or _NO_GROUP, "outcome_id": _NEW,
                                                 "outcome_kind": "decision", "text": "an outcome"},
          roles=CHAIRS, outcome_id=_numbered("outcome", "O")),
    _step("correct-outcome", "The chair corrects a draft outcome (--outcome-id, --text) until a report carries it "
          "to the Committee, or after the Committee returned it.",
          contract.OutcomeCorrected, App.correct_outcome, Meeting.correct_outcome,
          lambda meeting, ctx, group=None, **_: {"group": group or _NO_GROUP,
                                                 "outcome_id": _outcome(meeting, "correction"), "text": "corrected",
                                                 **({"owner": "an owner", "due_on": ctx.occurred_at.date()}
                                                    if _kind(meeting, "correction") == "action_item" else {})},
          roles=CHAIRS),
    _step("report-to-committee", "The group reports the meeting to the Committee, carrying its outcomes not yet "
          "reported.", contract.MeetingReportedToCommittee, App.report_to_committee, Meeting.report_to_committee,
          lambda meeting, ctx, **_: {"summary": "a report"}, "outcome_ids"),
    _step("approve-outcome", "The Committee approves an outcome the group reported (--note).", contract.OutcomeApproved,
          App.approve_outcome, Meeting.approve_outcome,
          lambda meeting, ctx, **_: {"outcome_id": _outcome(meeting, "approval"), "note": ""}),
    _step("decide-outcome", "The Committee rejects, returns to the group or defers an outcome (--decision, --note).",
          contract.OutcomeDecided, App.decide_outcome, Meeting.decide_outcome,
          lambda meeting, ctx, **_: {"outcome_id": _outcome(meeting, "approval"), "decision": "deferred", "note": ""}),
    _step("update-action-item", "An action item is done, dropped or open again (--outcome-id, --status, --note).",
          contract.ActionItemStatusChanged, App.update_action_item, Meeting.update_action_item,
          lambda meeting, ctx, **_: {"outcome_id": _outcome(meeting, "status"), "note": "",
                                     "status": "done" if _status(meeting) != "done" else "open"},
          "previous_status"),
    _step("communicate-outcome", "Communicate an approved outcome to the national contact points of the States "
          "named (--member-states, repeated).",
          contract.OutcomeCommunicated, App.communicate_outcome, Meeting.communicate_outcome,
          lambda meeting, ctx, **_: {"outcome_id": _outcome(meeting, "communication"), "member_states": ["KEN"]},
          "recipients"),
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
