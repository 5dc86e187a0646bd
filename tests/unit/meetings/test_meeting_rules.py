"""The rules of working groups and their meetings (shared/DOMAIN.md section 2), one test per rule.

The WorkingGroup and Meeting aggregates are driven directly: no database, no broker. A
rejected command must name its rule and change nothing: no pending event, same status, same
version, same state.

The calendar (days after a fixed UTC date) is in ``conftest.py``: the meeting runs on day
``make.STARTS`` (20) from 09:00 to 12:00 UTC; ``make.chair(day)`` is what chair.fr does.
"""
from __future__ import annotations

import ast
import copy
import inspect
from itertools import groupby
from pathlib import Path
from uuid import uuid4

import pytest

from shared.errors import Forbidden, RuleBroken
from shared.domain import DOCUMENT_NOTICE
from meetings.domain import Meeting, MeetingStatus, Outcome, WorkingGroup
from meetings.domain import model


def snapshot(meeting: Meeting) -> dict:
    """What a user can see of a meeting, to check that a rejected command left it as it was."""
    return copy.deepcopy(
        {
            "status": meeting.status,
            "version": meeting.version,
            "dates": (meeting.starts_at, meeting.ends_at),
            "announced_at": meeting.announced_at,
            "held_at": meeting.held_at,
            "reported_at": meeting.reported_at,
            "cancelled_at": meeting.cancelled_at,
            "postponed_sine_die": meeting.postponed_sine_die,
            "moves": meeting.moves,
            "documents": meeting.documents,
            "outcomes": meeting.outcomes,
            "open_meetings": meeting.open_meetings,
            "ended_reason": meeting.ended_reason,
            "awaiting": meeting.awaiting(),
        }
    )


def group_snapshot(group: WorkingGroup) -> dict:
    return copy.deepcopy(
        {
            "version": group.version,
            "chair": (group.chair_member_state, group.chair_user),
            "chairs": group.chairs,
        }
    )


def nothing_changed(meeting: Meeting, before: dict) -> bool:
    """No event pending, and the meeting as it was in ``before``."""
    return meeting.collect_events() == [] and snapshot(meeting) == before


def event_names(aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


# -- the whole lifecycle ----------------------------------------------------------------------


def test_a_meeting_goes_from_the_schedule_to_an_open_meeting_through_every_status_in_order(make, ctx):
    group = make.group
    meeting = Meeting.schedule(
        ctx(1), meeting_id=uuid4(), group=group, group_id=group.id, meeting_kind="working_group",
        title="WG2", starts_at=make.at(20), ends_at=make.at(20, hours=3),
    )
    steps = [
        lambda: meeting.announce(ctx(2)),
        lambda: meeting.circulate_document(ctx(10), document_id="doc-1", title="Agenda"),
        lambda: meeting.hold(ctx(20, hours=3), delegations=["FRA", "KEN"]),
        lambda: meeting.log_outcome(
            make.chair(21), group=group, outcome_id="o-1", outcome_kind="decision", text="Revise"
        ),
        lambda: meeting.report_to_committee(ctx(22), summary="one decision"),
        lambda: meeting.approve_outcome(ctx(25), outcome_id="o-1"),
        lambda: meeting.communicate_outcome(ctx(26), outcome_id="o-1", member_states=["KEN"]),
        lambda: meeting.hold_open_meeting(ctx(30), outcome_ids=["o-1"], summary="briefing"),
    ]
    statuses = [meeting.status]
    for step in steps:
        step()
        statuses.append(meeting.status)

    assert [status for status, _ in groupby(statuses)] == [
        MeetingStatus.SCHEDULED,
        MeetingStatus.ANNOUNCED,
        MeetingStatus.HELD,
        MeetingStatus.REPORTED,
    ]
    assert meeting.version == 1 + len(steps)
    assert event_names(meeting) == [
        "MeetingScheduled", "MeetingAnnounced", "DocumentCirculated", "MeetingHeld", "OutcomeLogged",
        "MeetingReportedToCommittee", "OutcomeApproved", "OutcomeCommunicated", "OpenMeetingHeld",
    ]
    outcome = meeting.outcomes["o-1"]
    assert outcome.approved_at == ctx(25).occurred_at
    assert outcome.communicated_at == ctx(26).occurred_at
    assert outcome.taken_to_open_meeting_at == ctx(30).occurred_at
    assert meeting.awaiting() == []


# -- working groups and their chairs ----------------------------------------------------------------


def test_a_working_group_has_no_chair_until_a_committee_member_is_assigned(ctx):
    group = WorkingGroup(id=uuid4(), ctx=ctx(0), name="WG1", committee="1540", mandate_area="monitoring")
    assert (group.chair_member_state, group.chair_user) == (None, None)

    group.assign_chair(ctx(1), chair_member_state="FRA", chair_user="chair.fr")

    assert (group.chair_member_state, group.chair_user) == ("FRA", "chair.fr")
    assert group.chairs == [{"member_state": "FRA", "user": "chair.fr", "from": ctx(1).occurred_at}]
    assert event_names(group) == ["WorkingGroupEstablished", "ChairAssigned"]


def test_a_chair_is_replaced_and_the_former_chair_stays_in_the_history(make, ctx):
    group = make.established_group()

    group.assign_chair(ctx(40), chair_member_state="MEX", chair_user="chair.mx")

    assert (group.chair_member_state, group.chair_user) == ("MEX", "chair.mx")
    assert [(c["member_state"], c["user"]) for c in group.chairs] == [("FRA", "chair.fr"), ("MEX", "chair.mx")]
    assert group.chairs[-1]["from"] == ctx(40).occurred_at
    assert event_names(group) == ["ChairAssigned"]


def test_assigning_the_sitting_chair_again_is_refused(make, ctx):
    group = make.established_group()
    before = group_snapshot(group)

    with pytest.raises(RuleBroken) as broken:
        group.assign_chair(ctx(5), chair_member_state=make.CHAIR_STATE, chair_user=make.CHAIR)

    assert broken.value.rule == "chair_assignment_changes_the_chair"
    assert group.collect_events() == []
    assert group_snapshot(group) == before


# -- the published schedule --------------------------------------------------------------------------


def test_a_meeting_is_put_on_the_schedule_of_an_established_group(make, ctx):
    group = make.group

    meeting = Meeting.schedule(
        ctx(1), meeting_id=uuid4(), group=group, group_id=group.id, meeting_kind="donor_forum",
        title="Donor forum", starts_at=make.at(20), ends_at=make.at(20, hours=3), location="Room 7",
    )

    assert meeting.status == MeetingStatus.SCHEDULED
    assert meeting.group_id == group.id
    assert (meeting.starts_at, meeting.ends_at) == (make.at(20), make.at(20, hours=3))
    assert meeting.scheduled_at == ctx(1).occurred_at
    assert meeting.awaiting() == ["announcement"]  # a donor forum needs no documents (MEETING_KIND_RULES)
    assert event_names(meeting) == ["MeetingScheduled"]


def test_a_meeting_cannot_be_scheduled_for_a_group_that_was_not_established(make, ctx):
    with pytest.raises(RuleBroken) as broken:
        Meeting.schedule(
            ctx(1), meeting_id=uuid4(), group=None, group_id=uuid4(), meeting_kind="working_group",
            title="WG9", starts_at=make.at(20), ends_at=make.at(20, hours=3),
        )

    assert broken.value.rule == "meetings_belong_to_an_established_group"


@pytest.mark.parametrize("hours", [0, -1], ids=["ends-when-it-starts", "ends-before-it-starts"])
def test_a_meeting_is_scheduled_only_if_it_ends_after_it_starts(make, ctx, hours):
    with pytest.raises(RuleBroken) as broken:
        Meeting.schedule(
            ctx(1), meeting_id=uuid4(), group=make.group, group_id=make.group.id,
            meeting_kind="working_group", title="WG2", starts_at=make.at(20),
            ends_at=make.at(20, hours=hours),
        )

    assert broken.value.rule == "meeting_ends_after_it_starts"


# -- announcement -------------------------------------------------------------------------------------


def test_a_meeting_is_announced_to_all_council_delegations(make, ctx):
    meeting = make.scheduled_meeting()

    meeting.announce(ctx(2), notice="open meeting")

    assert meeting.status == MeetingStatus.ANNOUNCED
    assert meeting.announced_at == ctx(2).occurred_at
    [announced] = meeting.collect_events()
    assert announced.announced_to == "all_council_delegations"


def test_a_meeting_is_announced_only_once(make, ctx):
    meeting = make.announced_meeting()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.announce(ctx(3))

    assert broken.value.rule == "meeting_announced_once"
    assert meeting.announced_at == ctx(2).occurred_at
    assert nothing_changed(meeting, before)


def test_a_held_meeting_can_no_longer_be_announced(make, ctx):
    meeting = make.held_meeting()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.announce(ctx(make.STARTS + 1))

    assert broken.value.rule == "announce_before_the_meeting"
    assert nothing_changed(meeting, before)


# -- documents ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours_before", "late"),
    [(240, False), (72, False), (71.5, True), (1, True)],
    ids=["ten-days", "exactly-72-hours", "71.5-hours", "an-hour"],
)
def test_a_document_circulated_less_than_72_hours_before_the_meeting_is_accepted_but_marked_late(
    make, ctx, hours_before, late
):
    meeting = make.announced_meeting()

    meeting.circulate_document(ctx(make.STARTS, hours=-hours_before), document_id="doc-1", title="Agenda")

    assert DOCUMENT_NOTICE.total_seconds() == 72 * 3600
    assert meeting.notice_of("doc-1") == (hours_before, late)
    assert meeting.documents["doc-1"]["circulated_at"] == ctx(make.STARTS, hours=-hours_before).occurred_at
    assert meeting.missing_documents is False
    [circulated] = meeting.collect_events()
    assert circulated.hours_before_meeting == hours_before


@pytest.mark.parametrize("hours", [pytest.param(0, id="as-it-starts"), pytest.param(1, id="while-it-runs"),
                                   pytest.param(48, id="after-it-ended-but-not-recorded-as-held")])
def test_a_document_circulated_once_the_meeting_started_is_recorded_and_flagged_not_refused(make, ctx, hours):
    meeting = make.announced_meeting()

    meeting.circulate_document(ctx(make.STARTS, hours=hours), document_id="doc-9", title="Late paper")

    assert meeting.notice_of("doc-9") == (-float(hours), True)


def test_a_document_is_not_circulated_for_a_meeting_already_held(make, ctx):
    meeting = make.held_meeting()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.circulate_document(ctx(make.STARTS, hours=4), document_id="doc-9", title="Late paper")

    assert broken.value.rule == "documents_circulated_before_the_meeting_is_held"
    assert "doc-9" not in meeting.documents
    assert nothing_changed(meeting, before)


def test_a_document_is_circulated_once(make, ctx):
    meeting = make.meeting_with_document()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.circulate_document(ctx(12), document_id="doc-1", title="Draft matrix, revised")

    assert broken.value.rule == "document_circulated_once"
    assert meeting.documents["doc-1"]["title"] == "Draft matrix"
    assert nothing_changed(meeting, before)


def test_documents_of_a_meeting_postponed_without_dates_wait_for_its_new_dates(make, ctx):
    meeting = make.announced_meeting()
    meeting.postpone(ctx(5), reason="no quorum")
    meeting.collect_events()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.circulate_document(ctx(6), document_id="doc-1", title="Agenda")

    assert broken.value.rule == "postponed_meeting_needs_new_dates"
    assert nothing_changed(meeting, before)


# -- holding the meeting -------------------------------------------------------------------------


def test_a_meeting_is_held_only_after_it_was_announced(make, ctx):
    meeting = make.scheduled_meeting()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.hold(ctx(make.STARTS, hours=3))

    assert broken.value.rule == "held_only_after_announcement"
    assert meeting.held_at is None
    assert nothing_changed(meeting, before)


def test_an_announced_meeting_is_held_and_then_awaits_its_report(make, ctx):
    meeting = make.meeting_with_document()

    meeting.hold(ctx(make.STARTS, hours=3), delegations=["KEN", "FRA", "KEN"], organizations=["UNODC"],
                 experts=["Group of experts"])

    assert meeting.status == MeetingStatus.HELD
    assert meeting.held_at == ctx(make.STARTS, hours=3).occurred_at
    assert meeting.awaiting() == ["report_to_committee"]
    [held] = meeting.collect_events()
    assert (held.delegations, held.organizations, held.experts) == (["FRA", "KEN"], ["UNODC"], ["Group of experts"])
    assert meeting.attendance == {"delegations": ["FRA", "KEN"], "organizations": ["UNODC"], "experts": ["Group of experts"]}


def test_a_meeting_is_held_once(make, ctx):
    meeting = make.held_meeting()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.hold(ctx(make.STARTS + 1))

    assert broken.value.rule == "meeting_held_once"
    assert meeting.held_at == ctx(make.STARTS, hours=make.HOURS).occurred_at
    assert nothing_changed(meeting, before)


def test_a_meeting_postponed_without_dates_is_not_held_until_it_has_new_dates(make, ctx):
    meeting = make.meeting_with_document()
    meeting.postpone(ctx(15), reason="no quorum")
    meeting.collect_events()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.hold(ctx(make.STARTS, hours=3))

    assert broken.value.rule == "postponed_meeting_needs_new_dates"
    assert nothing_changed(meeting, before)

    meeting.postpone(ctx(16), reason="new dates", starts_at=make.at(30), ends_at=make.at(30, hours=3))
    meeting.announce(ctx(16))  # its new dates, announced again
    meeting.hold(ctx(30, hours=3))
    assert meeting.status == MeetingStatus.HELD


# -- outcomes, logged by the chair ----------------------------------------------------------------------


def test_the_chair_logs_decisions_recommendations_and_action_items_once_the_meeting_was_held(make):
    meeting = make.held_meeting()

    for outcome_id, kind in [("o-1", "decision"), ("o-2", "recommendation"), ("o-3", "action_item")]:
        action = {"owner": "the secretariat", "due_on": make.at(60).date()} if kind == "action_item" else {}
        meeting.log_outcome(
            make.chair(21), group=make.group, outcome_id=outcome_id, outcome_kind=kind, text=f"a {kind}", **action
        )

    assert [o.outcome_kind for o in meeting.outcomes.values()] == ["decision", "recommendation", "action_item"]
    assert meeting.outcomes["o-1"] == Outcome(
        outcome_id="o-1", outcome_kind="decision", text="a decision", amends=None,
        logged_at=make.chair(21).occurred_at, logged_by=make.CHAIR,
    )
    assert event_names(meeting) == ["OutcomeLogged"] * 3


def test_outcomes_are_logged_only_after_the_meeting_was_held(make):
    meeting = make.meeting_with_document()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.log_outcome(
            make.chair(15), group=make.group, outcome_id="o-1", outcome_kind="decision", text="pre-cooked"
        )

    assert broken.value.rule == "outcomes_logged_after_the_meeting_is_held"
    assert nothing_changed(meeting, before)


@pytest.mark.parametrize("user", ["secretariat@un.org", "delegate.ken"])
def test_only_the_groups_chair_logs_outcomes(make, ctx, user):
    meeting = make.held_meeting()
    before = snapshot(meeting)

    with pytest.raises(Forbidden) as forbidden:
        meeting.log_outcome(
            ctx(21, user=user), group=make.group, outcome_id="o-1", outcome_kind="decision", text="x"
        )

    assert forbidden.value.rule == "only_the_chair_logs_outcomes"
    assert "chair.fr did" in forbidden.value.detail
    assert meeting.outcomes == {}
    assert nothing_changed(meeting, before)


def test_no_one_logs_outcomes_for_a_group_without_a_chair(make):
    group = make.established_group(name="Working Group 4", chair_user=None)
    meeting = make.held_meeting(group=group)
    before = snapshot(meeting)

    with pytest.raises(Forbidden) as forbidden:
        meeting.log_outcome(make.chair(21), group=group, outcome_id="o-1", outcome_kind="decision", text="x")

    assert forbidden.value.rule == "only_the_chair_logs_outcomes"
    assert "no chair" in forbidden.value.detail
    assert nothing_changed(meeting, before)


def test_the_chair_in_office_at_the_meetings_start_logs_its_outcomes_after_a_handover(make, ctx):
    """Authority at the date it was exercised: the chair who chaired the meeting logs its
    outcomes, even after the chair passed to another member; the successor does not."""
    group = make.group
    meeting = make.held_meeting()  # started day 20, chaired by chair.fr
    group.assign_chair(ctx(21), chair_member_state="MEX", chair_user="chair.mx")
    group.collect_events()
    before = snapshot(meeting)

    with pytest.raises(Forbidden) as forbidden:
        meeting.log_outcome(ctx(22, user="chair.mx"), group=group, outcome_id="o-1", outcome_kind="decision",
                            text="x")

    assert forbidden.value.rule == "only_the_chair_logs_outcomes"
    assert "chair.mx did not chair Working Group 2: Assistance when the meeting started" in forbidden.value.detail
    assert nothing_changed(meeting, before)

    meeting.log_outcome(make.chair(22), group=group, outcome_id="o-1", outcome_kind="decision", text="x")
    assert meeting.outcomes["o-1"].logged_by == "chair.fr"


def test_a_chair_is_a_member_of_the_committee_where_its_membership_is_recorded(make, ctx):
    from uuid import uuid4

    from meetings.domain import CommitteeMembership

    members = CommitteeMembership(id=uuid4(), ctx=ctx(0), committee="1540", year=2025,
                                  member_states=["FRA", "GBR", "USA", "CHN", "RUS"])
    group = make.group
    with pytest.raises(RuleBroken) as broken:
        group.assign_chair(ctx(3), chair_member_state="MEX", chair_user="chair.mx", members=members)
    assert broken.value.rule == "chairs_are_members_of_the_committee"
    assert "MEX is not a member of the 1540 Committee in 2025" in broken.value.detail
    assert group.chair_user == "chair.fr" and group.collect_events() == []
    group.assign_chair(ctx(3), chair_member_state="GBR", chair_user="chair.uk", members=members)
    group.assign_chair(ctx(4), chair_member_state="MEX", chair_user="chair.mx")  # no membership recorded
    assert group.chair_at(make.at(3, hours=1))["user"] == "chair.uk" and group.chair_user == "chair.mx"


def test_a_membership_revision_changes_it(make, ctx):
    from uuid import uuid4

    from meetings.domain import CommitteeMembership

    members = CommitteeMembership(id=uuid4(), ctx=ctx(0), committee="ctc", year=2025, member_states=["FRA"])
    with pytest.raises(RuleBroken) as broken:
        members.revise(ctx(1), member_states=["FRA"])
    assert broken.value.rule == "membership_revision_changes_it"
    members.revise(ctx(1), member_states=["FRA", "GBR"])
    assert members.member_states == ["FRA", "GBR"]


def test_an_outcome_id_is_logged_once(make):
    meeting = make.held_meeting_with_outcomes()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.log_outcome(
            make.chair(22), group=make.group, outcome_id="o-1", outcome_kind="decision", text="other text"
        )

    assert broken.value.rule == "outcome_ids_unique"
    assert meeting.outcomes["o-1"].text == "Revise the matrices by June"
    assert nothing_changed(meeting, before)


def test_an_approved_outcome_is_never_edited(make):
    meeting = make.meeting_with_approved_outcome()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.log_outcome(
            make.chair(26), group=make.group, outcome_id="o-1", outcome_kind="decision",
            text="Revise the matrices by December",
        )

    assert broken.value.rule == "approved_outcomes_are_never_edited"
    assert meeting.outcomes["o-1"].text == "Revise the matrices by June"
    assert nothing_changed(meeting, before)


def test_an_approved_outcome_is_amended_by_a_new_outcome_and_the_original_stays_approved_and_superseded(make):
    meeting = make.meeting_with_approved_outcome()
    original = copy.deepcopy(meeting.outcomes["o-1"])

    meeting.log_outcome(
        make.chair(26), group=make.group, outcome_id="o-1a", outcome_kind="decision",
        text="Revise the matrices by December", amends="o-1",
    )

    original.superseded_by = "o-1a"  # the amendment supersedes it; nothing else changes
    assert meeting.outcomes["o-1"] == original
    assert meeting.outcomes["o-1"].approved_at == make.ctx(25).occurred_at
    amendment = meeting.outcomes["o-1a"]
    assert (amendment.amends, amendment.approved_at) == ("o-1", None)
    # the amendment goes to the Committee by a report; o-2 still awaits the Committee
    assert meeting.awaiting() == ["report_to_committee", "outcome_approval"]
    [logged] = meeting.collect_events()
    assert (logged.outcome_id, logged.amends) == ("o-1a", "o-1")


def test_an_amendment_names_an_existing_outcome(make):
    meeting = make.held_meeting_with_outcomes()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.log_outcome(
            make.chair(22), group=make.group, outcome_id="o-3", outcome_kind="decision", text="x",
            amends="o-404",
        )

    assert broken.value.rule == "amendments_name_an_existing_outcome"
    assert nothing_changed(meeting, before)


# -- report to the Committee and approval -----------------------------------------------------------


def test_a_meeting_is_reported_to_the_committee_only_after_it_was_held(make, ctx):
    meeting = make.meeting_with_document()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.report_to_committee(ctx(15), summary="nothing yet")

    assert broken.value.rule == "report_after_the_meeting"
    assert nothing_changed(meeting, before)


def test_a_meeting_is_reported_to_the_committee_once(make, ctx):
    meeting = make.reported_meeting()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.report_to_committee(ctx(23), summary="again")

    assert broken.value.rule == "meeting_reported_once"
    assert meeting.reported_at == ctx(22).occurred_at
    assert nothing_changed(meeting, before)


def test_reporting_a_meeting_with_outcomes_puts_them_before_the_committee_for_approval(make, ctx):
    meeting = make.held_meeting_with_outcomes()

    meeting.report_to_committee(ctx(22), summary="two outcomes")

    assert meeting.status == MeetingStatus.REPORTED
    assert meeting.awaiting() == ["outcome_approval"]


def test_outcomes_are_approved_only_after_the_group_reported_to_the_committee(make, ctx):
    meeting = make.held_meeting_with_outcomes()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.approve_outcome(ctx(21), outcome_id="o-1")

    assert broken.value.rule == "outcomes_approved_after_report_to_committee"
    assert meeting.outcomes["o-1"].approved_at is None
    assert nothing_changed(meeting, before)


def test_an_outcome_is_approved_once(make, ctx):
    meeting = make.meeting_with_approved_outcome()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.approve_outcome(ctx(26), outcome_id="o-1")

    assert broken.value.rule == "outcome_approved_once"
    assert meeting.outcomes["o-1"].approved_at == ctx(25).occurred_at
    assert nothing_changed(meeting, before)


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(lambda m, ctx: m.approve_outcome(ctx(26), outcome_id="o-9"), id="approve"),
        pytest.param(lambda m, ctx: m.communicate_outcome(ctx(26), outcome_id="o-9", member_states=["KEN"]), id="communicate"),
        pytest.param(lambda m, ctx: m.hold_open_meeting(ctx(26), outcome_ids=["o-1", "o-9"]), id="open-meeting"),
    ],
)
def test_only_an_outcome_the_meeting_has_is_approved_communicated_or_taken_to_an_open_meeting(make, ctx, step):
    meeting = make.meeting_with_approved_outcome()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        step(meeting, ctx)

    assert broken.value.rule == "outcome_exists"
    assert nothing_changed(meeting, before)


def test_once_every_outcome_is_approved_the_meeting_awaits_nothing(make, ctx):
    meeting = make.meeting_with_approved_outcome()

    meeting.approve_outcome(ctx(26), outcome_id="o-2")

    assert all(o.approved_at is not None for o in meeting.outcomes.values())
    assert meeting.awaiting() == []


# -- communication to national contact points, open meetings -------------------------------------------


def test_an_approved_outcome_is_communicated_to_national_contact_points(make, ctx):
    meeting = make.meeting_with_approved_outcome()

    meeting.communicate_outcome(ctx(27), outcome_id="o-1", member_states=["KEN"])

    assert meeting.outcomes["o-1"].communicated_at == ctx(27).occurred_at
    [communicated] = meeting.collect_events()
    assert communicated.recipients == "national_contact_points"


def test_only_approved_outcomes_are_communicated_to_national_contact_points(make, ctx):
    meeting = make.meeting_with_approved_outcome()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.communicate_outcome(ctx(27), outcome_id="o-2", member_states=["KEN"])

    assert broken.value.rule == "only_approved_outcomes_are_communicated"
    assert meeting.outcomes["o-2"].communicated_at is None
    assert nothing_changed(meeting, before)


def test_an_outcome_is_communicated_once(make, ctx):
    meeting = make.meeting_with_approved_outcome()
    meeting.communicate_outcome(ctx(27), outcome_id="o-1", member_states=["KEN"])
    meeting.collect_events()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.communicate_outcome(ctx(28), outcome_id="o-1", member_states=["KEN"])

    assert broken.value.rule == "outcome_communicated_once"
    assert meeting.outcomes["o-1"].communicated_at == ctx(27).occurred_at
    assert nothing_changed(meeting, before)


def test_an_open_meeting_is_held_on_approved_outcomes(make, ctx):
    meeting = make.meeting_with_approved_outcome()

    meeting.hold_open_meeting(ctx(30), outcome_ids=["o-1"], summary="briefing to Member States")

    assert meeting.open_meetings == [
        {"outcome_ids": ["o-1"], "summary": "briefing to Member States", "held_at": ctx(30).occurred_at}
    ]
    assert meeting.outcomes["o-1"].taken_to_open_meeting_at == ctx(30).occurred_at
    assert meeting.outcomes["o-2"].taken_to_open_meeting_at is None
    assert event_names(meeting) == ["OpenMeetingHeld"]


@pytest.mark.parametrize(
    "outcome_ids", [["o-2"], ["o-1", "o-2"], []], ids=["unapproved", "one-of-them-unapproved", "none-named"]
)
def test_an_open_meeting_is_held_only_on_approved_outcomes(make, ctx, outcome_ids):
    meeting = make.meeting_with_approved_outcome()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.hold_open_meeting(ctx(30), outcome_ids=outcome_ids)

    assert broken.value.rule == "open_meetings_only_on_approved_outcomes"
    assert meeting.open_meetings == []
    assert nothing_changed(meeting, before)


# -- cancelling -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", ["scheduled_meeting", "announced_meeting", "meeting_with_document"])
def test_a_meeting_not_yet_held_can_be_cancelled(make, ctx, build):
    meeting = getattr(make, build)()

    meeting.cancel(ctx(15), reason="the Chair is unavailable")

    assert meeting.status == MeetingStatus.CANCELLED
    assert meeting.cancelled_at == ctx(15).occurred_at
    assert meeting.ended_reason == "the Chair is unavailable"
    assert meeting.moves == 1
    assert meeting.awaiting() == []
    assert event_names(meeting) == ["MeetingCancelled"]


def test_a_meeting_postponed_without_dates_can_be_cancelled(make, ctx):
    meeting = make.announced_meeting()
    meeting.postpone(ctx(5), reason="no quorum")

    meeting.cancel(ctx(8), reason="not needed any more")

    assert meeting.status == MeetingStatus.CANCELLED
    assert meeting.moves == 2


@pytest.mark.parametrize("build", ["held_meeting", "reported_meeting"])
def test_a_held_meeting_cannot_be_cancelled(make, ctx, build):
    meeting = getattr(make, build)()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.cancel(ctx(23), reason="too late")

    assert broken.value.rule == "held_meeting_cannot_be_cancelled"
    assert meeting.cancelled_at is None
    assert nothing_changed(meeting, before)


CANCELLED_STEPS = [
    pytest.param(lambda m, mk: m.announce(mk.ctx(9)), id="announce"),
    pytest.param(lambda m, mk: m.circulate_document(mk.ctx(9), document_id="doc-2", title="x"), id="circulate"),
    pytest.param(lambda m, mk: m.hold(mk.ctx(mk.STARTS, hours=3)), id="hold"),
    pytest.param(
        lambda m, mk: m.log_outcome(mk.chair(21), group=mk.group, outcome_id="o-1", outcome_kind="decision", text="x"),
        id="log-outcome",
    ),
    pytest.param(lambda m, mk: m.report_to_committee(mk.ctx(22), summary="x"), id="report"),
    pytest.param(lambda m, mk: m.postpone(mk.ctx(9), reason="x"), id="postpone"),
    pytest.param(
        lambda m, mk: m.postpone(mk.ctx(9), reason="x", starts_at=mk.at(30), ends_at=mk.at(30, hours=3)),
        id="move",
    ),
    pytest.param(lambda m, mk: m.cancel(mk.ctx(9), reason="again"), id="cancel-again"),
]


@pytest.mark.parametrize("step", CANCELLED_STEPS)
def test_nothing_more_happens_to_a_cancelled_meeting(make, ctx, step):
    meeting = make.announced_meeting()
    meeting.cancel(ctx(8), reason="the Chair is unavailable")
    meeting.collect_events()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        step(meeting, make)

    assert broken.value.rule == "cancelled_meeting_cannot_change"
    assert meeting.status == MeetingStatus.CANCELLED
    assert nothing_changed(meeting, before)


# -- postponing ---------------------------------------------------------------------------------------


def test_a_meeting_postponed_with_new_dates_moves_to_them(make, ctx):
    meeting = make.announced_meeting()

    meeting.postpone(ctx(5), reason="clash with the plenary", starts_at=make.at(27), ends_at=make.at(27, hours=2))

    assert (meeting.starts_at, meeting.ends_at) == (make.at(27), make.at(27, hours=2))
    assert meeting.moves == 1
    assert meeting.status == MeetingStatus.SCHEDULED  # to be announced again for its new dates
    assert meeting.awaiting() == ["announcement", "documents"]
    assert meeting.postponed_sine_die is False
    [postponed] = meeting.collect_events()
    assert (postponed.starts_at, postponed.reason) == (make.at(27), "clash with the plenary")

    meeting.postpone(ctx(6), reason="again", starts_at=make.at(28), ends_at=make.at(28, hours=2))
    assert meeting.moves == 2


def test_a_meeting_postponed_without_dates_is_taken_off_the_schedule(make, ctx):
    meeting = make.announced_meeting()

    meeting.postpone(ctx(5), reason="no quorum")

    assert meeting.status == MeetingStatus.POSTPONED
    assert meeting.postponed_sine_die is True
    assert (meeting.starts_at, meeting.ends_at) == (make.at(make.STARTS), make.at(make.STARTS, hours=3))
    assert meeting.moves == 1
    [postponed] = meeting.collect_events()
    assert (postponed.starts_at, postponed.ends_at) == (None, None)
    assert meeting.awaiting() == ["new_dates"]  # not its documents while it has no dates


def test_a_meeting_postponed_without_dates_is_back_on_the_schedule_with_new_dates(make, ctx):
    meeting = make.announced_meeting()
    meeting.postpone(ctx(5), reason="no quorum")

    meeting.postpone(ctx(9), reason="new dates", starts_at=make.at(40), ends_at=make.at(40, hours=3))

    assert meeting.status == MeetingStatus.SCHEDULED
    assert meeting.postponed_sine_die is False
    assert meeting.starts_at == make.at(40)
    assert meeting.moves == 2
    assert meeting.awaiting() == ["announcement", "documents"]
    meeting.circulate_document(ctx(30), document_id="doc-1", title="Agenda")
    assert meeting.notice_of("doc-1") == (240.0, False)


@pytest.mark.parametrize("build", ["held_meeting", "reported_meeting"])
def test_a_held_meeting_cannot_be_postponed(make, ctx, build):
    meeting = getattr(make, build)()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.postpone(ctx(23), reason="redo", starts_at=make.at(30), ends_at=make.at(30, hours=3))

    assert broken.value.rule == "postpone_before_the_meeting"
    assert nothing_changed(meeting, before)


@pytest.mark.parametrize("given", ["starts_at", "ends_at"])
def test_new_dates_give_both_a_start_and_an_end(make, ctx, given):
    meeting = make.announced_meeting()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.postpone(ctx(5), reason="half a date", **{given: make.at(30)})

    assert broken.value.rule == "new_dates_give_start_and_end"
    assert nothing_changed(meeting, before)


def test_new_dates_end_after_they_start(make, ctx):
    meeting = make.announced_meeting()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.postpone(ctx(5), reason="typo", starts_at=make.at(30), ends_at=make.at(29))

    assert broken.value.rule == "meeting_ends_after_it_starts"
    assert meeting.starts_at == make.at(make.STARTS)
    assert nothing_changed(meeting, before)


def test_a_meeting_postponed_without_dates_is_not_postponed_again_without_dates(make, ctx):
    meeting = make.announced_meeting()
    meeting.postpone(ctx(5), reason="no quorum")
    meeting.collect_events()
    before = snapshot(meeting)

    with pytest.raises(RuleBroken) as broken:
        meeting.postpone(ctx(6), reason="still no quorum")

    assert broken.value.rule == "meeting_already_postponed"
    assert meeting.moves == 1
    assert nothing_changed(meeting, before)


# -- what a meeting waits for ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "awaiting"),
    [
        ("scheduled_meeting", ["announcement", "documents"]),
        ("announced_meeting", ["documents"]),
        ("meeting_with_document", []),
        ("held_meeting", ["report_to_committee"]),
        ("held_meeting_with_outcomes", ["report_to_committee"]),
        ("reported_meeting", ["outcome_approval"]),
        ("meeting_with_approved_outcome", ["outcome_approval"]),
    ],
)
def test_a_meeting_awaits_announcement_and_documents_before_and_its_report_and_approvals_after(
    make, build, awaiting
):
    meeting = getattr(make, build)()

    assert meeting.awaiting() == awaiting


def test_a_held_meeting_reported_without_outcomes_awaits_nothing(make, ctx):
    meeting = make.held_meeting()

    meeting.report_to_committee(ctx(22), summary="no outcomes")

    assert meeting.awaiting() == []


# -- every rule has its test ----------------------------------------------------------------------------


def _rules_named_in(module) -> set[str]:
    """Every rule name given to RuleBroken(...) or Forbidden(...) in ``module``'s source, or
    handed to a ``self._require_...(rule, ...)`` helper that raises it."""
    rules = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
        if name in ("RuleBroken", "Forbidden") or name.startswith("_require"):
            rules |= {
                c.value for c in ast.walk(node.args[0]) if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
    return rules


def test_every_rule_of_working_groups_and_meetings_is_asserted_in_this_file():
    """(Or in its companions on dates and meeting kinds, test_meeting_chronology.py, and on the
    Committee's decisions, test_meeting_decisions.py.)"""
    rules = _rules_named_in(model)
    source = "".join((Path(__file__).parent / name).read_text(encoding="utf-8") for name in (
        Path(__file__).name, "test_meeting_chronology.py", "test_meeting_decisions.py", "test_meeting_document_files.py"))

    assert len(rules) >= 28
    # ``.rule == "…"`` here; ``refused(…) == "…"`` in test_meeting_decisions.py (its helper gives the rule)
    assert sorted(r for r in rules if f'.rule == "{r}"' not in source and f'== "{r}"' not in source) == []


def test_a_document_late_for_the_first_dates_is_on_time_once_the_meeting_moves_later(make, ctx):
    """Lateness is read from the meeting's dates as they now stand, as the reports read it: a
    meeting moved a week later gave its documents a week more notice."""
    from meetings.views import meeting_view

    meeting = make.announced_meeting()
    meeting.circulate_document(ctx(make.STARTS, hours=-48), document_id="doc-1", title="Agenda")
    assert meeting.notice_of("doc-1") == (48.0, True)

    meeting.postpone(ctx(make.STARTS - 1), reason="clash", starts_at=make.at(make.STARTS + 7),
                     ends_at=make.at(make.STARTS + 7, hours=3))

    assert meeting.notice_of("doc-1") == (216.0, False)
    [shown] = meeting_view(meeting, make.group)["documents"]
    assert (shown["hours_before_meeting"], shown["late"]) == (216.0, False)
