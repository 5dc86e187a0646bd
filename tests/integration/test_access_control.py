"""Every call acts as an authenticated user: no token or a revoked one is 401, the wrong role
403, and the events record who acted from the token, whatever the request claims."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import json
import os
import subprocess
import sys

import pytest
import requests

from fieldwork_testing import ServiceProcess
from shared.auth import TokenRegistry
from shared.store import settings_from_environ

TODAY = datetime.now(timezone.utc).date()  # a visit scheduled from today starts now, on its dates
pytestmark = pytest.mark.integration


def test_a_call_without_a_valid_token_is_refused_with_401_and_changes_nothing(broker, visits_service):
    before = visits_service.get("/visits").json()
    nobody = requests.post(f"{visits_service.url}/visits", json={"member_state": "KEN", "committee": "ctc"}, timeout=10)
    assert nobody.status_code == 401 and nobody.json()["error"] == "unauthenticated"
    forged = requests.post(f"{visits_service.url}/visits", json={"member_state": "KEN", "committee": "ctc"},
                           headers={"Authorization": "Bearer fw_not-a-real-token"}, timeout=10)
    assert forged.status_code == 401
    assert requests.get(f"{visits_service.url}/visits", timeout=10).status_code == 401
    assert visits_service.get("/visits").json() == before
    assert requests.get(f"{visits_service.url}/health", timeout=10).status_code == 200  # probes need no token


def test_a_revoked_token_is_refused_from_then_on(broker, visits_service):
    registry = TokenRegistry(settings_from_environ(visits_service.env))
    token_id, token = registry.issue("leaving.coordinator", "visit_coordinator")
    signed = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{visits_service.url}/visits", headers=signed, timeout=10).status_code == 200
    registry.revoke(token_id)
    answer = requests.get(f"{visits_service.url}/visits", headers=signed, timeout=10)
    assert answer.status_code == 401 and "revoked" in answer.json()["message"]


def test_each_role_does_only_its_own_work(broker, tmp_path):
    visits = ServiceProcess("visits", broker.uri, tmp_path).start()
    meetings = ServiceProcess("meetings", broker.uri, tmp_path).start()
    reporting = ServiceProcess("reporting", broker.uri, tmp_path).start()
    try:
        donor = ("norway", "donor")
        chair = ("chair.fr", "working_group_chair")
        staff = ("rita", "reporting_staff")
        refused = [
            visits.post("/visits", {"member_state": "KEN", "committee": "ctc"}, as_=staff),
            visits.post("/donors", {"name": "X", "donor_kind": "state", "thematic_areas": ["legislation"]}, as_=chair),
            meetings.post("/groups/load-reference", as_=("ana", "visit_coordinator")),
            reporting.get("/reports", params={"kind": "annual", "committee": "both", "year": 2025}, as_=("ana", "visit_coordinator")),
            reporting.get("/status", as_=chair),
        ]
        assert [r.status_code for r in refused] == [403] * len(refused)
        assert {r.json()["rule"] for r in refused} == {"role_may_not_do_this"}
        # a donor's token names its donor; it reads nothing of the staff's
        registry = TokenRegistry(settings_from_environ(visits.env))
        _, donor_token = registry.issue(*donor, donor_id="7d0c6bd8-7e3c-4f43-9d55-6c1f1f0b7a10")
        assert requests.get(f"{visits.url}/visits", headers={"Authorization": f"Bearer {donor_token}"},
                            timeout=10).status_code == 403
        # the published schedule is public: delegations subscribe without a token
        assert requests.get(f"{meetings.url}/schedule.ics", timeout=10).status_code == 200
        assert reporting.get("/status", as_=staff).status_code == 200
    finally:
        for service in (visits, meetings, reporting):
            service.stop()


def test_the_event_records_who_acted_from_the_token_not_from_what_the_request_claims(broker, visits_service):
    tap = broker.tap()
    answer = visits_service.post(
        "/visits", {"member_state": "KEN", "committee": "ctc"}, as_=("ana", "visit_coordinator"),
        headers={"X-Fieldwork-User": "someone.else", "X-Fieldwork-Role": "administrator"},
    )
    assert answer.status_code == 201
    [event] = tap.envelopes(expected=1)
    assert event["actor"] == {"user": "ana", "role": "visit_coordinator"}
    tap.close()


def test_an_administrator_issues_lists_and_revokes_tokens_with_the_cli(tmp_path):
    env = {**os.environ, "FIELDWORK_DATA_DIR": str(tmp_path)}

    def admin(*args):
        return subprocess.run([sys.executable, "-m", "shared.cli.main", "admin", *args],
                              capture_output=True, text=True, env=env, timeout=60)

    issued = admin("issue-token", "--user", "chair.za", "--role", "working_group_chair")
    assert issued.returncode == 0 and issued.stdout.strip().startswith("fw_")
    token_id = issued.stderr.split()[1]
    listed = admin("tokens")
    assert "chair.za" in listed.stdout and "active" in listed.stdout and issued.stdout.strip() not in listed.stdout
    stored = (tmp_path / "auth.sqlite").read_bytes()
    assert issued.stdout.strip().encode() not in stored  # only its hash is kept
    assert admin("revoke-token", token_id).returncode == 0
    assert "revoked" in admin("tokens").stdout
    assert admin("issue-token", "--user", "x", "--role", "emperor").returncode != 0


def test_a_donor_sees_only_what_was_shared_with_it(broker, visits_service):
    norway = visits_service.post("/donors", {"name": "Norway", "donor_kind": "state",
                                             "thematic_areas": ["border_control"]}).json()["id"]
    japan = visits_service.post("/donors", {"name": "Japan", "donor_kind": "state",
                                            "thematic_areas": ["legislation"]}).json()["id"]
    v = visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc"}).json()["id"]
    for command, body in [
        ("approve", {}), ("request-consent", {}), ("grant-consent", {}),
        ("schedule", {"starts_on": str(TODAY), "ends_on": str(TODAY + timedelta(days=4))}), ("start", {}),
        ("record-needs-assessment", {"needs": [
            {"need_id": "N1", "thematic_area": "border_control", "description": "screening", "priority": "high"},
            {"need_id": "N2", "thematic_area": "legislation", "description": "offence", "priority": "low"}]}),
        ("grant-sharing-consent", {}), ("share-needs-assessment", {"donor_id": norway, "need_ids": ["N1"]}),
        ("withdraw-sharing-consent", {"reason": "elections"}),
    ]:
        assert visits_service.post(f"/visits/{v}/{command}", body).status_code == 200, command
    blocked = visits_service.post(f"/visits/{v}/share-needs-assessment", {"donor_id": japan, "need_ids": ["N2"]})
    assert blocked.status_code == 409 and blocked.json()["rule"] == "sharing_requires_consent_in_force"

    registry = TokenRegistry(settings_from_environ(visits_service.env))
    _, norway_token = registry.issue("mfa.norway", "donor", donor_id=norway)
    _, japan_token = registry.issue("mofa.japan", "donor", donor_id=japan)
    seen = requests.get(f"{visits_service.url}/donor/shares", headers={"Authorization": f"Bearer {norway_token}"},
                        timeout=10).json()
    # one share, revoked by the withdrawal: the notice stays, the needs are no longer shown
    assert [(s["member_state"], s["revoked"]["reason"]) for s in seen] == [("KEN", "elections")]
    assert seen[0]["needs"] == [] and seen[0]["iati"] is None
    assert "N2" not in json.dumps(seen) and "Japan" not in json.dumps(seen)
    assert requests.get(f"{visits_service.url}/donor/shares", headers={"Authorization": f"Bearer {japan_token}"},
                        timeout=10).json() == []
    assert visits_service.get("/donor/shares").status_code == 403  # staff use the visit itself
