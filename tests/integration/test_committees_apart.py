"""Two Committees, two secretariats: a token limited to the CTC's work neither reads nor changes
anything of the 1540 Committee's, on every route of every service. The cases below name each
route; a route added without a case here fails the test, so a new route is judged too."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from fieldwork_testing import ServiceProcess
from shared.auth import TokenRegistry
from shared.openapi import routes_of
from shared.store import settings_from_environ

pytestmark = pytest.mark.integration

NOW = datetime.now(timezone.utc).replace(microsecond=0)
YEAR_AGO = (NOW - timedelta(days=300)).isoformat()

# Who calls: the CTC's own staff (limited tokens) and an unrestricted administrator who set up both.
CTC_COORDINATOR = ("cted.ana", "visit_coordinator", "ctc")
CTC_SECRETARIAT = ("cted.sam", "secretariat", "ctc")
CTC_STAFF = ("cted.rita", "reporting_staff", "ctc")
ADMIN = ("root", "administrator")
UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def services(broker, tmp_path):
    started = {name: ServiceProcess(name, broker.uri, tmp_path).start() for name in ("visits", "meetings", "reporting")}
    yield started
    for service in started.values():
        service.stop()


def _routes(service_name: str) -> set[tuple[str, str]]:
    import importlib

    module = importlib.import_module(f"{service_name}.service")
    cls = next(v for k, v in vars(module).items() if k.endswith("Service") and k != "FieldworkService")
    return {(r.method, r.path) for r in routes_of(cls)}


def _the_1540_committee_s_records(visits, meetings) -> dict:
    """A visit, a working group with a chair and a meeting whose outcome awaits approval, and the
    year's membership, all the 1540 Committee's; a CTC visit beside them."""
    v1540 = visits.post("/visits", {"member_state": "PER", "committee": "1540"},
                        as_=ADMIN).json()["id"]
    vctc = visits.post("/visits", {"member_state": "KEN", "committee": "ctc"}, as_=ADMIN).json()["id"]
    for visit in (v1540, vctc):
        for command in ("approve", "request-consent"):
            assert visits.post(f"/visits/{visit}/{command}", {}, as_=ADMIN).status_code == 200
    groups = meetings.post("/groups/load-reference", {"occurred_at": YEAR_AGO}, as_=ADMIN).json()
    group = groups[0]["id"]
    assert meetings.post(f"/groups/{group}/assign-chair", {
        "chair_member_state": "FRA", "chair_user": "chair.fr", "occurred_at": YEAR_AGO}, as_=ADMIN).status_code == 200
    starts = NOW - timedelta(hours=1)
    meeting = meetings.post("/meetings", {
        "group_id": group, "meeting_kind": "working_group", "title": "Assistance requests",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "location": "Conference Room 7", "occurred_at": (NOW - timedelta(days=10)).isoformat()}, as_=ADMIN).json()["id"]
    for command, body, who in [
        ("announce", {"occurred_at": (NOW - timedelta(days=9)).isoformat()}, ADMIN),
        ("hold", {"delegations": ["FRA", "USA"]}, ADMIN),
        ("log-outcome", {"outcome_id": "R1", "outcome_kind": "recommendation", "text": "Match requests"},
         ("chair.fr", "working_group_chair")),
        ("report-to-committee", {"summary": "Reviewed pending requests"}, ADMIN),
    ]:
        answer = meetings.post(f"/meetings/{meeting}/{command}", body, as_=who)
        assert answer.status_code == 200, f"{command}: {answer.text}"
    membership = meetings.post("/memberships", {"committee": "1540", "year": NOW.year,
                                                "member_states": ["FRA", "USA"]}, as_=ADMIN)
    assert membership.status_code == 201, membership.text
    donor = visits.post("/donors", {"name": "Norway", "donor_kind": "state", "thematic_areas": ["legislation"]},
                        as_=ADMIN).json()["id"]
    donor_token = TokenRegistry(settings_from_environ(visits.env)).issue("mfa.norway", "donor", donor_id=donor)[1]
    return {"donor": donor, "as_donor": {"Authorization": f"Bearer {donor_token}"}, "visit": v1540, "ctc_visit": vctc, "group": group, "meeting": meeting,
            "membership": membership.json()["id"]}


def _file_routes(collection: str, record: str, kind: str, who: tuple, fields: dict) -> dict:
    """The cases of a record's file routes (documents as files): to the other Committee's token,
    the record is not there, whether it uploads, lists or downloads."""
    ident = f"{{{kind}_id}}"

    def absent(answer):
        return answer.status_code == 404 and kind in answer.text

    return {
        ("POST", f"/{collection}/{ident}/files"): (
            lambda s: requests.post(f"{s.url}/{collection}/{record}/files", data=b"%PDF-1.7 a paper", params=fields,
                                    headers=s._headers(who, None), timeout=10), absent),
        ("GET", f"/{collection}/{ident}/files"): (lambda s: s.get(f"/{collection}/{record}/files", as_=who), absent),
        ("GET", f"/{collection}/{ident}/files/{{sha256}}"): (
            lambda s: s.get(f"/{collection}/{record}/files/{'0' * 64}", as_=who), absent),
    }


def test_a_ctc_token_neither_reads_nor_changes_the_1540_committee_s_records_on_any_route(services):
    visits, meetings, reporting = services["visits"], services["meetings"], services["reporting"]
    the = _the_1540_committee_s_records(visits, meetings)
    history_before = {"visit": visits.get(f"/visits/{the['visit']}/history", as_=ADMIN).json(),
                      "meeting": meetings.get(f"/meetings/{the['meeting']}/history", as_=ADMIN).json()}
    # the administrator sees both Committees' records in every list
    assert {v["committee"] for v in visits.get("/visits", as_=ADMIN).json()} == {"ctc", "1540"}
    assert meetings.get("/outcomes/awaiting-approval", as_=ADMIN).json()

    def absent(answer, kind):  # a record of the other Committee is, to this caller, no record
        return answer.status_code == 404 and answer.json()["error"] == "not_found" and kind in answer.text

    def refused(rule):
        return lambda answer: answer.status_code == 403 and answer.json()["rule"] == rule

    def fine(answer):  # not a Committee's record: the same for every token
        return answer.status_code == 200

    not_yours, both_only = refused("committee_not_yours"), refused("both_committees_only")
    v, g, m, ms = the["visit"], the["group"], the["meeting"], the["membership"]
    year = {"kind": "annual", "year": NOW.year}
    cases = {
        "visits": {
            ("GET", "/health"): (lambda s: s.get("/health"), fine),
            ("GET", "/openapi.json"): (lambda s: s.get("/openapi.json"), fine),
            ("GET", "/commands"): (lambda s: s.get("/commands", as_=CTC_COORDINATOR), fine),
            ("GET", "/whoami"): (lambda s: s.get("/whoami", as_=CTC_COORDINATOR),
                                 lambda a: a.status_code == 200 and a.json()["committee"] == "ctc"),
            ("POST", "/visits"): (lambda s: s.post("/visits", {"member_state": "IND", "committee": "1540"},
                                                   as_=CTC_COORDINATOR), not_yours),
            ("GET", "/visits"): (lambda s: s.get("/visits", as_=CTC_COORDINATOR),
                                 lambda a: [x["id"] for x in a.json()] == [the["ctc_visit"]]),
            ("GET", "/visits/{visit_id}"): (lambda s: s.get(f"/visits/{v}", as_=CTC_COORDINATOR),
                                            lambda a: absent(a, "visit")),
            ("GET", "/visits/{visit_id}/history"): (lambda s: s.get(f"/visits/{v}/history", as_=CTC_COORDINATOR),
                                                    lambda a: absent(a, "visit")),
            ("POST", "/visits/{visit_id}/{command}"): (
                lambda s: s.post(f"/visits/{v}/grant-consent", {}, as_=CTC_COORDINATOR), lambda a: absent(a, "visit")),
            ("GET", "/visits/{visit_id}/donor-matches"): (
                lambda s: s.get(f"/visits/{v}/donor-matches", as_=CTC_COORDINATOR), lambda a: absent(a, "visit")),
            # documents as files: a visit's, as the visit
            **_file_routes("visits", v, "visit", CTC_COORDINATOR, {"document_kind": "consent_letter", "language": "en"}),
            # the donor registry is both Committees' (what a donor received comes from a Committee's visit)
            ("POST", "/donors"): (lambda s: s.post("/donors", {"name": "Japan", "donor_kind": "state",
                                                             "thematic_areas": ["legislation"]}, as_=CTC_COORDINATOR),
                                  lambda a: a.status_code == 201),
            ("GET", "/donors"): (lambda s: s.get("/donors", as_=CTC_COORDINATOR), fine),
            ("GET", "/donors/{donor_id}"): (
                lambda s: s.get(f"/donors/{the['donor']}", as_=CTC_COORDINATOR), fine),
            ("POST", "/donors/{donor_id}/update-interests"): (
                lambda s: s.post(f"/donors/{the['donor']}/update-interests",
                                 {"thematic_areas": ["border_control"]}, as_=CTC_COORDINATOR), fine),
            # the directory of organizations, too, is both Committees'
            ("POST", "/organizations"): (
                lambda s: s.post("/organizations", {"name": "United Nations Office of Counter-Terrorism",
                                                    "abbreviations": ["UNOCT"], "organization_kind": "un_body"},
                                 as_=CTC_COORDINATOR), lambda a: a.status_code == 201),
            ("GET", "/organizations"): (lambda s: s.get("/organizations", params={"name": "UNOCT"}, as_=CTC_COORDINATOR),
                                        lambda a: a.status_code == 200 and len(a.json()) == 1),
            # a donor's token is its donor's: it reads what was shared with it, of either Committee
            ("GET", "/donor/shares"): (lambda s: requests.get(f"{s.url}/donor/shares", headers=the["as_donor"], timeout=10), fine),
            ("GET", "/donor/shares/{share_id}/iati.xml"): (
                lambda s: requests.get(f"{s.url}/donor/shares/{UNKNOWN}/iati.xml", headers=the["as_donor"], timeout=10),
                lambda a: a.status_code == 404),
            ("GET", "/donor/shares/{share_id}/iati.json"): (
                lambda s: requests.get(f"{s.url}/donor/shares/{UNKNOWN}/iati.json", headers=the["as_donor"], timeout=10),
                lambda a: a.status_code == 404),
        },
        "meetings": {
            ("GET", "/health"): (lambda s: s.get("/health"), fine),
            ("GET", "/openapi.json"): (lambda s: s.get("/openapi.json"), fine),
            ("GET", "/commands"): (lambda s: s.get("/commands", as_=CTC_SECRETARIAT), fine),
            ("POST", "/groups"): (lambda s: s.post("/groups", {"committee": "1540", "name": "Working Group 9",
                                                               "mandate_area": "x"}, as_=CTC_SECRETARIAT), not_yours),
            ("POST", "/groups/load-reference"): (lambda s: s.post("/groups/load-reference", {}, as_=CTC_SECRETARIAT),
                                                 not_yours),
            ("GET", "/groups"): (lambda s: s.get("/groups", as_=CTC_SECRETARIAT), lambda a: a.json() == []),
            ("GET", "/groups/{group_id}"): (lambda s: s.get(f"/groups/{g}", as_=CTC_SECRETARIAT),
                                            lambda a: absent(a, "working_group")),
            ("POST", "/groups/{group_id}/assign-chair"): (
                lambda s: s.post(f"/groups/{g}/assign-chair", {"chair_member_state": "USA", "chair_user": "chair.us"},
                                 as_=CTC_SECRETARIAT), lambda a: absent(a, "working_group")),
            ("POST", "/meetings"): (
                lambda s: s.post("/meetings", {"group_id": g, "meeting_kind": "working_group", "title": "t",
                                               "starts_at": (NOW + timedelta(days=20)).isoformat(),
                                               "ends_at": (NOW + timedelta(days=20, hours=2)).isoformat(),
                                               "location": "Room 1"}, as_=CTC_SECRETARIAT),
                lambda a: absent(a, "working_group")),
            ("GET", "/meetings"): (lambda s: s.get("/meetings", as_=CTC_SECRETARIAT), lambda a: a.json() == []),
            ("GET", "/meetings/{meeting_id}"): (lambda s: s.get(f"/meetings/{m}", as_=CTC_SECRETARIAT),
                                                lambda a: absent(a, "meeting")),
            ("GET", "/meetings/{meeting_id}/history"): (
                lambda s: s.get(f"/meetings/{m}/history", as_=CTC_SECRETARIAT), lambda a: absent(a, "meeting")),
            ("POST", "/meetings/{meeting_id}/{command}"): (
                lambda s: s.post(f"/meetings/{m}/approve-outcome", {"outcome_id": "R1"}, as_=CTC_SECRETARIAT),
                lambda a: absent(a, "meeting")),
            **_file_routes("meetings", m, "meeting", CTC_SECRETARIAT, {"document_id": "D1", "language": "en"}),
            ("GET", "/outcomes/awaiting-approval"): (
                lambda s: s.get("/outcomes/awaiting-approval", as_=CTC_SECRETARIAT), lambda a: a.json() == []),
            # the published schedule is public, to every delegation: it names each meeting's Committee
            ("GET", "/schedule"): (lambda s: s.get("/schedule", params={"committee": "ctc"}),
                                   lambda a: a.status_code == 200 and a.json() == []),
            ("GET", "/schedule.ics"): (lambda s: s.get("/schedule.ics", params={"committee": "ctc"}),
                                       lambda a: a.status_code == 200 and "VEVENT" not in a.text),
            ("POST", "/memberships"): (
                lambda s: s.post("/memberships", {"committee": "1540", "year": NOW.year + 1, "member_states": ["FRA"]},
                                 as_=CTC_SECRETARIAT), not_yours),
            ("GET", "/memberships"): (lambda s: s.get("/memberships", as_=CTC_SECRETARIAT), lambda a: a.json() == []),
            ("POST", "/memberships/{membership_id}/{command}"): (
                lambda s: s.post(f"/memberships/{ms}/revise-membership", {"member_states": ["FRA", "GBR"]},
                                 as_=CTC_SECRETARIAT), lambda a: absent(a, "committee_membership")),
        },
        "reporting": {
            ("GET", "/health"): (lambda s: s.get("/health"), fine),
            ("GET", "/openapi.json"): (lambda s: s.get("/openapi.json"), fine),
            ("GET", "/status"): (lambda s: s.get("/status", as_=CTC_STAFF), fine),  # the intake's health
            ("GET", "/reports"): (lambda s: s.get("/reports", params={**year, "committee": "1540"}, as_=CTC_STAFF),
                                  not_yours),
            ("GET", "/dead-letters"): (lambda s: s.get("/dead-letters", as_=CTC_STAFF), both_only),
            ("GET", "/dead-letters/{letter_id}"): (lambda s: s.get("/dead-letters/1", as_=CTC_STAFF), both_only),
            ("POST", "/dead-letters/replay"): (lambda s: s.post("/dead-letters/replay", {}, as_=CTC_STAFF), both_only),
            ("POST", "/projections/rebuild"): (lambda s: s.post("/projections/rebuild", {}, as_=CTC_STAFF), both_only),
            ("GET", "/projections/rebuild"): (lambda s: s.get("/projections/rebuild", as_=CTC_STAFF), fine),  # progress
            ("GET", "/projections/verify"): (lambda s: s.get("/projections/verify", as_=CTC_STAFF), both_only),
        },
    }
    for name, service in services.items():
        assert set(cases[name]) == _routes(name), f"{name}: a route without a case, or a case without a route"
        for (method, path), (call, expected) in cases[name].items():
            answer = call(service)
            assert expected(answer), f"{name} {method} {path}: {answer.status_code} {answer.text[:300]}"

    # nothing of the 1540 Committee's changed
    assert visits.get(f"/visits/{the['visit']}/history", as_=ADMIN).json() == history_before["visit"]
    assert meetings.get(f"/meetings/{the['meeting']}/history", as_=ADMIN).json() == history_before["meeting"]
    assert meetings.get(f"/groups/{the['group']}", as_=ADMIN).json()["chair"]["user"] == "chair.fr"
    assert [m["member_states"] for m in meetings.get("/memberships", as_=ADMIN).json()] == [["FRA", "USA"]]

    # a limited token's report is its Committee's, asked or not; both Committees' work only unrestricted
    deadline = time.monotonic() + 30
    while True:
        both = reporting.get("/reports", params={**year, "committee": "both"}, as_=ADMIN).json()
        if both["key_figures"]["consent requested"] == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert both["key_figures"]["consent requested"] == 2
    ctc = reporting.get("/reports", params=year, as_=CTC_STAFF)
    assert ctc.status_code == 200 and ctc.json()["report"]["committee"] == "ctc"
    assert ctc.json()["key_figures"]["consent requested"] == 1
    assert not_yours(reporting.get("/reports", params={**year, "committee": "both"}, as_=CTC_STAFF))
