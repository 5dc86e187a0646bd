"""The missing and disputed figures of the reports (issue 21, point 5), each with known answers
worked out by hand from a small timeline (times 09:00 UTC unless written; days in UTC)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from reporting.reports import semi_annual


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
