"""What the reports say of the Committee's decisions (issue 20, point 2), read through the
projection's day index: the outcomes decided in the period with their text, by decision, and
those an amendment superseded; the outcomes communicated and the States reached; the action
items open past their due date at the period's end, whenever due, until done or dropped."""
from __future__ import annotations

import pytest

from reporting.reports import semi_annual


@pytest.fixture
def app(stream, projected):
    group = stream.group(1).established("2024-06-01", "Working Group 2").chair("2024-06-02", "FRA", "chair.fr")
    m = stream.meeting(1, group).scheduled("2025-01-06T09:00", "WG2 meeting 1/2025", "2025-02-03T15:00")
    m.announced("2025-01-07T09:00").held("2025-02-03T17:00")
    m.outcome("2025-02-04T09:00", "D1", "decision").outcome("2025-02-04T09:10", "R1", "recommendation")
    m.outcome("2025-02-04T09:20", "A1", "action_item", due_on="2025-03-04")
    m.outcome("2025-02-04T09:30", "A2", "action_item", due_on="2025-09-30")
    m.reported("2025-02-10T15:00")
    m.approved("2025-02-20T15:00", "D1").decided("2025-02-20T15:05", "R1", "rejected")
    m.decided("2025-02-20T15:10", "A1", "deferred").approved("2025-02-20T15:15", "A2")
    m.communicated("2025-02-22T09:00", "D1", "KEN", "NGA", "PER")
    m.outcome("2025-05-02T09:00", "D1a", "decision", amends="D1")
    m.action_item("2027-03-01T09:00", "A1", "done")
    return projected()


def test_the_committees_decisions_in_the_period_with_the_outcomes_text(app):
    decisions = app.report("semi-annual", semi_annual(2025, 1))["meetings"]["decisions"]
    assert decisions["by_decision"] == {"approved": 2, "rejected": 1, "returned": 0, "deferred": 1, "superseded": 1}
    assert [(o["outcome_id"], o["decision"], o["text"]) for o in decisions["outcomes"]] == [
        ("D1", "approved", "decision D1"), ("R1", "rejected", "recommendation R1"),
        ("A1", "deferred", "action_item A1"), ("A2", "approved", "action_item A2")]
    assert (decisions["communicated"], decisions["states_reached"]) == (1, 3)


def test_an_action_item_open_past_its_due_date_is_reported_until_it_is_done(app):
    overdue = app.report("semi-annual", semi_annual(2025, 1))["meetings"]["decisions"]["action_items_overdue"]
    assert [(a["outcome_id"], a["due_on"], a["days_overdue"], a["owner"]) for a in overdue] == [
        ("A1", "2025-03-04", 118, "the group's chair")]  # A2 is due in September
    for half in ((2025, 2), (2026, 1), (2026, 2)):  # the backlog: both, in every later period
        assert [a["outcome_id"] for a in app.report("semi-annual", semi_annual(*half))["meetings"]["decisions"][
            "action_items_overdue"]] == ["A1", "A2"]
    # A1 done in March 2027
    assert [a["outcome_id"] for a in app.report("semi-annual", semi_annual(2027, 1))["meetings"]["decisions"][
        "action_items_overdue"]] == ["A2"]
