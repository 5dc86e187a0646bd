"""The Committee's decisions on what a group reports (issue 20, point 2): a draft outcome is
corrected until a report carries it; the report names the outcomes it carries; the Committee
approves, rejects, returns or defers each (with a note); an amendment supersedes what it
amends, which is then neither decided nor communicated; action items have an owner, a due
date and a status; a communication names the States whose contact points received it."""
from __future__ import annotations

import pytest

from shared.errors import Forbidden, RuleBroken
from meetings.commands import MEETINGS

STARTS, REPORTED = 20, 22


def refused(meeting, step) -> str:
    """The rule that refuses ``step``; the meeting records nothing."""
    version = meeting.version
    with pytest.raises((RuleBroken, Forbidden)) as broken:
        step()
    assert meeting.version == version and meeting.collect_events() == []
    return broken.value.rule


def test_a_draft_outcome_is_corrected_by_its_chair_until_a_report_carries_it(make):
    meeting = make.held_meeting_with_outcomes()
    meeting.correct_outcome(make.chair(STARTS + 1, hours=2), group=make.group, outcome_id="o-1",
                            text="Revise the matrices by July")
    assert meeting.outcomes["o-1"].text == "Revise the matrices by July"
    meeting.collect_events()
    assert refused(meeting, lambda: meeting.correct_outcome(make.ctx(STARTS + 1, hours=3), group=make.group,
                                                            outcome_id="o-1", text="x")) == "only_the_chair_logs_outcomes"
    meeting.collect_events()
    meeting.report_to_committee(make.ctx(REPORTED), summary="two outcomes")
    [report] = meeting.collect_events()
    assert report.outcome_ids == ["o-1", "o-2"]  # the report names what it carries
    assert refused(meeting, lambda: meeting.correct_outcome(make.chair(REPORTED + 1), group=make.group,
                                                            outcome_id="o-1", text="y")) \
        == "outcomes_corrected_until_reported"


def test_the_committee_approves_rejects_returns_or_defers_each_outcome_with_a_note(make):
    meeting = make.reported_meeting()
    meeting.decide_outcome(make.ctx(23), outcome_id="o-1", decision="deferred", note="to its next meeting")
    meeting.approve_outcome(make.ctx(24), outcome_id="o-1", note="at its 98th meeting")  # deferred, decided later
    meeting.decide_outcome(make.ctx(24, hours=1), outcome_id="o-2", decision="rejected", note="out of mandate")
    assert [d["decision"] for d in meeting.outcomes["o-1"].decisions] == ["deferred", "approved"]
    assert meeting.outcomes["o-2"].decisions[0]["note"] == "out of mandate"
    meeting.collect_events()
    assert refused(meeting, lambda: meeting.approve_outcome(make.ctx(25), outcome_id="o-2")) == "outcome_decided_once"
    assert refused(meeting, lambda: meeting.decide_outcome(make.ctx(25), outcome_id="o-1", decision="rejected")) \
        == "outcome_approved_once"
    assert meeting.awaiting() == []  # nothing before the Committee any more


def test_a_returned_outcome_is_corrected_reported_again_and_then_decided(make):
    meeting = make.reported_meeting()
    meeting.decide_outcome(make.ctx(23), outcome_id="o-2", decision="returned", note="name the region")
    meeting.collect_events()
    assert refused(meeting, lambda: meeting.approve_outcome(make.ctx(24), outcome_id="o-2")) \
        == "outcomes_decided_once_reported"
    meeting.correct_outcome(make.chair(24), group=make.group, outcome_id="o-2", text="Hold a workshop in West Africa")
    assert meeting.awaiting() == ["report_to_committee", "outcome_approval"]  # o-1 is before the Committee
    meeting.report_to_committee(make.ctx(26), summary="the corrected recommendation")
    assert meeting.reports[-1]["outcome_ids"] == ["o-2"] and meeting.reported_at == make.ctx(REPORTED).occurred_at
    meeting.approve_outcome(make.ctx(27), outcome_id="o-2")
    assert meeting.outcomes["o-2"].decision == "approved"


def test_an_outcome_logged_after_the_report_is_decided_only_once_a_further_report_carries_it(make):
    meeting = make.reported_meeting()
    meeting.log_outcome(make.chair(23), group=make.group, outcome_id="o-3", outcome_kind="decision", text="late")
    meeting.collect_events()
    assert refused(meeting, lambda: meeting.approve_outcome(make.ctx(24), outcome_id="o-3")) \
        == "outcomes_decided_once_reported"
    meeting.report_to_committee(make.ctx(24), summary="a further report")
    meeting.collect_events()
    assert refused(meeting, lambda: meeting.report_to_committee(make.ctx(25), summary="again")) \
        == "meeting_reported_once"  # nothing new to carry
    meeting.approve_outcome(make.ctx(25), outcome_id="o-3")


def test_an_amendment_supersedes_what_it_amends_which_is_neither_decided_nor_communicated(make):
    meeting = make.meeting_with_approved_outcome()
    meeting.log_outcome(make.chair(26), group=make.group, outcome_id="o-1a", outcome_kind="decision",
                        text="Revise the matrices by December", amends="o-1")
    meeting.log_outcome(make.chair(26), group=make.group, outcome_id="o-2a", outcome_kind="recommendation",
                        text="Two regional workshops", amends="o-2")
    meeting.collect_events()
    assert meeting.outcomes["o-1"].superseded_by == "o-1a"
    assert refused(meeting, lambda: meeting.communicate_outcome(make.ctx(27), outcome_id="o-1", member_states=["KEN"])) \
        == "superseded_outcomes_stay_as_they_were"
    assert refused(meeting, lambda: meeting.approve_outcome(make.ctx(27), outcome_id="o-2")) \
        == "superseded_outcomes_stay_as_they_were"
    assert refused(meeting, lambda: meeting.correct_outcome(make.chair(27), group=make.group, outcome_id="o-2",
                                                            text="x")) == "superseded_outcomes_stay_as_they_were"
    assert refused(meeting, lambda: meeting.log_outcome(make.chair(27), group=make.group, outcome_id="o-1b",
                                                        outcome_kind="decision", text="x", amends="o-1")) \
        == "amend_the_outcome_in_force"
    assert refused(meeting, lambda: meeting.hold_open_meeting(make.ctx(27), outcome_ids=["o-1"])) \
        == "open_meetings_only_on_approved_outcomes"


def test_an_action_item_has_an_owner_a_due_date_and_a_status(make):
    meeting = make.held_meeting()
    assert refused(meeting, lambda: meeting.log_outcome(make.chair(21), group=make.group, outcome_id="a-1",
                                                        outcome_kind="action_item", text="Write to the States")) \
        == "action_items_have_an_owner_and_a_due_date"
    assert refused(meeting, lambda: meeting.log_outcome(make.chair(21), group=make.group, outcome_id="d-1",
                                                        outcome_kind="decision", text="x", owner="someone")) \
        == "only_action_items_have_an_owner"
    due = make.at(50).date()
    meeting.log_outcome(make.chair(21), group=make.group, outcome_id="a-1", outcome_kind="action_item",
                        text="Write to the States", owner="the secretariat", due_on=due)
    meeting.log_outcome(make.chair(21), group=make.group, outcome_id="d-1", outcome_kind="decision", text="Agreed")
    assert (meeting.outcomes["a-1"].owner, meeting.outcomes["a-1"].due_on, meeting.outcomes["a-1"].status) == (
        "the secretariat", due, "open")
    meeting.update_action_item(make.ctx(30), outcome_id="a-1", status="done", note="letters sent")
    [changed] = meeting.collect_events()[-1:]
    assert (changed.previous_status, changed.status) == ("open", "done")
    assert refused(meeting, lambda: meeting.update_action_item(make.ctx(31), outcome_id="a-1", status="done")) \
        == "action_item_status_changes"
    assert refused(meeting, lambda: meeting.update_action_item(make.ctx(31), outcome_id="d-1", status="done")) \
        == "only_action_items_have_a_status"


def test_a_communication_names_the_states_whose_contact_points_received_it(make):
    meeting = make.meeting_with_approved_outcome()
    meeting.communicate_outcome(make.ctx(26), outcome_id="o-1", member_states=["NGA", "KEN", "KEN"])
    [communicated] = meeting.collect_events()
    assert communicated.member_states == ["KEN", "NGA"] and communicated.recipients == "national_contact_points"
    assert meeting.outcomes["o-1"].communicated_to == ["KEN", "NGA"]


def test_the_committees_decisions_are_offered_as_next_steps_and_a_correction_to_the_chair(make):
    meeting = make.held_meeting_with_outcomes()
    as_chair = MEETINGS.next_steps(meeting, make.chair(STARTS + 2), group=make.group)
    assert "correct-outcome" in as_chair["allowed"]
    meeting = make.reported_meeting()
    found = MEETINGS.next_steps(meeting, make.ctx(23), group=make.group)
    assert {"approve-outcome", "decide-outcome"} <= set(found["allowed"])
    assert found["refused"]["update-action-item"] == "only_action_items_have_a_status"


def test_an_action_item_open_past_its_due_date_is_overdue_until_done(make):
    meeting = make.held_meeting()
    due = make.at(50).date()
    meeting.log_outcome(make.chair(21), group=make.group, outcome_id="a-1", outcome_kind="action_item",
                        text="Write to the States", owner="the secretariat", due_on=due)
    assert meeting.action_items_overdue(due) == []  # due that day: not yet overdue
    assert [o.outcome_id for o in meeting.action_items_overdue(make.at(51).date())] == ["a-1"]
    meeting.update_action_item(make.ctx(52), outcome_id="a-1", status="done")
    assert meeting.action_items_overdue(make.at(60).date()) == []
