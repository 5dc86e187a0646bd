"""A fuzz run of each service's HTTP API from its own OpenAPI description (``GET /openapi.json``,
built by shared/openapi.py), with schemathesis: generated requests, valid ones and invalid ones,
against the real service with a token of a role that may call each route.

What must hold for every answer: no 5xx; no stack trace to the client; every 4xx is a JSON
object with an ``error`` key; the status and the content type are ones the description
documents. And nothing is stored on a rejection: after the run, every event in the visits and
meetings stores is one that a 2xx answer accounts for (each 2xx answer to a POST shows the
record's id and new version; the versions shown, per record, are exactly 1..n and add up to the
events stored).

Then the explicit cases of the issue: a 10 MB string (413), a date in year 9999 (400 naming the
field), an unknown country (400 naming ``member_state``), each leaving the store as it was.

A bug the fuzzer finds and that is not fixed yet is listed in ``KNOWN_BUGS`` (recognised by the
trace the service logs for it) and has an explicit ``xfail(strict=True)`` test; any other 5xx,
trace or stray event fails the run.

The number of examples per operation and mode is ``FIELDWORK_FUZZ_EXAMPLES`` (default 25);
the run is derandomized (the same requests each run) unless ``FIELDWORK_FUZZ_RANDOM=1``.
"""
from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from fieldwork_testing import ServiceProcess
from shared.http import MAX_BODY_BYTES
from shared.services import manifests

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES = int(os.environ.get("FIELDWORK_FUZZ_EXAMPLES", "25"))
RANDOM = os.environ.get("FIELDWORK_FUZZ_RANDOM") == "1"
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)

# Who calls: the service's usual role (its manifest's), unless a route takes only others.
DEFAULT_ROLE = {m.name: m.default_role for m in manifests() if m.default_role}
USERS = {"visit_coordinator": "ana", "secretariat": "sam", "reporting_staff": "rita",
         "working_group_chair": "chair.fr", "donor": "norway", "administrator": "admin"}
ROLE_OF_OPERATION = {"POST /meetings/{meeting_id}/log-outcome": "working_group_chair"}

# The records a 201 answer creates: the id it answers is a <kind>_id for later requests.
CREATED_KIND = {"/visits": "visit_id", "/donors": "donor_id", "/groups": "group_id", "/meetings": "meeting_id"}
ID_NAMES = set(CREATED_KIND.values())
STACK_TRACE = re.compile(r'Traceback \(most recent call last\)|File "[^"]+", line \d+')
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ", re.M)

# Bugs the fuzzer finds that are not fixed yet, each recognised by what the service logs for
# it (the 500's reference leads to the logged trace). Each has an explicit xfail(strict=True)
# test below: when the bug is fixed that test passes unexpectedly, and its entry here must go.
KNOWN_BUGS: dict[str, tuple[str, ...]] = {}


def known_bug(log_record: str) -> str | None:
    return next((name for name, marks in KNOWN_BUGS.items() if all(m in log_record for m in marks)), None)


def log_records(log: str) -> list[str]:
    """The service log cut into records (a record's trace lines go with it)."""
    starts = [m.start() for m in LOG_RECORD.finditer(log)]
    return [log[a:b] for a, b in zip(starts, [*starts[1:], len(log)])]


@dataclass
class Finding:
    what: str
    request: str
    status: int | None
    answer: str

    def __str__(self) -> str:
        return f"{self.what}: {self.request} -> {self.status}: {self.answer[:300]}"


@dataclass
class Fuzzer:
    """Runs every operation of a service's description in both generation modes and judges
    each answer; keeps what it saw for the store accounting."""

    service: ServiceProcess
    findings: list[Finding] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    known: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # record id -> the versions 2xx answers to POSTs showed for it
    versions: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    requests_sent: int = 0
    posts_accepted: int = 0  # 2xx answers to POSTs
    known_bug_hits: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.schema = schemathesis.openapi.from_url(f"{self.service.url}/openapi.json")
        self.operations = [result.ok() for result in self.schema.get_all_operations()]
        # Records first, so that the steps on them find some that exist.
        self.operations.sort(key=lambda op: (op.method.upper() != "POST", "{" in op.path, op.path))

    # -- calling --

    def headers_for(self, operation) -> dict:
        roles = operation.definition.raw.get("x-roles") or []
        if not roles:
            return {}
        role = ROLE_OF_OPERATION.get(f"{operation.method.upper()} {operation.path}")
        if role is None:
            role = DEFAULT_ROLE[self.service.service] if DEFAULT_ROLE[self.service.service] in roles else roles[0]
        extra = {"donor_id": str(uuid.uuid4())} if role == "donor" else {}
        return {"Authorization": f"Bearer {self.service.token(USERS[role], role, **extra)}"}

    def run(self) -> None:
        for operation in self.operations:
            for mode in MODES:
                self.run_operation(operation, mode)

    def run_operation(self, operation, mode: GenerationMode) -> None:
        headers = self.headers_for(operation)

        @given(case=operation.as_strategy(generation_mode=mode), use_known=st.booleans(), pick=st.integers(0, 10**6))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not RANDOM,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def fuzz(case, use_known, pick):
            if use_known:
                self.use_known_ids(case, pick)
            self.call(case, headers)

        try:
            fuzz()
        except Unsatisfiable:  # nothing to make invalid (a route with no parameters and no body)
            assert mode == GenerationMode.NEGATIVE, f"no valid request for {operation.label}"

    def use_known_ids(self, case, pick: int) -> None:
        """Aim at records that exist: replace generated ids (path, or body fields such as
        ``group_id`` and ``donor_id``) by ids the run created."""
        for name in list(case.path_parameters or {}):
            if self.known.get(name):
                case.path_parameters[name] = self.known[name][pick % len(self.known[name])]
        if isinstance(case.body, dict):
            for name in ID_NAMES & set(case.body):
                if self.known.get(name) and name != CREATED_KIND.get(case.operation.path):
                    case.body[name] = self.known[name][pick % len(self.known[name])]

    def call(self, case, headers: dict) -> None:
        request = f"{case.method.upper()} {case.formatted_path} query={case.query} body={_excerpt(case.body)}"
        self.requests_sent += 1
        try:
            response = case.call(base_url=self.service.url, session=self.session, headers=headers, timeout=30)
        except requests.RequestException as error:
            self.findings.append(Finding("no answer", request, None, repr(error)))
            return
        self.statuses[response.status_code] += 1
        self.judge(case, response, request)
        self.account(case, response)

    # -- judging --

    def judge(self, case, response, request: str) -> None:
        text = response.content.decode("utf-8", errors="replace")  # a report may be a PDF
        status = response.status_code
        if status == 500 and (bug := self.known_bug_of(text)):
            self.known_bug_hits[bug].append(request)
            return
        if STACK_TRACE.search(text):
            self.findings.append(Finding("stack trace in the answer", request, status, text))
        if 400 <= status < 500:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not (isinstance(body, dict) and isinstance(body.get("error"), str)):
                self.findings.append(Finding("4xx that is not a JSON error", request, status, text))
        try:
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                     content_type_conformance])
        except FailureGroup as failures:
            for failure in failures.exceptions:
                self.findings.append(Finding(f"{type(failure).__name__}: {failure.title}", request, status, text))

    def known_bug_of(self, answer: str) -> str | None:
        """The known bug behind a 500, found by the reference it gives in the service log."""
        reference = re.search(r"reference (\w+)", answer)
        if not reference:
            return None
        for _ in range(20):  # the trace is logged as the answer goes out
            log = self.service.log_path.read_text(errors="replace")
            records = [r for r in log_records(log) if f"(reference {reference.group(1)})" in r]
            if records:
                return known_bug(records[0])
            time.sleep(0.05)
        return None

    def account(self, case, response) -> None:
        """Remember the ids and versions that 2xx answers to POSTs show."""
        if case.method.upper() != "POST" or not 200 <= response.status_code < 300:
            return
        self.posts_accepted += 1
        answer = response.json()
        if response.status_code == 201 and case.operation.path in CREATED_KIND:
            self.known[CREATED_KIND[case.operation.path]].append(answer["id"])
        if isinstance(answer, list):  # POST /groups/load-reference: the groups it created, each at version 1
            for item in answer:
                if item.get("created"):
                    self.versions[item["id"]].add(1)
                    self.known["group_id"].append(item["id"])
        elif isinstance(answer, dict) and "id" in answer and "version" in answer:
            self.versions[str(answer["id"])].add(answer["version"])

    def events_stored(self) -> int:
        return requests.get(f"{self.service.url}/health", timeout=10).json()["events_stored"]

    def unaccounted(self) -> list[str]:
        """Events in the store that no 2xx answer accounts for (or answers with no event)."""
        problems = [f"record {ident}: 2xx answers showed versions {sorted(seen)}, not 1..{max(seen)}"
                    for ident, seen in self.versions.items() if seen != set(range(1, max(seen) + 1))]
        accounted = sum(max(seen) for seen in self.versions.values())
        stored = self.events_stored()
        if stored != accounted:
            problems.append(f"{stored} events stored, {accounted} accounted for by 2xx answers")
        return problems

    def report(self, took: float) -> str:
        kinds = Counter(f.what for f in self.findings)
        return (f"{self.service.service}: {len(self.operations)} operations, {self.requests_sent} requests in "
                f"{took:.0f} s; statuses {dict(sorted(self.statuses.items()))}; "
                f"POSTs accepted {self.posts_accepted}; records created {sum(len(v) for v in self.known.values())}; "
                f"findings {dict(kinds)}; known bugs hit {({k: len(v) for k, v in self.known_bug_hits.items()})}")


def _excerpt(value, limit: int = 200) -> str:
    text = json.dumps(value, default=str) if value is not None else "-"
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def fuzz(service: ServiceProcess) -> Fuzzer:
    fuzzer = Fuzzer(service)
    started = time.monotonic()
    fuzzer.run()
    print("\n" + fuzzer.report(time.monotonic() - started))
    for finding in fuzzer.findings[:20]:
        print("  ", finding)
    for bug, hits in fuzzer.known_bug_hits.items():
        print(f"   known bug ({bug}), e.g. {hits[0]}")
    return fuzzer


def assert_clean(fuzzer: Fuzzer) -> None:
    assert not fuzzer.findings, "\n".join(str(f) for f in fuzzer.findings[:20])
    assert fuzzer.statuses, "the fuzzer sent nothing"
    # Nor did anything fail unhandled inside the service (an error it logs with its trace),
    # but for the known bugs.
    traces = [record for record in log_records(fuzzer.service.log_path.read_text(errors="replace"))
              if STACK_TRACE.search(record) and not known_bug(record)]
    assert not traces, traces[0][:5000]


# -- the fuzz runs --------------------------------------------------------------------------


SERVICE_CLASSES = {"visits": "visits.service:VisitsService", "meetings": "meetings.service:MeetingsService",
                   "reporting": "reporting.service:ReportingService",
                   "notifications": "notifications.service:NotificationsService"}
PUBLIC = {"visits": {"GET /health", "GET /openapi.json"}, "notifications": {"GET /health", "GET /openapi.json"},
          "reporting": {"GET /health", "GET /openapi.json"},
          "meetings": {"GET /health", "GET /openapi.json", "GET /schedule", "GET /schedule.ics"}}


def assert_describes_the_service(service: ServiceProcess) -> None:
    """The served description has every route of the service class (a command route as one
    path per command), the bearer scheme on all but the public routes, and the Error schema."""
    import importlib

    from shared.openapi import DESCRIPTIONS, routes_of

    module, _, name = SERVICE_CLASSES[service.service].partition(":")
    routes = routes_of(getattr(importlib.import_module(module), name))
    answer = requests.get(f"{service.url}/openapi.json", timeout=10)  # no token: public
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    document = answer.json()
    assert document["openapi"].startswith("3.0.")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert set(document["components"]["schemas"]["Error"]["properties"]) == {"error", "message", "rule", "fields"}
    described = {f"{method.upper()} {path}": operation for path, operations in document["paths"].items()
                 for method, operation in operations.items()}
    commands = DESCRIPTIONS[service.service]().commands()
    for route in routes:
        if "{command}" in route.path:
            expected = {f"{route.method} {route.path.replace('{command}', c)}" for c in commands[route.key].steps}
            assert expected <= set(described), sorted(expected - set(described))
            assert f"{route.method} {route.path}" not in described
        else:
            assert f"{route.method} {route.path}" in described, f"{route.method} {route.path} is not described"
    public = {key for key, operation in described.items() if not operation["security"]}
    assert public == PUBLIC[service.service]
    assert all(operation["security"] == [{"bearerAuth": []}]
               for key, operation in described.items() if key not in public)


def test_fuzzing_the_visits_api_finds_no_server_error_and_stores_nothing_on_rejection(broker, visits_service):
    assert_describes_the_service(visits_service)
    fuzzer = fuzz(visits_service)
    assert_clean(fuzzer)
    problems = fuzzer.unaccounted()
    assert not problems, problems
    assert fuzzer.statuses[201] and fuzzer.statuses[200] and fuzzer.statuses[400] and fuzzer.statuses[409]


def test_fuzzing_the_meetings_api_finds_no_server_error_and_stores_nothing_on_rejection(broker, meetings_service):
    assert_describes_the_service(meetings_service)
    fuzzer = fuzz(meetings_service)
    assert_clean(fuzzer)
    problems = fuzzer.unaccounted()
    assert not problems, problems
    assert fuzzer.statuses[201] and fuzzer.statuses[200] and fuzzer.statuses[400]


def test_fuzzing_the_reporting_api_finds_no_server_error(broker, reporting_service):
    assert_describes_the_service(reporting_service)
    fuzzer = fuzz(reporting_service)
    assert_clean(fuzzer)
    assert fuzzer.statuses[200] and fuzzer.statuses[400]


def test_fuzzing_the_notifications_api_finds_no_server_error_and_stores_nothing_on_rejection(broker, tmp_path):
    service = ServiceProcess("notifications", broker.uri, tmp_path).start()
    try:
        assert_describes_the_service(service)
        fuzzer = fuzz(service)
        assert_clean(fuzzer)
        problems = fuzzer.unaccounted()
        assert not problems, problems
        assert fuzzer.statuses[200] and fuzzer.statuses[400]
    finally:
        service.stop()


# -- the explicit cases ---------------------------------------------------------------------


def events_stored(service: ServiceProcess) -> int:
    return requests.get(f"{service.url}/health", timeout=10).json()["events_stored"]


def refusal(answer: requests.Response, status: int, error: str) -> dict:
    assert answer.status_code == status, answer.text[:500]
    body = answer.json()
    assert body["error"] == error and body["message"], body
    assert "Traceback" not in answer.text
    return body


def test_a_10_mb_string_is_refused_with_413_and_stores_nothing(broker, visits_service):
    before = events_stored(visits_service)
    ten_mb = "x" * 10_000_000
    assert len(json.dumps({"purpose": ten_mb})) > MAX_BODY_BYTES
    answer = visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc", "purpose": ten_mb})
    body = refusal(answer, 413, "too_large")
    assert f"{MAX_BODY_BYTES}" in body["message"]
    assert events_stored(visits_service) == before
    assert visits_service.get("/visits").json() == []


def test_a_10_mb_body_sent_chunked_is_refused_with_413_too(broker, visits_service):
    before = events_stored(visits_service)
    piece = "x" * 1_000_000
    parts = ('{"member_state": "KEN", "committee": "ctc", "purpose": "', *[piece] * 10, '"}')
    token = visits_service.token("ana", "visit_coordinator")
    answer = requests.post(f"{visits_service.url}/visits", data=(part.encode() for part in parts), timeout=30,
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert events_stored(visits_service) == before
    refusal(answer, 413, "too_large")


def test_a_date_in_year_9999_is_refused_with_400_naming_the_field_and_stores_nothing(broker, visits_service):
    proposed = visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc"})
    assert proposed.status_code == 201
    visit = proposed.json()
    before = events_stored(visits_service)
    body = refusal(visits_service.post(f"/visits/{visit['id']}/schedule",
                                       {"starts_on": "9999-12-30", "ends_on": "9999-12-31"}), 400, "invalid_input")
    assert {"starts_on", "ends_on"} <= set(body["fields"]) and "starts_on" in body["message"]
    body = refusal(visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc",
                                                   "occurred_at": "9999-01-01T00:00:00Z"}), 400, "invalid_input")
    assert set(body["fields"]) == {"occurred_at"}
    body = refusal(visits_service.get("/visits", params={"today": "9999-01-01"}), 400, "invalid_input")
    assert set(body["fields"]) == {"today"}
    assert events_stored(visits_service) == before
    assert visits_service.get(f"/visits/{visit['id']}").json()["version"] == visit["version"]


EDGE_DATE_TIMES = ("0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01")


def test_a_date_time_at_the_edge_of_pythons_range_is_refused_with_400_not_500(broker, visits_service):
    before = events_stored(visits_service)
    answers = [visits_service.post("/visits", {"member_state": "KEN", "committee": "ctc", "occurred_at": moment})
               for moment in EDGE_DATE_TIMES]
    assert events_stored(visits_service) == before
    for answer in answers:
        body = refusal(answer, 400, "invalid_input")
        assert set(body["fields"]) == {"occurred_at"}


def test_the_visits_description_lists_the_countries_the_service_takes(broker, visits_service):
    document = requests.get(f"{visits_service.url}/openapi.json", timeout=10).json()
    proposal = document["components"]["schemas"]["VisitProposedInput"]
    assert {"KEN", "FRA", "NOR"} <= set(proposal["properties"]["member_state"]["enum"])
    assert "XYZ" not in proposal["properties"]["member_state"]["enum"]
    assert proposal["additionalProperties"] is False and {"member_state", "committee"} <= set(proposal["required"])
    paths = document["paths"]
    assert "/visits/{visit_id}/approve" in paths and "/visits/{visit_id}/{command}" not in paths
    assert {p["name"] for p in paths["/visits"]["get"]["parameters"]} == {
        "state", "committee", "status", "waiting_for", "overdue", "today", "q", "from", "to", "sort"}
    assert set(paths["/visits"]["post"]["responses"]) == {"201", "400", "401", "403", "409", "413"}


def test_an_unknown_country_is_refused_with_400_naming_member_state_and_stores_nothing(broker, visits_service):
    before = events_stored(visits_service)
    for code in ("XYZ", "xyz", "KENYA", "", 404):
        body = refusal(visits_service.post("/visits", {"member_state": code, "committee": "ctc"}), 400, "invalid_input")
        assert set(body["fields"]) == {"member_state"} and "member_state" in body["message"], body
    assert events_stored(visits_service) == before
    assert visits_service.get("/visits").json() == []
