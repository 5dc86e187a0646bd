"""The steps a visit's rules allow now (what the web console offers as buttons), found by trying
each command of the visits table on a copy of the visit; the others come with the rule that
refuses them, a role's own included."""
from __future__ import annotations

from dataclasses import replace

import pytest

from visits.commands import VISITS


def allowed(visit, ctx) -> set[str]:
    return set(VISITS.next_steps(visit, ctx)["allowed"])


@pytest.mark.parametrize("stage, expected", [
    ("proposed_visit", {"approve", "cancel", "postpone"}),
    # once approved, a desk assessment of its needs may be recorded before the visit
    ("approved_visit", {"request-consent", "invite-organization", "record-needs-assessment", "cancel", "postpone"}),
    ("awaiting_consent_visit", {"grant-consent", "decline-consent", "invite-organization", "record-needs-assessment",
                                "cancel", "postpone"}),
    # on day 40, a visit scheduled for days 30 to 34 cannot start: it is rescheduled first
    # once the State answered, its consent letter may be kept as a file (attach-file)
    ("scheduled_visit", {"withdraw-consent", "invite-organization", "schedule", "record-needs-assessment", "cancel",
                         "postpone", "attach-file"}),
    ("visit_awaiting_pre_visit_info", {"withdraw-consent", "receive-pre-visit-info", "invite-organization", "schedule",
                                       "record-needs-assessment", "cancel", "postpone", "attach-file"}),
    ("started_visit", {"complete", "record-needs-assessment", "cancel", "attach-file"}),
    ("conducted_visit", {"record-needs-assessment", "record-follow-up", "draft-report", "close", "attach-file"}),
    ("assessed_visit", {"record-needs-assessment", "grant-sharing-consent", "decline-sharing-consent",
                        "record-follow-up", "draft-report", "close", "attach-file"}),
    ("shareable_visit", {"record-needs-assessment", "withdraw-sharing-consent", "share-needs-assessment",
                         "record-follow-up", "draft-report", "close", "attach-file"}),
])
def test_the_steps_allowed_at_each_stage(make, stage, expected):
    assert allowed(getattr(make, stage)(), make.ctx(40)) == expected


def test_a_scheduled_visit_is_offered_its_start_on_its_dates(make):
    steps = VISITS.next_steps(make.scheduled_visit(), make.ctx(make.STARTS))
    assert "start" in steps["allowed"]
    assert VISITS.next_steps(make.scheduled_visit(), make.ctx(40))["refused"]["start"] == "visit_starts_on_its_dates"


def test_each_refused_step_names_its_rule_and_the_visit_is_not_changed(make):
    visit = make.proposed_visit()
    steps = VISITS.next_steps(visit, make.ctx(40))
    assert steps["refused"]["schedule"] == "only_approved_visits_are_prepared"
    assert steps["refused"]["close"] == "close_requires_conducted_visit"
    assert steps["refused"]["request-pre-visit-info"] == "pre_visit_info_only_from_invited_organizations"
    assert set(steps["allowed"]) | set(steps["refused"]) == set(VISITS.steps)
    assert visit.version == 1 and visit.collect_events() == []


def test_a_closed_visit_offers_its_follow_up_and_sharing_and_once_that_ends_only_a_withdrawal(make):
    visit = make.shareable_visit()
    visit.close(make.ctx(make.ENDS + 20))
    visit.collect_events()
    steps = VISITS.next_steps(visit, make.ctx(make.ENDS + 30))
    assert set(steps["allowed"]) == {"withdraw-sharing-consent", "share-needs-assessment", "record-follow-up",
                                     "draft-report", "end-follow-up", "attach-file"}
    assert steps["refused"]["record-needs-assessment"] == "ended_visit_cannot_change"
    visit.end_follow_up(make.ctx(make.ENDS + 40), summary="ended")
    visit.collect_events()
    steps = VISITS.next_steps(visit, make.ctx(make.ENDS + 50))
    assert set(steps["allowed"]) == {"withdraw-sharing-consent"}
    assert steps["refused"]["record-follow-up"] == "ended_visit_cannot_change"


def test_a_role_that_may_not_drive_visits_is_offered_no_step(make):
    steps = VISITS.next_steps(make.approved_visit(), replace(make.ctx(40), role="reporting_staff"))
    assert steps["allowed"] == []
    assert set(steps["refused"].values()) == {"role_may_not_do_this"}
