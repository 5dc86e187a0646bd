"""The `fieldwork` CLI's manners, against a stand-in service that records what reaches it: typed
options checked before any request, choices shown, required options enforced, short output by
default (`--json` for the whole record, `-q` for the id), `--version`, and exit codes apart
from click's own."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version

import pytest
from click.testing import CliRunner

from shared.cli import client
from shared.cli.main import cli

VISIT_ID = str(uuid.uuid4())
VISIT = {"id": VISIT_ID, "version": 3, "member_state": "KEN", "country": "Kenya", "committee": "ctc",
         "status": "approved", "consent": "not_requested", "starts_on": None, "ends_on": None,
         "waiting_for": [{"what": "state_consent", "due_on": "2026-12-20", "overdue": False}],
         "organizations": [], "needs_assessment": {"version": None, "needs": []}}


class StandIn(BaseHTTPRequestHandler):
    """Answers every request with ``answer`` (status, body) and keeps what it was sent."""

    answer: tuple[int, object] = (200, VISIT)
    seen: list[tuple[str, str, dict]] = []

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        StandIn.seen.append((self.command, self.path, body))
        status, data = StandIn.answer
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _reply

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def service(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("VISITS", "MEETINGS", "REPORTING", "NOTIFICATIONS"):
        monkeypatch.setenv(f"FIELDWORK_{name}_URL", url)
    monkeypatch.setenv("FIELDWORK_TOKEN", "fw_test")
    StandIn.seen = []
    StandIn.answer = (200, VISIT)
    yield StandIn
    server.shutdown()


def fieldwork(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_fieldwork_version_is_the_installed_package_version():
    result = fieldwork("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"fieldwork {version('fieldwork')}"


def test_the_cli_prints_no_library_warnings_before_its_answer():
    result = subprocess.run([sys.executable, "-m", "shared.cli.main", "visits", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "propose" in result.stdout
    assert result.stderr == ""


def test_a_required_option_missing_is_a_usage_error_naming_it_and_nothing_is_sent(service):
    result = fieldwork("visits", "postpone", VISIT_ID)
    assert result.exit_code == 2
    assert "Missing option '--reason'" in result.output
    assert service.seen == []


def test_a_required_field_given_in_raw_json_is_enough(service):
    result = fieldwork("visits", "postpone", VISIT_ID, "--raw-json", '{"reason": "elections"}')
    assert result.exit_code == 0, result.output
    assert service.seen == [("POST", f"/visits/{VISIT_ID}/postpone", {"reason": "elections"})]


def test_raw_json_that_is_not_an_object_is_a_usage_error_naming_it(service):
    result = fieldwork("visits", "postpone", VISIT_ID, "--raw-json", '["elections"]')
    assert result.exit_code == 2 and "--raw-json" in result.output and "JSON object" in result.output
    assert service.seen == []


def test_help_shows_the_choices_and_what_is_required():
    result = fieldwork("visits", "propose", "--help")
    assert "[ctc|1540]" in result.output
    assert "[committee_selection|state_invitation]" in result.output
    committee = result.output[result.output.index("--committee"):result.output.index("--member-state")]
    assert "[required]" in committee
    assert "[required]" not in result.output[result.output.index("--purpose"):result.output.index("--raw-json")]


def test_a_value_outside_the_choices_is_a_usage_error_naming_the_option(service):
    result = fieldwork("visits", "propose", "--member-state", "KEN", "--committee", "cted")
    assert result.exit_code == 2
    assert "Invalid value for '--committee'" in result.output and "'ctc', '1540'" in result.output
    assert service.seen == []


@pytest.mark.parametrize("option, value, says", [
    ("--starts-on", "2026-02-30", "is not a date"),
    ("--starts-on", "01/03/2026", "is not a date"),
    ("--occurred-at", "2026-03-01T09:00:00", "has no offset"),
    ("--expected-version", "0", "x>=1"),
])
def test_dates_moments_and_numbers_are_checked_before_any_request(service, option, value, says):
    args = ["visits", "schedule", VISIT_ID, "--starts-on", "2026-03-01", "--ends-on", "2026-03-05", option, value]
    result = fieldwork(*args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and says in result.output
    assert service.seen == []


def test_a_record_id_that_is_not_an_id_is_a_usage_error(service):
    result = fieldwork("visits", "approve", "Kenya")
    assert result.exit_code == 2 and "'Kenya' is not a valid UUID" in result.output
    assert service.seen == []


def test_typed_values_reach_the_service_as_the_api_takes_them(service):
    result = fieldwork("visits", "schedule", VISIT_ID, "--starts-on", "2026-03-01", "--ends-on", "2026-03-05",
                       "--occurred-at", "2026-02-01T09:00:00Z", "--expected-version", "3")
    assert result.exit_code == 0, result.output
    assert service.seen[0][2] == {"starts_on": "2026-03-01", "ends_on": "2026-03-05",
                                  "occurred_at": "2026-02-01T09:00:00+00:00", "expected_version": 3}


def test_a_write_prints_a_line_or_two_a_person_reads(service):
    result = fieldwork("visits", "approve", VISIT_ID)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines == [f"approve: visit {VISIT_ID} (Kenya, ctc), status approved",
                     "  waiting for: state consent, due 2026-12-20"]


def test_json_prints_the_whole_record_and_quiet_only_its_id(service):
    whole = fieldwork("visits", "approve", VISIT_ID, "--json")
    assert whole.exit_code == 0 and json.loads(whole.output) == VISIT
    quiet = fieldwork("visits", "propose", "--member-state", "KEN", "--committee", "ctc", "-q")
    assert quiet.exit_code == 0 and quiet.output == f"{VISIT_ID}\n"


def test_show_reads_as_lines_not_json(service):
    result = fieldwork("visits", "show", VISIT_ID)
    assert result.exit_code == 0
    assert "status: approved" in result.output and "country: Kenya" in result.output
    assert "{" not in result.output and "null" not in result.output


def test_a_list_is_a_table_with_headers(service):
    service.answer = (200, [{**VISIT, "waiting_for": []}, {**VISIT, "id": "v2", "member_state": "FRA"}])
    result = fieldwork("visits", "list")
    assert result.exit_code == 0
    header, first, second, count = result.output.splitlines()
    assert header.split() == ["ID", "STATE", "COMMITTEE", "STATUS", "DATES", "WAITING", "FOR"]
    assert first.split() == [VISIT_ID, "KEN", "ctc", "approved"]
    assert second.split()[:2] == ["v2", "FRA"] and count == "2 visits"


@pytest.mark.parametrize("status, code", [
    (400, client.BAD_INPUT), (422, client.BAD_INPUT), (409, client.REFUSED), (404, client.NOT_FOUND),
    (401, client.NOT_ALLOWED), (403, client.NOT_ALLOWED), (503, client.UNREACHABLE), (500, client.SERVICE_FAILED),
])
def test_each_answer_of_the_service_has_its_exit_code_none_of_them_clicks(service, status, code):
    service.answer = (status, {"error": "x", "rule": "a_rule" if status in (403, 409) else None, "message": "no"})
    result = fieldwork("visits", "approve", VISIT_ID)
    assert result.exit_code == code
    assert code not in (0, 1, 2)


def test_no_service_answering_is_exit_code_7(monkeypatch):
    monkeypatch.setenv("FIELDWORK_VISITS_URL", "http://127.0.0.1:9")
    result = fieldwork("visits", "list")
    assert result.exit_code == client.UNREACHABLE == 7
    assert "does not answer" in result.output


def test_the_exit_codes_are_documented_where_users_look():
    from shared.messaging.topology import PROJECT_ROOT

    operations = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    table = operations[operations.index("### Exit codes"):]
    for code, meaning in client.EXIT_CODES.items():
        assert f"| {code} |" in table, (code, meaning)
    assert "Exit codes" in fieldwork("--help").output
