"""The missing and disputed figures of the reports (issue 21, point 5), each with known answers
worked out by hand from a small timeline (times 09:00 UTC unless written; days in UTC)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from reporting.reports import Period, annual, semi_annual


def overdue(report: dict) -> dict[str, int]:
    return {o["organization"]: o["overdue_at_end"] for o in report["visits"]["pre_visit_information"]}


@pytest.fixture
def information_due_30_april(stream, projected):
    """KEN: consent asked 02-03, granted 02-10; UNODC invited 03-01, its information asked 03-02,
    due 30 April, never received; the visit scheduled for 06-16..20."""
    ken = stream.visit(1).proposed("2025-02-01", "KEN").approved("2025-02-02")
    ken.consent_requested("2025-02-03").consent_granted("2025-02-10")
    ken.invited("2025-03-01", "UNODC", "un_body").info_requested("2025-03-02", "UNODC", "2025-04-30")
    ken.scheduled("2025-03-03", "2025-06-16", "2025-06-20")
    return projected()


@pytest.mark.parametrize("basis", ["occurred", "recorded"])
def test_an_as_of_report_never_counts_information_overdue_before_its_due_date(information_due_30_april, basis):
    app, unodc = information_due_30_april, "United Nations Office on Drugs and Crime"

    def as_of(moment: str) -> dict:
        return app.report("semi-annual", semi_annual(2025, 1), as_of=datetime.fromisoformat(moment), basis=basis)

    # As of 31 March the information is asked and not yet due: not overdue (the bug: judged at
    # 30 June, the period's end, it was).
    assert overdue(as_of("2025-03-31T12:00:00+00:00")) == {unodc: 0}
    # on its due date it is not overdue yet: the rest of the day is the organization's
    assert overdue(as_of("2025-04-30T20:00:00+00:00")) == {unodc: 0}
    assert overdue(as_of("2025-05-01T00:00:00+00:00")) == {unodc: 1}
    # the report of everything recorded judges at the period's end
    assert overdue(app.report("semi-annual", semi_annual(2025, 1))) == {unodc: 1}


def test_an_as_of_report_counts_days_overdue_to_the_as_of_day(stream, projected):
    """An answer owed by the State, due 15 May: as of 1 June, 17 days overdue (not 46, to
    30 June); as of 10 May, not owed yet."""
    ken = stream.visit(1).proposed("2025-01-06", "KEN").approved("2025-01-07")
    ken.consent_requested("2025-01-10").consent_granted("2025-01-20")
    ken.scheduled("2025-01-21", "2025-03-10", "2025-03-14").started("2025-03-10").completed("2025-03-14T17:00")
    ken.report("2025-03-25", "2025-04-10", "2025-04-15", "2025-05-15", "2025-10-15")
    app = projected()
    june = app.report("semi-annual", semi_annual(2025, 1), as_of=datetime(2025, 6, 1, 9, tzinfo=timezone.utc),
                      basis="occurred")["visits"]["state_answers"]["outstanding_at_end"]
    assert [(a["answer"], a["days_overdue"]) for a in june] == [("observations", 17)]
    may = app.report("semi-annual", semi_annual(2025, 1), as_of=datetime(2025, 5, 10, 9, tzinfo=timezone.utc),
                     basis="occurred")["visits"]["state_answers"]["outstanding_at_end"]
    assert may == []


def test_consent_granted_counts_the_states_invitations_and_shows_them(reporting):
    """KEN asked 01-10, granted 01-20; MAR asked 01-12, declined 01-30; KAZ and SEN proposed at
    their invitation 02-03 and 03-03 (their consent); PHL asked 06-20, not answered."""
    s = reporting.Stream()
    s.visit(1).proposed("2025-01-06", "KEN").approved("2025-01-07").consent_requested("2025-01-10").consent_granted("2025-01-20")
    s.visit(2).proposed("2025-01-08", "MAR").approved("2025-01-09").consent_requested("2025-01-12").consent_declined("2025-01-30")
    s.visit(3).proposed("2025-02-03", "KAZ", "1540", "state_invitation").approved("2025-02-05")
    s.visit(4).proposed("2025-03-03", "SEN", "1540", "state_invitation")
    s.visit(5).proposed("2025-06-16", "PHL").approved("2025-06-17").consent_requested("2025-06-20")
    report = reporting.report(s.envelopes, "semi-annual", semi_annual(2025, 1))
    consent = report["visits"]["consent"]
    assert (consent["requested"], consent["granted_on_request"], consent["by_invitation"], consent["granted"],
            consent["declined"], consent["pending_at_end"]) == (3, 1, 2, 3, 1, 1)
    figures = report["key_figures"]
    assert (figures["consent granted"], figures["consent granted at the State's invitation"]) == (3, 2)


def test_key_figures_count_the_outcomes_communicated_their_reach_and_the_open_meetings(reporting):
    """WG2's meeting of 02-03: D1 and D2 approved 02-20; D1 communicated 02-22 to KEN, NGA, PER,
    D2 03-01 to KEN and SEN (four States reached); open meetings on D1 03-05 and on both 05-10;
    D3, approved 06-25, communicated 07-02 to BRA, after the half year."""
    s = reporting.Stream()
    group = s.group(1).established("2024-06-01", "Working Group 2").chair("2024-06-02", "FRA", "chair.fr")
    m = s.meeting(1, group).scheduled("2025-01-06", "WG2 meeting 1/2025", "2025-02-03T15:00")
    m.announced("2025-01-07").document("2025-01-27T15:00", "WG2-1").held()
    m.outcome("2025-02-04", "D1", "decision").outcome("2025-02-04T10:00", "D2", "decision")
    m.outcome("2025-02-04T11:00", "D3", "decision").reported("2025-02-10T15:00")
    m.approved("2025-02-20", "D1").approved("2025-02-20T10:00", "D2")
    m.communicated("2025-02-22", "D1", "KEN", "NGA", "PER").communicated("2025-03-01", "D2", "KEN", "SEN")
    m.open_meeting("2025-03-05", "D1").open_meeting("2025-05-10", "D1", "D2")
    m.approved("2025-06-25", "D3").communicated("2025-07-02", "D3", "BRA")
    figures = reporting.report(s.envelopes, "semi-annual", semi_annual(2025, 1))["key_figures"]
    assert (figures["outcomes communicated"], figures["States reached by the outcomes communicated"],
            figures["open meetings held"]) == (2, 4, 2)


@pytest.fixture
def meetings_left_unreported(stream, projected):
    """Working Group 1's meetings: M1 held 2024-10-07, never reported to the Committee; M2 held
    2024-11-04, reported 2025-03-03; M3 held 2024-12-02, reported 2025-08-04; M4 held 2025-02-03,
    never reported (in the period: the period's own list); a briefing held 2024-10-21 owes no
    report. Nothing else happens to them in 2025 (the index must still find M1)."""
    wg1 = stream.group(1).established("2024-06-01", "Working Group 1").chair("2024-06-02", "FRA", "chair.fr")
    m1 = stream.meeting(1, wg1).scheduled("2024-09-02", "WG1 meeting 3/2024", "2024-10-07T15:00")
    m1.announced("2024-09-03").held()
    m2 = stream.meeting(2, wg1).scheduled("2024-10-01", "WG1 meeting 4/2024", "2024-11-04T15:00")
    m2.announced("2024-10-02").held().reported("2025-03-03T15:00")
    m3 = stream.meeting(3, wg1).scheduled("2024-11-01", "WG1 meeting 5/2024", "2024-12-02T15:00")
    m3.announced("2024-11-02").held().reported("2025-08-04T15:00")
    briefing = stream.meeting(5, wg1).scheduled("2024-10-01", "Briefing", "2024-10-21T15:00",
                                                meeting_kind="informal_briefing")
    briefing.announced("2024-10-02").held()
    m4 = stream.meeting(4, wg1).scheduled("2025-01-06", "WG1 meeting 1/2025", "2025-02-03T15:00")
    m4.announced("2025-01-07").held()
    return projected()


def backlog(app, *half: int) -> list[tuple[str, str, int]]:
    return [(m["meeting"], m["held_on"], m["days_since_held"])
            for m in app.report("semi-annual", semi_annual(*half))["meetings"]["backlog_lacking_report"]]


def test_meetings_held_in_earlier_periods_and_still_unreported_are_the_backlog(meetings_left_unreported):
    app = meetings_left_unreported
    h1 = app.report("semi-annual", semi_annual(2025, 1))["meetings"]
    # M1 (held 2024-10-07: 266 days to 30 June) and M3 (2024-12-02: 210 days); M2 was reported
    # in March; M4 was held in the period: the period's own list, not the backlog.
    assert [(m["group"], m["meeting"], m["held_on"], m["days_since_held"]) for m in h1["backlog_lacking_report"]] == [
        ("Working Group 1", "WG1 meeting 3/2024", "2024-10-07", 266),
        ("Working Group 1", "WG1 meeting 5/2024", "2024-12-02", 210)]
    assert h1["by_group"][0]["meetings_lacking_report"] == ["WG1 meeting 1/2025"]
    assert h1["totals"]["meetings_lacking_report"] == 1
    # the second half: M3 reported in August; M4 joins M1
    assert backlog(app, 2025, 2) == [("WG1 meeting 3/2024", "2024-10-07", 450),
                                     ("WG1 meeting 1/2025", "2025-02-03", 331)]
    # the half in which they were held: its own list, no backlog from before
    assert backlog(app, 2024, 2) == []
    assert app.report("semi-annual", semi_annual(2024, 2))["meetings"]["by_group"][0]["meetings_lacking_report"] == [
        "WG1 meeting 3/2024", "WG1 meeting 4/2024", "WG1 meeting 5/2024"]


def test_the_day_index_hands_the_report_a_meeting_unreported_for_years(meetings_left_unreported, reporting):
    app = meetings_left_unreported
    assert backlog(app, 2027, 1) == [("WG1 meeting 3/2024", "2024-10-07", 996),
                                     ("WG1 meeting 1/2025", "2025-02-03", 877)]
    records = app.projection.records_for(semi_annual(2027, 1))
    assert str(reporting.meeting_id(1)) in records and str(reporting.meeting_id(2)) not in records


def test_the_year_s_rates_and_durations_against_the_year_before(scenario, reporting):
    """The scenario of conftest.build_scenario, 2025 against 2024."""
    trends = reporting.report(scenario.envelopes, "annual", annual(2025))["trends"]
    assert trends["rates"] == [
        # 2025: KEN, VNM, TUN, PHL, IDN granted on request, MAR declined: 5 / 6; 2024: NGA, SEN: 2 / 2
        {"rate": "consent requests granted", "this_period": 0.833, "previous_period": 1.0, "change": -0.167},
        # 2025: six received (KEN 2, KAZ, TUN, PHL 2), OSCE (KAZ) and Interpol (TUN) late; 2024: NGA's on time
        {"rate": "pre-visit information received late", "this_period": 0.333, "previous_period": 0.0,
         "change": 0.333},
        # 2025: five documents (M1 1, M2 2, M5 2), M2's second and both of M5's late; 2024: M6's and M8's on time
        {"rate": "documents circulated late", "this_period": 0.6, "previous_period": 0.0, "change": 0.6},
    ]
    assert trends["durations"] == [
        # 2025: 10, 21, 28, 3.4, 45, 35.5 -> 23.8; 2024: NGA 14, SEN 14
        {"duration": "mean days to the consent answer", "this_period": 23.8, "previous_period": 14.0,
         "change": 9.8},
        # 2025: M8 3, M1 3, M2 7, M5 5.92 (06-27 17:00 to 07-03 15:00) -> 4.7; 2024: M6 2
        {"duration": "mean days from a meeting held to its report to the Committee", "this_period": 4.7,
         "previous_period": 2.0, "change": 2.7},
    ]


def test_the_year_s_main_counts_quarter_by_quarter(scenario, reporting):
    report = reporting.report(scenario.envelopes, "annual", annual(2025))
    quarters = report["trends"]["by_quarter"]
    assert [(q["period"]["start"], q["period"]["end"]) for q in quarters] == [
        ("2025-01-01", "2025-03-31"), ("2025-04-01", "2025-06-30"), ("2025-07-01", "2025-09-30"),
        ("2025-10-01", "2025-12-31")]
    assert [(q["visits_conducted"], q["consent_requested"], q["consent_granted"], q["meetings_held"],
             q["outcomes_logged"]) for q in quarters] == [
        # KEN; VNM, KEN, JOR, TUN asked; KEN, VNM, TUN granted and KAZ invited; M1; M8-R1, M1-D1, M1-R1
        (1, 4, 4, 1, 3),
        # KAZ, TUN; PHL, IDN asked; PHL granted 06-26; M2, M4, M5; M2-A1, M4-R1, M4-D1, M5-A1
        (2, 2, 1, 3, 4),
        # VNM (07-01); IDN granted 07-21
        (1, 0, 1, 0, 0),
        (0, 0, 0, 0, 0),
    ]
    names = (("visits_conducted", "visits conducted"), ("consent_requested", "consent requested"),
             ("consent_granted", "consent granted"), ("meetings_held", "meetings held"),
             ("outcomes_logged", "outcomes logged"))
    for key, figure in names:  # the quarters add up to the year
        assert sum(q[key] for q in quarters) == report["key_figures"][figure]
    for q in quarters:  # each is the key figures of a report of that quarter, from every record
        alone = reporting.report(scenario.envelopes, "semi-annual", Period(date.fromisoformat(q["period"]["start"]),
                                                                         date.fromisoformat(q["period"]["end"])))
        assert {key: q[key] for key, _ in names} == {key: alone["key_figures"][figure] for key, figure in names}


def test_a_programme_year_s_quarters_start_in_june(scenario, reporting):
    quarters = reporting.report(scenario.envelopes, "annual", annual(2024, 6))["trends"]["by_quarter"]
    assert [(q["period"]["start"], q["period"]["end"]) for q in quarters] == [
        ("2024-06-01", "2024-08-31"), ("2024-09-01", "2024-11-30"), ("2024-12-01", "2025-02-28"),
        ("2025-03-01", "2025-05-31")]


def test_a_state_asked_again_after_withdrawing_its_consent_counts_each_request_and_answer(reporting):
    """Granted on 25 February, withdrawn on 30 March, asked again on 12 May and not answered by
    30 June (as the demo does for Maldives): two requests, one grant (later withdrawn, so not
    "granted"), one withdrawal, one pending; the time to answer is the first round's, never the
    new request's against the old answer (it was -76 days)."""
    s = reporting.Stream()
    s.visit(1).proposed("2026-01-29", "MDV").approved("2026-01-30").consent_requested("2026-02-02") \
        .consent_granted("2026-02-25").consent_withdrawn("2026-03-30").consent_requested("2026-05-12")
    consent = reporting.report(s.envelopes, "semi-annual", semi_annual(2026, 1))["visits"]["consent"]
    assert {k: consent[k] for k in ("requested", "granted_on_request", "declined", "withdrawn", "pending_at_end")} == \
        {"requested": 2, "granted_on_request": 0, "declined": 0, "withdrawn": 1, "pending_at_end": 1}
    assert consent["time_to_answer"] == {"count": 1, "mean_days": 23.0, "median_days": 23.0, "max_days": 23.0}
    # the second half-year: nothing of it happened then; the request of 12 May is still pending
    later = reporting.report(s.envelopes, "semi-annual", semi_annual(2026, 2))["visits"]["consent"]
    assert (later["requested"], later["withdrawn"], later["pending_at_end"]) == (0, 0, 1)
