"""The reports on a scenario with known answers (``build_scenario`` in conftest.py, whose
docstring is the timeline). Every figure below was worked out by hand from that timeline; the
comment beside it says why.

The reports are built exactly as the service builds them: ``records = {id: fold(kind,
envelopes)}`` and ``build_report(records, kind, period, provenance)``.

Rules the figures follow (reporting/reports.py, DOMAIN.md section 3): a figure counts what
*happened* in the period (``occurred_at``, its UTC date); consent "pending at end" and
information "overdue at end" are as things stood on the period's last day; the needs of a
visit are those of its latest assessment recorded in the period; a document is late when
circulated less than 72 hours before the meeting; durations run from the event that asks to the
event that answers (consent asked -> answered, meeting held -> reported).
"""
from __future__ import annotations

import os
from datetime import date

import pytest

from reporting.reports import Period, annual, build_report, semi_annual

H1_2025 = semi_annual(2025, 1)
YEAR_2025 = annual(2025)
PROGRAMME_YEAR_2024 = annual(2024, starts_in_month=6)

WG1 = "Working Group 1: Monitoring and national implementation"
WG2 = "Working Group 2: Assistance"


def org(organization, invited, asked, received, late, after_due_date, overdue_at_end):
    return {"organization": organization, "invited": invited, "asked": asked, "received": received, "late": late,
            "after_due_date": after_due_date, "overdue_at_end": overdue_at_end}


def area(high, medium, low):
    return {"high": high, "medium": medium, "low": low, "total": high + medium + low}


def summary(count, mean, median, maximum):
    return {"count": count, "mean_days": mean, "median_days": median, "max_days": maximum}


NO_DURATION = {"count": 0, "mean_days": None, "median_days": None, "max_days": None}


def announcement(meeting, announced_on, starts_on, notice_days):
    """A meeting's announcement that no notification told any delegation of (the scenario's)."""
    meeting_id, title = meeting
    return {"meeting_id": str(meeting_id), "meeting": title, "announced_on": announced_on, "starts_on": starts_on,
            "notice_days": notice_days, "delegations_told": 0, "delegations_delivered": 0,
            "delegations_not_delivered": [], "every_delegation_notified": False}


@pytest.fixture
def h1(scenario, reporting):
    return reporting.report(scenario.envelopes, "semi-annual", H1_2025)


@pytest.fixture
def year(scenario, reporting):
    return reporting.report(scenario.envelopes, "annual", YEAR_2025)


@pytest.fixture
def programme_year(scenario, reporting):
    return reporting.report(scenario.envelopes, "annual", PROGRAMME_YEAR_2024)


def test_the_periods():
    assert (H1_2025.start.isoformat(), H1_2025.end.isoformat()) == ("2025-01-01", "2025-06-30")
    assert (YEAR_2025.start.isoformat(), YEAR_2025.end.isoformat()) == ("2025-01-01", "2025-12-31")
    # The 1540 programme runs 1 June-31 May.
    assert (PROGRAMME_YEAR_2024.start.isoformat(), PROGRAMME_YEAR_2024.end.isoformat()) == ("2024-06-01", "2025-05-31")


def test_the_scenario_is_valid_on_the_wire(scenario):
    # Built and validated by the builder; versions run 1..n per aggregate without a gap.
    by_aggregate = {}
    for e in scenario.envelopes:
        by_aggregate.setdefault(e["aggregate_id"], []).append(e["aggregate_version"])
    assert all(versions == list(range(1, len(versions) + 1)) for versions in by_aggregate.values())
    assert len({e["event_id"] for e in scenario.envelopes}) == len(scenario.envelopes)
    # 10 visits, 2 donors, 2 groups, 7 meetings.
    assert len(by_aggregate) == 21


# -- semi-annual, 1 January - 30 June 2025 ---------------------------------------------------


def test_h1_heading(h1):
    assert h1["report"] == {
        "kind": "semi-annual",
        "committee": "both",  # the scenario's work of both Committees, built together on request
        "title": "Semi-annual report of the Counter-Terrorism Committee and the 1540 Committee together on country "
                 "visits and working-group meetings, 1 January to 30 June 2025",
        "period": {"start": "2025-01-01", "end": "2025-06-30", "time_zone": "UTC"},
        "issued_on": None,  # given by the query (default: the day it is built)
        "symbol": None,  # a place for the symbol the secretariat assigns
    }
    assert "trends" not in h1  # trends are for annual reports


# The organizations, by their names in the directory (the scenario records some under other names)
ICAO = "International Civil Aviation Organization"
IMO = "International Maritime Organization"
INTERPOL = "International Criminal Police Organization"
OSCE = "Organization for Security and Co-operation in Europe"
UNODC = "United Nations Office on Drugs and Crime"


# Every meeting of the scenario: two delegations (FRA, KEN) and UNODC (conftest's ``held``).
ATTENDED = {"delegations": 2, "organizations": 1, "experts": 0}


def test_h1_visits_conducted_in_order_with_who_took_part(h1, scenario):
    v = scenario.visits
    assert h1["visits"]["conducted"] == [
        # KEN started 2025-03-10, completed 03-14; UNODC and Interpol invited (sorted by name); UNODC,
        # the first asked for its information, took part (conftest's ``completed``), with a team of two.
        {"visit_id": str(v["KEN"]), "member_state": "KEN", "country": "Kenya", "committee": "ctc",
         "started_on": "2025-03-10", "completed_on": "2025-03-14", "organizations": [INTERPOL, UNODC],
         "organizations_taking_part": [UNODC], "team_size": 2},
        # KAZ (1540, by invitation) started 04-07, completed 04-10; OSCE took part.
        {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "country": "Kazakhstan", "committee": "1540",
         "started_on": "2025-04-07", "completed_on": "2025-04-10", "organizations": [OSCE],
         "organizations_taking_part": [OSCE], "team_size": 2},
        # TUN started on the period's last day (30 June 08:00); completed after it, 4 July.
        {"visit_id": str(v["TUN"]), "member_state": "TUN", "country": "Tunisia", "committee": "ctc",
         "started_on": "2025-06-30", "completed_on": "2025-07-04", "organizations": [INTERPOL],
         "organizations_taking_part": [INTERPOL], "team_size": 2},
    ]
    # Not conducted in the period: VNM started 2025-07-01 00:30 (just after); NGA, SEN in 2024;
    # MAR declined; JOR cancelled; PHL and IDN never started.
    # KAZ is the only 1540 visit; KEN and TUN are CTC visits.
    assert h1["visits"]["conducted_by_committee"] == {"1540": 1, "ctc": 2}


def test_h1_consent_of_the_states(h1):
    assert h1["visits"]["consent"] == {
        # Asked in the period: VNM 01-06, KEN 01-10, JOR 01-20, TUN 03-10, PHL 05-12, IDN 06-16
        # (MAR was asked on 2024-12-16, before the period).
        "requested": 6,
        # Answered in the period: KEN 01-20, VNM 02-03, TUN 03-13, PHL 06-26 (recorded only on
        # 07-03, but it happened in June); IDN's 07-21 is after the period.
        "granted_on_request": 4,
        # MAR declined on 2025-01-06 (asked in 2024: the answer is what counts).
        "declined": 1,
        # KAZ was proposed on 2025-02-03 at the State's invitation (its consent).
        "by_invitation": 1,
        "granted": 5,  # both ways
        "withdrawn": 0,
        # At 30 June: IDN asked 06-16, answered 07-21 -> pending. JOR was never answered but the
        # visit was cancelled (03-03). PHL had answered on 06-26.
        "pending_at_end": 1,
        # KEN 01-10 -> 01-20: 10 days; MAR 2024-12-16 -> 2025-01-06: 21 days; VNM 01-06 -> 02-03:
        # 28 days; TUN 03-10 09:00 -> 03-13 18:36: 3.4 days; PHL 05-12 -> 06-26: 45 days.
        # mean 107.4 / 5 = 21.48 -> 21.5; median of 3.4, 10, 21, 28, 45 -> 21; max 45.
        "time_to_answer": summary(5, 21.5, 21.0, 45.0),
    }


def test_h1_pre_visit_information_per_organization(h1):
    assert h1["visits"]["pre_visit_information"] == [
        # ICAO (PHL): invited 05-20, asked 05-21 due 06-20, answered only on 07-02 -> at 30 June
        # outstanding past its due date.
        org(ICAO, invited=1, asked=1, received=0, late=0, after_due_date=0, overdue_at_end=1),
        # Interpol: KEN asked 01-23 due 03-01, answered 03-05 (after the due date, before the
        # visit started 03-10: not late); TUN asked 03-21 due 06-30, answered 06-30 10:00, after
        # the visit started at 08:00 (late) but on the due date (not after it). TUN recorded it
        # as "International Criminal Police Organization (INTERPOL)" and "INTERPOL": one.
        org(INTERPOL, invited=2, asked=2, received=2, late=1, after_due_date=1, overdue_at_end=0),
        # IMO (JOR): invited 01-21, never asked (the visit was cancelled).
        org(IMO, invited=1, asked=0, received=0, late=0, after_due_date=0, overdue_at_end=0),
        # OSCE: KAZ asked 02-11 due 04-01, answered 04-08 during the visit (late, after due date);
        # PHL (which recorded its full name) asked 05-21 due 07-15: outstanding at 30 June but not yet due.
        org(OSCE, invited=2, asked=2, received=1, late=1, after_due_date=1, overdue_at_end=0),
        # UNODC (KEN): asked 01-23 due 03-01, answered 02-20: on time. NGA's UNODC was in 2024.
        org(UNODC, invited=1, asked=1, received=1, late=0, after_due_date=0, overdue_at_end=0),
    ]


def test_h1_needs_by_area_and_priority(h1):
    assert h1["visits"]["needs"] == {
        # KEN (v1 03-20 and v2 04-15 in the period: v2 counts; v3 is 07-10) and KAZ (04-25).
        "assessments": 2,
        "by_area": {
            "accountability": area(0, 0, 1),  # KAZ-03
            "border_control": area(1, 0, 0),  # KEN-01 (v2)
            "counter_financing_of_terrorism": area(1, 0, 0),  # KEN-02, high in v2 (medium in v1)
            "export_and_trans_shipment_controls": area(1, 0, 0),  # KAZ-01
            "law_enforcement": area(0, 1, 0),  # KEN-04 (v2); v1's KEN-03 legislation is replaced
            "physical_protection": area(0, 1, 0),  # KAZ-02
        },
        "by_priority": {"high": 3, "medium": 2, "low": 1},
    }


def test_h1_sharing_with_donors_under_consent(h1, scenario):
    v = scenario.visits
    assert h1["visits"]["sharing"] == {
        # KEN granted 04-20; KAZ declined 05-05; SEN withdrew 02-10 (granted back in 2024).
        "consent": {"granted": 1, "declined": 1, "withdrawn": 1},
        # KEN -> Canada 05-02, KEN -> EU 05-10 (SEN -> EU was 2024-10-15; KEN -> Canada 08-01).
        "shares": 2,
        # SEN's withdrawal of 02-10 revoked its share with the EU (the only donor interested in
        # SEN-01); KAZ's decline of 05-05 held back nothing: no donor was interested in its needs.
        "interested_donors_not_shared_with": 0,
        "revoked": 1,
        # KAZ's assessment of 04-25: no registered donor is interested in these areas by 06-30.
        "needs_without_interested_donor": [
            {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "need_id": "KAZ-01", "thematic_area": "export_and_trans_shipment_controls", "priority": "high"},
            {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "need_id": "KAZ-02", "thematic_area": "physical_protection", "priority": "medium"},
            {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "need_id": "KAZ-03", "thematic_area": "accountability", "priority": "low"},
        ],
        "by_donor": [  # by donor name
            {"donor": "European Union", "donor_id": str(scenario.donors["EU"]), "shares": 1, "visits": ["KEN"],
             "needs": 1},  # KEN-04
            {"donor": "Government of Canada", "donor_id": str(scenario.donors["CAN"]), "shares": 1, "visits": ["KEN"],
             "needs": 2},  # KEN-01, KEN-02
        ],
    }


def test_h1_follow_up(h1, scenario):
    v = scenario.visits
    # Follow-ups recorded in the period, by date (not by visit id: KEN 1, KAZ 5, NGA 7); KEN's
    # of 07-15 and SEN's of 2024-12-05 are outside it.
    assert h1["visits"]["follow_up"] == [
        {"visit_id": str(v["NGA"]), "member_state": "NGA", "on": "2025-02-14",
         "summary": "Committee updated on the follow-up to the visit to Nigeria."},
        {"visit_id": str(v["KEN"]), "member_state": "KEN", "on": "2025-06-10",
         "summary": "Committee updated on the visit to Kenya."},
        {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "on": "2025-06-20",
         "summary": "Committee updated on the visit to Kazakhstan."},
    ]


def test_h1_meetings_per_group(h1, scenario):
    g, m = scenario.groups, scenario.meetings
    wg1, wg2 = h1["meetings"]["by_group"]  # sorted by group name
    assert wg1 == {
        "group_id": str(g["WG1"]),
        "group": WG1,
        # M1 02-03 and M2 04-07; M8 was held 2024-12-31 (the day before); M3 was cancelled.
        "meetings_held": 2,
        "held": [
            {"meeting_id": str(m["M1"][0]), "title": "WG1 meeting 1/2025", "held_on": "2025-02-03", "outcomes": 2, "attendance": ATTENDED},
            {"meeting_id": str(m["M2"][0]), "title": "WG1 meeting 2/2025", "held_on": "2025-04-07", "outcomes": 1, "attendance": ATTENDED},
        ],
        # Logged in the period: M8-R1 (2025-01-02, for the 2024 meeting), M1-D1, M1-R1, M2-A1.
        "outcomes_logged": {"decision": 1, "recommendation": 2, "action_item": 1},
        # M1-D1 approved 02-20; M2-A1 only on 07-02.
        "outcomes_approved": 1,
        # M8 reported 2025-01-03 (held 2024-12-31: 3 days), M1 02-06 (3 days), M2 04-14 (7 days).
        "reports_to_committee": 3,
        # mean 13 / 3 = 4.33 -> 4.3; median 3; max 7.
        "time_to_report": summary(3, 4.3, 3.0, 7.0),
        "document_notice_hours": 72.0,  # the 1540 Committee's notice (its setting's default)
        "documents_circulated": 3,  # M1's one, M2's two
        # M2's second document went out 04-05 15:00 for 04-07 15:00: 48 h (< 72). M1's 168 h.
        "documents_circulated_late": [
            {"meeting": "WG1 meeting 2/2025", "document_id": "WG1-2025-02-B", "hours_before_meeting": 48.0,
             "after_start": False},
        ],
        "announced_after_start": [],
        # M1 announced 01-07 09:00 for 02-03 15:00 (27.25 days: 27.2, to the even tenth), M2
        # 03-04 09:00 for 04-07 15:00 (34.25); the scenario has no notification events
        "announcements": [
            announcement(m["M1"], "2025-01-07", "2025-02-03", 27.2),
            announcement(m["M2"], "2025-03-04", "2025-04-07", 34.2),
        ],
        "meetings_without_documents": [],
        "meetings_lacking_report": [],
        "cancelled": 1,  # M3, cancelled 05-20
    }
    assert wg2 == {
        "group_id": str(g["WG2"]),
        "group": WG2,
        # M4 05-12 and M5 06-27; M6 was in 2024.
        "meetings_held": 2,
        "held": [
            {"meeting_id": str(m["M4"][0]), "title": "WG2 meeting 1/2025", "held_on": "2025-05-12", "outcomes": 2, "attendance": ATTENDED},
            {"meeting_id": str(m["M5"][0]), "title": "WG2 meeting 2/2025", "held_on": "2025-06-27", "outcomes": 1, "attendance": ATTENDED},
        ],
        # M4-R1, M4-D1 (05-13), M5-A1 (06-28).
        "outcomes_logged": {"decision": 1, "recommendation": 1, "action_item": 1},
        "outcomes_approved": 0,  # M6-D1 was approved in 2024
        # M5 was reported on 07-03, after the period; M4 never.
        "reports_to_committee": 0,
        "time_to_report": NO_DURATION,
        "document_notice_hours": 72.0,
        "documents_circulated": 2,  # M5's two (M4 had none)
        # M5's document 06-26 09:00 for 06-27 15:00: 30 h; its second at 15:30, half an hour
        # after the start: recorded and counted, the worst breach.
        "documents_circulated_late": [
            {"meeting": "WG2 meeting 2/2025", "document_id": "WG2-2025-02-A", "hours_before_meeting": 30.0,
             "after_start": False},
            {"meeting": "WG2 meeting 2/2025", "document_id": "WG2-2025-02-B", "hours_before_meeting": -0.5,
             "after_start": True},
        ],
        # M5 was announced only at 16:00, an hour after its start.
        "announced_after_start": [{"meeting": "WG2 meeting 2/2025", "hours_after_start": 1.0}],
        # M4 04-02 09:00 for 05-12 15:00 (40.25 days); M5 an hour after its start (0.0, not -0.0)
        "announcements": [
            announcement(m["M4"], "2025-04-02", "2025-05-12", 40.2),
            announcement(m["M5"], "2025-06-27", "2025-06-27", 0.0),
        ],
        "meetings_without_documents": ["WG2 meeting 1/2025"],  # M4: none circulated
        # M4 was never reported. M5 (held 06-27) was reported on 07-03, after the period: at
        # the end of the period it lacked its report (judged then, like pending consent).
        "meetings_lacking_report": ["WG2 meeting 1/2025", "WG2 meeting 2/2025"],
        "cancelled": 0,
    }
    assert h1["meetings"]["totals"] == {
        "meetings_held": 4,  # 2 + 2
        "outcomes_logged": 7,  # 4 + 3
        "reports_to_committee": 3,  # 3 + 0
        "meetings_lacking_report": 2,  # M4, M5
        "documents_circulated": 5,
        "documents_circulated_late": 3,  # M2's WG1-2025-02-B, M5's WG2-2025-02-A and -B
        "documents_circulated_after_start": 1,  # M5's WG2-2025-02-B
        "announced_after_start": 1,  # M5
        "meetings_without_documents": 1,  # M4
        "every_delegation_notified": 0,  # no notification recorded
    }
    # (27.25 + 34.25 + 40.25 - 1/24) / 4 = 25.43; M5 the shortest and the one under a week
    assert h1["meetings"]["announcement_notice"] == {"count": 4, "mean_days": 25.4, "shortest_days": 0.0,
                                                     "short_notice_days": 7, "short_notice": 1}


def test_h1_key_figures(h1):
    assert h1["key_figures"] == {
        "visits conducted": 3,  # KEN, KAZ, TUN
        "consent requested": 6,
        "consent granted": 5,  # 4 on request, KAZ by invitation
        "consent granted at the State's invitation": 1,
        "consent declined": 1,
        "pre-visit information received late": 2,  # Interpol (TUN), OSCE (KAZ)
        "needs identified": 6,  # KEN v2: 3, KAZ: 3
        "needs assessments shared": 2,
        "meetings held": 4,
        "outcomes logged": 7,
        "reports to the Committee": 3,
        "outcomes communicated": 1,  # M1-D1 02-25
        "States reached by the outcomes communicated": 2,  # KEN, NGA
        "open meetings held": 1,  # on M1-D1, 03-05
        "meetings held with every delegation notified": 0,
    }
    assert list(h1) == ["report", "visits", "meetings", "key_figures", "provenance"]


def test_h1_provenance(h1, scenario, reporting):
    assert h1["provenance"] == {"period": {"start": "2025-01-01", "end": "2025-06-30", "time_zone": "UTC"},
                                **reporting.provenance(scenario.envelopes)}
    assert h1["provenance"]["events"] == len(scenario.envelopes)


def test_events_outside_the_period_do_not_change_it(scenario, reporting):
    """Only what happened from 1 January to 30 June counts: dropping everything that happened
    after 30 June changes nothing but what is "as things are now" (TUN's completion date, M5's
    report and PHL's consent, which are all later)."""
    full = reporting.report(scenario.envelopes, "semi-annual", H1_2025)
    up_to_end = [e for e in scenario.envelopes if e["occurred_at"][:10] <= "2025-06-30"]
    cut = reporting.report(up_to_end, "semi-annual", H1_2025, full["provenance"])
    assert cut["visits"]["consent"] == full["visits"]["consent"]  # PHL's consent occurred 06-26
    assert cut["visits"]["pre_visit_information"] == full["visits"]["pre_visit_information"]
    assert cut["visits"]["needs"] == full["visits"]["needs"]
    assert cut["visits"]["sharing"] == full["visits"]["sharing"]
    assert cut["visits"]["conducted"][2]["completed_on"] is None  # TUN completed 07-04
    assert cut["meetings"]["by_group"][1]["meetings_lacking_report"] == ["WG2 meeting 1/2025", "WG2 meeting 2/2025"]
    assert cut["key_figures"] == full["key_figures"]


# -- annual, calendar year 2025, with trends against 2024 ------------------------------------


def test_year_2025(year, scenario):
    v, g, m = scenario.visits, scenario.groups, scenario.meetings
    assert year["report"]["kind"] == "annual"
    assert year["report"]["title"] == ("Annual report of the Counter-Terrorism Committee and the 1540 Committee "
                                       "together on country visits and working-group meetings, "
                                       "1 January to 31 December 2025")
    # The three of the first half, and VNM (started 07-01 00:30, no organization invited).
    assert [(x["member_state"], x["started_on"], x["completed_on"], x["organizations"])
            for x in year["visits"]["conducted"]] == [
        ("KEN", "2025-03-10", "2025-03-14", [INTERPOL, UNODC]),
        ("KAZ", "2025-04-07", "2025-04-10", [OSCE]),
        ("TUN", "2025-06-30", "2025-07-04", [INTERPOL]),
        ("VNM", "2025-07-01", "2025-07-03", []),
    ]
    assert year["visits"]["conducted"][3]["country"] == "Viet Nam"
    assert year["visits"]["conducted_by_committee"] == {"1540": 1, "ctc": 3}
    assert year["visits"]["consent"] == {
        "requested": 6,  # the same six: nothing asked in the second half
        "granted_on_request": 5,  # + IDN 07-21
        "declined": 1,  # MAR
        "by_invitation": 1,  # KAZ
        "granted": 6,
        "withdrawn": 0,
        "pending_at_end": 0,  # IDN answered; JOR cancelled
        # 10, 21, 28, 3.4, 45 and IDN 06-16 09:00 -> 07-21 21:00 = 35.5: mean 142.9 / 6 = 23.82 -> 23.8;
        # median of 3.4, 10, 21, 28, 35.5, 45 = (21 + 28) / 2 = 24.5; max 45.
        "time_to_answer": summary(6, 23.8, 24.5, 45.0),
    }
    assert year["visits"]["pre_visit_information"] == [
        org(ICAO, 1, 1, 1, late=0, after_due_date=1, overdue_at_end=0),  # answered 07-02, due 06-20
        org(INTERPOL, 2, 2, 2, late=1, after_due_date=1, overdue_at_end=0),
        org(IMO, 1, 0, 0, 0, 0, 0),
        org(OSCE, 2, 2, 2, late=1, after_due_date=1, overdue_at_end=0),  # PHL's answered 07-10, due 07-15
        org(UNODC, 1, 1, 1, 0, 0, 0),
    ]
    assert year["visits"]["needs"] == {
        "assessments": 3,  # KEN (v3 of 07-10 is the latest in the year), KAZ, TUN (07-02)
        "by_area": {
            "accountability": area(0, 0, 1),  # KAZ-03
            "border_control": area(1, 0, 1),  # KEN-01 high, TUN-02 low
            "export_and_trans_shipment_controls": area(1, 0, 0),  # KAZ-01
            "human_rights_compliance": area(0, 1, 0),  # KEN-05 (v3)
            "law_enforcement": area(0, 1, 0),  # KEN-04
            "physical_protection": area(0, 1, 0),  # KAZ-02
            "transport_security": area(0, 1, 0),  # TUN-01
        },
        "by_priority": {"high": 2, "medium": 4, "low": 2},
    }
    assert year["visits"]["sharing"] == {
        "consent": {"granted": 1, "declined": 1, "withdrawn": 1},
        "shares": 3,  # + KEN -> Canada 08-01 (KEN-05)
        "interested_donors_not_shared_with": 0,
        "revoked": 1,  # SEN -> EU, on SEN's withdrawal of 02-10
        # the latest assessment of the year of KAZ (04-25), TUN (07-02) and KEN (v3, 07-10), by
        # the assessment's date (not by visit id: KEN 1, KAZ 5, TUN 9)
        "needs_without_interested_donor": [
            {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "need_id": "KAZ-01", "thematic_area": "export_and_trans_shipment_controls", "priority": "high"},
            {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "need_id": "KAZ-02", "thematic_area": "physical_protection", "priority": "medium"},
            {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "need_id": "KAZ-03", "thematic_area": "accountability", "priority": "low"},
            {"visit_id": str(v["TUN"]), "member_state": "TUN", "need_id": "TUN-01", "thematic_area": "transport_security", "priority": "medium"},
            {"visit_id": str(v["KEN"]), "member_state": "KEN", "need_id": "KEN-05", "thematic_area": "human_rights_compliance", "priority": "medium"},
        ],
        "by_donor": [
            {"donor": "European Union", "donor_id": str(scenario.donors["EU"]), "shares": 1, "visits": ["KEN"],
             "needs": 1},
            {"donor": "Government of Canada", "donor_id": str(scenario.donors["CAN"]), "shares": 2, "visits": ["KEN"],
             "needs": 3},
        ],
    }
    assert [(f["member_state"], f["on"]) for f in year["visits"]["follow_up"]] == [
        ("NGA", "2025-02-14"), ("KEN", "2025-06-10"), ("KAZ", "2025-06-20"), ("KEN", "2025-07-15"),
    ]
    wg1, wg2 = year["meetings"]["by_group"]
    assert (wg1["group_id"], wg2["group_id"]) == (str(g["WG1"]), str(g["WG2"]))
    assert [h["meeting_id"] for h in wg1["held"]] == [str(m["M1"][0]), str(m["M2"][0])]
    assert wg1["outcomes_logged"] == {"decision": 1, "recommendation": 2, "action_item": 1}
    assert wg1["outcomes_approved"] == 2  # M1-D1 02-20, M2-A1 07-02
    assert wg1["reports_to_committee"] == 3
    assert wg1["time_to_report"] == summary(3, 4.3, 3.0, 7.0)
    assert wg1["cancelled"] == 1
    assert [h["meeting_id"] for h in wg2["held"]] == [str(m["M4"][0]), str(m["M5"][0])]
    assert wg2["outcomes_logged"] == {"decision": 1, "recommendation": 1, "action_item": 1}
    assert wg2["outcomes_approved"] == 0
    assert wg2["reports_to_committee"] == 1  # M5 07-03 15:00, 5.9 days after it was held on 06-27 17:00
    assert wg2["time_to_report"] == summary(1, 5.9, 5.9, 5.9)
    assert wg2["meetings_lacking_report"] == ["WG2 meeting 1/2025"]
    assert wg2["meetings_without_documents"] == ["WG2 meeting 1/2025"]
    assert [d["document_id"] for d in wg2["documents_circulated_late"]] == ["WG2-2025-02-A", "WG2-2025-02-B"]
    assert year["meetings"]["totals"] == {
        "meetings_held": 4, "outcomes_logged": 7, "reports_to_committee": 4, "meetings_lacking_report": 1,
        "documents_circulated": 5, "documents_circulated_late": 3, "documents_circulated_after_start": 1,
        "announced_after_start": 1,
        "meetings_without_documents": 1, "every_delegation_notified": 0,
    }
    assert year["key_figures"] == {
        "visits conducted": 4,
        "consent requested": 6,
        "consent granted": 6,
        "consent granted at the State's invitation": 1,
        "consent declined": 1,
        "pre-visit information received late": 2,
        "needs identified": 8,  # KEN v3: 3, KAZ: 3, TUN: 2
        "needs assessments shared": 3,
        "meetings held": 4,
        "outcomes logged": 7,
        "reports to the Committee": 4,
        "outcomes communicated": 1,
        "States reached by the outcomes communicated": 2,
        "open meetings held": 1,
        "meetings held with every delegation notified": 0,
    }


def test_year_2025_trends_against_2024(year):
    assert year["trends"]["previous_period"] == {"start": "2024-01-01", "end": "2024-12-31", "time_zone": "UTC"}
    assert year["trends"]["figures"] == [
        # 2024: NGA (05-13) and SEN (09-09) conducted.
        {"figure": "visits conducted", "this_period": 4, "previous_period": 2, "change": 2},
        # 2024: NGA 03-11, SEN 06-17, MAR 12-16 asked.
        {"figure": "consent requested", "this_period": 6, "previous_period": 3, "change": 3},
        # 2024: NGA 03-25, SEN 07-01 granted (MAR declined only in 2025).
        {"figure": "consent granted", "this_period": 6, "previous_period": 2, "change": 4},
        {"figure": "consent granted at the State's invitation", "this_period": 1, "previous_period": 0, "change": 1},
        {"figure": "consent declined", "this_period": 1, "previous_period": 0, "change": 1},
        # 2024: NGA's UNODC answered 04-20, before the visit.
        {"figure": "pre-visit information received late", "this_period": 2, "previous_period": 0, "change": 2},
        # 2024: NGA 2 needs, SEN 1.
        {"figure": "needs identified", "this_period": 8, "previous_period": 3, "change": 5},
        # 2024: SEN -> EU.
        {"figure": "needs assessments shared", "this_period": 3, "previous_period": 1, "change": 2},
        # 2024: M6 (10-07), M8 (12-31).
        {"figure": "meetings held", "this_period": 4, "previous_period": 2, "change": 2},
        # 2024: M6-D1, M8-D1 (M8-R1 was logged 2025-01-02).
        {"figure": "outcomes logged", "this_period": 7, "previous_period": 2, "change": 5},
        # 2024: M6 (10-09); M8 was reported 2025-01-03.
        {"figure": "reports to the Committee", "this_period": 4, "previous_period": 1, "change": 3},
        # 2024: nothing communicated, no open meeting.
        {"figure": "outcomes communicated", "this_period": 1, "previous_period": 0, "change": 1},
        {"figure": "States reached by the outcomes communicated", "this_period": 2, "previous_period": 0, "change": 2},
        {"figure": "open meetings held", "this_period": 1, "previous_period": 0, "change": 1},
        {"figure": "meetings held with every delegation notified", "this_period": 0, "previous_period": 0,
         "change": 0},
    ]
    assert list(year) == ["report", "visits", "meetings", "key_figures", "trends", "provenance"]


# -- annual, 1540 programme year 1 June 2024 - 31 May 2025 -----------------------------------


def test_programme_year_2024_2025(programme_year, scenario):
    v, m = scenario.visits, scenario.meetings
    assert programme_year["report"]["period"] == {"start": "2024-06-01", "end": "2025-05-31", "time_zone": "UTC"}
    assert programme_year["visits"]["conducted"] == [
        # SEN 2024-09-09 (NGA's 2024-05-13 is before 1 June; TUN 06-30 after 31 May).
        {"visit_id": str(v["SEN"]), "member_state": "SEN", "country": "Senegal", "committee": "1540",
         "started_on": "2024-09-09", "completed_on": "2024-09-12", "organizations": [],
         "organizations_taking_part": [], "team_size": 2},
        {"visit_id": str(v["KEN"]), "member_state": "KEN", "country": "Kenya", "committee": "ctc",
         "started_on": "2025-03-10", "completed_on": "2025-03-14", "organizations": [INTERPOL, UNODC],
         "organizations_taking_part": [UNODC], "team_size": 2},
        {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "country": "Kazakhstan", "committee": "1540",
         "started_on": "2025-04-07", "completed_on": "2025-04-10", "organizations": [OSCE],
         "organizations_taking_part": [OSCE], "team_size": 2},
    ]
    assert programme_year["visits"]["conducted_by_committee"] == {"1540": 2, "ctc": 1}
    assert programme_year["visits"]["consent"] == {
        # SEN 2024-06-17, MAR 12-16, VNM 01-06, KEN 01-10, JOR 01-20, TUN 03-10, PHL 05-12.
        "requested": 7,
        "granted_on_request": 4,  # SEN 2024-07-01, KEN, VNM, TUN (PHL's 06-26 is after 31 May)
        "declined": 1,  # MAR
        "by_invitation": 1,  # KAZ
        "granted": 5,
        "withdrawn": 0,
        "pending_at_end": 1,  # PHL, asked 05-12, answered 06-26
        # SEN 14, MAR 21, KEN 10, VNM 28, TUN 3.4: mean 76.4 / 5 = 15.28 -> 15.3; median 14; max 28.
        "time_to_answer": summary(5, 15.3, 14.0, 28.0),
    }
    assert programme_year["visits"]["pre_visit_information"] == [
        org(ICAO, 1, 1, 0, 0, 0, overdue_at_end=0),  # due 06-20: not yet due on 31 May
        org(INTERPOL, 2, 2, 1, late=0, after_due_date=1, overdue_at_end=0),  # TUN's due 06-30
        org(IMO, 1, 0, 0, 0, 0, 0),
        org(OSCE, 2, 2, 1, late=1, after_due_date=1, overdue_at_end=0),  # PHL's due 07-15
        org(UNODC, 1, 1, 1, 0, 0, 0),
    ]
    assert programme_year["visits"]["needs"] == {
        "assessments": 3,  # SEN (2024-09-20), KEN (v2: the latest by 31 May), KAZ
        "by_area": {
            "accountability": area(0, 0, 1),
            "border_control": area(1, 0, 0),
            "border_controls_and_law_enforcement": area(1, 0, 0),  # SEN-01
            "counter_financing_of_terrorism": area(1, 0, 0),
            "export_and_trans_shipment_controls": area(1, 0, 0),
            "law_enforcement": area(0, 1, 0),
            "physical_protection": area(0, 1, 0),
        },
        "by_priority": {"high": 4, "medium": 2, "low": 1},
    }
    assert programme_year["visits"]["sharing"] == {
        # SEN granted 2024-10-01 and withdrew 2025-02-10; KEN granted 04-20; KAZ declined 05-05.
        "consent": {"granted": 2, "declined": 1, "withdrawn": 1},
        "shares": 3,  # SEN -> EU 2024-10-15, KEN -> Canada 05-02, KEN -> EU 05-10
        "interested_donors_not_shared_with": 0,
        "revoked": 1,  # SEN -> EU, on SEN's withdrawal of 2025-02-10
        "needs_without_interested_donor": [
            {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "need_id": "KAZ-01", "thematic_area": "export_and_trans_shipment_controls", "priority": "high"},
            {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "need_id": "KAZ-02", "thematic_area": "physical_protection", "priority": "medium"},
            {"visit_id": str(v["KAZ"]), "member_state": "KAZ", "need_id": "KAZ-03", "thematic_area": "accountability", "priority": "low"},
        ],
        "by_donor": [
            {"donor": "European Union", "donor_id": str(scenario.donors["EU"]), "shares": 2, "visits": ["KEN", "SEN"],
             "needs": 2},
            {"donor": "Government of Canada", "donor_id": str(scenario.donors["CAN"]), "shares": 1, "visits": ["KEN"],
             "needs": 2},
        ],
    }
    # SEN (visit 8) 2024-12-05 and NGA (visit 7) 2025-02-14: by date, not by visit id.
    assert [(f["member_state"], f["on"]) for f in programme_year["visits"]["follow_up"]] == [
        ("SEN", "2024-12-05"), ("NGA", "2025-02-14"),
    ]
    wg1, wg2 = programme_year["meetings"]["by_group"]
    assert wg1["held"] == [
        {"meeting_id": str(m["M8"][0]), "title": "WG1 meeting 4/2024", "held_on": "2024-12-31", "outcomes": 2, "attendance": ATTENDED},
        {"meeting_id": str(m["M1"][0]), "title": "WG1 meeting 1/2025", "held_on": "2025-02-03", "outcomes": 2, "attendance": ATTENDED},
        {"meeting_id": str(m["M2"][0]), "title": "WG1 meeting 2/2025", "held_on": "2025-04-07", "outcomes": 1, "attendance": ATTENDED},
    ]
    # M8-D1, M1-D1 decisions; M8-R1, M1-R1 recommendations; M2-A1.
    assert wg1["outcomes_logged"] == {"decision": 2, "recommendation": 2, "action_item": 1}
    assert wg1["outcomes_approved"] == 1  # M1-D1 (M2-A1 on 07-02)
    assert wg1["reports_to_committee"] == 3
    assert wg1["time_to_report"] == summary(3, 4.3, 3.0, 7.0)
    assert wg1["documents_circulated_late"] == [
        {"meeting": "WG1 meeting 2/2025", "document_id": "WG1-2025-02-B", "hours_before_meeting": 48.0,
         "after_start": False},
    ]  # M8's document 96 h before
    assert wg1["cancelled"] == 1
    assert wg2["held"] == [
        {"meeting_id": str(m["M6"][0]), "title": "WG2 meeting 3/2024", "held_on": "2024-10-07", "outcomes": 1, "attendance": ATTENDED},
        {"meeting_id": str(m["M4"][0]), "title": "WG2 meeting 1/2025", "held_on": "2025-05-12", "outcomes": 2, "attendance": ATTENDED},
    ]
    assert wg2["outcomes_logged"] == {"decision": 2, "recommendation": 1, "action_item": 0}  # M6-D1, M4-D1, M4-R1
    assert wg2["outcomes_approved"] == 1  # M6-D1 2024-10-20
    assert wg2["reports_to_committee"] == 1  # M6: 2024-10-07 -> 10-09
    assert wg2["time_to_report"] == summary(1, 2.0, 2.0, 2.0)
    assert wg2["documents_circulated_late"] == []  # M6's 96 h; M5 is after 31 May
    assert wg2["meetings_without_documents"] == ["WG2 meeting 1/2025"]
    assert wg2["meetings_lacking_report"] == ["WG2 meeting 1/2025"]
    assert programme_year["meetings"]["totals"] == {
        "meetings_held": 5, "outcomes_logged": 8, "reports_to_committee": 4, "meetings_lacking_report": 1,
        "documents_circulated": 5,  # M6, M8, M1 one each, M2 two
        "documents_circulated_late": 1, "documents_circulated_after_start": 0, "announced_after_start": 0,
        "meetings_without_documents": 1, "every_delegation_notified": 0,
    }
    assert programme_year["trends"]["previous_period"] == {"start": "2023-06-01", "end": "2024-05-31", "time_zone": "UTC"}
    # Previous programme year: only NGA (asked 2024-03-11, granted 03-25, conducted 05-13, 2
    # needs 05-30); the groups were set up on 2024-06-03.
    assert [(f["figure"], f["this_period"], f["previous_period"], f["change"])
            for f in programme_year["trends"]["figures"]] == [
        ("visits conducted", 3, 1, 2),
        ("consent requested", 7, 1, 6),
        ("consent granted", 5, 1, 4),  # + KAZ, by invitation
        ("consent granted at the State's invitation", 1, 0, 1),
        ("consent declined", 1, 0, 1),
        ("pre-visit information received late", 1, 0, 1),  # OSCE (KAZ)
        ("needs identified", 7, 2, 5),
        ("needs assessments shared", 3, 0, 3),
        ("meetings held", 5, 0, 5),
        ("outcomes logged", 8, 0, 8),
        ("reports to the Committee", 4, 0, 4),
        ("outcomes communicated", 1, 0, 1),  # M1-D1 2025-02-25
        ("States reached by the outcomes communicated", 2, 0, 2),
        ("open meetings held", 1, 0, 1),
        ("meetings held with every delegation notified", 0, 0, 0),
    ]


# -- bugs found: each test says what the report should say ----------------------------------


def test_consent_pending_at_end_counts_a_visit_cancelled_only_after_the_period(scenario, reporting):
    s = reporting.Stream()
    # BRA: consent asked 2025-05-05, no answer by 30 June; the visit is called off on 10 July.
    s.visit(11).proposed("2025-05-01", "BRA").approved("2025-05-02").consent_requested("2025-05-05", "2025-06-05") \
        .cancelled("2025-07-10")
    report = reporting.report(scenario.envelopes + s.envelopes, "semi-annual", H1_2025)
    # IDN as before, and BRA: at 30 June its answer was still awaited.
    assert report["visits"]["consent"]["pending_at_end"] == 2


def test_information_for_a_cancelled_visit_is_not_overdue(reporting):
    s = reporting.Stream()
    # PER: IMO asked 2025-02-03 (due 03-03), never answers; the visit is cancelled 2025-04-01.
    per = s.visit(12).proposed("2025-01-06", "PER").approved("2025-01-07").consent_requested("2025-01-08")
    per.invited("2025-01-09", "IMO", "international").info_requested("2025-02-03", "IMO", "2025-03-03")
    per.cancelled("2025-04-01")
    report = reporting.report(s.envelopes, "semi-annual", H1_2025)
    assert report["visits"]["pre_visit_information"] == [org(IMO, 1, 1, 0, 0, 0, overdue_at_end=0)]


def test_a_document_is_late_against_the_meeting_as_held(reporting):
    s = reporting.Stream()
    wg = s.group(3).established("2025-01-06", "Working Group 3: Cooperation").chair("2025-01-06T10:00", "FRA", "c3")
    meeting = s.meeting(9, wg).scheduled("2025-02-03", "WG3 meeting 1/2025", "2025-03-03T15:00")
    meeting.announced("2025-02-04")
    meeting.document("2025-03-02T15:00", "WG3-2025-01-A")  # 24 h before 3 March: late then
    meeting.postponed("2025-03-03T09:00", starts_at="2025-03-17T15:00")  # moved two weeks later
    meeting.held()  # 17 March: the document went out 15 days (360 h) before
    report = reporting.report(s.envelopes, "semi-annual", H1_2025)
    assert report["meetings"]["by_group"][0]["documents_circulated_late"] == []


def test_trends_of_a_programme_year_cover_the_whole_previous_year(reporting):
    period = annual(2024, starts_in_month=3)  # 1 March 2024 - 28 February 2025
    assert (period.start.isoformat(), period.end.isoformat()) == ("2024-03-01", "2025-02-28")
    s = reporting.Stream()
    wg = s.group(3).established("2024-01-08", "Working Group 3: Cooperation").chair("2024-01-08T10:00", "FRA", "c3")
    s.meeting(9, wg).scheduled("2024-01-15", "WG3 meeting 1/2024", "2024-02-29T15:00").announced("2024-01-16").held()
    report = reporting.report(s.envelopes, "annual", period)
    assert report["trends"]["previous_period"] == {"start": "2023-03-01", "end": "2024-02-29", "time_zone": "UTC"}
    held = {f["figure"]: f for f in report["trends"]["figures"]}["meetings held"]
    assert held["previous_period"] == 1  # held on 29 February 2024


def test_a_period_is_a_closed_interval_of_utc_dates():
    period = Period(H1_2025.start, H1_2025.end)
    assert "2025-01-01T00:00:00+00:00" in period
    assert "2025-06-30T23:59:59.999999+00:00" in period
    assert "2024-12-31T23:59:59+00:00" not in period
    assert "2025-07-01T00:00:00+00:00" not in period
    assert None not in period


def test_build_report_refuses_an_unknown_kind(scenario, reporting):
    with pytest.raises(ValueError):
        build_report(reporting.records(scenario.envelopes), "quarterly", H1_2025, reporting.provenance([]))


# -- one Committee's report --------------------------------------------------------------------------


def test_the_ctc_s_report_holds_the_ctc_s_work_alone(scenario, reporting):
    ctc = reporting.report(scenario.envelopes, "semi-annual", H1_2025, committee="ctc")
    c1540 = reporting.report(scenario.envelopes, "semi-annual", H1_2025, committee="1540")
    both = reporting.report(scenario.envelopes, "semi-annual", H1_2025)

    assert ctc["report"]["committee"] == "ctc"
    assert "of the Counter-Terrorism Committee" in ctc["report"]["title"]
    assert "of the 1540 Committee" in c1540["report"]["title"]
    assert {c["committee"] for c in ctc["visits"]["conducted"]} <= {"ctc"}
    assert {c["committee"] for c in c1540["visits"]["conducted"]} <= {"1540"}
    assert len(ctc["visits"]["conducted"]) + len(c1540["visits"]["conducted"]) == len(both["visits"]["conducted"])
    # the working groups are the 1540 Committee's: the CTC's report has none of their meetings
    assert ctc["meetings"]["by_group"] == [] and ctc["meetings"]["totals"]["meetings_held"] == 0
    assert c1540["meetings"] == both["meetings"]
    for figure, value in both["key_figures"].items():
        assert ctc["key_figures"][figure] + c1540["key_figures"][figure] == value, figure


# -- days in the Committee's time zone --------------------------------------------------------


def test_days_are_placed_in_periods_in_the_committees_time_zone(scenario, reporting):
    """VNM was started at 00:30 UTC on 1 July: 20:30 on 30 June in New York, where the
    Committees sit, so in New York days it was conducted in the first half-year."""
    new_york = Period(H1_2025.start, H1_2025.end, "America/New_York")
    h1 = reporting.report(scenario.envelopes, "semi-annual", new_york, committee="ctc")
    vnm = [v for v in h1["visits"]["conducted"] if v["member_state"] == "VNM"]
    assert [(v["started_on"], v["completed_on"]) for v in vnm] == [("2025-06-30", "2025-07-03")]
    assert h1["report"]["period"] == {"start": "2025-01-01", "end": "2025-06-30", "time_zone": "America/New_York"}
    # in UTC days it was the second half-year's
    utc = reporting.report(scenario.envelopes, "semi-annual", H1_2025, committee="ctc")
    assert "VNM" not in {v["member_state"] for v in utc["visits"]["conducted"]}
    assert h1["key_figures"]["visits conducted"] == utc["key_figures"]["visits conducted"] + 1
    h2 = reporting.report(scenario.envelopes, "semi-annual", Period(date(2025, 7, 1), date(2025, 12, 31),
                                                                    "America/New_York"), committee="ctc")
    assert "VNM" not in {v["member_state"] for v in h2["visits"]["conducted"]}  # counted once


def test_the_reporting_service_counts_each_committees_days_in_its_own_zone(tmp_path, scenario, reporting):
    from reporting.application import ReportingApplication
    from reporting.intake import Incoming
    from shared.contract import encode_envelope
    from shared.store import StoreSettings

    with reporting.days_in("America/New_York"):
        os.environ["FIELDWORK_TIME_ZONE_1540"] = "Asia/Tokyo"
        app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
        app.intake.receive([Incoming(encode_envelope(e), "application/json", reporting.exchange_of(e), e["event_type"])
                            for e in scenario.envelopes])
        zones = {c: app.report("semi-annual", H1_2025, committee=c)["report"]["period"]["time_zone"]
                 for c in ("ctc", "1540", "both")}
        ctc = app.report("semi-annual", H1_2025, committee="ctc")
        app.close()
    assert zones == {"ctc": "America/New_York", "1540": "Asia/Tokyo", "both": "America/New_York"}
    assert "VNM" in {v["member_state"] for v in ctc["visits"]["conducted"]}
