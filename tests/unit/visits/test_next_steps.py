"""The steps a visit's rules allow now (what the web console offers as buttons), found by trying
each command on a copy of the visit; the others come with the rule that refuses them."""
from __future__ import annotations

import pytest

from visits.domain.steps import next_steps


def allowed(steps: dict) -> set[str]:
    return {method for method, rule in steps.items() if rule is None}


@pytest.mark.parametrize("stage, expected", [
    ("proposed_visit", {"approve", "cancel", "postpone"}),
    ("approved_visit", {"request_consent", "invite_organization", "cancel", "postpone"}),
    ("awaiting_consent_visit", {"grant_consent", "decline_consent", "invite_organization", "cancel", "postpone"}),
    ("scheduled_visit", {"invite_organization", "schedule", "start", "cancel", "postpone"}),
    ("visit_awaiting_pre_visit_info", {"receive_pre_visit_info", "invite_organization", "schedule", "start",
                                       "cancel", "postpone"}),
    ("started_visit", {"complete", "record_needs_assessment", "cancel"}),
    ("conducted_visit", {"record_needs_assessment", "record_follow_up", "close"}),
    ("assessed_visit", {"record_needs_assessment", "grant_sharing_consent", "decline_sharing_consent",
                        "record_follow_up", "close"}),
    ("shareable_visit", {"record_needs_assessment", "withdraw_sharing_consent", "share_needs_assessment",
                         "record_follow_up", "close"}),
])
def test_the_steps_allowed_at_each_stage(make, stage, expected):
    assert allowed(next_steps(getattr(make, stage)(), make.ctx(40))) == expected


def test_each_refused_step_names_its_rule_and_the_visit_is_not_changed(make):
    visit = make.proposed_visit()
    steps = next_steps(visit, make.ctx(40))
    assert steps["schedule"] == "only_approved_visits_are_prepared"
    assert steps["close"] == "close_requires_conducted_visit"
    assert steps["request_pre_visit_info"] == "pre_visit_info_only_from_invited_organizations"
    assert visit.version == 1 and visit.collect_events() == []


def test_a_closed_visit_allows_only_the_withdrawal_of_a_sharing_consent_in_force(make):
    visit = make.shareable_visit()
    visit.close(make.ctx(make.ENDS + 20))
    visit.collect_events()
    steps = next_steps(visit, make.ctx(make.ENDS + 30))
    assert allowed(steps) == {"withdraw_sharing_consent"}
    assert steps["record_follow_up"] == "ended_visit_cannot_change"
