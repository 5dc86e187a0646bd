"""The steps a meeting's rules allow its caller now (what the web console offers as buttons),
found by trying each command of the meetings table on a copy of the meeting, as the caller and
with the meeting's group; the others come with the rule that refuses them."""
from __future__ import annotations

from dataclasses import replace

import pytest

from meetings.commands import MEETINGS

SECRETARIAT_STEPS = {
    "scheduled_meeting": {"announce", "circulate-document", "cancel", "postpone"},
    "announced_meeting": {"circulate-document", "cancel", "postpone"},  # the day before: not held yet
    # a meeting with a document circulated takes its files (a revision after the meeting too)
    "held_meeting": {"report-to-committee", "attach-file"},
    "reported_meeting": {"approve-outcome", "decide-outcome", "attach-file"},
    "meeting_with_approved_outcome": {"approve-outcome", "decide-outcome", "communicate-outcome", "hold-open-meeting",
                                      "attach-file"},
}


def steps(make, meeting, ctx) -> dict:
    return MEETINGS.next_steps(meeting, ctx, group=make.group)


@pytest.mark.parametrize("stage, expected", sorted(SECRETARIAT_STEPS.items()))
def test_the_secretariat_is_offered_the_steps_the_rules_allow_at_each_stage(make, stage, expected):
    meeting = getattr(make, stage)()
    found = steps(make, meeting, make.ctx(make.STARTS - 1 if stage in ("scheduled_meeting", "announced_meeting")
                                          else 30))
    assert set(found["allowed"]) == expected
    assert found["refused"]["log-outcome"] == "role_may_not_do_this"


def test_an_announced_meeting_is_offered_to_be_held_once_it_started(make):
    found = steps(make, make.announced_meeting(), make.ctx(make.STARTS, hours=1))
    assert "hold" in found["allowed"]


def test_the_chair_of_the_group_is_offered_to_log_outcomes_once_the_meeting_was_held(make):
    assert steps(make, make.announced_meeting(), make.chair(make.STARTS - 1))["allowed"] == []
    held = steps(make, make.held_meeting(), make.chair(make.STARTS + 1))
    assert held["allowed"] == ["log-outcome"]
    assert held["refused"]["report-to-committee"] == "role_may_not_do_this"


def test_the_chair_of_another_group_is_told_only_the_chair_logs_outcomes(make):
    other = make.established_group(name="Working Group 3", chair_user="chair.za", chair_member_state="ZAF")
    meeting = make.held_meeting()
    as_other_chair = replace(make.ctx(make.STARTS + 1, user="chair.za"), role="working_group_chair")
    found = MEETINGS.next_steps(meeting, as_other_chair, group=make.group)
    assert found["refused"]["log-outcome"] == "only_the_chair_logs_outcomes"
    assert other.chair_user == "chair.za"


def test_a_refused_step_names_its_rule_and_the_meeting_is_not_changed(make):
    meeting = make.scheduled_meeting()
    found = steps(make, meeting, make.ctx(make.STARTS - 1))
    assert found["refused"]["hold"] == "held_only_after_announcement"
    assert found["refused"]["report-to-committee"] == "report_after_the_meeting"
    assert set(found["allowed"]) | set(found["refused"]) == set(MEETINGS.steps)
    assert meeting.version == 1 and meeting.collect_events() == [] and meeting.announced_at is None


def test_a_cancelled_meeting_offers_nothing(make):
    meeting = make.scheduled_meeting()
    meeting.cancel(make.ctx(3), reason="no quorum")
    meeting.collect_events()
    assert steps(make, meeting, make.ctx(4))["allowed"] == []
