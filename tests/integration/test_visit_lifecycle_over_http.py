"""A coordinator drives a visit from proposal to closure over HTTP; every step is stored and
published exactly once, in order, valid against the shared contract."""
from __future__ import annotations

import json

import pytest
import requests

from shared.contract import CATALOGUE, decode_message
from shared.contract.organizations import ANNEX_2003

pytestmark = pytest.mark.integration

# Every step dated (``occurred_at``), in the order it happened: the service refuses a step
# dated before the visit's latest one.
LIFECYCLE = [
    ("approve", {"occurred_at": "2025-01-03T09:00:00Z"}, "visit_approved"),
    ("request-consent", {"due_on": "2025-02-01", "occurred_at": "2025-01-06T09:00:00Z"}, "consent_requested"),
    ("grant-consent", {"occurred_at": "2025-01-20T09:00:00Z"}, "consent_granted"),
    ("invite-organization", {"organization": "UNODC", "kind": "un_body", "occurred_at": "2025-01-21T09:00:00Z"},
     "organization_invited"),
    ("invite-organization", {"organization": "Interpol", "kind": "international",
                             "occurred_at": "2025-01-21T10:00:00Z"}, "organization_invited"),
    ("request-pre-visit-info", {"organization": "UNODC", "due_on": "2025-02-20", "occurred_at": "2025-01-22T09:00:00Z"},
     "pre_visit_info_requested"),
    ("request-pre-visit-info", {"organization": "Interpol", "due_on": "2025-02-20",
                                "occurred_at": "2025-01-22T10:00:00Z"}, "pre_visit_info_requested"),
    ("receive-pre-visit-info", {"organization": "UNODC", "summary": "legal framework notes",
                                "occurred_at": "2025-02-15T09:00:00Z"}, "pre_visit_info_received"),
    ("schedule", {"starts_on": "2025-03-01", "ends_on": "2025-03-05", "occurred_at": "2025-02-16T09:00:00Z"},
     "visit_scheduled"),
    ("start", {"occurred_at": "2025-03-01T08:00:00Z"}, "visit_started"),
    ("receive-pre-visit-info", {"organization": "Interpol", "occurred_at": "2025-03-02T10:00:00Z"},
     "pre_visit_info_received"),
    ("complete", {"occurred_at": "2025-03-05T17:00:00Z"}, "visit_completed"),
    ("record-needs-assessment", {"needs": [
        {"need_id": "N1", "thematic_area": "border_control", "description": "biometric screening", "priority": "high"},
        {"need_id": "N2", "thematic_area": "legislation", "description": "terrorist financing offence", "priority": "medium"},
    ], "occurred_at": "2025-03-10T09:00:00Z"}, "needs_assessment_recorded"),
    ("grant-sharing-consent", {"occurred_at": "2025-03-20T09:00:00Z"}, "donor_sharing_consent_granted"),
    ("share-needs-assessment", {"need_ids": ["N1"], "occurred_at": "2025-03-21T09:00:00Z"}, "needs_assessment_shared"),
    ("record-follow-up", {"summary": "Committee updated on progress", "occurred_at": "2025-06-10T09:00:00Z"},
     "follow_up_recorded"),
    ("close", {"summary": "done", "occurred_at": "2025-06-11T09:00:00Z"}, "visit_closed"),
]


def test_a_visit_driven_from_proposal_to_closure_publishes_each_event_once_in_order(broker, visits_service):
    tap = broker.tap("visits.events")
    donor = visits_service.post("/donors", {
        "name": "Norway", "donor_kind": "state", "thematic_areas": ["border_control"], "contact": "mfa@example.org",
    })
    assert donor.status_code == 201, donor.text
    proposed = visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc", "purpose": "1373",
                                               "occurred_at": "2025-01-02T09:00:00Z"},
                                   headers={"X-Correlation-Id": "req-1"})
    assert proposed.status_code == 201, proposed.text
    visit_id = proposed.json()["id"]
    for command, body, _ in LIFECYCLE:
        if command == "share-needs-assessment":
            body = {**body, "donor_id": donor.json()["id"]}
        answer = visits_service.post(f"/visits/{visit_id}/{command}", body)
        assert answer.status_code == 200, f"{command}: {answer.text}"

    visit = visits_service.get(f"/visits/{visit_id}").json()
    assert visit["status"] == "closed"
    assert {o["organization"]: o["pre_visit_info"]["late"] for o in visit["organizations"]} == {
        # recorded under their names in the directory, invited as "Interpol" and "UNODC"
        "International Criminal Police Organization": True, "United Nations Office on Drugs and Crime": False,
    }

    messages = tap.messages(expected=2 + len(LIFECYCLE))
    envelopes = [decode_message(m.body, m.content_type) for m in messages]  # each valid, or raises
    visit_events = [e for e in envelopes if str(e["aggregate_id"]) == visit_id]
    assert [e["event_type"] for e in visit_events] == ["visit_proposed"] + [t for _, _, t in LIFECYCLE]
    assert [e["aggregate_version"] for e in visit_events] == list(range(1, len(LIFECYCLE) + 2))
    assert len({e["event_id"] for e in envelopes}) == len(envelopes) == 2 + len(LIFECYCLE)
    assert all(m.delivery_info["routing_key"] == json.loads(m.body)["event_type"] for m in messages)
    assert all(CATALOGUE[e["event_type"]].exchange == "visits.events" for e in envelopes)
    first = visit_events[0]
    assert first["actor"] == {"user": "ana", "role": "visit_coordinator"}
    assert first["correlation_id"] == "req-1"
    # What the service says happened is what it published.
    history = visits_service.get(f"/visits/{visit_id}/history").json()
    assert [h["event_id"] for h in history] == [str(e["event_id"]) for e in visit_events]
    tap.close()


def test_rejected_requests_get_clear_errors_and_store_and_publish_nothing(broker, visits_service):
    tap = broker.tap("visits.events")
    visit_id = visits_service.post("/visits", {"member_state": "FRA", "committee": "ctc"}).json()["id"]
    before = visits_service.get(f"/visits/{visit_id}/history").json()

    malformed = visits_service.post(f"/visits/{visit_id}/schedule", {"starts_on": "soon", "colour": "red"})
    assert malformed.status_code == 400
    assert set(malformed.json()["fields"]) == {"starts_on", "ends_on", "colour"}

    not_json = visits_service.post(f"/visits/{visit_id}/approve", data=b"{not json",
                                   headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["fields"] == {"body": ["not valid JSON"]}

    unknown = visits_service.post("/visits/7d0c6bd8-7e3c-4f43-9d55-6c1f1f0b7a10/approve", {})
    assert unknown.status_code == 404 and unknown.json()["kind"] == "visit"

    rule = visits_service.post(f"/visits/{visit_id}/schedule", {"starts_on": "2025-03-01", "ends_on": "2025-03-02"})
    assert rule.status_code == 409
    assert rule.json()["rule"] == "only_approved_visits_are_prepared"

    stale = visits_service.post(f"/visits/{visit_id}/approve", {"expected_version": 7})
    assert stale.status_code == 409 and stale.json()["error"] == "version_conflict"

    unknown_command = visits_service.post(f"/visits/{visit_id}/teleport", {})
    assert unknown_command.status_code == 400 and "command" in unknown_command.json()["fields"]

    assert visits_service.get(f"/visits/{visit_id}/history").json() == before
    assert [json.loads(m.body)["event_type"] for m in tap.messages(expected=1)] == ["visit_proposed"]
    tap.close()


def test_visits_can_be_found_by_state_committee_status_and_what_is_overdue(broker, visits_service):
    ken = visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc"}).json()["id"]
    visits_service.post("/visits", {"member_state": "PER", "committee": "1540", "origin": "state_invitation"})
    visits_service.post(f"/visits/{ken}/approve")
    visits_service.post(f"/visits/{ken}/request-consent", {"due_on": "2025-02-01"})

    by_state = visits_service.get("/visits", params={"state": "KEN"}).json()
    assert [v["id"] for v in by_state] == [ken]
    assert [v["member_state"] for v in visits_service.get("/visits", params={"committee": "1540"}).json()] == ["PER"]
    overdue = visits_service.get("/visits", params={"waiting_for": "state_consent", "overdue": "true",
                                                    "today": "2025-02-02"}).json()
    assert [v["id"] for v in overdue] == [ken]
    not_yet = visits_service.get("/visits", params={"waiting_for": "state_consent", "overdue": "true",
                                                    "today": "2025-01-20"}).json()
    assert not_yet == []
    bad = visits_service.get("/visits", params={"status": "sleeping"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


def test_the_board_searches_by_name_in_any_accent_orders_and_refuses_an_unknown_order(broker, visits_service):
    civ = visits_service.post("/visits", {"member_state": "CIV", "committee": "ctc"}).json()["id"]
    kaz = visits_service.post("/visits", {"member_state": "KAZ", "committee": "1540"}).json()["id"]
    assert [v["id"] for v in visits_service.get("/visits", params={"q": "cote d'ivoire"}).json()] == [civ]
    assert [v["id"] for v in visits_service.get("/visits", params={"q": "Kazakhstan 1540"}).json()] == [kaz]
    newest_first = [v["id"] for v in visits_service.get("/visits", params={"sort": "-proposed"}).json()]
    assert newest_first.index(kaz) < newest_first.index(civ)
    # neither has dates yet: a date range leaves them out
    dated = visits_service.get("/visits", params={"from": "2026-01-01", "to": "2026-12-31"}).json()
    assert not {civ, kaz} & {v["id"] for v in dated}
    bad = visits_service.get("/visits", params={"sort": "size"})
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["sort"]


def test_concurrent_steps_on_one_visit_are_each_applied_or_refused_never_lost(broker, visits_service):
    from concurrent.futures import ThreadPoolExecutor

    visit_id = visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc"}).json()["id"]
    visits_service.post(f"/visits/{visit_id}/approve")
    organizations = [o.name for o in ANNEX_2003[:20]]  # of the directory

    def invite(name):
        return visits_service.post(f"/visits/{visit_id}/invite-organization",
                                   {"organization": name, "expected_version": 2})

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(invite, organizations))

    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {200, 409}, [a.text for a in answers if a.status_code not in (200, 409)]
    applied = [name for name, a in zip(organizations, answers) if a.status_code == 200]
    assert len(applied) == 1, "every one read version 2; only the first may apply"
    assert all(a.json()["error"] == "version_conflict" for a in answers if a.status_code == 409)
    visit = visits_service.get(f"/visits/{visit_id}").json()
    assert [o["organization"] for o in visit["organizations"]] == applied
    assert visit["version"] == 3


def test_concurrent_steps_that_name_no_version_are_all_applied(broker, visits_service):
    from concurrent.futures import ThreadPoolExecutor

    visit_id = visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc"}).json()["id"]
    visits_service.post(f"/visits/{visit_id}/approve")
    organizations = [o.name for o in ANNEX_2003[:12]]  # of the directory

    def invite(name):
        return visits_service.post(f"/visits/{visit_id}/invite-organization", {"organization": name})

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(invite, organizations))

    assert [a.status_code for a in answers] == [200] * 12, [a.text for a in answers if a.status_code != 200]
    visit = visits_service.get(f"/visits/{visit_id}").json()
    assert sorted(o["organization"] for o in visit["organizations"]) == sorted(organizations)
    assert visit["version"] == 2 + 12


def test_a_path_no_route_has_and_a_method_a_route_does_not_take_are_json_errors(broker, visits_service):
    missing = visits_service.get("/no/such/route")
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("application/json")
    assert missing.json()["error"] == "not_found"
    wrong = requests.delete(f"{visits_service.url}/visits", timeout=10)
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]


def test_the_secretariat_adds_an_organization_and_invites_it_by_any_of_its_names(broker, visits_service):
    tap = broker.tap()
    unoda = {"name": "United Nations Office for Disarmament Affairs", "abbreviations": ["UNODA"],
             "also_known_as": ["Office for Disarmament Affairs"], "organization_kind": "un_body"}
    added = visits_service.post("/organizations", unoda)
    assert added.status_code == 201, added.text
    assert added.json()["listed_in"] == "registered" and added.headers["Location"].startswith("/organizations?name=")
    # a name that already names one is refused, naming the clash; nothing is added
    clash = visits_service.post("/organizations", {"name": "Drugs office", "abbreviations": ["UNODC"],
                                                   "organization_kind": "un_body"})
    assert clash.status_code == 409 and clash.json()["rule"] == "organization_names_unique"
    assert "'UNODC' already names United Nations Office on Drugs and Crime" in clash.json()["message"]
    bad = visits_service.post("/organizations", {"name": "X", "organization_kind": "club"})
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["organization_kind"]
    directory = visits_service.get("/organizations").json()
    assert len(directory) == len(ANNEX_2003) + 1
    assert visits_service.get("/organizations", params={"name": "office for disarmament affairs"}).json() == [added.json()]
    assert visits_service.get("/organizations", params={"name": "Drugs office"}).json() == []

    visit_id = visits_service.post("/visits", {"member_state": "PER", "committee": "1540"}).json()["id"]
    visits_service.post(f"/visits/{visit_id}/approve")
    invited = visits_service.post(f"/visits/{visit_id}/invite-organization", {"organization": "UNODA"})
    assert invited.status_code == 200, invited.text
    assert invited.json()["organizations"][0]["organization"] == unoda["name"]
    unknown = visits_service.post(f"/visits/{visit_id}/invite-organization", {"organization": "UNDOC"})
    assert unknown.status_code == 409 and unknown.json()["rule"] == "organizations_from_the_directory"
    assert "did you mean 'United Nations Office on Drugs and Crime'" in unknown.json()["message"]
    assert visits_service.get(f"/visits/{visit_id}").json()["version"] == invited.json()["version"]

    envelopes = [decode_message(m.body, m.content_type) for m in tap.messages(expected=4)]
    assert [e["event_type"] for e in envelopes] == [
        "organization_registered", "visit_proposed", "visit_approved", "organization_invited"]
    assert envelopes[0]["payload"]["abbreviations"] == ["UNODA"]
    assert envelopes[-1]["payload"] == {"organization": unoda["name"], "kind": "un_body"}
