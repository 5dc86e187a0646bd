"""The visit's report and its follow-up (issue 20, point 1): drafted with its recommendations,
adopted by the Committee, transmitted to the State, which owes its factual observations (30
days) and its response on implementation (six months); each recommendation followed over
time; closing ends the field stage, not the follow-up, which has its own end."""
from __future__ import annotations

from datetime import date

import pytest

from shared.domain import add_months, state_answers_due
from shared.errors import RuleBroken
from visits.commands import VISITS
from visits.domain import Committee, Recommendation, VisitStatus

R1 = Recommendation("R1", "border_control", "high", "Advance passenger information at the main airports")
R2 = Recommendation("R2", "legislation", "medium", "Criminalize the financing of travel")


def transmitted(make, **due):
    visit = make.conducted_visit()
    visit.draft_report(make.ctx(40), summary="first draft", recommendations=[R1])
    visit.draft_report(make.ctx(45), summary="findings", recommendations=[R1, R2])
    visit.adopt_report(make.ctx(50), note="adopted at the 120th meeting")
    visit.transmit_report(make.ctx(52), **due)
    visit.collect_events()
    return visit


def refused(visit, step) -> str:
    """The rule that refuses ``step``; the visit records nothing."""
    version = visit.version
    with pytest.raises(RuleBroken) as broken:
        step()
    assert visit.version == version and visit.collect_events() == []
    return broken.value.rule


def test_a_report_is_drafted_again_until_adopted_then_transmitted_with_the_states_due_dates(make):
    visit = transmitted(make)
    assert visit.report_draft == 2 and list(visit.recommendations) == ["R1", "R2"]
    transmitted_on = make.day(52)
    # New York days: 09:00 UTC is the same day there
    assert visit.state_answers["observations"].due_on == make.day(82)
    assert visit.state_answers["response"].due_on == add_months(transmitted_on, 6)
    assert refused(visit, lambda: visit.draft_report(make.ctx(53), summary="x", recommendations=[])) \
        == "report_drafted_until_adopted"
    assert refused(visit, lambda: visit.adopt_report(make.ctx(53))) == "report_adopted_once"
    assert refused(visit, lambda: visit.transmit_report(make.ctx(53))) == "report_transmitted_once"


def test_each_step_of_the_report_needs_the_one_before(make):
    visit = make.conducted_visit()
    assert refused(visit, lambda: visit.adopt_report(make.ctx(40))) == "report_adopted_once_drafted"
    assert refused(visit, lambda: visit.transmit_report(make.ctx(40))) == "report_transmitted_once_adopted"
    assert refused(visit, lambda: visit.receive_state_answer(make.ctx(40), answer="observations")) \
        == "state_answers_after_transmission"
    assert refused(visit, lambda: visit.update_recommendation(make.ctx(40), recommendation_id="R1",
                                                              status="in_progress")) \
        == "recommendations_followed_once_adopted"
    started = make.started_visit()
    assert refused(started, lambda: started.draft_report(make.ctx(make.STARTS + 1), summary="x", recommendations=[])) \
        == "follow_up_requires_conducted_visit"


def test_a_recommendation_is_in_the_committees_own_areas_and_once_in_a_report(make):
    visit = make.conducted_visit()
    nuclear = Recommendation("R9", "physical_protection", "high", "a 1540 area in a CTC report")
    assert refused(visit, lambda: visit.draft_report(make.ctx(40), summary="x", recommendations=[nuclear])) \
        == "thematic_areas_of_the_visits_committee"
    assert refused(visit, lambda: visit.draft_report(make.ctx(40), summary="x", recommendations=[R1, R1])) \
        == "recommendation_ids_unique"


def test_due_dates_given_are_after_the_transmission_and_the_response_not_before_the_observations(make):
    visit = make.conducted_visit()
    visit.draft_report(make.ctx(40), summary="x", recommendations=[R1])
    visit.adopt_report(make.ctx(41))
    visit.collect_events()
    assert refused(visit, lambda: visit.transmit_report(make.ctx(42), observations_due_on=make.day(42))) \
        == "state_answers_due_after_transmission"
    assert refused(visit, lambda: visit.transmit_report(make.ctx(42), observations_due_on=make.day(60),
                                                        response_due_on=make.day(50))) \
        == "state_answers_due_after_transmission"
    visit.transmit_report(make.ctx(42), observations_due_on=make.day(60), response_due_on=make.day(200))
    assert visit.state_answers["response"].due_on == make.day(200)


def test_the_states_answers_are_recorded_with_their_lateness_not_refused_and_once(make):
    visit = transmitted(make)
    visit.remind_state(make.ctx(80), answer="observations", note="note verbale")
    visit.receive_state_answer(make.ctx(86), answer="observations", summary="factual corrections")
    [reminded, received] = visit.collect_events()
    assert (reminded.answer, reminded.due_on) == ("observations", make.day(82))
    assert (received.days_late, received.due_on) == (4, make.day(82))
    assert visit.state_answers["observations"].reminded_at == (make.ctx(80).occurred_at,)
    assert refused(visit, lambda: visit.receive_state_answer(make.ctx(87), answer="observations")) \
        == "state_answer_received_once"
    assert refused(visit, lambda: visit.remind_state(make.ctx(87), answer="observations")) \
        == "state_answer_received_once"
    visit.receive_state_answer(make.ctx(100), answer="response")
    assert visit.collect_events()[0].days_late == 0


def test_what_the_state_owes_is_waited_for_and_overdue_after_its_date_closed_visit_too(make):
    visit = transmitted(make)
    visit.close(make.ctx(60))
    due = make.day(82)
    assert visit.waiting_for(due) == [
        {"what": "state_answer", "answer": "observations", "due_on": due, "overdue": False},
        {"what": "state_answer", "answer": "response", "due_on": add_months(make.day(52), 6), "overdue": False}]
    assert visit.waiting_for(make.day(83))[0]["overdue"] is True
    visit.receive_state_answer(make.ctx(90), answer="observations")
    visit.receive_state_answer(make.ctx(91), answer="response")
    assert visit.waiting_for(make.day(400)) == []


def test_a_recommendation_is_followed_over_time_with_its_evidence(make):
    visit = transmitted(make)
    visit.update_recommendation(make.ctx(120), recommendation_id="R1", status="in_progress", evidence="system procured")
    visit.update_recommendation(make.ctx(300), recommendation_id="R1", status="implemented", evidence="operational")
    first, second = visit.collect_events()
    assert (first.previous_status, second.previous_status) == ("not_started", "in_progress")
    assert [h["status"] for h in visit.recommendations["R1"].history] == ["in_progress", "implemented"]
    assert visit.recommendations["R2"].status == "not_started"
    assert refused(visit, lambda: visit.update_recommendation(make.ctx(301), recommendation_id="R1",
                                                              status="implemented")) \
        == "recommendation_status_changes"
    assert refused(visit, lambda: visit.update_recommendation(make.ctx(301), recommendation_id="R7",
                                                              status="implemented")) \
        == "recommendation_of_the_report"


def test_closing_ends_the_field_stage_and_the_follow_up_goes_on_until_it_ends(make):
    visit = make.conducted_visit()
    visit.close(make.ctx(40))
    # six months after closure: follow-up, the report, the State's answers
    visit.record_follow_up(make.ctx(220), summary="Committee updated")
    visit.draft_report(make.ctx(221), summary="x", recommendations=[R1])
    visit.adopt_report(make.ctx(222))
    visit.transmit_report(make.ctx(223))
    visit.update_recommendation(make.ctx(230), recommendation_id="R1", status="in_progress")
    assert visit.status == VisitStatus.CLOSED
    visit.collect_events()
    assert refused(visit, lambda: visit.record_needs_assessment(make.ctx(231), needs=[make.need("n1")])) \
        == "ended_visit_cannot_change"  # the field stage is over
    visit.end_follow_up(make.ctx(240), summary="the State answers through the dialogue")
    visit.collect_events()
    assert refused(visit, lambda: visit.record_follow_up(make.ctx(241), summary="more")) == "ended_visit_cannot_change"
    assert refused(visit, lambda: visit.end_follow_up(make.ctx(241), summary="again")) == "ended_visit_cannot_change"
    assert visit.waiting_for(make.day(1000)) == []  # nothing awaited once the follow-up ended
    assert VISITS.next_steps(visit, make.ctx(242))["allowed"] == []


def test_the_follow_up_ends_only_after_the_field_stage(make):
    visit = make.conducted_visit()
    assert refused(visit, lambda: visit.end_follow_up(make.ctx(40), summary="x")) == "follow_up_ends_after_closure"


def test_a_back_dated_step_of_the_follow_up_is_refused(make):
    visit = transmitted(make)
    assert refused(visit, lambda: visit.receive_state_answer(make.ctx(51), answer="observations")) == "steps_in_order"


@pytest.mark.parametrize("transmitted_on, response", [
    (date(2026, 8, 31), date(2027, 2, 28)), (date(2027, 8, 31), date(2028, 2, 29)), (date(2026, 1, 15), date(2026, 7, 15)),
])
def test_six_months_later_is_the_same_day_or_the_months_last(transmitted_on, response):
    assert add_months(transmitted_on, 6) == response


def test_the_periods_the_state_is_given_are_each_committees_settings(monkeypatch):
    monkeypatch.setenv("FIELDWORK_OBSERVATIONS_DAYS_1540", "45")
    monkeypatch.setenv("FIELDWORK_RESPONSE_MONTHS_1540", "3")
    day = date(2026, 3, 2)
    assert state_answers_due(Committee.C1540, day) == (date(2026, 4, 16), date(2026, 6, 2))
    assert state_answers_due(Committee.CTC, day) == (date(2026, 4, 1), date(2026, 9, 2))


def test_a_visit_records_the_invited_organizations_that_took_part_and_its_team(make):
    visit = make.visit_awaiting_pre_visit_info(organization="United Nations Office on Drugs and Crime")
    visit.start(make.ctx(make.STARTS))
    visit.collect_events()
    assert refused(visit, lambda: visit.complete(make.ctx(make.ENDS), organizations_taking_part=["Interpol"])) \
        == "organizations_taking_part_were_invited"
    visit.complete(make.ctx(make.ENDS), organizations_taking_part=["United Nations Office on Drugs and Crime"] * 2,
                   team=["CTED: legal expert", "CTED: border expert"])
    [completed] = visit.collect_events()
    assert completed.organizations_taking_part == ["United Nations Office on Drugs and Crime"]
    assert visit.team == ["CTED: legal expert", "CTED: border expert"]


def test_a_recommendation_with_a_due_date_is_awaited_and_overdue_until_implemented(make):
    visit = make.conducted_visit()
    due = make.day(200)
    visit.draft_report(make.ctx(40), summary="x", recommendations=[
        Recommendation("R1", "border_control", "high", "API at airports", due_on=due), R2])
    visit.adopt_report(make.ctx(41))
    assert [w for w in visit.waiting_for(make.day(201)) if w["what"] == "recommendation"] == [
        {"what": "recommendation", "recommendation_id": "R1", "due_on": due, "overdue": True}]
    visit.update_recommendation(make.ctx(210), recommendation_id="R1", status="implemented", evidence="in force")
    assert [w for w in visit.waiting_for(make.day(300)) if w["what"] == "recommendation"] == []
