"""What the reports say of the visits' follow-up (issue 20): the States' answers to the visit
reports (received, late, reminded, and owed past their due date at the period's end, whenever
they fell due), and the recommendations by implementation status at the period's end; read
through the projection's day index, so that a report transmitted years ago and still
unanswered is in every later period's report until its follow-up ends."""
from __future__ import annotations

from datetime import date

import pytest

from reporting.reports import annual, semi_annual


@pytest.fixture
def app(stream, projected):
    kenya = stream.visit(1).proposed("2024-01-08T09:00", "KEN").approved("2024-01-09T09:00")
    kenya.consent_requested("2024-01-10T09:00").consent_granted("2024-01-20T09:00")
    kenya.scheduled("2024-01-21T09:00", "2024-03-04", "2024-03-08").started("2024-03-04T09:00")
    kenya.completed("2024-03-08T17:00")
    kenya.report("2024-04-02T09:00", "2024-04-20T09:00", "2024-05-02T09:00", "2024-06-01", "2024-11-02",
                  ("R1", "border_control", "2024-12-31"), ("R2", "legislation"), ("R3", "border_control", "2025-06-30"))
    kenya.state_reminded("2024-06-05T09:00", "observations").state_answered("2024-06-11T15:00", "observations")
    kenya.recommendation("2024-09-10T09:00", "R1", "in_progress").recommendation("2025-02-03T09:00", "R1", "implemented")
    kenya.recommendation("2024-10-01T09:00", "R2", "no_longer_relevant")
    kenya.closed("2024-10-02T09:00")
    # Morocco: transmitted in 2025, answered on time; its follow-up ends in 2026
    morocco = stream.visit(2).proposed("2025-01-08T09:00", "MAR").approved("2025-01-09T09:00")
    morocco.consent_requested("2025-01-10T09:00").consent_granted("2025-01-20T09:00")
    morocco.scheduled("2025-01-21T09:00", "2025-03-03", "2025-03-07").started("2025-03-03T09:00")
    morocco.completed("2025-03-07T17:00")
    morocco.report("2025-04-01T09:00", "2025-04-10T09:00", "2025-04-14T09:00", "2025-05-14", "2025-10-14",
                   ("R1", "legislation"))
    morocco.state_answered("2025-05-13T15:00", "observations").state_answered("2025-10-01T15:00", "response")
    morocco.closed("2025-11-03T09:00").follow_up_ended("2026-02-02T09:00")
    return projected()


def test_the_states_answers_received_late_and_reminded_in_the_period(app):
    answers = app.report("semi-annual", semi_annual(2024, 1))["visits"]["state_answers"]
    # Kenya's observations, due 1 June, arrived on 11 June after a reminder on 5 June
    assert (answers["received"], answers["received_late"], answers["reminders"]) == (1, 1, 1)
    assert answers["outstanding_at_end"] == []  # its response is due in November


def test_an_answer_owed_is_reported_in_every_later_period_until_the_follow_up_ends(app):
    for year, half in ((2024, 2), (2025, 1), (2026, 2), (2028, 1)):
        period = semi_annual(year, half)
        [owed] = app.report("semi-annual", period)["visits"]["state_answers"]["outstanding_at_end"]
        assert (owed["member_state"], owed["answer"], owed["due_on"]) == ("KEN", "response", "2024-11-02")
        assert owed["days_overdue"] == (period.end - date(2024, 11, 2)).days
        assert owed["country"] == "Kenya"


def test_the_recommendations_by_status_at_the_periods_end(app):
    h2_2024 = app.report("semi-annual", semi_annual(2024, 2))["visits"]["recommendations"]
    assert h2_2024["by_status"] == {"not_started": 1, "in_progress": 1, "implemented": 0, "no_longer_relevant": 1}
    assert h2_2024["by_area"]["border_control"] == {"not_started": 1, "in_progress": 1, "implemented": 0,
                                                    "no_longer_relevant": 0, "total": 2}
    assert h2_2024["status_changes"] == 2
    h1_2025 = app.report("semi-annual", semi_annual(2025, 1))["visits"]["recommendations"]
    # R1 implemented in February; Morocco's report adopted in April
    assert h1_2025["by_status"] == {"not_started": 2, "in_progress": 0, "implemented": 1, "no_longer_relevant": 1}
    # Morocco's follow-up ended in 2026: in 2026's first half still, not after
    assert app.report("semi-annual", semi_annual(2026, 1))["visits"]["recommendations"]["by_area"]["legislation"][
        "total"] == 2
    assert app.report("semi-annual", semi_annual(2026, 2))["visits"]["recommendations"]["by_area"]["legislation"][
        "total"] == 1


def test_the_annual_report_counts_the_years_answers(app):
    answers = app.report("annual", annual(2025))["visits"]["state_answers"]
    assert (answers["received"], answers["received_late"]) == (2, 0)
    assert [a["member_state"] for a in answers["outstanding_at_end"]] == ["KEN"]


def test_a_visit_conducted_without_follow_up_is_listed_until_its_first_follow_up(app):
    from reporting.reports import Period

    march = app.report("semi-annual", Period(date(2025, 3, 1), date(2025, 3, 31)))["visits"]["lacking_follow_up"]
    # Morocco completed 7 March 2025; its report went to the State on 14 April
    assert [(x["member_state"], x["completed_on"], x["days_since"]) for x in march] == [("MAR", "2025-03-07", 24)]
    later = app.report("semi-annual", Period(date(2025, 4, 1), date(2025, 4, 30)))["visits"]["lacking_follow_up"]
    assert later == []
    # Kenya (2024) had its report transmitted in May 2024: never in 2025's lists
    assert app.report("semi-annual", semi_annual(2025, 1))["visits"]["lacking_follow_up"] == []


def test_a_recommendation_not_implemented_by_its_due_date_is_overdue_in_every_later_period(app):
    # R1 due 31 Dec 2024, implemented 3 Feb 2025; R3 due 30 June 2025, never followed
    h1_2025 = app.report("semi-annual", semi_annual(2025, 1))["visits"]["recommendations"]["overdue_at_end"]
    assert h1_2025 == []  # R1 implemented by then; R3 due on the period's last day
    h2_2024 = app.report("semi-annual", semi_annual(2024, 2))["visits"]["recommendations"]["overdue_at_end"]
    assert h2_2024 == []  # R1 due on its last day
    later = app.report("semi-annual", semi_annual(2026, 2))["visits"]["recommendations"]["overdue_at_end"]
    assert [(r["recommendation_id"], r["status"], r["days_overdue"]) for r in later] == [("R3", "not_started", 549)]
