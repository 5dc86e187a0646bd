"""The console service itself, over HTTP: its page and assets are all local, and its
pass-through hands each call to the right service with the caller's own token, and hands back
the service's answer (refusals included) as it was."""
from __future__ import annotations

import re

import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from console.proxy import STATIC, Console


def test_the_page_and_its_assets_are_served_locally_with_a_strict_policy(system):
    page = requests.get(f"{system.console}/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert 'data-poll-seconds="2"' in page.text  # CONSOLE_POLL_SECONDS reaches the page
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        answer = requests.get(f"{system.console}{asset}", timeout=10)
        assert answer.status_code == 200, asset
    for path in STATIC.iterdir():  # nothing from the internet: no address but the console's own
        assert not re.search(r"https?://", path.read_text(encoding="utf-8")), path.name
    assert requests.get(f"{system.console}/static/../proxy.py", timeout=10).status_code == 404
    assert requests.get(f"{system.console}/static/%2e%2e/proxy.py", timeout=10).status_code == 404


def test_the_console_is_healthy_and_sees_the_four_services(system):
    health = requests.get(f"{system.console}/health", timeout=10).json()
    assert {name: s["status"] for name, s in health["services"].items()} == \
        {"visits": "ok", "meetings": "ok", "reporting": "ok", "notifications": "ok"}
    # each at the address the test gave it (not another system's on the default port)
    assert {name: s["url"] for name, s in health["services"].items()} == \
        {name: url for name, url in system.urls.items() if name != "console"}


def test_calls_pass_through_with_the_callers_token_and_come_back_as_the_service_answered(system):
    for role in ("visit_coordinator", "secretariat", "reporting_staff", "administrator"):
        me = requests.get(f"{system.console}/api/visits/whoami", timeout=10,
                          headers={"Authorization": f"Bearer {system.dev_token(role)}"}).json()
        assert (me["user"], me["role"], me["donor_id"]) == (f"dev.{role}", role, None)
    # refusals are the service's own
    anonymous = requests.get(f"{system.console}/api/visits/whoami", timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthenticated"
    secretariat = {"Authorization": f"Bearer {system.dev_token('secretariat')}"}
    refused = requests.post(f"{system.console}/api/visits/visits", json={"member_state": "KEN", "committee": "ctc"},
                            headers=secretariat, timeout=10)
    assert refused.status_code == 403 and refused.json()["rule"] == "role_may_not_do_this"
    # a body, a query string, the answer's file name
    coordinator = {"Authorization": f"Bearer {system.dev_token('visit_coordinator')}",
                   "X-Correlation-Id": "console-test-1"}
    created = requests.post(f"{system.console}/api/visits/visits", json={"member_state": "GHA", "committee": "ctc"},
                            headers=coordinator, timeout=10)
    assert created.status_code == 201 and created.headers["Location"] == f"/visits/{created.json()['id']}"
    history = requests.get(f"{system.console}/api/visits/visits/{created.json()['id']}/history", headers=coordinator, timeout=10)
    assert history.json()[0]["correlation_id"] == "console-test-1"
    found = requests.get(f"{system.console}/api/visits/visits?state=GHA", headers=coordinator, timeout=10).json()
    assert [v["member_state"] for v in found] == ["GHA"]
    bad = requests.get(f"{system.console}/api/visits/visits?page=2", headers=coordinator, timeout=10)
    assert bad.status_code == 400 and "page" in bad.json()["fields"]
    report = requests.get(f"{system.console}/api/reporting/reports?kind=annual&committee=both&year=2025&format=md", timeout=60,
                          headers={"Authorization": f"Bearer {system.dev_token('reporting_staff')}"})
    assert report.status_code == 200
    assert report.headers["Content-Disposition"] == 'attachment; filename="both-annual-report-2025-01-01-to-2025-12-31.md"'
    # the public schedule and its calendar feed need no token
    assert requests.get(f"{system.console}/api/meetings/schedule.ics", timeout=10).text.startswith("BEGIN:VCALENDAR")
    unknown = requests.get(f"{system.console}/api/payroll/salaries", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"


class ScriptsOnly:
    """A gate that passes the caller's own Authorization header (a script's token) on."""

    def upstream_authorization(self, request):
        return request.headers.get("Authorization")


def test_a_service_that_does_not_answer_is_a_502_that_says_which():
    console = Console(upstreams={"visits": "http://127.0.0.1:9", "meetings": "", "reporting": ""})
    request = Request(EnvironBuilder(path="/api/visits/visits", method="GET").get_environ())
    answer = console.forward(request, "visits", "visits", ScriptsOnly())
    assert answer.status_code == 502
    assert b"the visits service does not answer at http://127.0.0.1:9" in answer.get_data()
    too_big = Request(EnvironBuilder(path="/api/visits/visits", method="POST", data=b"x" * 1_000_001).get_environ())
    assert console.forward(too_big, "visits", "visits", ScriptsOnly()).status_code == 413
