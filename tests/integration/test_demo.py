"""`fieldwork demo` against the three services run as a user runs them: it records half a year
of work through their HTTP APIs, waits for the reporting service, writes the semi-annual
report as HTML and PDF, and can be run again."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fieldwork_testing import ServiceProcess
from shared.cli.demo import last_completed_half
from shared.messaging.topology import PROJECT_ROOT

pytestmark = pytest.mark.integration


def run_demo(env: dict, output_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "demo", "--output-dir", str(output_dir)],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )


def test_demo_records_half_a_year_and_writes_the_semi_annual_report(broker, tmp_path):
    services = {name: ServiceProcess(name, broker.uri, tmp_path)
                for name in ("visits", "meetings", "reporting", "notifications")}
    try:
        for service in services.values():
            service.start()
        env = {**os.environ,
               "FIELDWORK_VISITS_URL": services["visits"].url,
               "FIELDWORK_MEETINGS_URL": services["meetings"].url,
               "FIELDWORK_REPORTING_URL": services["reporting"].url,
               "FIELDWORK_NOTIFICATIONS_URL": services["notifications"].url,
               "FIELDWORK_DATA_DIR": str(tmp_path)}  # where the system's token registry is
        output_dir = tmp_path / "out"

        result = run_demo(env, output_dir)
        assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"

        lines = result.stdout.strip().splitlines()
        paths = [Path(line) for line in lines[-4:]]  # the CTC's HTML and PDF, the 1540 Committee's
        assert [p.name.split("-")[0] for p in paths] == ["ctc", "ctc", "1540", "1540"], paths
        for html_path, pdf_path in (paths[:2], paths[2:]):
            assert html_path.is_absolute() and pdf_path.is_absolute()
            assert html_path.parent == pdf_path.parent == output_dir.resolve()
            assert html_path.read_text().startswith("<!DOCTYPE html>")
            assert pdf_path.read_bytes().startswith(b"%PDF")

        year, half, first, last = last_completed_half(datetime.now(timezone.utc).date())
        assert f"{first.isoformat()} to {last.isoformat()}" in result.stdout
        response = services["reporting"].get("/reports", params={"kind": "semi-annual", "committee": "both",
                                                                  "year": year, "half": half})
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["report"]["period"] == {"start": first.isoformat(), "end": last.isoformat(),
                                              "time_zone": "America/New_York"}  # the Committees' days

        visits = report["visits"]
        conducted_states = {v["member_state"] for v in visits["conducted"]}
        # who took part: the organizations whose information arrived, and the teams
        assert all(v["team_size"] >= 1 for v in visits["conducted"])
        assert any(v["organizations_taking_part"] for v in visits["conducted"])
        attendance = report["meetings"]["attendance"]
        assert attendance["mean_delegations_a_meeting"] >= 8 and attendance["organizations"]
        assert len(conducted_states) >= 4, visits["conducted"]
        assert visits["conducted_by_committee"].get("ctc", 0) >= 1
        assert visits["conducted_by_committee"].get("1540", 0) >= 1
        consent = visits["consent"]
        assert consent["granted"] > 0
        assert consent["declined"] >= 1
        assert consent["pending_at_end"] >= 1
        assert consent["by_invitation"] >= 1
        assert consent["granted"] == consent["granted_on_request"] + consent["by_invitation"]
        assert consent["time_to_answer"]["count"] >= consent["granted_on_request"] + consent["declined"]
        info = visits["pre_visit_information"]
        assert sum(o["received"] for o in info) > sum(o["late"] for o in info) >= 1  # on time and late
        assert sum(o["overdue_at_end"] for o in info) >= 1                           # one never received
        by_name = {o["organization"]: o for o in info}
        assert {"International Criminal Police Organization", "International Atomic Energy Agency",
                "United Nations Office for Disarmament Affairs"} <= set(by_name)  # by their directory names
        assert by_name["International Criminal Police Organization"]["invited"] == 2  # "Interpol", "INTERPOL"
        assert consent["withdrawn"] >= 1
        # Kenya's report: observations on time, the response three days late; R1 in progress, R3 implemented
        answers = visits["state_answers"]
        assert answers["received"] >= 2 and answers["received_late"] >= 1 and answers["reminders"] >= 1
        recommendations = visits["recommendations"]["by_status"]
        assert recommendations["in_progress"] >= 1 and recommendations["implemented"] >= 1
        # the Committee's decisions: approved, one rejected, one returned (then approved as corrected),
        # one approved outcome amended; communications name the States
        decisions = report["meetings"]["decisions"]
        assert decisions["by_decision"]["approved"] >= 10 and decisions["by_decision"]["rejected"] >= 1
        assert decisions["by_decision"]["superseded"] >= 1
        assert decisions["states_reached"] == 3 and all(o["text"] for o in decisions["outcomes"])
        for rule in ("need_shared_once_with_a_donor", "visit_starts_on_its_dates", "steps_in_order",
                     "organizations_from_the_directory", "committee_not_yours"):
            assert f"refused, as the rules require: {rule}: " in result.stdout, rule
        assert visits["needs"]["by_area"] and visits["needs"]["assessments"] >= 4
        assert visits["needs"]["by_priority"]["high"] >= 1
        sharing = visits["sharing"]
        assert len(sharing["by_donor"]) >= 2
        assert sharing["consent"]["granted"] >= 1
        assert sharing["consent"]["declined"] >= 1
        assert sharing["consent"]["withdrawn"] >= 1
        assert visits["follow_up"]

        meetings = report["meetings"]
        groups_meeting = [g for g in meetings["by_group"] if g["meetings_held"] > 0]
        assert len(groups_meeting) >= 4
        assert all(sum(g["outcomes_logged"].values()) > 0 for g in groups_meeting)
        logged = {kind: sum(g["outcomes_logged"][kind] for g in groups_meeting)
                  for kind in ("decision", "recommendation", "action_item")}
        assert all(n > 0 for n in logged.values()), logged
        assert sum(g["outcomes_approved"] for g in groups_meeting) > 0
        assert meetings["totals"]["reports_to_committee"] > 0
        assert meetings["totals"]["meetings_lacking_report"] >= 1
        assert meetings["totals"]["documents_circulated_late"] >= 1
        assert meetings["totals"]["meetings_without_documents"] >= 1
        assert sum(g["cancelled"] for g in meetings["by_group"]) >= 1

        status = services["reporting"].get("/status").json()
        assert status["intake"].get("dead_lettered", 0) == 0, status
        assert services["reporting"].get("/dead-letters").json() == []
        assert report["provenance"]["events"] == status["events_recorded"]
        # every event counted: the demo's own, and the notifications' the notifications service recorded of them
        notifications = services["notifications"].get("/notifications").json()
        told = sum(n["version"] for n in notifications)  # each recorded, then sent: two events
        demo_events = int(re.search(r"waiting for the (\d+) events of the demo", result.stdout).group(1))
        assert status["events_recorded"] == demo_events + told
        # the directory's delegations told of each meeting announced, each notification sent (to data/mail)
        assert {n["status"] for n in notifications} == {"sent"}
        assert {"meeting_announced", "document_circulated", "outcome_communicated", "pre_visit_info_requested",
                "share_made", "share_revoked"} <= {n["notice"] for n in notifications}
        assert f"notifications: {len(notifications)} recorded" in result.stdout
        assert len(list((tmp_path / "mail").glob("*.eml"))) == len(notifications)
        assert report["meetings"]["totals"]["every_delegation_notified"] >= 20  # the meetings held, announced

        # Again, on a system that now has data: new visits and meetings, same groups and donors.
        again = run_demo(env, tmp_path / "again")
        assert again.returncode == 0, f"stdout:\n{again.stdout}\nstderr:\n{again.stderr}"
        assert Path(again.stdout.strip().splitlines()[-1]).read_bytes().startswith(b"%PDF")
        second = services["reporting"].get("/reports", params={"kind": "semi-annual", "committee": "both", "year": year,
                                                                "half": half}).json()
        assert len(second["visits"]["conducted"]) == 2 * len(visits["conducted"])
        assert len(second["meetings"]["by_group"]) == len(meetings["by_group"])  # the groups were reused
        assert len(services["visits"].get("/donors").json()) == 3                # and the donors
        after = services["reporting"].get("/status").json()
        assert after["intake"].get("dead_lettered", 0) == 0
        told_again = sum(n["version"] for n in services["notifications"].get("/notifications").json()) - told
        demo_again = int(re.search(r"waiting for the (\d+) events of the demo", again.stdout).group(1))
        assert after["events_recorded"] - status["events_recorded"] == demo_again + told_again  # the directory kept
    finally:
        for service in services.values():
            service.stop()


def test_demo_stops_with_the_services_message_when_a_service_does_not_answer(tmp_path):
    env = {**os.environ, "FIELDWORK_VISITS_URL": "http://127.0.0.1:9", "FIELDWORK_MEETINGS_URL": "http://127.0.0.1:9",
           "FIELDWORK_REPORTING_URL": "http://127.0.0.1:9", "FIELDWORK_NOTIFICATIONS_URL": "http://127.0.0.1:9",
           "FIELDWORK_DATA_DIR": str(tmp_path)}
    result = run_demo(env, tmp_path / "out")
    assert result.returncode == 7  # the service does not answer
    assert "does not answer" in result.stderr
    assert not (tmp_path / "out").exists()


class RefusingService(BaseHTTPRequestHandler):
    """Healthy, empty, and refusing the first step the demo records, as a service refuses."""

    seen: list = []

    def _answer(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        answers = {"/health": {"status": "ok"}, "/donors": [],
                   "/status": {"events_recorded": 0, "projection": {"behind": 0}}}
        self._answer(200, answers.get(self.path.split("?")[0], {}))

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        RefusingService.seen.append((self.path, self.headers.get("Authorization"), body))
        self._answer(409, {"error": "rule_broken", "rule": "ids_unique", "message": "the donor id is taken"})

    def log_message(self, *args) -> None:
        pass


def test_demo_stops_with_the_services_message_when_a_step_is_refused(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        env = {**os.environ, "FIELDWORK_VISITS_URL": url, "FIELDWORK_MEETINGS_URL": url, "FIELDWORK_REPORTING_URL": url,
               "FIELDWORK_NOTIFICATIONS_URL": url, "FIELDWORK_DATA_DIR": str(tmp_path)}
        result = run_demo(env, tmp_path / "out")
    finally:
        server.shutdown()
    assert result.returncode == 4  # refused by a rule
    assert "refused (409): rule ids_unique: the donor id is taken" in result.stderr
    assert "demo stopped: POST /donors as cted.coordinator (visit_coordinator)" in result.stderr
    assert len(RefusingService.seen) == 1  # nothing after the refusal
    path, authorization, body = RefusingService.seen[0]
    assert path == "/donors" and authorization.startswith("Bearer fw_")
    year, half, first, last = last_completed_half(datetime.now(timezone.utc).date())
    assert first.isoformat() <= body["occurred_at"][:10] <= last.isoformat()
    assert not (tmp_path / "out").exists()
