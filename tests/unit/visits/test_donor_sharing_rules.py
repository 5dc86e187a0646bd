"""Donor sharing done right (issue 9): consent provenance on every share, a consent that covers
one version of the needs assessment, revocation notices on withdrawal, matching donors to needs,
and the share as an IATI 2.03 activity valid against the standard's schema."""
from __future__ import annotations

import json
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from lxml import etree

from shared.contract.catalogue import validate_envelope
from shared.errors import NotFound, RuleBroken
from shared.store import envelope_of
from visits import iati
from visits.application import VisitsApplication
from visits.domain import Donor, SharingConsent, Visit
from visits.domain.matching import match_donors
from visits.views import donor_share_view, iati_document, share_view


def donor(make, name="Donor State A", areas=("border_control", "legislation"), kind="state"):
    d = Donor(ctx=make.ctx(0), id=uuid4(), name=name, donor_kind=kind, thematic_areas=list(areas),
              contact="assistance@donor.example")
    d.collect_events()
    return d


def shared_visit(make, *donors_and_needs):
    """A shareable visit shared with each (donor, need_ids) in turn."""
    visit = make.shareable_visit()
    for i, (d, need_ids) in enumerate(donors_and_needs):
        visit.share_needs_assessment(make.ctx(make.ENDS + 3, hours=i), donor=d, donor_id=d.id, need_ids=need_ids)
    visit.collect_events()
    return visit


# -- what a share carries ---------------------------------------------------------------------------


def test_a_share_names_the_consent_event_and_the_assessment_version_it_sent(make):
    a = donor(make)
    visit = make.assessed_visit()
    visit.grant_sharing_consent(make.ctx(make.ENDS + 2))
    consent_event = visit.collect_events()[-1]
    visit.share_needs_assessment(make.ctx(make.ENDS + 3), donor=a, donor_id=a.id, need_ids=["n1"])
    share_event = visit.collect_events()[-1]

    view = share_view(visit, visit.shares[0])
    # by the ids the events were published with
    assert view["consent_event_id"] == envelope_of(consent_event)["event_id"]
    assert view["share_id"] == envelope_of(share_event)["event_id"]
    assert view["assessment_version"] == 1
    assert view["consent_granted_at"] == make.ctx(make.ENDS + 2).occurred_at.isoformat()
    # the published event names the same consent (by its version) and assessment version
    payload = envelope_of(share_event)["payload"]
    assert payload["consent_version"] == consent_event.originator_version
    assert payload["assessment_version"] == 1


def test_a_consent_covers_the_version_of_the_assessment_it_was_given_for(make):
    a = donor(make)
    visit = make.shareable_visit()
    visit.record_needs_assessment(make.ctx(make.ENDS + 3), needs=[make.need("n1"), make.need("n3")])
    visit.collect_events()
    assert visit.sharing_consent == SharingConsent.GRANTED and not visit.sharing_consent_in_force

    with pytest.raises(RuleBroken) as broken:
        visit.share_needs_assessment(make.ctx(make.ENDS + 4), donor=a, donor_id=a.id, need_ids=["n3"])
    assert broken.value.rule == "sharing_consent_covers_the_version_shared"
    assert visit.collect_events() == [] and visit.shares == []

    visit.grant_sharing_consent(make.ctx(make.ENDS + 5))  # the State consents to version 2
    visit.share_needs_assessment(make.ctx(make.ENDS + 6), donor=a, donor_id=a.id, need_ids=["n3"])
    assert visit.shares[0]["assessment_version"] == 2


def test_a_consent_in_force_for_the_current_version_is_not_granted_again(make):
    visit = make.shareable_visit()
    with pytest.raises(RuleBroken) as broken:
        visit.grant_sharing_consent(make.ctx(make.ENDS + 3))
    assert broken.value.rule == "sharing_consent_already_in_force"


# -- withdrawal: revocation notices -------------------------------------------------------------------


def test_a_withdrawal_sends_every_donor_that_received_a_share_a_revocation_notice(make):
    a, b, c = donor(make, "A"), donor(make, "B"), donor(make, "C")
    visit = shared_visit(make, (a, ["n1"]), (b, ["n1", "n2"]), (a, ["n2"]))
    visit.withdraw_sharing_consent(make.ctx(make.ENDS + 9), reason="assessment under revision")
    events = visit.collect_events()

    names = [type(e).__name__ for e in events]
    assert names == ["DonorSharingConsentWithdrawn"] + ["NeedsAssessmentShareRevoked"] * 3
    notices = [envelope_of(e) for e in events[1:]]
    for notice in notices:
        validate_envelope(json.loads(json.dumps(notice)))
    assert sorted(n["payload"]["donor_name"] for n in notices) == ["A", "A", "B"]
    assert {n["payload"]["share_version"] for n in notices} == {s["share_version"] for s in visit.shares}
    assert all(n["payload"]["reason"] == "assessment under revision" for n in notices)
    assert c.id not in {s["donor_id"] for s in visit.shares}  # C received nothing, gets no notice

    with pytest.raises(RuleBroken) as broken:  # and no further share is possible
        visit.share_needs_assessment(make.ctx(make.ENDS + 10), donor=c, donor_id=c.id, need_ids=["n1"])
    assert broken.value.rule == "sharing_requires_consent_in_force"


def test_after_closure_consent_is_withdrawn_and_given_again_and_a_later_donor_receives_a_share(make):
    a = donor(make)
    visit = shared_visit(make, (a, ["n1"]))
    visit.close(make.ctx(make.ENDS + 20))
    visit.collect_events()
    visit.withdraw_sharing_consent(make.ctx(make.ENDS + 90), reason="new government")
    names = [type(e).__name__ for e in visit.collect_events()]
    assert names == ["DonorSharingConsentWithdrawn", "NeedsAssessmentShareRevoked"]
    assert visit.shares[0]["revoked_reason"] == "new government"
    # the follow-up goes on after closure: the State may consent again, a donor come forward
    visit.grant_sharing_consent(make.ctx(make.ENDS + 91))
    b = donor(make)
    visit.share_needs_assessment(make.ctx(make.ENDS + 92), donor=b, donor_id=b.id, need_ids=["n1"])
    assert visit.shares[-1]["donor_id"] == b.id and visit.shares[-1]["revoked_at"] is None
    visit.end_follow_up(make.ctx(make.ENDS + 200), summary="nothing more to follow")
    visit.collect_events()
    with pytest.raises(RuleBroken) as broken:  # once its follow-up ended, nothing more is shared
        visit.share_needs_assessment(make.ctx(make.ENDS + 201), donor=a, donor_id=a.id, need_ids=["n1"])
    assert broken.value.rule == "ended_visit_cannot_change"


def test_a_revoked_share_shows_its_donor_the_notice_and_no_longer_the_needs(make):
    a = donor(make)
    visit = shared_visit(make, (a, ["n1"]))
    before = donor_share_view(visit, visit.shares[0])
    assert [n["need_id"] for n in before["needs"]] == ["n1"] and before["revoked"] is None

    visit.withdraw_sharing_consent(make.ctx(make.ENDS + 9), reason="revision")
    notice = visit.collect_events()[-1]
    after = donor_share_view(visit, visit.shares[0])
    assert after["needs"] == [] and after["iati"] is None
    assert after["revoked"]["reason"] == "revision"
    assert after["revoked"]["notice_event_id"] == envelope_of(notice)["event_id"]
    assert after["consent"] == before["consent"]  # what it rested on stays answerable


def test_a_share_revoked_once_is_not_revoked_again_by_a_later_withdrawal(make):
    a = donor(make)
    visit = shared_visit(make, (a, ["n1"]))
    visit.withdraw_sharing_consent(make.ctx(make.ENDS + 9))
    visit.record_needs_assessment(make.ctx(make.ENDS + 10), needs=[make.need("n1")])
    visit.grant_sharing_consent(make.ctx(make.ENDS + 11))
    visit.share_needs_assessment(make.ctx(make.ENDS + 12), donor=a, donor_id=a.id, need_ids=["n1"])
    visit.collect_events()
    visit.withdraw_sharing_consent(make.ctx(make.ENDS + 13))
    revoked = [e for e in visit.collect_events() if type(e).__name__ == "NeedsAssessmentShareRevoked"]
    assert [e.share_version for e in revoked] == [visit.shares[1]["share_version"]]


def test_revocations_survive_a_replay_of_the_stored_events(make, tmp_path):
    from shared.store import StoreSettings  # noqa: PLC0415 - only this test stores
    from visits.application import VisitsApplication  # noqa: PLC0415

    a = donor(make)
    visit = Visit.propose(make.ctx(0), visit_id=uuid4(), member_state="KEN", committee="ctc")
    visit.approve(make.ctx(1))
    visit.request_consent(make.ctx(2))
    visit.grant_consent(make.ctx(3))
    visit.schedule(make.ctx(4), starts_on=make.day(make.STARTS), ends_on=make.day(make.ENDS))
    visit.start(make.ctx(make.STARTS))
    visit.record_needs_assessment(make.ctx(make.STARTS + 1), needs=[make.need("n1")])
    visit.grant_sharing_consent(make.ctx(make.STARTS + 2))
    app = VisitsApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("visits"))
    try:
        visit.share_needs_assessment(make.ctx(make.ENDS + 3), donor=a, donor_id=a.id, need_ids=["n1"])
        visit.withdraw_sharing_consent(make.ctx(make.ENDS + 4), reason="r")
        app.save(visit)
        replayed = app.repository.get(visit.id)
    finally:
        app.close()
    assert replayed.shares == visit.shares
    assert replayed.shares[0]["revoked_at"] is not None and replayed.shares[0]["revoked_reason"] == "r"


# -- matching -----------------------------------------------------------------------------------------


def test_donors_are_proposed_for_the_needs_in_their_areas_and_say_why(make):
    borders = donor(make, "Borders Fund", ["border_control"])
    laws = donor(make, "Law Institute", ["legislation", "border_control"])
    donor(make, "Finance Partner", ["counter_financing_of_terrorism"])
    needs = [make.need("n1", "border_control"), make.need("n2", "legislation", "medium"),
             make.need("n3", "transport_security", "low")]
    result = match_donors(needs, [laws, borders, donor(make, "Finance Partner", ["counter_financing_of_terrorism"])])

    by_need = {n["need_id"]: [d["name"] for d in n["donors"]] for n in result["needs"]}
    assert by_need == {"n1": ["Borders Fund", "Law Institute"], "n2": ["Law Institute"], "n3": []}
    assert result["unmatched_need_ids"] == ["n3"]
    assert [d["name"] for d in result["donors"]] == ["Borders Fund", "Law Institute"]
    law = result["donors"][1]
    assert law["need_ids"] == ["n1", "n2"]
    assert "legislation" in law["why"][1] and "n2" in law["why"][1]


def test_no_registered_donor_means_every_need_is_unmatched(make):
    result = match_donors([make.need("n1")], [])
    assert result["unmatched_need_ids"] == ["n1"] and result["donors"] == []


# -- IATI 2.03 ----------------------------------------------------------------------------------------


def iati_activity(make, visit, share, kind="state"):
    full = dict(share, consent_event_id=str(share["consent_event_id"]))
    return iati.activity(visit, full, kind, iati.Publisher.for_committee(visit.committee, env={}))


@pytest.mark.parametrize("state,alpha2", [("KEN", "KE"), ("CIV", "CI"), ("PNG", "PG")])
def test_a_share_as_an_iati_activity_is_valid_against_the_2_03_schema(make, state, alpha2):
    a = donor(make, "Government of Canada", kind="state")
    visit = make.shareable_visit(member_state=state)
    visit.share_needs_assessment(make.ctx(make.ENDS + 3), donor=a, donor_id=a.id, need_ids=["n1", "n2"])
    activity = iati_activity(make, visit, visit.shares[0])
    xml = iati.to_xml(activity)
    assert iati.validate(xml) == []

    doc = etree.fromstring(xml)
    act = doc.find("iati-activity")
    assert doc.get("version") == "2.03"
    assert act.find("recipient-country").get("code") == alpha2
    assert act.find("activity-status").get("code") == "1"  # pipeline/identification
    assert act.findtext("iati-identifier").startswith(act.find("reporting-org").get("ref"))
    assert act.find("related-activity").get("ref") == f"XX-UNSC-CTED-{visit.id}"
    sectors = act.findall("sector")
    assert {s.get("code") for s in sectors} == {"border_control", "legislation"}
    assert {s.get("vocabulary") for s in sectors} == {"99"}
    assert sum(float(s.get("percentage")) for s in sectors) == 100
    roles = {p.get("role"): p.findtext("narrative") for p in act.findall("participating-org")}
    assert roles["1"] == "Government of Canada"
    consent_ref = act.find("other-identifier").get("ref")
    assert consent_ref == f"consent-event:{visit.shares[0]['consent_event_id']}"


def test_the_schema_check_catches_an_activity_that_is_not_valid(make):
    a = donor(make)
    visit = shared_visit(make, (a, ["n1"]))
    xml = iati.to_xml(iati_activity(make, visit, visit.shares[0]))
    broken = xml.replace(b"<activity-status", b"<activity-state")
    assert iati.validate(broken) != []


def test_the_sector_shares_add_up_to_100_with_three_areas(make):
    a = donor(make, areas=["border_control", "legislation", "law_enforcement"])
    visit = make.conducted_visit()
    visit.record_needs_assessment(make.ctx(make.ENDS + 1), needs=[
        make.need("n1", "border_control"), make.need("n2", "legislation"), make.need("n3", "law_enforcement")])
    visit.grant_sharing_consent(make.ctx(make.ENDS + 2))
    visit.share_needs_assessment(make.ctx(make.ENDS + 3), donor=a, donor_id=a.id, need_ids=["n1", "n2", "n3"])
    xml = iati.to_xml(iati_activity(make, visit, visit.shares[0]))
    assert iati.validate(xml) == []
    total = sum(float(s.get("percentage")) for s in etree.fromstring(xml).iter("sector"))
    assert abs(total - 100) < 1e-9


# -- the application's queries and the views: a donor's shares and its IATI downloads ---------------


class FakeApp:
    """The visits application's donor queries over visits and donors held in memory."""

    shares_with = VisitsApplication.shares_with
    share_with = VisitsApplication.share_with

    def __init__(self, visits, donors):
        self.visits, self.donors = visits, {d.id: d for d in donors}

    def list_visits(self):
        return self.visits

    def find_donor(self, donor_id):
        return self.donors.get(donor_id)


class Donors:
    """What the service answers a donor: its shares, and one as an IATI activity."""

    def __init__(self, app):
        self.app = app

    def shares(self, donor_id):
        return [donor_share_view(visit, share) for visit, share in self.app.shares_with(donor_id)]

    def iati(self, donor_id, share_id, as_xml):
        return iati_document(*self.app.share_with(donor_id, UUID(share_id)), as_xml)


@pytest.fixture
def facade(make):
    a, b = donor(make, "A"), donor(make, "B")
    visit = shared_visit(make, (a, ["n1"]), (b, ["n2"]))
    return SimpleNamespace(api=Donors(FakeApp([visit], [a, b])), visit=visit, a=a, b=b)


def test_a_donor_gets_its_own_share_as_iati_xml_and_json(facade):
    [mine] = facade.api.shares(facade.a.id)
    xml, content_type = facade.api.iati(facade.a.id, mine["share_id"], True)
    assert content_type == "application/xml" and iati.validate(xml) == []
    body, content_type = facade.api.iati(facade.a.id, mine["share_id"], False)
    activity = json.loads(body)
    assert content_type == "application/json"
    assert activity["recipient-country"]["code"] == "KE"
    assert activity["consent"]["event_id"] == mine["consent"]["event_id"]


def test_a_donor_never_gets_another_donors_share(facade):
    [theirs] = facade.api.shares(facade.b.id)
    assert [n["need_id"] for n in theirs["needs"]] == ["n2"]
    with pytest.raises(NotFound):
        facade.api.iati(facade.a.id, theirs["share_id"], True)
    with pytest.raises(NotFound):
        facade.api.iati(None, theirs["share_id"], False)


def test_a_revoked_share_is_not_delivered_as_iati(facade, make):
    [mine] = facade.api.shares(facade.a.id)
    facade.visit.withdraw_sharing_consent(make.ctx(make.ENDS + 9))
    with pytest.raises(RuleBroken) as broken:
        facade.api.iati(facade.a.id, mine["share_id"], True)
    assert broken.value.rule == "revoked_share_is_not_delivered"
