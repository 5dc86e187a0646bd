"""Donor sharing over HTTP against the real visits service and broker (issue 9): matching, a
share carrying its consent, the donor's private IATI activity valid against the 2.03 schema,
and a withdrawal reaching every donor that received a share, as events and in their view."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import json

from lxml import etree

from visits import iati

TODAY = datetime.now(timezone.utc).date()  # a visit scheduled from today starts now, on its dates
NEEDS = [
    {"need_id": "N1", "thematic_area": "border_control", "description": "screening", "priority": "high"},
    {"need_id": "N2", "thematic_area": "legislation", "description": "offence", "priority": "medium"},
    {"need_id": "N3", "thematic_area": "transport_security", "description": "cargo", "priority": "low"},
]


def donor(service, name, areas):
    return service.post("/donors", {"name": name, "donor_kind": "state", "thematic_areas": areas}).json()["id"]


def step(service, visit, command, body=None):
    answer = service.post(f"/visits/{visit}/{command}", body or {})
    assert answer.status_code == 200, (command, answer.text)
    return answer.json()


def test_a_share_reaches_only_its_donor_as_iati_and_a_withdrawal_revokes_it_everywhere(broker, visits_service):
    norway = donor(visits_service, "Norway", ["border_control"])
    japan = donor(visits_service, "Japan", ["legislation", "border_control"])
    donor(visits_service, "Elsewhere Fund", ["accountability"])
    visit = visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc"}).json()["id"]
    for command, body in [("approve", {}), ("request-consent", {}), ("grant-consent", {}),
                          ("schedule", {"starts_on": str(TODAY), "ends_on": str(TODAY + timedelta(days=4))}), ("start", {}),
                          ("record-needs-assessment", {"needs": NEEDS, "summary": "Needs seen in Nairobi."})]:
        step(visits_service, visit, command, body)

    # matching proposes, with reasons; N3 interests nobody
    matches = visits_service.get(f"/visits/{visit}/donor-matches").json()
    assert matches["sharing_consent_in_force"] is False
    assert {d["name"]: d["need_ids"] for d in matches["donors"]} == {"Japan": ["N1", "N2"], "Norway": ["N1"]}
    assert matches["unmatched_need_ids"] == ["N3"]
    assert all(d["why"] for d in matches["donors"])

    tap = broker.tap("visits.events")
    try:
        consent = step(visits_service, visit, "grant-sharing-consent")
        step(visits_service, visit, "share-needs-assessment", {"donor_id": norway, "need_ids": ["N1"]})
        shared = step(visits_service, visit, "share-needs-assessment", {"donor_id": japan, "need_ids": ["N1", "N2"]})
        consent_event = visits_service.get(f"/visits/{visit}/history").json()[consent["version"] - 1]
        assert consent_event["event_type"] == "donor_sharing_consent_granted"
        assert {s["consent_event_id"] for s in shared["shares"]} == {consent_event["event_id"]}

        norway_token = visits_service.token("mfa.norway", "donor", donor_id=norway)
        japan_token = visits_service.token("mofa.japan", "donor", donor_id=japan)
        as_norway = {"Authorization": f"Bearer {norway_token}"}
        as_japan = {"Authorization": f"Bearer {japan_token}"}
        [mine] = visits_service.get("/donor/shares", headers=as_norway).json()
        [theirs] = visits_service.get("/donor/shares", headers=as_japan).json()
        assert mine["consent"]["event_id"] == consent_event["event_id"] and mine["assessment_version"] == 1

        xml = visits_service.get(mine["iati"]["xml"], headers=as_norway)
        assert xml.status_code == 200 and xml.headers["Content-Type"].startswith("application/xml")
        assert iati.validate(xml.content) == []
        activity = etree.fromstring(xml.content).find("iati-activity")
        assert activity.find("recipient-country").get("code") == "KE"
        assert [s.get("code") for s in activity.findall("sector")] == ["border_control"]
        assert "N2" not in xml.text and "Japan" not in xml.text  # nothing of another donor's share
        as_json = visits_service.get(mine["iati"]["json"], headers=as_norway).json()
        assert as_json["iati-identifier"] == activity.findtext("iati-identifier")

        # another donor's share is a 404, as if it did not exist; staff cannot fetch it either
        assert visits_service.get(theirs["iati"]["xml"], headers=as_norway).status_code == 404
        assert visits_service.get(theirs["iati"]["xml"]).status_code == 403

        step(visits_service, visit, "withdraw-sharing-consent", {"reason": "assessment under revision"})
        published = tap.messages(expected=6)
    finally:
        tap.close()

    kinds = [m.delivery_info["routing_key"] for m in published]
    assert kinds.count("needs_assessment_share_revoked") == 2
    notices = [json.loads(m.body) for m in published if m.delivery_info["routing_key"] == "needs_assessment_share_revoked"]
    assert {n["payload"]["donor_id"] for n in notices} == {norway, japan}

    [revoked] = visits_service.get("/donor/shares", headers=as_norway).json()
    assert revoked["revoked"]["reason"] == "assessment under revision" and revoked["needs"] == []
    assert revoked["revoked"]["notice_event_id"] in {n["event_id"] for n in notices}
    refused = visits_service.get(mine["iati"]["xml"], headers=as_norway)
    assert refused.status_code == 409 and refused.json()["rule"] == "revoked_share_is_not_delivered"
    again = visits_service.post(f"/visits/{visit}/share-needs-assessment", {"donor_id": norway, "need_ids": ["N1"]})
    assert again.status_code == 409 and again.json()["rule"] == "sharing_requires_consent_in_force"
