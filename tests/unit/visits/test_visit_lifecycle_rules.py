"""The rules of a country visit (shared/DOMAIN.md section 1), one test per rule.

The Visit aggregate is driven directly: no database, no broker. A rejected command must name
its rule and change nothing: no pending event, same status, same version, same state.

The calendar (days after a fixed UTC date) is in ``conftest.py``: ``make.CONSENT_DUE`` (16),
``make.STARTS`` (30) and ``make.ENDS`` (34) are the days the builders use.
"""
from __future__ import annotations

import copy
from itertools import groupby
from uuid import uuid4

import pytest

from shared.errors import RuleBroken, VersionConflict
from visits.domain import (
    Committee,
    ConsentStatus,
    Need,
    Origin,
    SharingConsent,
    Visit,
    VisitStatus,
)


def snapshot(visit: Visit) -> dict:
    """What a user can see of a visit, to check that a rejected command left it as it was."""
    return copy.deepcopy(
        {
            "status": visit.status,
            "version": visit.version,
            "consent": visit.consent,
            "sharing_consent": visit.sharing_consent,
            "sharing_consent_version": visit.sharing_consent_version,
            "organizations": visit.organizations,
            "dates": (visit.starts_on, visit.ends_on),
            "needs": visit.needs,
            "assessment_version": visit.assessment_version,
            "shares": visit.shares,
            "follow_ups": visit.follow_ups,
            "postponements": visit.postponements,
        }
    )


def nothing_changed(visit: Visit, before: dict) -> bool:
    """No event pending, and the visit as it was in ``before``."""
    return visit.collect_events() == [] and snapshot(visit) == before


# -- the whole lifecycle ---------------------------------------------------------------------


def test_a_visit_goes_from_proposal_to_closure_through_every_status_in_order(make, ctx, day):
    donor = make.registered_donor()
    visit = Visit.propose(ctx(0), visit_id=uuid4(), member_state="KEN", committee=Committee.CTC)
    steps = [
        lambda: visit.approve(ctx(1)),
        lambda: visit.request_consent(ctx(2), due_on=day(16)),
        lambda: visit.grant_consent(ctx(5)),
        lambda: visit.invite_organization(ctx(6), organization="UNODC", kind="un_body"),
        lambda: visit.request_pre_visit_info(ctx(6), organization="UNODC", due_on=day(20)),
        lambda: visit.schedule(ctx(7), starts_on=day(30), ends_on=day(34)),
        lambda: visit.receive_pre_visit_info(ctx(15), organization="UNODC", summary="legal review"),
        lambda: visit.start(ctx(30)),
        lambda: visit.record_needs_assessment(ctx(33), needs=[make.need("n1")]),
        lambda: visit.complete(ctx(34)),
        lambda: visit.grant_sharing_consent(ctx(36)),
        lambda: visit.share_needs_assessment(ctx(37), donor=donor, donor_id=donor.id, need_ids=["n1"]),
        lambda: visit.record_follow_up(ctx(90), summary="law adopted", results="on track"),
        lambda: visit.close(ctx(91), summary="done"),
    ]
    statuses = [visit.status]
    for step in steps:
        step()
        statuses.append(visit.status)

    assert [status for status, _ in groupby(statuses)] == [
        VisitStatus.PROPOSED,
        VisitStatus.APPROVED,
        VisitStatus.AWAITING_CONSENT,
        VisitStatus.CONSENTED,
        VisitStatus.SCHEDULED,
        VisitStatus.IN_PROGRESS,
        VisitStatus.CONDUCTED,
        VisitStatus.CLOSED,
    ]
    assert visit.version == 1 + len(steps)
    assert len(visit.collect_events()) == 1 + len(steps)
    assert visit.organizations["UNODC"]["info_late"] is False
    assert visit.closed_at == ctx(91).occurred_at
    assert visit.waiting_for(day(120)) == []


# -- proposal and approval ---------------------------------------------------------------------


def test_a_ctc_visit_too_is_made_at_the_invitation_of_a_state_which_is_its_consent(ctx):
    visit = Visit.propose(ctx(0), visit_id=uuid4(), member_state="KEN", committee=Committee.CTC,
                          origin=Origin.STATE_INVITATION)

    assert visit.consent == ConsentStatus.BY_INVITATION


def test_the_invitation_of_the_state_counts_as_its_consent_for_a_1540_visit(make, ctx, day):
    visit = make.proposed_visit(committee=Committee.C1540, origin=Origin.STATE_INVITATION)
    assert visit.consent == ConsentStatus.BY_INVITATION

    visit.approve(ctx(1))
    assert visit.status == VisitStatus.CONSENTED
    visit.schedule(ctx(2), starts_on=day(make.STARTS), ends_on=day(make.ENDS))

    assert visit.status == VisitStatus.SCHEDULED
    assert [type(e).__name__ for e in visit.collect_events()] == ["VisitApproved", "VisitScheduled"]


def test_consent_is_not_asked_of_a_state_that_invited_the_visit(make, ctx, day):
    visit = make.approved_visit(committee=Committee.C1540, origin=Origin.STATE_INVITATION)
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.request_consent(ctx(2), due_on=day(make.CONSENT_DUE))

    assert broken.value.rule == "invitation_counts_as_consent"
    assert nothing_changed(visit, before)


def test_a_visit_is_approved_only_once(make, ctx):
    visit = make.approved_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.approve(ctx(2))

    assert broken.value.rule == "visit_approved_once"
    assert visit.approved_at == ctx(1).occurred_at
    assert nothing_changed(visit, before)


PREPARATION_STEPS = [
    pytest.param(lambda v, m: v.request_consent(m.ctx(1), due_on=m.day(16)), id="ask-consent"),
    pytest.param(
        lambda v, m: v.invite_organization(m.ctx(1), organization="UNODC", kind="un_body"),
        id="invite-organization",
    ),
    pytest.param(lambda v, m: v.schedule(m.ctx(1), starts_on=m.day(30), ends_on=m.day(34)), id="fix-dates"),
]


@pytest.mark.parametrize("step", PREPARATION_STEPS)
@pytest.mark.parametrize(
    ("committee", "origin"),
    [(Committee.CTC, Origin.COMMITTEE_SELECTION), (Committee.C1540, Origin.STATE_INVITATION)],
    ids=["selected-by-the-ctc", "invited-by-the-state"],
)
def test_a_visit_is_not_prepared_before_the_committee_approves_it(make, committee, origin, step):
    # A State's invitation is its consent, not the Committee's approval.
    visit = make.proposed_visit(committee=committee, origin=origin)
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        step(visit, make)

    assert broken.value.rule == "only_approved_visits_are_prepared"
    assert visit.status == VisitStatus.PROPOSED
    assert nothing_changed(visit, before)


# -- the State's consent to the visit -------------------------------------------------------------


def test_the_state_consent_is_asked_only_once(make, ctx, day):
    visit = make.awaiting_consent_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.request_consent(ctx(3), due_on=day(make.CONSENT_DUE + 7))

    assert broken.value.rule == "consent_requested_once"
    assert visit.consent_due_on == day(make.CONSENT_DUE)
    assert nothing_changed(visit, before)


def test_the_state_cannot_consent_before_it_was_asked(make, ctx):
    visit = make.approved_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.grant_consent(ctx(2))

    assert broken.value.rule == "consent_answers_a_request"
    assert visit.consent == ConsentStatus.NOT_REQUESTED
    assert nothing_changed(visit, before)


def test_a_consent_once_given_cannot_be_declined_afterwards(make, ctx):
    visit = make.consented_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.decline_consent(ctx(6), reason="changed its mind")

    assert broken.value.rule == "consent_answers_a_request"
    assert visit.status == VisitStatus.CONSENTED
    assert nothing_changed(visit, before)


def test_the_state_consenting_lets_the_visit_be_prepared(make, ctx):
    visit = make.awaiting_consent_visit()

    visit.grant_consent(ctx(5))

    assert visit.status == VisitStatus.CONSENTED
    assert visit.consent == ConsentStatus.GRANTED
    assert visit.consent_decided_at == ctx(5).occurred_at
    assert [type(e).__name__ for e in visit.collect_events()] == ["ConsentGranted"]


def test_a_declined_consent_ends_the_visit(make, ctx, day):
    visit = make.awaiting_consent_visit()

    visit.decline_consent(ctx(9), reason="not convenient this year")

    assert visit.status == VisitStatus.DECLINED
    assert visit.consent == ConsentStatus.DECLINED
    assert visit.ended_reason == "not convenient this year"
    assert visit.waiting_for(day(make.CONSENT_DUE + 10)) == []


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(lambda v, m: v.grant_consent(m.ctx(10)), id="grant-consent"),
        pytest.param(lambda v, m: v.decline_consent(m.ctx(10)), id="decline-again"),
        pytest.param(lambda v, m: v.request_consent(m.ctx(10)), id="ask-consent-again"),
        pytest.param(
            lambda v, m: v.invite_organization(m.ctx(10), organization="UNODC", kind="un_body"),
            id="invite-organization",
        ),
        pytest.param(
            lambda v, m: v.schedule(m.ctx(10), starts_on=m.day(30), ends_on=m.day(34)), id="fix-dates"
        ),
        pytest.param(lambda v, m: v.postpone(m.ctx(10), reason="later"), id="postpone"),
        pytest.param(lambda v, m: v.cancel(m.ctx(10), reason="no point"), id="cancel"),
    ],
)
def test_nothing_more_happens_to_a_visit_whose_consent_was_declined(make, ctx, step):
    visit = make.awaiting_consent_visit()
    visit.decline_consent(ctx(9), reason="no")
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        step(visit, make)

    assert broken.value.rule == "ended_visit_cannot_change"
    assert visit.status == VisitStatus.DECLINED
    assert nothing_changed(visit, before)


def test_a_visit_cannot_be_scheduled_before_the_state_consents(make, ctx, day):
    visit = make.awaiting_consent_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.schedule(ctx(3), starts_on=day(make.STARTS), ends_on=day(make.ENDS))

    assert broken.value.rule == "schedule_requires_consent"
    assert visit.starts_on is None
    assert nothing_changed(visit, before)


# -- organizations and their pre-visit information -------------------------------------------------


def test_an_organization_is_invited_to_a_visit_once(make, ctx):
    visit = make.consented_visit()
    visit.invite_organization(ctx(6), organization="Interpol", kind="international")
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.invite_organization(ctx(7), organization="Interpol", kind="international")

    assert broken.value.rule == "organization_invited_once"
    assert nothing_changed(visit, before)


def test_organizations_are_invited_while_the_visit_is_prepared_not_once_it_started(make, ctx):
    visit = make.started_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.invite_organization(ctx(make.STARTS + 1), organization="ICAO", kind="un_body")

    assert broken.value.rule == "organizations_invited_before_the_visit"
    assert visit.organizations == {}
    assert nothing_changed(visit, before)


def test_pre_visit_info_is_asked_only_of_invited_organizations(make, ctx, day):
    visit = make.consented_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.request_pre_visit_info(ctx(6), organization="IMO", due_on=day(20))

    assert broken.value.rule == "pre_visit_info_only_from_invited_organizations"
    assert nothing_changed(visit, before)


def test_pre_visit_info_is_received_only_from_invited_organizations(make, ctx):
    visit = make.consented_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.receive_pre_visit_info(ctx(6), organization="IMO", summary="unsolicited")

    assert broken.value.rule == "pre_visit_info_only_from_invited_organizations"
    assert nothing_changed(visit, before)


def test_pre_visit_info_is_asked_before_the_visit_starts(make, ctx, day):
    visit = make.scheduled_visit()
    visit.invite_organization(ctx(7), organization="UNODC", kind="un_body")
    visit.start(ctx(make.STARTS))
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.request_pre_visit_info(ctx(make.STARTS), organization="UNODC", due_on=day(make.ENDS))

    assert broken.value.rule == "pre_visit_info_requested_before_the_visit"
    assert visit.organizations["UNODC"]["info_requested_at"] is None
    assert nothing_changed(visit, before)


def test_pre_visit_info_is_asked_of_an_organization_once(make, ctx, day):
    visit = make.visit_awaiting_pre_visit_info(organization="UNODC", due=20)
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.request_pre_visit_info(ctx(8), organization="UNODC", due_on=day(25))

    assert broken.value.rule == "pre_visit_info_requested_once"
    assert visit.organizations["UNODC"]["info_due_on"] == day(20)
    assert nothing_changed(visit, before)


def test_pre_visit_info_is_received_only_once_it_was_asked(make, ctx):
    visit = make.consented_visit()
    visit.invite_organization(ctx(6), organization="UNODC", kind="un_body")
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.receive_pre_visit_info(ctx(7), organization="UNODC", summary="unasked")

    assert broken.value.rule == "pre_visit_info_received_after_request"
    assert nothing_changed(visit, before)


def test_pre_visit_info_is_received_once(make, ctx):
    visit = make.visit_awaiting_pre_visit_info(organization="UNODC")
    visit.receive_pre_visit_info(ctx(10), organization="UNODC", summary="first")
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.receive_pre_visit_info(ctx(11), organization="UNODC", summary="second")

    assert broken.value.rule == "pre_visit_info_received_once"
    assert visit.organizations["UNODC"]["info_received_at"] == ctx(10).occurred_at
    assert nothing_changed(visit, before)


def test_pre_visit_info_received_before_the_visit_starts_is_not_late(make, ctx):
    visit = make.visit_awaiting_pre_visit_info(organization="UNODC")

    visit.receive_pre_visit_info(ctx(make.STARTS - 1), organization="UNODC", summary="in advance")

    assert visit.organizations["UNODC"]["info_late"] is False
    [received] = visit.collect_events()
    assert received.late is False


def test_pre_visit_info_received_after_the_visit_started_is_accepted_but_marked_late(make, ctx):
    visit = make.visit_awaiting_pre_visit_info(organization="UNODC")
    visit.start(ctx(make.STARTS))
    visit.collect_events()

    visit.receive_pre_visit_info(ctx(make.STARTS, hours=3), organization="UNODC", summary="late")

    assert visit.organizations["UNODC"]["info_received_at"] == ctx(make.STARTS, hours=3).occurred_at
    assert visit.organizations["UNODC"]["info_late"] is True
    [received] = visit.collect_events()
    assert received.late is True


@pytest.mark.parametrize(
    ("received_on", "after_due_date"),
    [(19, False), (20, False), (21, True)],
    ids=["before-the-due-date", "on-the-due-date", "after-the-due-date"],
)
def test_pre_visit_info_received_after_its_due_date_is_marked_after_the_due_date(
    make, ctx, received_on, after_due_date
):
    visit = make.visit_awaiting_pre_visit_info(organization="UNODC", due=20)

    visit.receive_pre_visit_info(ctx(received_on), organization="UNODC")

    [received] = visit.collect_events()
    assert received.after_due_date is after_due_date
    assert received.late is False  # the visit has not started: past due is not "late"


# -- dates, start and completion -------------------------------------------------------------------


def test_a_visit_ends_on_or_after_the_day_it_starts(make, ctx, day):
    visit = make.consented_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.schedule(ctx(6), starts_on=day(make.STARTS), ends_on=day(make.STARTS - 1))

    assert broken.value.rule == "visit_ends_after_it_starts"
    assert nothing_changed(visit, before)

    visit.schedule(ctx(6), starts_on=day(make.STARTS), ends_on=day(make.STARTS))  # one day
    assert (visit.starts_on, visit.ends_on) == (day(make.STARTS), day(make.STARTS))


def test_a_scheduled_visit_can_get_new_dates_before_it_starts(make, ctx, day):
    visit = make.scheduled_visit()

    visit.schedule(ctx(8), starts_on=day(make.STARTS + 7), ends_on=day(make.ENDS + 7))

    assert visit.status == VisitStatus.SCHEDULED
    assert (visit.starts_on, visit.ends_on) == (day(make.STARTS + 7), day(make.ENDS + 7))


def test_a_started_visit_cannot_be_given_new_dates(make, ctx, day):
    visit = make.started_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.schedule(ctx(make.STARTS + 1), starts_on=day(make.STARTS + 9), ends_on=day(make.ENDS + 9))

    assert broken.value.rule == "schedule_before_start"
    assert visit.status == VisitStatus.IN_PROGRESS
    assert nothing_changed(visit, before)


def test_only_a_scheduled_visit_starts(make, ctx):
    visit = make.consented_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.start(ctx(make.STARTS))

    assert broken.value.rule == "start_requires_schedule"
    assert visit.started_at is None
    assert nothing_changed(visit, before)


def test_only_a_visit_in_progress_is_completed(make, ctx):
    visit = make.scheduled_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.complete(ctx(make.ENDS))

    assert broken.value.rule == "complete_requires_started_visit"
    assert visit.completed_at is None
    assert nothing_changed(visit, before)


def test_a_visit_cannot_be_completed_before_it_started(make, ctx):
    visit = make.started_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.complete(ctx(make.STARTS - 1))

    assert broken.value.rule == "visit_ends_after_it_starts"
    assert visit.completed_at is None
    assert nothing_changed(visit, before)


# -- the needs assessment --------------------------------------------------------------------------


def test_a_desk_assessment_is_recorded_before_the_visit_and_revised_during_it(make, ctx):
    visit = make.scheduled_visit()

    visit.record_needs_assessment(ctx(10), needs=[make.need("n1")], summary="desk review")
    visit.start(ctx(make.STARTS))
    visit.record_needs_assessment(ctx(make.STARTS + 1), needs=[make.need("n1"), make.need("n2", "legislation")])

    assert visit.assessment_version == 2 and set(visit.needs) == {"n1", "n2"}


def test_needs_are_not_assessed_for_a_visit_the_committee_has_not_approved(make, ctx):
    visit = make.proposed_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.record_needs_assessment(ctx(1), needs=[make.need("n1")])

    assert broken.value.rule == "only_approved_visits_are_prepared"
    assert nothing_changed(visit, before)


def test_a_need_is_in_a_thematic_area_of_the_visits_committee(make, ctx):
    visit = make.started_visit()  # a CTC visit
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.record_needs_assessment(ctx(make.STARTS + 1), needs=[make.need("n1", "physical_protection")])

    assert broken.value.rule == "thematic_areas_of_the_visits_committee"
    assert "physical_protection is not a thematic area of the ctc Committee" in broken.value.detail
    assert nothing_changed(visit, before)


def test_needs_are_recorded_while_the_visit_is_in_progress(make, ctx):
    visit = make.started_visit()

    visit.record_needs_assessment(ctx(make.STARTS + 1), needs=[make.need("n1")], summary="day one")

    assert visit.needs == {"n1": make.need("n1")}
    assert visit.assessment_version == 1


def test_a_needs_assessment_names_at_least_one_need(make, ctx):
    visit = make.conducted_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.record_needs_assessment(ctx(make.ENDS + 1), needs=[])

    assert broken.value.rule == "needs_assessment_names_needs"
    assert nothing_changed(visit, before)


def test_two_needs_of_an_assessment_do_not_share_an_id(make, ctx):
    visit = make.conducted_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.record_needs_assessment(
            ctx(make.ENDS + 1), needs=[make.need("n1"), make.need("n1", "legislation", "low")]
        )

    assert broken.value.rule == "need_ids_unique"
    assert nothing_changed(visit, before)


def test_recording_the_needs_assessment_again_makes_version_2_that_replaces_the_needs(make, ctx):
    visit = make.assessed_visit()
    assert set(visit.needs) == {"n1", "n2"}
    assert visit.assessment_version == 1

    revised = Need("n3", "counter_financing_of_terrorism", "financial intelligence unit", "high")
    visit.record_needs_assessment(ctx(make.ENDS + 5), needs=[revised], summary="revised")

    assert visit.assessment_version == 2
    assert visit.needs == {"n3": revised}
    [recorded] = visit.collect_events()
    assert recorded.assessment_version == 2


# -- the State's consent to share its needs assessment with donors ---------------------------------


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(lambda v, m: v.grant_sharing_consent(m.ctx(35)), id="grant"),
        pytest.param(lambda v, m: v.decline_sharing_consent(m.ctx(35)), id="decline"),
    ],
)
def test_a_sharing_consent_concerns_a_recorded_needs_assessment(make, step):
    visit = make.conducted_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        step(visit, make)

    assert broken.value.rule == "sharing_consent_concerns_a_needs_assessment"
    assert visit.sharing_consent == SharingConsent.NONE
    assert nothing_changed(visit, before)


def test_a_sharing_consent_in_force_is_not_granted_again(make, ctx):
    visit = make.shareable_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.grant_sharing_consent(ctx(make.ENDS + 3))

    assert broken.value.rule == "sharing_consent_already_in_force"
    assert nothing_changed(visit, before)


def test_a_state_withdraws_a_sharing_consent_in_force_rather_than_declining_it(make, ctx):
    visit = make.shareable_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.decline_sharing_consent(ctx(make.ENDS + 3), reason="no longer")

    assert broken.value.rule == "decline_only_without_consent_in_force"
    assert visit.sharing_consent == SharingConsent.GRANTED
    assert nothing_changed(visit, before)


def test_only_a_sharing_consent_in_force_is_withdrawn(make, ctx):
    visit = make.assessed_visit()
    visit.decline_sharing_consent(ctx(make.ENDS + 2), reason="not now")
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.withdraw_sharing_consent(ctx(make.ENDS + 3))

    assert broken.value.rule == "withdraw_consent_in_force"
    assert visit.sharing_consent == SharingConsent.DECLINED
    assert nothing_changed(visit, before)


# -- sharing the needs assessment with donors ------------------------------------------------------


@pytest.mark.parametrize("declined", [False, True], ids=["never-consented", "declined"])
def test_the_needs_assessment_is_shared_only_under_a_sharing_consent_in_force(make, ctx, declined):
    visit = make.assessed_visit()
    if declined:
        visit.decline_sharing_consent(ctx(make.ENDS + 2), reason="sensitive")
        visit.collect_events()
    donor = make.registered_donor()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.share_needs_assessment(ctx(make.ENDS + 3), donor=donor, donor_id=donor.id, need_ids=["n1"])

    assert broken.value.rule == "sharing_requires_consent_in_force"
    assert visit.shares == []
    assert nothing_changed(visit, before)


def test_the_needs_assessment_is_shared_only_with_registered_donors(make, ctx):
    visit = make.shareable_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.share_needs_assessment(ctx(make.ENDS + 3), donor=None, donor_id=uuid4(), need_ids=["n1"])

    assert broken.value.rule == "share_only_with_registered_donors"
    assert visit.shares == []
    assert nothing_changed(visit, before)


@pytest.mark.parametrize(
    "need_ids", [["n1", "n9"], []], ids=["a-need-the-assessment-lacks", "no-need-at-all"]
)
def test_only_needs_that_exist_are_shared(make, ctx, need_ids):
    visit = make.shareable_visit()
    donor = make.registered_donor()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.share_needs_assessment(
            ctx(make.ENDS + 3), donor=donor, donor_id=donor.id, need_ids=need_ids
        )

    assert broken.value.rule == "share_only_existing_needs"
    assert visit.shares == []
    assert nothing_changed(visit, before)


def test_needs_shared_with_a_donor_are_recorded_with_the_donor_and_the_needs(make, ctx):
    visit = make.shareable_visit()
    donor = make.registered_donor(name="Donor State A")

    visit.share_needs_assessment(ctx(make.ENDS + 3), donor=donor, donor_id=donor.id, need_ids=["n2"])

    [share] = visit.shares
    assert share["donor_id"] == donor.id
    assert share["donor_name"] == "Donor State A"
    assert share["need_ids"] == ["n2"]
    assert share["shared_at"] == ctx(make.ENDS + 3).occurred_at


def test_a_withdrawal_stops_later_sharing_but_keeps_what_was_shared(make, ctx):
    visit = make.shareable_visit()
    donor = make.registered_donor()
    visit.share_needs_assessment(ctx(make.ENDS + 3), donor=donor, donor_id=donor.id, need_ids=["n1"])
    visit.withdraw_sharing_consent(ctx(make.ENDS + 4), reason="elections")
    visit.collect_events()
    assert visit.sharing_consent == SharingConsent.WITHDRAWN
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.share_needs_assessment(ctx(make.ENDS + 5), donor=donor, donor_id=donor.id, need_ids=["n2"])

    assert broken.value.rule == "sharing_requires_consent_in_force"
    assert [share["need_ids"] for share in visit.shares] == [["n1"]]
    assert nothing_changed(visit, before)


def test_a_share_records_the_consent_and_the_assessment_version_it_was_made_under(make, ctx):
    visit = make.assessed_visit()
    donor = make.registered_donor()
    visit.grant_sharing_consent(ctx(make.ENDS + 2))
    [first_consent] = visit.collect_events()
    visit.share_needs_assessment(ctx(make.ENDS + 3), donor=donor, donor_id=donor.id, need_ids=["n1"])
    visit.withdraw_sharing_consent(ctx(make.ENDS + 4))
    visit.record_needs_assessment(
        ctx(make.ENDS + 5), needs=[make.need("n1"), make.need("n4", "legislation")]
    )
    visit.collect_events()
    visit.grant_sharing_consent(ctx(make.ENDS + 6))
    [second_consent] = visit.collect_events()

    visit.share_needs_assessment(ctx(make.ENDS + 7), donor=donor, donor_id=donor.id, need_ids=["n4"])

    first, second = visit.shares
    assert (first["consent_version"], first["assessment_version"]) == (
        first_consent.originator_version,
        1,
    )
    assert (second["consent_version"], second["assessment_version"]) == (
        second_consent.originator_version,
        2,
    )
    assert visit.sharing_consent_version == second_consent.originator_version


# -- follow-up and closure -------------------------------------------------------------------------


def test_follow_up_is_recorded_only_after_the_visit_was_conducted(make, ctx):
    visit = make.started_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.record_follow_up(ctx(make.STARTS + 1), summary="too early")

    assert broken.value.rule == "follow_up_requires_conducted_visit"
    assert visit.follow_ups == []
    assert nothing_changed(visit, before)


def test_follow_up_to_a_conducted_visit_is_recorded(make, ctx):
    visit = make.conducted_visit()

    visit.record_follow_up(ctx(90), summary="Committee updated", results="law adopted")

    assert visit.follow_ups == [
        {"summary": "Committee updated", "results": "law adopted", "at": ctx(90).occurred_at}
    ]
    assert visit.status == VisitStatus.CONDUCTED


def test_a_visit_is_closed_only_after_it_was_conducted(make, ctx):
    visit = make.started_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.close(ctx(make.STARTS + 1))

    assert broken.value.rule == "close_requires_conducted_visit"
    assert visit.closed_at is None
    assert nothing_changed(visit, before)


@pytest.mark.parametrize(
    "step",
    [
        pytest.param(
            lambda v, m: v.record_needs_assessment(m.ctx(120), needs=[m.need("n5")]), id="needs"
        ),
        pytest.param(lambda v, m: v.close(m.ctx(120)), id="close-again"),
        pytest.param(lambda v, m: v.cancel(m.ctx(120), reason="oops"), id="cancel"),
    ],
)
def test_a_closed_visit_cannot_change(make, ctx, step):
    visit = make.conducted_visit()
    visit.close(ctx(make.ENDS + 30))
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        step(visit, make)

    assert broken.value.rule == "ended_visit_cannot_change"
    assert visit.status == VisitStatus.CLOSED
    assert nothing_changed(visit, before)


# -- cancellation and postponement -----------------------------------------------------------------


@pytest.mark.parametrize(
    "stage", ["proposed_visit", "approved_visit", "scheduled_visit", "started_visit"]
)
def test_a_visit_not_yet_conducted_can_be_called_off(make, ctx, day, stage):
    visit = getattr(make, stage)()

    visit.cancel(ctx(make.STARTS + 1), reason="security situation")

    assert visit.status == VisitStatus.CANCELLED
    assert visit.ended_reason == "security situation"
    assert visit.waiting_for(day(make.STARTS + 2)) == []


def test_a_conducted_visit_cannot_be_cancelled(make, ctx):
    visit = make.conducted_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.cancel(ctx(make.ENDS + 1), reason="changed plans")

    assert broken.value.rule == "conducted_visit_cannot_be_cancelled"
    assert visit.status == VisitStatus.CONDUCTED
    assert nothing_changed(visit, before)


def test_a_cancelled_visit_cannot_be_scheduled_again(make, ctx, day):
    visit = make.consented_visit()
    visit.cancel(ctx(6), reason="budget")
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.schedule(ctx(7), starts_on=day(make.STARTS), ends_on=day(make.ENDS))

    assert broken.value.rule == "ended_visit_cannot_change"
    assert nothing_changed(visit, before)


def test_a_postponed_visit_loses_its_dates_and_can_be_scheduled_again(make, ctx, day):
    visit = make.scheduled_visit()

    visit.postpone(ctx(10), reason="national holidays")

    assert visit.status == VisitStatus.POSTPONED
    assert (visit.starts_on, visit.ends_on) == (None, None)
    assert visit.postponements == 1
    assert {"what": "dates"} in visit.waiting_for(day(11))

    visit.schedule(ctx(11), starts_on=day(make.STARTS + 30), ends_on=day(make.ENDS + 30))

    assert visit.status == VisitStatus.SCHEDULED
    assert (visit.starts_on, visit.ends_on) == (day(make.STARTS + 30), day(make.ENDS + 30))


def test_a_visit_is_postponed_only_before_it_starts(make, ctx):
    visit = make.started_visit()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.postpone(ctx(make.STARTS + 1), reason="storm")

    assert broken.value.rule == "postpone_before_start"
    assert visit.status == VisitStatus.IN_PROGRESS
    assert nothing_changed(visit, before)


def test_a_postponed_visit_is_not_postponed_again(make, ctx):
    visit = make.scheduled_visit()
    visit.postpone(ctx(10), reason="holidays")
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.postpone(ctx(11), reason="holidays again")

    assert broken.value.rule == "visit_already_postponed"
    assert visit.postponements == 1
    assert nothing_changed(visit, before)


def test_a_visit_postponed_before_approval_is_not_prepared_until_the_committee_approves_it(
    make, ctx, day
):
    visit = make.proposed_visit()
    visit.postpone(ctx(1), reason="Committee agenda full")
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.request_consent(ctx(2), due_on=day(make.CONSENT_DUE))

    assert broken.value.rule == "only_approved_visits_are_prepared"
    assert nothing_changed(visit, before)

    visit.approve(ctx(3))
    assert visit.approved_at == ctx(3).occurred_at
    assert visit.status == "postponed"
    assert visit.waiting_for(day(4)) == [{"what": "consent_request"}]


def test_the_state_declines_to_share_only_once(make, ctx):
    visit = make.assessed_visit()
    visit.decline_sharing_consent(ctx(40), reason="not now")
    visit.collect_events()
    before = snapshot(visit)

    with pytest.raises(RuleBroken) as broken:
        visit.decline_sharing_consent(ctx(41), reason="still not")

    assert broken.value.rule == "sharing_consent_declined_once"
    assert nothing_changed(visit, before)


# -- what a visit waits for ------------------------------------------------------------------------


def test_a_proposed_visit_waits_for_the_committee_approval(make, day):
    visit = make.proposed_visit()

    assert visit.waiting_for(day(1)) == [{"what": "committee_approval"}]


def test_an_approved_visit_waits_for_the_state_consent_to_be_asked(make, day):
    visit = make.approved_visit()

    assert visit.waiting_for(day(2)) == [{"what": "consent_request"}]


@pytest.mark.parametrize(
    ("today", "overdue"),
    [(15, False), (16, False), (17, True)],
    ids=["before-the-due-date", "on-the-due-date", "after-the-due-date"],
)
def test_a_visit_awaiting_consent_shows_it_overdue_after_its_due_date(make, day, today, overdue):
    visit = make.awaiting_consent_visit(due_on=day(16))

    assert visit.waiting_for(day(today)) == [
        {"what": "state_consent", "due_on": day(16), "overdue": overdue}
    ]


def test_a_consent_asked_without_a_due_date_is_never_overdue(make, day):
    visit = make.awaiting_consent_visit(due_on=None)

    assert visit.waiting_for(day(365)) == [
        {"what": "state_consent", "due_on": None, "overdue": False}
    ]


@pytest.mark.parametrize(
    ("today", "overdue"), [(20, False), (21, True)], ids=["on-the-due-date", "after-the-due-date"]
)
def test_a_visit_awaiting_pre_visit_info_shows_it_overdue_after_its_due_date(
    make, ctx, day, today, overdue
):
    visit = make.visit_awaiting_pre_visit_info(organization="UNODC", due=20)
    visit.invite_organization(ctx(8), organization="ICAO", kind="un_body")  # invited, not asked

    assert visit.waiting_for(day(today)) == [
        {"what": "pre_visit_info", "organization": "UNODC", "due_on": day(20), "overdue": overdue}
    ]


def test_pre_visit_info_once_received_is_no_longer_awaited(make, ctx, day):
    visit = make.visit_awaiting_pre_visit_info(organization="UNODC", due=20)

    visit.receive_pre_visit_info(ctx(25), organization="UNODC")

    assert visit.waiting_for(day(26)) == []


def test_a_conducted_visit_waits_for_follow_up_and_closure(make, day):
    visit = make.conducted_visit()

    assert visit.waiting_for(day(make.ENDS + 1)) == [{"what": "follow_up_and_closure"}]


# -- optimistic concurrency ------------------------------------------------------------------------


def test_a_command_on_a_visit_read_at_an_older_version_is_a_version_conflict(make):
    visit = make.consented_visit()
    read_at = visit.version - 1

    with pytest.raises(VersionConflict) as conflict:
        visit.require_version(read_at)

    assert (conflict.value.expected, conflict.value.actual) == (read_at, visit.version)
    assert conflict.value.to_dict()["error"] == "version_conflict"
    assert visit.collect_events() == []


def test_a_command_on_the_version_the_client_read_or_naming_no_version_goes_ahead(make):
    visit = make.consented_visit()

    visit.require_version(visit.version)
    visit.require_version(None)


# -- the donor registry ----------------------------------------------------------------------------


def test_a_donor_changes_its_thematic_areas(make, ctx):
    donor = make.registered_donor()

    donor.update_interests(ctx(3), thematic_areas=["physical_protection"])

    assert donor.thematic_areas == ["physical_protection"]
    assert donor.version == 2


def test_a_donor_interests_update_must_change_its_thematic_areas(make, ctx):
    donor = make.registered_donor()  # border_control, legislation
    version = donor.version

    with pytest.raises(RuleBroken) as broken:
        donor.update_interests(ctx(3), thematic_areas=["legislation", "border_control"])

    assert broken.value.rule == "donor_interests_change"
    assert donor.thematic_areas == ["border_control", "legislation"]
    assert donor.version == version
    assert donor.collect_events() == []
