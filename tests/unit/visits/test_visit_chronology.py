"""A visit's steps keep the order they happened in: a step dated before the visit's latest step
is refused with both dates named, and nothing changes; a visit starts on its scheduled dates (a
day either side, in the Committee's time zone); dates are not fixed in the past."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shared.domain import Context
from shared.errors import RuleBroken


def test_consent_granted_before_it_was_asked_is_refused_naming_both_dates(make):
    visit = make.awaiting_consent_visit()  # consent asked on day 2
    with pytest.raises(RuleBroken) as refused:
        visit.grant_consent(make.ctx(2, hours=-5))
    assert refused.value.rule == "steps_in_order"
    assert "consent_granted is dated 2025-03-05 04:00 UTC" in refused.value.detail
    assert "consent_requested of 2025-03-05 09:00 UTC" in refused.value.detail
    assert visit.collect_events() == [] and visit.consent == "requested"


def test_a_step_at_the_same_moment_as_the_latest_one_is_in_order(make):
    visit = make.awaiting_consent_visit()
    visit.grant_consent(make.ctx(2))
    assert visit.consent == "granted" and visit.latest_step == "consent_granted"


def test_the_latest_step_is_known_again_after_a_replay(make):
    from uuid import uuid4

    from visits.domain import Visit

    visit = Visit.propose(make.ctx(0), visit_id=uuid4(), member_state="KEN", committee="ctc")
    visit.approve(make.ctx(1))
    visit.request_consent(make.ctx(2))
    replayed = None
    for stored in visit.collect_events():
        replayed = stored.mutate(replayed)
    assert isinstance(replayed, Visit)
    assert (replayed.latest_step, replayed.latest_step_at) == ("consent_requested", make.ctx(2).occurred_at)
    with pytest.raises(RuleBroken):
        replayed.grant_consent(make.ctx(1))


@pytest.mark.parametrize("day, allowed", [(28, False), (29, True), (30, True), (34, True), (35, True), (36, False)])
def test_a_visit_starts_on_its_scheduled_dates_give_or_take_a_day(make, day, allowed):
    visit = make.scheduled_visit()  # scheduled for days 30 to 34
    if allowed:
        visit.start(make.ctx(day))
        assert visit.status == "in_progress"
    else:
        with pytest.raises(RuleBroken) as refused:
            visit.start(make.ctx(day))
        assert refused.value.rule == "visit_starts_on_its_dates"
        assert visit.collect_events() == []


def test_a_start_is_judged_by_the_day_in_new_york(make):
    """02:00 UTC on day 36 is still day 35 in New York: the last day of the tolerance."""
    visit = make.scheduled_visit()
    late_evening = Context(datetime.combine(make.day(36), datetime.min.time(), timezone.utc) + timedelta(hours=2),
                           "coordinator@un.org", "visit_coordinator", "r")
    visit.start(late_evening)
    assert visit.status == "in_progress"


def test_a_visit_started_months_before_its_dates_must_be_rescheduled_first(make):
    visit = make.scheduled_visit()
    with pytest.raises(RuleBroken):
        visit.start(make.ctx(8))
    visit.schedule(make.ctx(8), starts_on=make.day(8), ends_on=make.day(12))
    visit.start(make.ctx(8))
    assert (visit.starts_on, visit.status) == (make.day(8), "in_progress")


def test_dates_are_not_fixed_in_the_past(make):
    visit = make.consented_visit()  # consent on day 5
    with pytest.raises(RuleBroken) as refused:
        visit.schedule(make.ctx(6), starts_on=make.day(5), ends_on=make.day(9))
    assert refused.value.rule == "visit_dates_not_in_the_past"
    visit.schedule(make.ctx(6), starts_on=make.day(6), ends_on=make.day(9))
    assert visit.starts_on == make.day(6)


def test_information_received_before_it_was_asked_is_refused(make):
    visit = make.visit_awaiting_pre_visit_info()
    with pytest.raises(RuleBroken) as refused:
        visit.receive_pre_visit_info(make.ctx(1), organization="UNODC")
    assert refused.value.rule == "steps_in_order"


def test_a_step_whose_time_nobody_stated_follows_a_step_that_raced_ahead_of_it(make):
    """"now", taken when the request came, can be a few milliseconds before a step another request
    stored first: that step happened now, after the other, and is dated so, not refused."""
    from dataclasses import replace

    visit = make.approved_visit()  # approved on day 1
    visit.request_consent(make.ctx(2))
    visit.grant_consent(replace(make.ctx(2, hours=-1), stated=False))
    assert visit.consent == "granted" and visit.latest_step_at == make.ctx(2).occurred_at


# -- postponements keep history -------------------------------------------------------------------


def test_a_postponement_keeps_the_dates_it_gave_up_in_its_event(make):
    visit = make.scheduled_visit()  # days 30-34
    visit.postpone(make.ctx(10), reason="elections")
    [postponed] = visit.collect_events()
    assert (postponed.starts_on, postponed.ends_on) == (make.day(30), make.day(34))
    assert visit.postponed_dates == [{"postponed_at": make.ctx(10).occurred_at, "reason": "elections",
                                      "starts_on": make.day(30), "ends_on": make.day(34)}]
    assert (visit.starts_on, visit.status) == (None, "postponed")


def test_after_a_postponement_pre_visit_information_is_due_again_and_not_overdue(make):
    visit = make.visit_awaiting_pre_visit_info(due=20)  # asked day 7, due day 20
    visit.schedule(make.ctx(8), starts_on=make.day(30), ends_on=make.day(34))
    visit.postpone(make.ctx(9), reason="elections")
    assert [w for w in visit.waiting_for(make.day(25)) if w["what"] == "pre_visit_info"][0]["overdue"] is True

    visit.reset_due_date(make.ctx(10), awaited="pre_visit_info", organization="UNODC", due_on=make.day(60))

    [wait] = [w for w in visit.waiting_for(make.day(25)) if w["what"] == "pre_visit_info"]
    assert (wait["due_on"], wait["overdue"]) == (make.day(60), False)
    [event] = visit.collect_events()[-1:]
    assert (event.previous_due_on, event.due_on) == (make.day(20), make.day(60))


def test_a_due_date_is_set_again_only_after_a_postponement_and_not_in_the_past(make):
    visit = make.awaiting_consent_visit()  # asked day 2, due day 16
    with pytest.raises(RuleBroken) as not_postponed:
        visit.reset_due_date(make.ctx(3), awaited="consent", due_on=make.day(40))
    assert not_postponed.value.rule == "due_dates_reset_after_a_postponement"
    visit.postpone(make.ctx(4), reason="r")
    with pytest.raises(RuleBroken) as past:
        visit.reset_due_date(make.ctx(5), awaited="consent", due_on=make.day(4))
    assert past.value.rule == "due_date_not_in_the_past"
    visit.reset_due_date(make.ctx(5), awaited="consent", due_on=make.day(40))
    assert visit.consent_due_on == make.day(40)


def test_a_due_date_is_set_only_for_what_is_awaited(make):
    visit = make.consented_visit()
    visit.postpone(make.ctx(6), reason="r")
    with pytest.raises(RuleBroken) as refused:
        visit.reset_due_date(make.ctx(7), awaited="consent", due_on=make.day(40))
    assert refused.value.rule == "due_date_of_something_awaited"


# -- smaller truths ----------------------------------------------------------------------------------


def test_a_state_withdraws_its_consent_before_the_visit_and_is_asked_again(make):
    visit = make.scheduled_visit()  # consent on day 5, dates 30-34
    visit.withdraw_consent(make.ctx(10), reason="elections")
    assert (visit.consent, visit.status, visit.starts_on) == ("withdrawn", "approved", None)
    with pytest.raises(RuleBroken) as no_dates:
        visit.schedule(make.ctx(11), starts_on=make.day(40), ends_on=make.day(44))
    assert no_dates.value.rule == "schedule_requires_consent"
    visit.request_consent(make.ctx(12))
    visit.grant_consent(make.ctx(20))
    assert visit.consent == "granted"


def test_consent_is_not_withdrawn_once_the_visit_started(make):
    visit = make.started_visit()
    with pytest.raises(RuleBroken) as refused:
        visit.withdraw_consent(make.ctx(make.STARTS + 1))
    assert refused.value.rule == "consent_withdrawn_before_the_visit"
    with pytest.raises(RuleBroken) as never_given:
        make.awaiting_consent_visit().withdraw_consent(make.ctx(3))
    assert never_given.value.rule == "consent_withdrawn_once_given"


def test_a_need_is_shared_with_a_donor_once(make):
    visit = make.shareable_visit()
    donor = make.registered_donor()
    visit.share_needs_assessment(make.ctx(make.ENDS + 3), donor=donor, donor_id=donor.id, need_ids=["n1"])
    visit.collect_events()
    with pytest.raises(RuleBroken) as refused:
        visit.share_needs_assessment(make.ctx(make.ENDS + 4), donor=donor, donor_id=donor.id, need_ids=["n2", "n1"])
    assert refused.value.rule == "need_shared_once_with_a_donor"
    assert "n1 already shared with Donor State A" in refused.value.detail
    visit.share_needs_assessment(make.ctx(make.ENDS + 4), donor=donor, donor_id=donor.id, need_ids=["n2"])
    assert [s["need_ids"] for s in visit.shares] == [["n1"], ["n2"]]
